//! Verifying the whole chain: [`Log::verify`], [`VerifyReport`] and
//! [`Damage`].
//!
//! # Algorithm
//!
//! Verification walks the chunks in key order and, within each chunk, the
//! entries as framed by their `payload_len` fields. For every entry it
//! checks, in this order, stopping at the first failure (a *symptom*):
//!
//! 1. the bytes decode as an entry that fits in the chunk (version 1,
//!    reserved 0, `payload_len` ≤ 1 MiB and within the chunk);
//! 2. its `seq` field is the expected seq (the count of entries so far);
//! 3. its `prev_hash` is the hash of the previous entry (zeros for seq 0);
//! 4. its `recorded_at` is not earlier than the previous entry's;
//! 5. it sits where its seq belongs: chunk `seq / 64`, position `seq % 64`.
//!
//! Each chunk is first split and hashed on its own, without knowledge of
//! the chain ([`hash_chunk`]); only the comparisons are sequential. Hashing
//! chunks in parallel is therefore a local change. The loop allocates
//! nothing per entry: a reused frame buffer and one reset hasher.
//!
//! After the last chunk the walk's result (count, last hash, last time) is
//! compared with the stored head record.
//!
//! The stored Merkle nodes are checked along the way (`nodes.rs`): each
//! accepted entry's leaf hash is pushed onto a frontier, every perfect
//! subtree it completes is recomputed (O(n) node hashes in all, the root of
//! each full chunk included) and those of level ≥ 6, the only ones stored,
//! are compared with the stored nodes, read by walking each level's keys in
//! order (about one key per 32 entries). A record of a level below 6 is
//! damage too. A bad node is reported as [`Damage::MerkleNode`] only if the
//! chain and the head record are intact: damage to the entries themselves
//! is named first.
//!
//! A symptom says where the walk stopped, not necessarily what was
//! damaged: an altered entry `k` typically shows up as a broken link into
//! `k + 1`. The heuristics that turn a symptom into a [`Damage`] that
//! names the first damaged seq are in `diagnose.rs`; they may re-read
//! chunks and are only run once, after the walk stopped.

use std::fmt;

use crate::chunk::{Frame, frames};
use crate::diagnose::{Ctx, Loc, Symptom};
use crate::entry::{Head, entry_hasher};
use crate::header::EntryError;
use crate::layout::{CHUNK_PREFIX, HEAD_KEY, chunk_of, decode_head, parse_chunk_key, slot_of};
use crate::nodes::NodeCheck;
use crate::store::Log;
use crate::{Hash, ZERO_HASH, hex};

/// The first damage [`Log::verify`] found.
///
/// Each variant names the first damaged seq; `Display` gives a sentence a
/// court clerk could read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Damage {
    /// The stored bytes of this entry differ from the bytes that were
    /// chained (its payload or a header field was changed).
    EntryAltered {
        /// The altered entry.
        seq: u64,
    },
    /// This entry's `prev_hash` does not match the entry before it, and the
    /// evidence around it does not tell which of the two was changed.
    BrokenLink {
        /// The entry whose link is broken.
        seq: u64,
    },
    /// Entry `seq` is absent while later entries are present.
    Missing {
        /// The first absent entry.
        seq: u64,
    },
    /// Entry `seq` is stored out of place (entries were moved or swapped).
    Reordered {
        /// The first entry not found in its place.
        seq: u64,
    },
    /// The bytes at this entry's place cannot be read as an entry: a bad
    /// header, a bad version, a length that does not match, stray bytes in
    /// a chunk, time running backwards.
    Malformed {
        /// The entry concerned.
        seq: u64,
        /// What is wrong, in words.
        reason: String,
    },
    /// The head record disagrees with the entries found: entries were cut
    /// off the end (the first missing seq is `found_size`) or added after
    /// it, or the head record itself was changed.
    HeadMismatch {
        /// Number of entries according to the head record.
        stored_size: u64,
        /// Number of intact, chained entries found.
        found_size: u64,
        /// Hash of the last entry according to the head record.
        stored_hash: Hash,
        /// Hash of the last entry found.
        found_hash: Hash,
    },
    /// The head record itself cannot be decoded.
    HeadUnreadable {
        /// What is wrong.
        reason: String,
    },
    /// The storage engine failed to read the chunk holding this entry.
    Unreadable {
        /// The first entry that could not be read.
        seq: u64,
        /// The storage error.
        reason: String,
    },
    /// A stored Merkle tree node (see `docs/format.md` §9) disagrees with
    /// the entries, which are themselves intact: it is missing, altered,
    /// malformed, stored beyond the last entry, or of a level below 6
    /// (those are never stored). Reported only when the chain and the head
    /// record are intact.
    MerkleNode {
        /// The node's level (stored nodes have levels 6 and up; a record
        /// that should not exist may have any level, 0 being a leaf).
        level: u8,
        /// The node's index within its level: it covers entries
        /// `index·2^level .. (index+1)·2^level`.
        index: u64,
        /// What is wrong with it, in words (e.g. "does not match the
        /// entries").
        reason: String,
    },
}

