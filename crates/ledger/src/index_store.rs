//! The index on disk: which entries hold an event id, and which entries
//! are indexed under each term of [`crate::index`].
//!
//! The index is derived data, kept in the log's derived space and rebuilt
//! from the entries whenever it is missing, stale or damaged. Storing one
//! sled key per posting made every appended event cost half a dozen tree
//! inserts (about 13 µs each), which bounded bulk import near 15k events/s;
//! instead postings are packed into a fixed number of buckets, rewritten
//! once per flush:
//!
//! | derived name | value |
//! |---|---|
//! | `ix/meta` | version (u32 LE) ‖ entries covered (u64 LE) ‖ hash of the last covered entry |
//! | `ix/i` ‖ bucket (u16 BE) | the ids hashing to the bucket: (id hash u64 LE ‖ seq u64 LE)*, sorted |
//! | `ix/t` ‖ bucket (u16 BE) | the terms hashing to the bucket: (len u16 LE ‖ term ‖ count u32 LE ‖ seq deltas as LEB128)*, sorted by term |
//!
//! The meta record ties the index to the log: it covers entries
//! `0..covered` and names the hash of entry `covered - 1`. A flush writes
//! the buckets it changes and the meta record in one atomic batch, after
//! the entries are durable, so the index never covers an entry the log
//! lacks; entries appended after the last flush (a crash in between, or a
//! ledger written by an older release) are indexed on the next use by
//! reading them back. Id hashes are 64 bits, so every hit is confirmed
//! against the stored event's id.

use std::collections::{BTreeMap, HashMap};

use docket_log::{Entry, Hash, Log};
use docket_model::{Event, EventId};

use crate::ReadError;
use crate::index::{revision_chain, terms_for};

const META: &[u8] = b"ix/meta";
const ID_BUCKET: &[u8] = b"ix/i";
const TERM_BUCKET: &[u8] = b"ix/t";
const PREFIX: &[u8] = b"ix/";
const VERSION: u32 = 1;
/// 4096 buckets: at a million events an id bucket holds ~250 ids (4 KB).
const BUCKET_SHIFT: u32 = 64 - 12;
/// Pending postings flushed by an import once it has this many (some
/// 100 MB): each flush rewrites every bucket, so flushing often would make
/// a large import quadratic.
const FLUSH_AFTER: usize = 1 << 23;

/// A derived blob to write (`Some`) or remove (`None`).
type Change = (Vec<u8>, Option<Vec<u8>>);

/// A term and the seqs indexed under it.
type Postings = (Vec<u8>, Vec<u64>);

fn hash64(domain: &[u8], bytes: &[u8]) -> u64 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(domain);
    hasher.update(bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hasher.finalize().as_bytes()[..8]);
    u64::from_le_bytes(first)
}

fn id_hash(id: &EventId) -> u64 {
    hash64(b"id\0", id.as_str().as_bytes())
}

fn bucket_of(hash: u64) -> u16 {
    (hash >> BUCKET_SHIFT) as u16
}

fn bucket_name(kind: &[u8], bucket: u16) -> Vec<u8> {
    [kind, &bucket.to_be_bytes()].concat()
}

/// What [`IndexStore::check_ids`] found.
pub(crate) struct IdFindings {
    /// Entries the index does not list under their id.
    pub missing: Vec<u64>,
    /// Pairs of entries (earlier, later) whose ids hash alike.
    pub same_hash: Vec<(u64, u64)>,
}

/// The index as loaded by one [`crate::Ledger`]: what is stored, plus the
/// postings of entries indexed since the last flush.
#[derive(Default)]
pub(crate) struct IndexStore {
    loaded: bool,
    /// Entries `0..covered` are indexed (stored or pending).
    covered: u64,
    /// Hash of entry `covered - 1`.
    tie: Hash,
    /// Whether the stored index is behind `covered`.
    dirty: bool,
    /// Id hash → seq of the pending ids; a second seq under one hash (a
    /// collision, or a planted duplicate) goes to `pending_repeats`.
    pending_ids: HashMap<u64, u64>,
    pending_repeats: Vec<(u64, u64)>,
    pending_terms: HashMap<Vec<u8>, Vec<u64>>,
    pending_postings: usize,
    /// Decoded stored id buckets: each id lookup would otherwise decode one.
    id_buckets: HashMap<u16, Vec<(u64, u64)>>,
}

