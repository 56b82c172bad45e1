//! Evidence bundles: every entry of one dispute (and of the entities it
//! names), each with its inclusion proof, under one signed checkpoint, with
//! a signed manifest listing exactly which entries the bundle holds.
//!
//! The manifest is what makes a bundle complete evidence: inclusion proofs
//! show each entry is in the ledger, but only a signature over the list of
//! entries shows that none was left out. Its text:
//!
//! ```text
//! docket bundle v1
//! dispute <id>
//! checkpoint <size> <root, hex>
//! entry <seq> <hash, hex>        one line per entry, in seq order
//! ```
//!
//! signed with Ed25519 by the checkpoint's key (the signature is stored
//! base64 in the bundle's `manifest_signature`).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use docket_model::{Event, PublicKey};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, DEFAULT_KEY_NAME};
use crate::index::Family;
use crate::keys::usable_key;
use crate::proof::{ProofError, ProvenEntry};
use crate::{Ledger, SecretKey, TimeQuery};

/// An evidence bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always `docket-bundle`.
    pub format: String,
    /// Version of this format (1).
    pub version: u32,
    /// The dispute the bundle is about.
    pub dispute: String,
    /// The signed checkpoint every entry is proven against.
    pub checkpoint: String,
    /// The entries, in seq order, each with its proof.
    pub entries: Vec<ProvenEntry>,
    /// Ed25519 signature of the manifest, base64.
    pub manifest_signature: String,
}

/// What a bundle proves, once verified.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// Its checkpoint.
    pub checkpoint: Checkpoint,
    /// The proven events with their seqs, in seq order.
    pub events: Vec<(u64, Event)>,
    /// Whether the checkpoint and manifest signatures were checked against
    /// a key the verifier trusts (false without `--key`).
    pub signatures_checked: bool,
}

fn manifest(dispute: &str, checkpoint: &Checkpoint, entries: &[(u64, String)]) -> String {
    let mut text = format!(
        "docket bundle v1\ndispute {dispute}\ncheckpoint {} {}\n",
        checkpoint.size,
        docket_log::hex(&checkpoint.root)
    );
    for (seq, hash) in entries {
        text.push_str(&format!("entry {seq} {hash}\n"));
    }
    text
}

impl Ledger {
    /// Makes the evidence bundle of `dispute`, signed with `key`.
    pub fn bundle(&self, dispute: &str, key: &SecretKey) -> Result<Bundle, ProofError> {
        let visible = self.head().size;
        let view = self
            .dispute_in_families(dispute, &TimeQuery::default())?
            .ok_or_else(|| ProofError::Manifest(format!("no dispute {dispute} in the ledger")))?;
        // The dispute's own entries, and those of every entity its
        // projection used (parties, their parents): what a reader needs to
        // retell the story with names.
        let mut seqs = BTreeSet::new();
        self.collect_indexed(Family::Dispute, dispute, visible, &mut seqs)?;
        for entity in view.projections.holdings.iter() {
            for (seq, event) in self.indexed_events(Family::Entity, entity.id.as_str(), visible)? {
                if crate::state::is_structural(&event) || event.kind().is_meta() {
                    seqs.insert(seq);
                }
            }
        }
        self.close_over_targets(&mut seqs, visible, &mut BTreeMap::new())?;
        let mut checkpoint = self.checkpoint(None)?;
        checkpoint.sign(key, DEFAULT_KEY_NAME);
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let entry = self.log.get(seq)?.ok_or(ProofError::Entry {
                seq,
                message: "not in the ledger".into(),
            })?;
            let path = self.log.inclusion_proof(seq, checkpoint.size)?;
            entries.push(ProvenEntry::from_entry(&entry, path));
        }
        let listed: Vec<(u64, String)> = entries.iter().map(|e| (e.seq, e.hash.clone())).collect();
        let signature = key.sign_bytes(manifest(dispute, &checkpoint, &listed).as_bytes());
        Ok(Bundle {
            format: "docket-bundle".into(),
            version: 1,
            dispute: dispute.to_string(),
            checkpoint: checkpoint.to_note(),
            entries,
            manifest_signature: BASE64.encode(signature),
        })
    }
}

impl Bundle {
    /// The bundle as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a bundle.
    pub fn from_json(text: &str) -> Result<Bundle, ProofError> {
        let bad = |message: String| ProofError::Format {
            what: "bundle",
            message,
        };
        let bundle: Bundle = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if bundle.format != "docket-bundle" || bundle.version != 1 {
            return Err(bad(format!(
                "format {} version {}",
                bundle.format, bundle.version
            )));
        }
        Ok(bundle)
    }

    /// Checks the bundle with no ledger: every entry's hash and inclusion
    /// proof against the checkpoint, entries in strictly increasing seq
    /// order, and, given the signer's `key`, the checkpoint's signature and
    /// the manifest's (which shows no entry was removed or added).
    pub fn verify(&self, key: Option<&PublicKey>) -> Result<VerifiedBundle, ProofError> {
        let checkpoint = Checkpoint::parse(&self.checkpoint)?;
        if let Some(key) = key {
            checkpoint.verify_signature(key)?;
        }
        let mut events = Vec::with_capacity(self.entries.len());
        let mut previous: Option<u64> = None;
        for entry in &self.entries {
            if previous.is_some_and(|p| entry.seq <= p) {
                return Err(ProofError::Manifest(format!(
                    "entry {} is out of order or repeated",
                    entry.seq
                )));
            }
            previous = Some(entry.seq);
            events.push((entry.seq, entry.verify(&checkpoint)?));
        }
        if let Some(key) = key {
            let listed: Vec<(u64, String)> = self
                .entries
                .iter()
                .map(|e| (e.seq, e.hash.clone()))
                .collect();
            let text = manifest(&self.dispute, &checkpoint, &listed);
            let signature: [u8; 64] = BASE64
                .decode(&self.manifest_signature)
                .ok()
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| {
                    ProofError::Manifest("the manifest signature is not 64 bytes of base64".into())
                })?;
            let verifying = usable_key(key).map_err(|e| ProofError::Manifest(e.to_string()))?;
            verifying
                .verify_strict(text.as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature))
                .map_err(|_| {
                    ProofError::Manifest(format!(
                        "the signed manifest does not match the {} entries present: an entry was removed, added or changed",
                        self.entries.len()
                    ))
                })?;
        }
        Ok(VerifiedBundle {
            checkpoint,
            events,
            signatures_checked: key.is_some(),
        })
    }
}