impl Damage {
    /// The first damaged seq. For [`Damage::HeadMismatch`] it is the
    /// smaller of the two sizes (the first missing or first unexpected
    /// entry); an unreadable head record and a damaged Merkle node (whose
    /// entries are intact) name no seq.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Damage::EntryAltered { seq }
            | Damage::BrokenLink { seq }
            | Damage::Missing { seq }
            | Damage::Reordered { seq }
            | Damage::Malformed { seq, .. }
            | Damage::Unreadable { seq, .. } => Some(*seq),
            Damage::HeadMismatch {
                stored_size,
                found_size,
                ..
            } => Some((*stored_size).min(*found_size)),
            Damage::HeadUnreadable { .. } | Damage::MerkleNode { .. } => None,
        }
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::EntryAltered { seq } => write!(
                f,
                "Entry {seq} has been altered: its stored content no longer matches \
                 the fingerprint the ledger recorded for it."
            ),
            Damage::BrokenLink { seq } => write!(
                f,
                "The chain is broken at entry {seq}: it does not refer to the entry \
                 stored before it."
            ),
            Damage::Missing { seq } => write!(
                f,
                "Entry {seq} is missing: later entries are present, but entry {seq} \
                 has been removed."
            ),
            Damage::Reordered { seq } => write!(
                f,
                "Entry {seq} is not in its place: entries have been moved or swapped."
            ),
            Damage::Malformed { seq, reason } => {
                write!(f, "Entry {seq} is damaged and cannot be read: {reason}.")
            }
            Damage::HeadMismatch {
                stored_size,
                found_size,
                stored_hash,
                found_hash,
            } => {
                if found_size < stored_size {
                    write!(
                        f,
                        "The ledger should hold {stored_size} entries but only {found_size} \
                         were found: entries {found_size} to {} have been removed from the end.",
                        stored_size - 1
                    )
                } else if found_size > stored_size {
                    write!(
                        f,
                        "The ledger should hold {stored_size} entries but {found_size} were \
                         found: entries from {stored_size} on were added without being recorded."
                    )
                } else {
                    write!(
                        f,
                        "The ledger's summary record has been altered: it names {} as the \
                         last fingerprint, but the entries end with {}.",
                        hex(stored_hash),
                        hex(found_hash)
                    )
                }
            }
            Damage::HeadUnreadable { reason } => write!(
                f,
                "The ledger's summary record cannot be read ({reason}), so its entries \
                 cannot be vouched for as complete."
            ),
            Damage::Unreadable { seq, reason } => {
                write!(f, "Entry {seq} could not be read from storage: {reason}.")
            }
            Damage::MerkleNode {
                level,
                index,
                reason,
            } => {
                // Entries index·2^level ..= (index+1)·2^level − 1, when
                // that is a meaningful range (a stray key may hold any level).
                let width = 1u128.checked_shl(u32::from(*level)).filter(|_| *level < 64);
                let first = width.and_then(|w| u128::from(*index).checked_mul(w));
                let last = first.zip(width).and_then(|(a, w)| a.checked_add(w - 1));
                match (first, last) {
                    (Some(a), Some(b)) if a == b => {
                        write!(f, "The ledger's Merkle tree record for entry {a}")?
                    }
                    (Some(a), Some(b)) => {
                        write!(f, "The ledger's Merkle tree record for entries {a} to {b}")?
                    }
                    _ => write!(
                        f,
                        "The ledger's Merkle tree record at level {level}, position {index}"
                    )?,
                }
                write!(
                    f,
                    " {reason}. The entries themselves are intact, but proofs that rely \
                     on this record cannot be trusted."
                )
            }
        }
    }
}

/// The outcome of [`Log::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The head record as stored.
    pub stored_head: Head,
    /// Number of entries that passed every check (all of them when
    /// intact; otherwise the entries before the first symptom).
    pub entries_checked: u64,
    /// Hash of the last entry that passed (the recomputed head hash when
    /// intact; zeros if none).
    pub computed_head: Hash,
    /// The first damage found, if any.
    pub damage: Option<Damage>,
}

impl VerifyReport {
    /// True if the log is intact.
    pub fn is_ok(&self) -> bool {
        self.damage.is_none()
    }
}