impl IndexStore {
    /// Brings the index up to the log's head: loads the stored one on first
    /// use, rebuilds it if it belongs to another history, and indexes the
    /// entries appended since it was flushed.
    pub(crate) fn ensure(&mut self, log: &Log) -> Result<(), ReadError> {
        if !self.loaded {
            self.load(log)?;
        }
        let head = log.head();
        if self.covered > head.size {
            self.reset(log)?;
        }
        let caught_up = self.covered < head.size;
        while self.covered < head.size {
            let seq = self.covered;
            let Some(entry) = log.get(seq)? else { break };
            match Event::decode(&entry.payload) {
                Ok(event) => {
                    let related = self.related(log, &event)?;
                    let terms = terms_for(&event, &related);
                    self.add(seq, entry.hash(), event.id.as_ref(), &terms);
                }
                // Not an event (only a damaged or forged log holds one):
                // nothing to index. Reading it fails wherever it matters,
                // and `verify` names it.
                Err(_) => self.add(seq, entry.hash(), None, &[]),
            }
        }
        if caught_up {
            self.flush(log)?;
        }
        Ok(())
    }

    fn load(&mut self, log: &Log) -> Result<(), ReadError> {
        *self = IndexStore {
            loaded: true,
            ..IndexStore::default()
        };
        let meta = log.derived_get(META)?.and_then(|bytes| parse_meta(&bytes));
        let tied = match meta {
            Some((0, _)) => true,
            Some((covered, tie)) if covered <= log.head().size => {
                log.get(covered - 1)?.map(|e| e.hash()) == Some(tie)
            }
            _ => false,
        };
        match (meta, tied) {
            (Some((covered, tie)), true) => {
                self.covered = covered;
                self.tie = tie;
                Ok(())
            }
            _ => self.reset(log),
        }
    }

    /// Forgets the stored index: it is rebuilt from the entries.
    pub(crate) fn reset(&mut self, log: &Log) -> Result<(), ReadError> {
        *self = IndexStore {
            loaded: true,
            ..IndexStore::default()
        };
        let stale = log.derived_names(PREFIX)?;
        // Derived data: if it cannot be removed, rebuilding over it still
        // rewrites every bucket the new index uses, and `ix/meta` last.
        let _ = log.derived_apply(stale.into_iter().map(|name| (name, None)).collect());
        self.dirty = true;
        Ok(())
    }

