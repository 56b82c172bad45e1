//! Turning the symptom at which verification stopped into a [`Damage`]
//! that names the first damaged entry.
//!
//! The walk in `verify.rs` stops at the first entry position `s` where a
//! check fails; everything before `s` chained correctly. Notation: `H(k)`
//! is the hash of the bytes stored as entry `k`, `P(k)` its `prev_hash`
//! field; *link k holds* when `P(k) = H(k-1)` (for the last entry: when
//! its hash equals the head record's hash). The heuristics below assume
//! that damage is local and look at just enough evidence to say which
//! entry's bytes changed. They run once, may re-read chunks and allocate.
//!
//! 1. **Re-framing.** An altered `payload_len` of entry `s-1` shifts the
//!    place where entry `s` is looked for, so any symptom found *between*
//!    entries (undecodable bytes, a wrong seq) first tests the hypothesis
//!    "entry `s-1`'s length field is wrong": the 12-byte signature of entry
//!    `s` (`00 01 00 00` ‖ seq) is searched in the chunk of `s-1` (and the
//!    end of that chunk is tried as well, for when `s` opens the next
//!    chunk); a candidate end is accepted only if re-hashing entry `s-1`
//!    with its length field set to the candidate length gives exactly the
//!    `prev_hash` stored in entry `s` (or the head hash). This is proof, not
//!    a guess: it reports `Malformed { s-1 }` (length mismatch).
//! 2. **Undecodable bytes at `s`** (and no proof for 1). If the bytes still carry entry `s`'s
//!    seq field, the header of `s` itself was damaged: `Malformed { s }`.
//!    If entry `s` is found further on (or the log should end here), the
//!    bytes are stray bytes after entry `s-1`: `Malformed { s-1 }`.
//!    Otherwise `Malformed { s }`.
//! 3. **Wrong seq field at `s`.** If the entry's `prev_hash` nevertheless
//!    equals `H(s-1)`, the entry is in its place in the chain and only its
//!    seq field was changed: `EntryAltered { s }`. Otherwise, if entry `s`
//!    occurs later in storage (its signature, with a `prev_hash` field
//!    equal to `H(s-1)`), entries were moved: `Reordered { s }`; if it
//!    occurs nowhere, `Missing { s }`.
//! 4. **Broken link into `s`** (seq field right). Look one link further:
//!    if link `s+1` holds, entry `s` is as it was chained, so `H(s-1)`
//!    changed: `EntryAltered { s-1 }`. If link `s+1` is broken too, entry
//!    `s`'s own bytes changed (its `prev_hash` field, which also changes its
//!    hash): `EntryAltered { s }`. If the next entry cannot be judged,
//!    `BrokenLink { s }`. For `s = 0` the first case cannot be an
//!    alteration and stays `BrokenLink { 0 }`.
//! 5. **Time running backwards at `s`** (link intact). If link `s+1` is
//!    broken, entry `s`'s `recorded_at` was changed: `EntryAltered { s }`.
//!    Otherwise the entry was chained that way: `Malformed { s }`.
//! 6. **Right entry in the wrong chunk or position**: `Reordered { s }`.
//!
//! After an unbroken walk (`verify.rs`), a count below the head's size is
//! a truncated tail (`HeadMismatch`, first missing seq = count); equal
//! counts with different hashes mean the last entry was altered
//! (`EntryAltered { size-1 }`; the head record being altered instead is
//! indistinguishable and rarer).

use crate::chunk::find_signature;
use crate::codec::{ChunkBytes, ChunkEncoding};
use crate::entry::{Head, entry_hasher};
use crate::header::{EntryError, HEADER_LEN, MAX_PAYLOAD_LEN, raw_prev_at, raw_seq_at};
use crate::layout::{chunk_key, chunk_of, parse_chunk_key};
use crate::verify::Damage;
use crate::{Hash, hex_bytes};

/// Where an entry (as framed by the walk) is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loc {
    pub chunk: u64,
    pub offset: usize,
    pub end: usize,
}

