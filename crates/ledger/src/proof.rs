//! Audit without trusting the ledger's keeper: checkpoints of the ledger,
//! consistency between a checkpoint and the ledger now, inclusion proofs of
//! single entries, and evidence bundles of whole disputes. The documents
//! made here are checked by functions that need no ledger at all.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use docket_log::merkle::{self, Blake3Hasher, MerkleHasher as _};
use docket_log::{Entry, Hash, Header};
use docket_model::{Event, PublicKey};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::{Ledger, ReadError};

/// Why a proof, a bundle or a consistency check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The ledger could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The log could not read an entry or a tree node.
    #[error(transparent)]
    Log(#[from] docket_log::ReadError),
    /// The checkpoint is malformed or its signature does not verify.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The document is not a proof or bundle of this format.
    #[error("not a docket {what}: {message}")]
    Format {
        /// "proof" or "bundle".
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The checkpoint names another ledger.
    #[error("the checkpoint is of ledger {theirs}, this ledger is {ours}")]
    OtherLedger {
        /// The checkpoint's origin.
        theirs: String,
        /// This ledger's origin.
        ours: String,
    },
    /// The ledger holds fewer entries than the checkpoint covers.
    #[error(
        "the checkpoint covers {size} entries but the ledger holds only {found}: entries {found}..{size} were removed"
    )]
    Truncated {
        /// Entries the checkpoint covers.
        size: u64,
        /// Entries the ledger holds.
        found: u64,
    },
    /// The ledger's first `size` entries are not the ones the checkpoint
    /// committed to.
    #[error(
        "history was rewritten: the ledger's first {size} entries do not match the checkpoint ({detail})"
    )]
    Rewritten {
        /// Entries the checkpoint covers.
        size: u64,
        /// Which check failed.
        detail: String,
    },
    /// An entry's bytes, its hash or its inclusion proof do not check out.
    #[error("entry {seq}: {message}")]
    Entry {
        /// The entry.
        seq: u64,
        /// What does not check out.
        message: String,
    },
    /// The bundle's signed manifest and its entries disagree.
    #[error("{0}")]
    Manifest(String),
}

/// The ledger's name in checkpoints: `docket:` and the first 16 bytes of
/// entry 0's hash, in hex (stable for the ledger's whole life).
fn origin_of(first: Option<&Entry>) -> String {
    match first {
        Some(entry) => format!("docket:{}", &docket_log::hex(&entry.hash())[..32]),
        None => "docket:empty".to_string(),
    }
}

impl Ledger {
    /// The ledger's name, as checkpoints print it.
    pub fn origin(&self) -> Result<String, ReadError> {
        Ok(origin_of(self.log.get(0)?.as_ref()))
    }

    /// An unsigned checkpoint of the first `size` entries (default: all).
    pub fn checkpoint(&self, size: Option<u64>) -> Result<Checkpoint, ReadError> {
        let size = size.unwrap_or_else(|| self.head().size);
        let root = self.log.merkle_root(size)?;
        let head = match size {
            0 => [0u8; 32],
            n => self.log.get(n - 1)?.map(|e| e.hash()).unwrap_or([0u8; 32]),
        };
        Ok(Checkpoint {
            origin: self.origin()?,
            size,
            root,
            head,
            signatures: Vec::new(),
        })
    }

    /// Proves that the ledger now is an append-only extension of what
    /// `checkpoint` committed to. Returns the current checkpoint.
    pub fn check_consistency(&self, checkpoint: &Checkpoint) -> Result<Checkpoint, ProofError> {
        let now = self.checkpoint(None)?;
        if checkpoint.size > 0 && checkpoint.origin != now.origin {
            return Err(ProofError::OtherLedger {
                theirs: checkpoint.origin.clone(),
                ours: now.origin,
            });
        }
        if checkpoint.size > now.size {
            return Err(ProofError::Truncated {
                size: checkpoint.size,
                found: now.size,
            });
        }
        let rewritten = |detail: String| ProofError::Rewritten {
            size: checkpoint.size,
            detail,
        };
        if checkpoint.size > 0 {
            let ours = self.log.get(checkpoint.size - 1)?.map(|e| e.hash());
            if ours != Some(checkpoint.head) {
                return Err(rewritten(format!(
                    "entry {} has another hash",
                    checkpoint.size - 1
                )));
            }
        }
        if checkpoint.size == 0 {
            // Every ledger extends the empty one.
            return Ok(now);
        }
        let proof = self.log.consistency_proof(checkpoint.size, now.size)?;
        merkle::verify_consistency(
            &Blake3Hasher,
            checkpoint.size,
            now.size,
            &checkpoint.root,
            &now.root,
            &proof,
        )
        .map_err(|e| {
            rewritten(format!(
                "the consistency proof to size {} fails: {e}",
                now.size
            ))
        })?;
        Ok(now)
    }