    /// The events a revision reaches, looked up through the index.
    pub(crate) fn related(&mut self, log: &Log, event: &Event) -> Result<Vec<Event>, ReadError> {
        if event.body.target().is_none() {
            return Ok(Vec::new());
        }
        let mut failure = None;
        let chain = revision_chain(event, |id| match self.find(log, id) {
            Ok(found) => found.map(|(_, event)| event),
            Err(e) => {
                failure = Some(e);
                None
            }
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(chain),
        }
    }

    /// Records that entry `seq` (with hash `hash`) holds the event `id`, indexed
    /// under `terms`. Entries already covered are skipped: a reader may
    /// have indexed them while catching up.
    pub(crate) fn add(&mut self, seq: u64, hash: Hash, id: Option<&EventId>, terms: &[Vec<u8>]) {
        if seq != self.covered {
            return;
        }
        if let Some(id) = id {
            let hash = id_hash(id);
            match self.pending_ids.entry(hash) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(seq);
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    self.pending_repeats.push((hash, seq));
                }
            }
        }
        for term in terms {
            // Most terms are already pending (a dispute has many events):
            // look up by reference before paying for an owned key.
            match self.pending_terms.get_mut(term.as_slice()) {
                Some(seqs) => seqs.push(seq),
                None => {
                    self.pending_terms.insert(term.clone(), vec![seq]);
                }
            }
        }
        self.pending_postings += 1 + terms.len();
        self.covered = seq + 1;
        self.tie = hash;
        self.dirty = true;
    }

    /// Whether enough is pending that an import should flush now.
    pub(crate) fn wants_flush(&self) -> bool {
        self.pending_postings >= FLUSH_AFTER
    }

    /// The entry holding the event with this id, and the event.
    pub(crate) fn find(
        &mut self,
        log: &Log,
        id: &EventId,
    ) -> Result<Option<(Entry, Event)>, ReadError> {
        let hash = id_hash(id);
        let mut candidates: Vec<u64> = self.stored_id_seqs(log, hash)?;
        candidates.extend(self.pending_seqs(hash));
        candidates.sort_unstable();
        for seq in candidates {
            let Some(entry) = log.get(seq)? else { continue };
            let event = Event::decode(&entry.payload).map_err(|e| ReadError::Payload {
                seq,
                message: e.to_string(),
            })?;
            if event.id.as_ref() == Some(id) {
                return Ok(Some((entry, event)));
            }
        }
        Ok(None)
    }

    /// Compares the id index with the ids the entries hold (`(seq, id)` for
    /// every entry): which entries it does not list under their id, and
    /// which pairs of entries have ids with the same hash (the same id,
    /// unless the hashes collide: the caller compares the ids).
    pub(crate) fn check_ids<'a>(
        &mut self,
        log: &Log,
        ids: impl Iterator<Item = (u64, &'a EventId)>,
    ) -> Result<IdFindings, ReadError> {
        let mut held: Vec<(u64, u64)> = ids.map(|(seq, id)| (id_hash(id), seq)).collect();
        held.sort_unstable();
        let mut listed: Vec<(u64, u64)> = Vec::with_capacity(held.len());
        for bucket in 0..(1u16 << (64 - BUCKET_SHIFT)) {
            // Loads the stored bucket into the cache.
            self.stored_id_seqs(log, u64::from(bucket) << BUCKET_SHIFT)?;
            listed.extend(self.id_buckets.get(&bucket).into_iter().flatten());
        }
        listed.extend(self.pending_ids.iter().map(|(h, s)| (*h, *s)));
        listed.extend(self.pending_repeats.iter().copied());
        listed.sort_unstable();
        let missing = held
            .iter()
            .filter(|pair| listed.binary_search(pair).is_err())
            .map(|(_, seq)| *seq)
            .collect();
        let same_hash = held
            .windows(2)
            .filter(|pair| pair[0].0 == pair[1].0)
            .map(|pair| (pair[0].1, pair[1].1))
            .collect();
        Ok(IdFindings { missing, same_hash })
    }

    /// The pending seqs under an id hash.
    fn pending_seqs(&self, hash: u64) -> impl Iterator<Item = u64> + '_ {
        let repeats = self.pending_repeats.iter().filter(move |(h, _)| *h == hash);
        self.pending_ids
            .get(&hash)
            .copied()
            .into_iter()
            .chain(repeats.map(|(_, seq)| *seq))
    }

    fn stored_id_seqs(&mut self, log: &Log, hash: u64) -> Result<Vec<u64>, ReadError> {
        let bucket = bucket_of(hash);
        let ids = match self.id_buckets.entry(bucket) {
            std::collections::hash_map::Entry::Occupied(cached) => cached.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let stored = match log.derived_get(&bucket_name(ID_BUCKET, bucket))? {
                    Some(bytes) => decode_ids(&bytes).ok_or_else(|| damaged(ID_BUCKET, bucket))?,
                    None => Vec::new(),
                };
                slot.insert(stored)
            }
        };
        let first = ids.partition_point(|(h, _)| *h < hash);
        Ok(ids[first..]
            .iter()
            .take_while(|(h, _)| *h == hash)
            .map(|(_, seq)| *seq)
            .collect())
    }

    /// Every entry indexed under `term`, in seq order.
    pub(crate) fn postings(&mut self, log: &Log, term: &[u8]) -> Result<Vec<u64>, ReadError> {
        let bucket = bucket_of(hash64(b"term\0", term));
        let mut seqs = match log.derived_get(&bucket_name(TERM_BUCKET, bucket))? {
            Some(bytes) => {
                let terms = decode_terms(&bytes).ok_or_else(|| damaged(TERM_BUCKET, bucket))?;
                terms.get(term).cloned().unwrap_or_default()
            }
            None => Vec::new(),
        };
        seqs.extend(self.pending_terms.get(term).into_iter().flatten());
        Ok(seqs)
    }

    /// Writes the pending postings and the meta record in one batch. If
    /// that fails, the index is reloaded from what is stored on next use
    /// (and the entries since re-indexed), so no posting is lost.
    pub(crate) fn flush(&mut self, log: &Log) -> Result<(), ReadError> {
        if !self.dirty {
            return Ok(());
        }
        let written = self.changes(log).and_then(|changes| {
            log.derived_apply(changes).map_err(|e| ReadError::Index {
                message: e.to_string(),
            })
        });
        match written {
            Ok(()) => {
                self.dirty = false;
                Ok(())
            }
            Err(e) => {
                self.loaded = false;
                Err(e)
            }
        }
    }

    /// The bucket rewrites that store the pending postings, and the meta
    /// record; the pending postings move into them.
    fn changes(&mut self, log: &Log) -> Result<Vec<Change>, ReadError> {
        let mut changes: Vec<Change> = Vec::new();
        let mut by_bucket: BTreeMap<u16, Vec<(u64, u64)>> = BTreeMap::new();
        let repeats = std::mem::take(&mut self.pending_repeats);
        for (hash, seq) in std::mem::take(&mut self.pending_ids)
            .into_iter()
            .chain(repeats)
        {
            by_bucket
                .entry(bucket_of(hash))
                .or_default()
                .push((hash, seq));
        }
        for (bucket, new) in by_bucket {
            // Loads the stored bucket into the cache.
            self.stored_id_seqs(log, u64::from(bucket) << BUCKET_SHIFT)?;
            let ids = self.id_buckets.entry(bucket).or_default();
            ids.extend(new);
            ids.sort_unstable();
            changes.push((bucket_name(ID_BUCKET, bucket), Some(encode_ids(ids))));
        }
        let mut terms_by_bucket: BTreeMap<u16, Vec<Postings>> = BTreeMap::new();
        for (term, seqs) in std::mem::take(&mut self.pending_terms) {
            let bucket = bucket_of(hash64(b"term\0", &term));
            terms_by_bucket
                .entry(bucket)
                .or_default()
                .push((term, seqs));
        }
        for (bucket, new) in terms_by_bucket {
            let name = bucket_name(TERM_BUCKET, bucket);
            let mut terms = match log.derived_get(&name)? {
                Some(bytes) => decode_terms(&bytes).ok_or_else(|| damaged(TERM_BUCKET, bucket))?,
                None => BTreeMap::new(),
            };
            for (term, seqs) in new {
                terms.entry(term).or_default().extend(seqs);
            }
            changes.push((name, Some(encode_terms(&terms))));
        }
        changes.push((META.to_vec(), Some(encode_meta(self.covered, &self.tie))));
        self.pending_postings = 0;
        Ok(changes)
    }
}