/// Splits a chunk into entries and hashes each one. Pure: it knows nothing
/// of the chain. Returns the offset and error of the first undecodable
/// position, if any; `out` holds the entries before it.
pub(crate) fn hash_chunk(
    chunk: &[u8],
    hasher: &mut blake3::Hasher,
    out: &mut Vec<(Frame, Hash)>,
) -> Option<(usize, EntryError)> {
    for frame in frames(chunk) {
        match frame {
            Ok(frame) => {
                hasher.reset();
                hasher.update(frame.bytes(chunk));
                out.push((frame, *hasher.finalize().as_bytes()));
            }
            Err(failure) => return Some(failure),
        }
    }
    None
}

/// State of the walk: everything before `seq` passed.
struct Walk {
    seq: u64,
    hash: Hash,
    time: i64,
    prev: Option<Loc>,
}

impl Log {
    /// Verifies the whole chain against the stored bytes and the head
    /// record, reporting the first damage. Never panics, whatever is stored.
    ///
    /// `progress` is called with (entries checked, entries the head claims)
    /// at the start and after every chunk; it may call [`Log::head`] and
    /// the read methods, but an append from it would wait forever: appends
    /// wait while verification runs.
    pub fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> VerifyReport {
        let writer = self.writer();
        let cached = self.head();
        let (stored_head, head_problem) = match self.db().get(HEAD_KEY) {
            Ok(Some(v)) => match decode_head(&v) {
                Some(h) => (h, None),
                None => (cached, Some(format!("it is {} bytes long", v.len()))),
            },
            Ok(None) => (cached, Some("it is missing".to_owned())),
            Err(e) => (cached, Some(e.to_string())),
        };
        let total = stored_head.size;
        let mut walk = Walk {
            seq: 0,
            hash: ZERO_HASH,
            time: i64::MIN,
            prev: None,
        };
        let mut nodes = NodeCheck::new(self.db());
        let symptom = self.walk(&mut walk, &mut nodes, total, progress);
        let ctx = Ctx {
            db: self.db(),
            head: stored_head,
            seq: walk.seq,
            prev_hash: walk.hash,
            prev_time: walk.time,
            prev: walk.prev,
        };
        let damage = match symptom {
            Some(symptom) => Some(ctx.diagnose(symptom)),
            None => head_problem
                .map(|reason| Damage::HeadUnreadable { reason })
                .or_else(|| ctx.end_check())
                .or_else(|| nodes.finish()),
        };
        drop(writer);
        progress(walk.seq, total);
        VerifyReport {
            stored_head,
            entries_checked: walk.seq,
            computed_head: walk.hash,
            damage,
        }
    }

    /// The fast loop. Returns the first symptom, with `walk` describing
    /// everything before it.
    fn walk(
        &self,
        walk: &mut Walk,
        nodes: &mut NodeCheck<'_>,
        total: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Option<Symptom> {
        progress(0, total);
        let mut hasher = entry_hasher();
        let mut hashed: Vec<(Frame, Hash)> = Vec::with_capacity(crate::CHUNK_LEN as usize);
        for item in self.db().scan_prefix([CHUNK_PREFIX]) {
            let (key, value) = match item {
                Ok(kv) => kv,
                Err(e) => return Some(Symptom::Storage(e.to_string())),
            };
            let Some(chunk) = parse_chunk_key(&key) else {
                return Some(Symptom::StrayKey(key.to_vec()));
            };
            if value.is_empty() {
                return Some(Symptom::EmptyChunk(chunk));
            }
            hashed.clear();
            let failure = hash_chunk(&value, &mut hasher, &mut hashed);
            for (slot, (frame, hash)) in hashed.iter().enumerate() {
                let at = Loc {
                    chunk,
                    offset: frame.offset,
                    end: frame.end,
                };
                let h = &frame.header;
                if h.seq != walk.seq {
                    return Some(Symptom::SeqMismatch {
                        at,
                        found: h.seq,
                        prev_field: h.prev_hash,
                    });
                }
                if h.prev_hash != walk.hash {
                    return Some(Symptom::BrokenLink { at, hash: *hash });
                }
                if h.recorded_at < walk.time {
                    return Some(Symptom::TimeBackwards {
                        at,
                        hash: *hash,
                        time: h.recorded_at,
                    });
                }
                if chunk != chunk_of(walk.seq) || slot != slot_of(walk.seq) {
                    return Some(Symptom::Misplaced);
                }
                nodes.push(hash);
                walk.seq += 1;
                walk.hash = *hash;
                walk.time = h.recorded_at;
                walk.prev = Some(at);
            }
            if let Some((offset, error)) = failure {
                return Some(Symptom::Unparsable {
                    chunk,
                    offset,
                    error,
                });
            }
            progress(walk.seq, total);
        }
        None
    }
}