    /// An inclusion proof of entry `seq` against `checkpoint` (default: a
    /// fresh, unsigned checkpoint of the whole ledger).
    pub fn prove(&self, seq: u64, checkpoint: Option<Checkpoint>) -> Result<Proof, ProofError> {
        let checkpoint = match checkpoint {
            Some(given) => {
                self.check_consistency(&given)?;
                given
            }
            None => self.checkpoint(None)?,
        };
        if seq >= checkpoint.size {
            return Err(ProofError::Entry {
                seq,
                message: format!("not covered by a checkpoint of {} entries", checkpoint.size),
            });
        }
        let entry = self.log.get(seq)?.ok_or(ProofError::Entry {
            seq,
            message: "not in the ledger".into(),
        })?;
        let path = self.log.inclusion_proof(seq, checkpoint.size)?;
        Ok(Proof {
            entry: ProvenEntry::from_entry(&entry, path),
            checkpoint: checkpoint.to_note(),
        })
    }
}

/// One entry with its inclusion proof, as stored in proofs and bundles.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProvenEntry {
    /// Sequence number (the leaf index).
    pub seq: u64,
    /// Entry format version.
    pub version: u16,
    /// Recorded-at, microseconds since the epoch.
    pub recorded_at: i64,
    /// Hash of the previous entry, hex.
    pub prev_hash: String,
    /// The entry's hash, hex (recomputed, never trusted).
    pub hash: String,
    /// The payload, base64.
    pub payload: String,
    /// The inclusion proof: sibling hashes from the leaf up, hex.
    pub proof: Vec<String>,
}

impl ProvenEntry {
    pub(crate) fn from_entry(entry: &Entry, path: Vec<Hash>) -> ProvenEntry {
        ProvenEntry {
            seq: entry.header.seq,
            version: entry.header.version,
            recorded_at: entry.header.recorded_at,
            prev_hash: docket_log::hex(&entry.header.prev_hash),
            hash: docket_log::hex(&entry.hash()),
            payload: BASE64.encode(&entry.payload),
            proof: path.iter().map(docket_log::hex).collect(),
        }
    }

    /// Rebuilds the entry from its fields, checks its hash and its proof
    /// against `checkpoint`, and decodes its event.
    pub fn verify(&self, checkpoint: &Checkpoint) -> Result<Event, ProofError> {
        let seq = self.seq;
        let bad = |message: String| ProofError::Entry { seq, message };
        let payload = BASE64
            .decode(&self.payload)
            .map_err(|_| bad("the payload is not base64".into()))?;
        let prev_hash = docket_log::parse_hex_hash(&self.prev_hash)
            .ok_or_else(|| bad("prev_hash is not 64 hex digits".into()))?;
        let payload_len =
            u32::try_from(payload.len()).map_err(|_| bad("the payload is too long".into()))?;
        let header = Header {
            version: self.version,
            seq,
            recorded_at: self.recorded_at,
            payload_len,
            prev_hash,
        };
        let entry = Entry { header, payload };
        let hash = entry.hash();
        if docket_log::parse_hex_hash(&self.hash) != Some(hash) {
            return Err(bad(
                "its bytes do not match its hash (the entry was altered)".into(),
            ));
        }
        let path: Option<Vec<Hash>> = self
            .proof
            .iter()
            .map(|h| docket_log::parse_hex_hash(h))
            .collect();
        let path = path.ok_or_else(|| bad("a proof hash is not 64 hex digits".into()))?;
        let leaf = Blake3Hasher.leaf(&hash);
        merkle::verify_inclusion(
            &Blake3Hasher,
            seq,
            checkpoint.size,
            &leaf,
            &path,
            &checkpoint.root,
        )
        .map_err(|e| {
            bad(format!(
                "not included in the checkpoint of {} entries: {e}",
                checkpoint.size
            ))
        })?;
        Event::decode(&entry.payload)
            .map_err(|e| bad(format!("the payload is not a valid event: {e}")))
    }
}

/// An inclusion proof document (`docket prove`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Proof {
    /// The entry and its proof.
    pub entry: ProvenEntry,
    /// The checkpoint note it is proven against.
    pub checkpoint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofFile {
    format: String,
    version: u32,
    entry: ProvenEntry,
    checkpoint: String,
}

impl Proof {
    /// The document as pretty JSON.
    pub fn to_json(&self) -> String {
        let file = ProofFile {
            format: "docket-proof".into(),
            version: 1,
            entry: self.entry.clone(),
            checkpoint: self.checkpoint.clone(),
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Reads a document.
    pub fn from_json(text: &str) -> Result<Proof, ProofError> {
        let bad = |message: String| ProofError::Format {
            what: "proof",
            message,
        };
        let file: ProofFile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.format != "docket-proof" || file.version != 1 {
            return Err(bad(format!(
                "format {} version {}",
                file.format, file.version
            )));
        }
        Ok(Proof {
            entry: file.entry,
            checkpoint: file.checkpoint,
        })
    }

    /// Checks the proof with no ledger: the checkpoint (and its signature
    /// by `key`, if given), the entry's hash and its inclusion. Returns the
    /// checkpoint and the proven event.
    pub fn verify(&self, key: Option<&PublicKey>) -> Result<(Checkpoint, Event), ProofError> {
        let checkpoint = Checkpoint::parse(&self.checkpoint)?;
        if let Some(key) = key {
            checkpoint.verify_signature(key)?;
        }
        let event = self.entry.verify(&checkpoint)?;
        Ok((checkpoint, event))
    }
}