fn damaged(kind: &[u8], bucket: u16) -> ReadError {
    ReadError::Index {
        message: format!(
            "derived index bucket {}{bucket} does not decode",
            String::from_utf8_lossy(kind)
        ),
    }
}

fn encode_meta(covered: u64, tie: &Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&covered.to_le_bytes());
    out.extend_from_slice(tie);
    out
}

fn parse_meta(bytes: &[u8]) -> Option<(u64, Hash)> {
    if bytes.len() != 44 || bytes[..4] != VERSION.to_le_bytes() {
        return None;
    }
    let covered = u64::from_le_bytes(bytes[4..12].try_into().ok()?);
    let tie: Hash = bytes[12..44].try_into().ok()?;
    Some((covered, tie))
}

fn encode_ids(ids: &[(u64, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 16);
    for (hash, seq) in ids {
        out.extend_from_slice(&hash.to_le_bytes());
        out.extend_from_slice(&seq.to_le_bytes());
    }
    out
}

fn decode_ids(bytes: &[u8]) -> Option<Vec<(u64, u64)>> {
    if !bytes.len().is_multiple_of(16) {
        return None;
    }
    bytes
        .chunks_exact(16)
        .map(|record| {
            let hash = u64::from_le_bytes(record[..8].try_into().ok()?);
            let seq = u64::from_le_bytes(record[8..].try_into().ok()?);
            Some((hash, seq))
        })
        .collect()
}

fn encode_terms(terms: &BTreeMap<Vec<u8>, Vec<u64>>) -> Vec<u8> {
    let mut out = Vec::new();
    for (term, seqs) in terms {
        // Terms are slugs (at most a few hundred bytes); longer ones would
        // not round-trip, so they are cut rather than corrupting the bucket.
        let term = &term[..term.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&(term.len() as u16).to_le_bytes());
        out.extend_from_slice(term);
        out.extend_from_slice(&(seqs.len() as u32).to_le_bytes());
        let mut previous = 0u64;
        for &seq in seqs {
            write_leb128(&mut out, seq.wrapping_sub(previous));
            previous = seq;
        }
    }
    out
}

fn decode_terms(mut bytes: &[u8]) -> Option<BTreeMap<Vec<u8>, Vec<u64>>> {
    let mut terms = BTreeMap::new();
    while !bytes.is_empty() {
        let len = usize::from(u16::from_le_bytes(bytes.get(..2)?.try_into().ok()?));
        let term = bytes.get(2..2 + len)?.to_vec();
        bytes = &bytes[2 + len..];
        let count = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        bytes = &bytes[4..];
        // Each delta takes at least one byte: a damaged count cannot make
        // this allocate more than the bucket's size.
        let mut seqs = Vec::with_capacity(count.min(bytes.len()));
        let mut previous = 0u64;
        for _ in 0..count {
            let (delta, used) = read_leb128(bytes)?;
            bytes = &bytes[used..];
            previous = previous.wrapping_add(delta);
            seqs.push(previous);
        }
        terms.insert(term, seqs);
    }
    Some(terms)
}

fn write_leb128(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip() {
        let mut terms = BTreeMap::new();
        terms.insert(b"d:x".to_vec(), vec![0, 1, 300, 70_000, u64::MAX / 3]);
        terms.insert(b"k:".to_vec(), vec![5]);
        assert_eq!(decode_terms(&encode_terms(&terms)), Some(terms));
        let ids = vec![(1, 2), (u64::MAX, 7)];
        assert_eq!(decode_ids(&encode_ids(&ids)), Some(ids));
        let tie = [9u8; 32];
        assert_eq!(parse_meta(&encode_meta(12, &tie)), Some((12, tie)));
    }

    #[test]
    fn damaged_buckets_are_refused_not_misread() {
        let mut terms = BTreeMap::new();
        terms.insert(b"d:x".to_vec(), vec![1, 2, 3]);
        let bytes = encode_terms(&terms);
        for cut in 1..bytes.len() {
            assert_ne!(decode_terms(&bytes[..cut]), Some(terms.clone()));
        }
        assert_eq!(decode_ids(&[0u8; 15]), None);
        assert_eq!(parse_meta(&[0u8; 43]), None);
    }
}