/// Why the walk stopped at entry position `Ctx::seq`.
#[derive(Debug)]
pub(crate) enum Symptom {
    /// The bytes at `offset` of `chunk` are not a decodable entry.
    Unparsable {
        chunk: u64,
        offset: usize,
        error: EntryError,
    },
    /// A decodable entry with another seq field.
    SeqMismatch {
        at: Loc,
        found: u64,
        prev_field: Hash,
    },
    /// The right seq, but `prev_hash` differs from the previous hash.
    BrokenLink { at: Loc, hash: Hash },
    /// Linked, but recorded before the previous entry.
    TimeBackwards { at: Loc, hash: Hash, time: i64 },
    /// Linked and in sequence, but in the wrong chunk or slot.
    Misplaced,
    /// A key in the chunk namespace that is not a chunk key.
    StrayKey(Vec<u8>),
    /// A chunk record with an empty value.
    EmptyChunk(u64),
    /// A chunk record whose value does not decode (layout 2).
    UnreadableChunk { chunk: u64, reason: String },
    /// sled failed.
    Storage(String),
}

enum Link {
    Holds,
    Broken,
    Unknown,
}

/// Everything the walk knew when it stopped.
pub(crate) struct Ctx<'a> {
    pub db: &'a sled::Db,
    /// How the log stores chunk values.
    pub encoding: ChunkEncoding,
    /// The head record as stored.
    pub head: Head,
    /// The position where the walk stopped; entries before it passed.
    pub seq: u64,
    /// Hash of entry `seq - 1` (zeros if `seq` is 0).
    pub prev_hash: Hash,
    /// `recorded_at` of entry `seq - 1`.
    pub prev_time: i64,
    /// Where entry `seq - 1` is stored.
    pub prev: Option<Loc>,
}

