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
//! the chain (every entry carries its predecessor's hash), on worker
//! threads (`hashing.rs`); only the comparisons above are sequential, on
//! the calling thread, in key order. The result is therefore the same
//! whatever the number of workers (the tests compare 0 to 3). Nothing is
//! copied or allocated per entry: entries are hashed in place in sled's
//! buffer of the chunk.
//!
//! After the last chunk the walk's result (count, last hash, last time) is
//! compared with the stored head record.
//!
//! The stored Merkle nodes are checked along the way (`node_check.rs`):
//! each accepted entry's leaf hash is pushed onto a frontier, every perfect
//! subtree it completes is recomputed (O(n) node hashes in all) and those
//! of level ≥ 6, the only ones stored, are compared with the stored nodes,
//! read by walking each level's keys in order (about one key per 32
//! entries). The root of a full chunk (63 of the 64 node hashes per
//! chunk) is computed by the worker that hashed the chunk, and pushed as
//! one subtree. A record of a level below 6 is damage too. A bad node is
//! reported as [`Damage::MerkleNode`] only if the chain and the head record
//! are intact: damage to the entries themselves is named first.
//!
//! A symptom says where the walk stopped, not necessarily what was
//! damaged: an altered entry `k` typically shows up as a broken link into
//! `k + 1`. The heuristics that turn a symptom into a [`Damage`] that
//! names the first damaged seq are in `diagnose.rs`; they may re-read
//! chunks and are only run once, after the walk stopped.

use std::fmt;

use crate::diagnose::{Ctx, Loc, Symptom};
use crate::entry::Head;
use crate::hashing::{HashedChunk, default_workers, walk_chunks};
use crate::layout::{CHUNK_LEN, HEAD_KEY, chunk_of, decode_head, slot_of};
use crate::node_check::NodeCheck;
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
        self.verify_with(progress, &|_, _| (), &mut |_, _| {})
    }

    /// [`Log::verify`], which also hands every payload to the caller in
    /// the same read of the log, so that a caller who checks payloads
    /// (the ledger decodes them) need not read the log a second time.
    ///
    /// `inspect` runs on worker threads, in no particular order, on every
    /// entry that frames, with the seq field of its header and its payload
    /// bytes, before the entry's place in the chain has been checked; it
    /// must not panic. `accept` then receives, on the calling thread and in
    /// seq order, the seq and the result of `inspect` of every entry that
    /// passed the chain checks (those counted in
    /// [`VerifyReport::entries_checked`]), just before the progress call
    /// of its chunk. It may take a result out (leaving a cheap value in
    /// its place); what is left is dropped afterwards, on the thread that
    /// made it, and the results of entries past the first damage unseen.
    /// The log still never interprets a payload: what `inspect` does with
    /// the bytes is the caller's business.
    pub fn verify_with<T: Send>(
        &self,
        progress: &mut dyn FnMut(u64, u64),
        inspect: &(dyn Fn(u64, &[u8]) -> T + Sync),
        accept: &mut dyn FnMut(u64, &mut T),
    ) -> VerifyReport {
        self.verify_on(default_workers(), progress, inspect, accept)
    }

    /// [`Log::verify_with`] on `workers` threads (0: all on this one).
    pub(crate) fn verify_on<T: Send>(
        &self,
        workers: usize,
        progress: &mut dyn FnMut(u64, u64),
        inspect: &(dyn Fn(u64, &[u8]) -> T + Sync),
        accept: &mut dyn FnMut(u64, &mut T),
    ) -> VerifyReport {
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
        progress(0, total);
        let symptom = walk_chunks(
            self.db(),
            self.encoding(),
            workers,
            total / CHUNK_LEN,
            inspect,
            &mut |hashed| {
                let symptom = walk.chunk(hashed, &mut nodes, accept);
                if symptom.is_none() {
                    progress(walk.seq, total);
                }
                symptom
            },
        );
        let ctx = Ctx {
            db: self.db(),
            encoding: self.encoding(),
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
}

impl Walk {
    /// The in-order checks of one hashed chunk. Returns the first symptom,
    /// with `self` describing everything before it.
    fn chunk<T>(
        &mut self,
        hashed: &mut HashedChunk<T>,
        nodes: &mut NodeCheck<'_>,
        accept: &mut dyn FnMut(u64, &mut T),
    ) -> Option<Symptom> {
        let HashedChunk {
            chunk,
            entries,
            failure,
            root,
            inspected,
            unreadable,
        } = hashed;
        let chunk = *chunk;
        let first = self.seq;
        let mut symptom = None;
        for (slot, ((frame, hash), inspected)) in
            entries.iter().zip(inspected.iter_mut()).enumerate()
        {
            let at = Loc {
                chunk,
                offset: frame.offset,
                end: frame.end,
            };
            let h = &frame.header;
            if h.seq != self.seq {
                symptom = Some(Symptom::SeqMismatch {
                    at,
                    found: h.seq,
                    prev_field: h.prev_hash,
                });
            } else if h.prev_hash != self.hash {
                symptom = Some(Symptom::BrokenLink { at, hash: *hash });
            } else if h.recorded_at < self.time {
                symptom = Some(Symptom::TimeBackwards {
                    at,
                    hash: *hash,
                    time: h.recorded_at,
                });
            } else if chunk != chunk_of(self.seq) || slot != slot_of(self.seq) {
                symptom = Some(Symptom::Misplaced);
            }
            if symptom.is_some() {
                break;
            }
            accept(self.seq, inspected);
            self.seq += 1;
            self.hash = *hash;
            self.time = h.recorded_at;
            self.prev = Some(at);
        }
        // The entries that passed go to the Merkle check, a whole chunk at
        // once when its root is known; after a symptom the nodes no longer
        // matter (damage to the entries is named first).
        if symptom.is_none() {
            let passed = usize::try_from(self.seq - first).unwrap_or(usize::MAX);
            nodes.push_chunk(entries.iter().take(passed).map(|(_, h)| h), root.as_ref());
        }
        if let Some(reason) = unreadable.take() {
            return Some(Symptom::UnreadableChunk { chunk, reason });
        }
        symptom.or_else(|| {
            failure.clone().map(|(offset, error)| Symptom::Unparsable {
                chunk,
                offset,
                error,
            })
        })
    }
}