impl Ctx<'_> {
    pub fn diagnose(&self, symptom: Symptom) -> Damage {
        let s = self.seq;
        match symptom {
            Symptom::Unparsable {
                chunk,
                offset,
                error,
            } => self.unparsable(chunk, offset, &error),
            Symptom::SeqMismatch {
                at,
                found,
                prev_field,
            } => {
                if let Some(d) = self.misframed_prev() {
                    d
                } else if s >= self.head.size {
                    Damage::Malformed {
                        seq: s,
                        reason: format!("an entry numbered {found} is stored after the last entry"),
                    }
                } else if prev_field == self.prev_hash {
                    Damage::EntryAltered { seq: s }
                } else if self.found_later(s, at.chunk, at.offset.saturating_add(1)) {
                    Damage::Reordered { seq: s }
                } else {
                    Damage::Missing { seq: s }
                }
            }
            Symptom::BrokenLink { at, hash } => match self.link_after(at, hash) {
                Link::Holds if s > 0 => Damage::EntryAltered { seq: s - 1 },
                Link::Broken => Damage::EntryAltered { seq: s },
                _ => Damage::BrokenLink { seq: s },
            },
            Symptom::TimeBackwards { at, hash, time } => match self.link_after(at, hash) {
                Link::Broken => Damage::EntryAltered { seq: s },
                _ => Damage::Malformed {
                    seq: s,
                    reason: format!(
                        "it is recorded at {time} µs, earlier than the entry before it \
                         ({} µs)",
                        self.prev_time
                    ),
                },
            },
            Symptom::Misplaced => Damage::Reordered { seq: s },
            Symptom::StrayKey(key) => Damage::Malformed {
                seq: s,
                reason: format!("storage holds an unexpected chunk key {}", hex_bytes(&key)),
            },
            Symptom::EmptyChunk(chunk) => Damage::Malformed {
                seq: s,
                reason: format!("its chunk {chunk} is stored empty"),
            },
            // Entry `s` belongs in an earlier chunk than the unreadable
            // one, which is the chunk after the last one walked: it is
            // missing, whatever that chunk holds.
            Symptom::UnreadableChunk { chunk, .. }
                if chunk != chunk_of(s) && s < self.head.size =>
            {
                Damage::Missing { seq: s }
            }
            Symptom::UnreadableChunk { chunk, reason } => Damage::Malformed {
                seq: s,
                reason: format!("its chunk {chunk} is unreadable: {reason}"),
            },
            Symptom::Storage(reason) => Damage::Unreadable { seq: s, reason },
        }
    }

    /// Compares the end of an unbroken walk with the head record.
    pub fn end_check(&self) -> Option<Damage> {
        let (found, head) = (self.seq, &self.head);
        let expected_time = if found == 0 {
            Head::EMPTY.recorded_at
        } else {
            self.prev_time
        };
        if found == head.size && self.prev_hash == head.hash && expected_time == head.recorded_at {
            return None;
        }
        if found < head.size
            && let Some(d) = self.misframed_prev()
        {
            // The last entry's length field swallowed the entries after it.
            return Some(d);
        }
        if found == head.size && found > 0 && self.prev_hash != head.hash {
            // Either the last entry or the head record was changed; the
            // entries are the likelier target.
            return Some(Damage::EntryAltered { seq: found - 1 });
        }
        Some(Damage::HeadMismatch {
            stored_size: head.size,
            found_size: found,
            stored_hash: head.hash,
            found_hash: self.prev_hash,
        })
    }

    /// Chunk `n`, decoded; `None` if it is absent or does not decode.
    fn chunk(&self, n: u64) -> Option<ChunkBytes> {
        let value = self.db.get(chunk_key(n)).ok().flatten()?;
        self.encoding.decode(value).ok()
    }

    /// The first chunk stored after chunk `n`, decoded.
    fn next_chunk(&self, n: u64) -> Option<ChunkBytes> {
        let start = chunk_key(n.checked_add(1)?);
        let (key, value) = self.db.range(start..=chunk_key(u64::MAX)).next()?.ok()?;
        parse_chunk_key(&key)?;
        self.encoding.decode(value).ok()
    }

    /// Whether entry `seq` (the entry being looked for, whose predecessor
    /// hashes to `self.prev_hash`) is stored in chunk `chunk` from offset
    /// `from` on, or in any later chunk: its 12-byte signature followed,
    /// 12 bytes on, by a `prev_hash` field equal to `self.prev_hash`. The
    /// second condition rules out signatures that occur by chance (runs of
    /// zero bytes make the signatures of small seqs common).
    fn found_later(&self, seq: u64, chunk: u64, from: usize) -> bool {
        self.db
            .range(chunk_key(chunk)..=chunk_key(u64::MAX))
            .filter_map(Result::ok)
            .any(|(key, value)| {
                let Ok(value) = self.encoding.decode(value) else {
                    return false;
                };
                let mut start = if parse_chunk_key(&key) == Some(chunk) {
                    from
                } else {
                    0
                };
                while let Some(p) = find_signature(&value, start, seq) {
                    if raw_prev_at(&value, p) == Some(self.prev_hash) {
                        return true;
                    }
                    start = p + 1;
                }
                false
            })
    }

    /// Link `seq + 1`: does the entry after the one at `at` (whose hash is
    /// `hash`) point back to it?
    fn link_after(&self, at: Loc, hash: Hash) -> Link {
        let Some(next_seq) = self.seq.checked_add(1) else {
            return Link::Unknown;
        };
        let Some(chunk) = self.chunk(at.chunk) else {
            return Link::Unknown;
        };
        let next = if at.end < chunk.len() {
            Some((chunk, at.end))
        } else {
            self.next_chunk(at.chunk).map(|c| (c, 0))
        };
        let judged = |ok: bool| if ok { Link::Holds } else { Link::Broken };
        match next {
            Some((bytes, offset)) => match raw_seq_at(&bytes, offset) {
                Some(seq) if seq == next_seq => match raw_prev_at(&bytes, offset) {
                    Some(prev) => judged(prev == hash),
                    None => Link::Unknown,
                },
                _ => Link::Unknown,
            },
            None if next_seq == self.head.size => judged(hash == self.head.hash),
            None => Link::Unknown,
        }
    }

    /// Undecodable bytes where entry `seq` should start.
    fn unparsable(&self, chunk: u64, offset: usize, error: &EntryError) -> Damage {
        let s = self.seq;
        let Some(bytes) = self.chunk(chunk) else {
            return Damage::Unreadable {
                seq: s,
                reason: format!("chunk {chunk} vanished during verification"),
            };
        };
        // The re-framing proof first: bytes inside a payload can look like
        // the seq field of entry `s` by chance.
        if let Some(d) = self.misframed_prev() {
            return d;
        }
        if raw_seq_at(&bytes, offset) == Some(s) {
            return Damage::Malformed {
                seq: s,
                reason: format!("its header is damaged ({error})"),
            };
        }
        if offset > 0 && (s >= self.head.size || self.found_later(s, chunk, offset)) {
            return Damage::Malformed {
                seq: s.saturating_sub(1),
                reason: format!(
                    "it is followed by {} bytes that are not an entry",
                    bytes.len().saturating_sub(offset)
                ),
            };
        }
        Damage::Malformed {
            seq: s,
            reason: format!(
                "the bytes at its place (chunk {chunk}, offset {offset}) are not an entry \
                 ({error})"
            ),
        }
    }

    /// Hypothesis 1 of the module docs: entry `seq - 1`'s length field was
    /// altered. Returns the damage if re-hashing proves it.
    fn misframed_prev(&self) -> Option<Damage> {
        let prev = self.prev?;
        let s = self.seq;
        let bytes = self.chunk(prev.chunk)?;
        let claimed = prev.end.checked_sub(prev.offset + HEADER_LEN)?;
        let proven = |end: usize| Damage::Malformed {
            seq: s - 1,
            reason: format!(
                "its length field says {claimed} bytes of content, but it occupies {} bytes: \
                 the field was altered",
                end - prev.offset - HEADER_LEN
            ),
        };
        let mut from = prev.offset + HEADER_LEN;
        while let Some(p) = find_signature(&bytes, from, s) {
            if p != prev.end
                && let Some(expected) = raw_prev_at(&bytes, p)
                && rehash_matches(&bytes, prev.offset, p, &expected)
            {
                return Some(proven(p));
            }
            from = p + 1;
        }
        let end = bytes.len();
        if end != prev.end {
            let expected = match self.next_chunk(prev.chunk) {
                Some(next) if raw_seq_at(&next, 0) == Some(s) => raw_prev_at(&next, 0),
                Some(_) => None,
                None if s == self.head.size => Some(self.head.hash),
                None => None,
            };
            if expected.is_some_and(|e| rehash_matches(&bytes, prev.offset, end, &e)) {
                return Some(proven(end));
            }
        }
        None
    }
}

/// Whether the entry stored at `start..end` of `bytes`, with its
/// `payload_len` field corrected to fit `end`, hashes to `expected`.
fn rehash_matches(bytes: &[u8], start: usize, end: usize, expected: &Hash) -> bool {
    let Some(payload_start) = start.checked_add(HEADER_LEN) else {
        return false;
    };
    let Some(len) = end.checked_sub(payload_start) else {
        return false;
    };
    if len > MAX_PAYLOAD_LEN {
        return false;
    }
    let (Some(header), Some(payload)) = (
        bytes.get(start..payload_start),
        bytes.get(payload_start..end),
    ) else {
        return false;
    };
    let mut fixed = [0u8; HEADER_LEN];
    fixed.copy_from_slice(header);
    // len <= MAX_PAYLOAD_LEN, so it fits in u32.
    fixed[20..24].copy_from_slice(&(len as u32).to_be_bytes());
    let mut hasher = entry_hasher();
    hasher.update(&fixed);
    hasher.update(payload);
    hasher.finalize().as_bytes() == expected
}
