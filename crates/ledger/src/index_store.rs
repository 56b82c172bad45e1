//! The index on disk: which entries hold an event id, and which entries
//! are indexed under each term of [`crate::index`].
//!
//! The index is derived data, kept in the log's derived space and rebuilt
//! from the entries whenever it is missing, stale or damaged. Storing one
//! sled key per posting made every appended event cost half a dozen tree
//! inserts (about 13 µs each), which bounded bulk import near 15k events/s;
//! instead postings are packed into buckets, rewritten once per flush, as
//! many as the entries covered call for ([`crate::index_buckets`]):
//!
//! | derived record | value |
//! |---|---|
//! | `ix/meta` | version ‖ entries covered ‖ hash of the last covered entry ‖ how many buckets |
//! | `ix/i` ‖ bucket | the ids hashing to the bucket: (id hash ‖ seq)*, sorted, sealed |
//! | `ix/t` ‖ bucket | the terms hashing to the bucket with their seqs, sorted by term, sealed |
//!
//! (bytes in [`crate::index_codec`] and format.md §4.6). The meta record
//! ties the index to the log: it covers entries `0..covered` and names the
//! hash of entry `covered - 1`. Each bucket carries a checksum of its name
//! and content, and every bucket the meta record counts is stored, empty
//! or not, so a bucket damaged or lost is noticed and the index rebuilt,
//! rather than read as "no such id". A flush writes
//! the buckets it changes, then the meta record, after
//! the entries are durable, so the index never covers an entry the log
//! lacks; entries appended after the last flush (a crash in between, or a
//! ledger written by an older release) are indexed on the next use by
//! reading them back. Id hashes are 64 bits, so every hit is confirmed
//! against the stored event's id.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use docket_log::{Entry, Hash, Log};
use docket_model::{Event, EventId};

use crate::ReadError;
use crate::index::{Terms, revision_chain, terms_for};
use crate::index_buckets::{Bucket, Buckets};
use crate::index_codec::{META, Meta, decode_ids, decode_terms, parse_meta, unseal};

mod check;
mod flush;

const ID_BUCKET: &[u8] = b"ix/i";
const TERM_BUCKET: &[u8] = b"ix/t";
const PREFIX: &[u8] = b"ix/";
/// Pending postings flushed by an import, or by indexing entries again
/// from the log, once there are this many (some 100 MB): each such flush
/// rewrites every bucket, so flushing often would make a large import
/// quadratic.
const FLUSH_AFTER: usize = 1 << 23;
/// The most buckets of each kind that such a flush in the middle of an
/// import grows the index to; the import's last flush grows it to what
/// the entries call for. Each of those flushes rewrites every bucket, and
/// ten times as many records (at ten million entries) made an import 8 %
/// slower, while the buckets only matter to the appends that come after.
const BULK_BUCKETS: u64 = 4096;

/// A derived record to write (`Some`) or remove (`None`).
type Change = (Vec<u8>, Option<Vec<u8>>);

/// Terms and the seqs indexed under each.
type TermMap = BTreeMap<Vec<u8>, Vec<u64>>;

/// Terms and their seqs, borrowed, as grouped by bucket.
type TermRefs<'a> = Vec<(&'a Vec<u8>, &'a Vec<u64>)>;

/// Terms and their seqs, borrowed and grouped by the bucket of `buckets`
/// each term hashes to, buckets in order.
fn terms_by_bucket(
    terms: &HashMap<Vec<u8>, Vec<u64>>,
    buckets: Buckets,
) -> BTreeMap<Bucket, TermRefs<'_>> {
    let mut by_bucket: BTreeMap<Bucket, TermRefs<'_>> = BTreeMap::new();
    for (term, seqs) in terms {
        by_bucket
            .entry(buckets.bucket_of(term_hash(term)))
            .or_default()
            .push((term, seqs));
    }
    by_bucket
}

fn hash64(domain: &[u8], bytes: &[u8]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&domain_hash(domain, bytes)[..8]);
    u64::from_le_bytes(first)
}

fn domain_hash(domain: &[u8], bytes: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(domain);
    hasher.update(bytes);
    *hasher.finalize().as_bytes()
}

/// The hash an id is indexed under.
pub(crate) fn id_hash(id: &EventId) -> u64 {
    id_hash_of(&id_digest(id))
}

/// 128 bits of the hash an id is indexed under, for telling ids apart in
/// memory: an import keys its table of ids by them, worked out on its
/// parsing threads, and hands the index [`id_hash_of`] them rather than
/// hash each id again on the indexing thread.
pub(crate) fn id_digest(id: &EventId) -> [u8; 16] {
    let mut first = [0u8; 16];
    first.copy_from_slice(&domain_hash(b"id\0", id.as_str().as_bytes())[..16]);
    first
}

/// [`id_hash`] of the id whose [`id_digest`] this is.
pub(crate) fn id_hash_of(digest: &[u8; 16]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The hash a term is indexed under.
fn term_hash(term: &[u8]) -> u64 {
    hash64(b"term\0", term)
}

/// Pending ids are grouped by the top bits of their hash, whatever the
/// buckets: a lookup reads through one group, a few hundred ids at most
/// (an import flushes every million events or so). 4096 groups: with
/// 65 536, adding the postings took twice as long in a profile of an
/// import of ten million events.
const GROUP_BITS: u32 = 12;
const _: () = assert!(GROUP_BITS <= 16, "a group is a u16");

/// The group of pending ids that `hash` falls in.
fn pending_group(hash: u64) -> u16 {
    (hash >> (64 - GROUP_BITS)) as u16
}

/// The index as loaded by one [`crate::Ledger`]: what is stored, plus the
/// postings of entries indexed since the last flush.
pub(crate) struct IndexStore {
    loaded: bool,
    /// A reset failed: the stored index is not to be trusted.
    must_reset: bool,
    /// What is stored: entries covered, their tie, how many buckets.
    /// `None`: nothing (a new or reset index).
    stored: Option<Meta>,
    /// Entries `0..covered` are indexed (stored or pending).
    covered: u64,
    /// Hash of entry `covered - 1`.
    tie: Hash,
    /// The pending ids as (id hash, seq), by [`pending_group`], each group
    /// in seq order: an import of a million events spent a fifth of its
    /// indexing thread inserting into one table keyed by id hash, a cache
    /// miss each.
    pending_ids: HashMap<u16, Vec<(u64, u64)>>,
    pending_terms: HashMap<Vec<u8>, Vec<u64>>,
    pending_postings: usize,
    /// Decoded stored id buckets: each id lookup would otherwise decode one.
    id_buckets: HashMap<Bucket, Vec<(u64, u64)>>,
    /// [`FLUSH_AFTER`], but for tests.
    flush_after: usize,
    /// [`BULK_BUCKETS`], but for tests.
    bulk_buckets: u64,
    /// Flushes written: tests check that catching up flushes as it goes.
    flushes: u64,
}

impl Default for IndexStore {
    fn default() -> Self {
        IndexStore {
            loaded: false,
            must_reset: false,
            stored: None,
            covered: 0,
            tie: [0u8; 32],
            pending_ids: HashMap::new(),
            pending_terms: HashMap::new(),
            pending_postings: 0,
            id_buckets: HashMap::new(),
            flush_after: FLUSH_AFTER,
            bulk_buckets: BULK_BUCKETS,
            flushes: 0,
        }
    }
}

impl IndexStore {
    /// Brings the index up to the log's head: loads the stored one on first
    /// use, rebuilds it if it belongs to another history, and indexes the
    /// entries appended since it was flushed.
    pub(crate) fn ensure(&mut self, log: &Log) -> Result<(), ReadError> {
        if self.must_reset {
            self.reset(log)?;
        }
        if !self.loaded {
            self.load(log)?;
        }
        let head = log.head();
        if self.covered > head.size {
            self.reset(log)?;
        }
        // A flush that finds a damaged bucket resets the index; the second
        // round rebuilds it from the entries (with no buckets left, that
        // flush cannot meet damage again).
        for _ in 0..2 {
            let behind = self.covered < head.size;
            // Flushed as an import is, so that the postings pending stay
            // within what an import holds whatever the ledger's size; but
            // not again after a flush fails (a full disk, say), which
            // would otherwise be tried after every entry.
            let mut flush_as_it_goes = true;
            while self.covered < head.size {
                let seq = self.covered;
                let Some(entry) = log.get(seq)? else { break };
                match Event::decode(&entry.payload) {
                    Ok(event) => {
                        let related = self.related(log, &event)?;
                        let terms = terms_for(&event, &related);
                        self.add(seq, entry.hash(), event.id.as_ref().map(id_hash), &terms);
                    }
                    // Not an event (only a damaged or forged log holds
                    // one): nothing to index. Reading it fails wherever it
                    // matters, and `verify` names it.
                    Err(_) => self.add(seq, entry.hash(), None, &Terms::default()),
                }
                // A flush that fails keeps the postings pending; one that
                // meets damage resets the index, and this goes on from
                // entry 0 with nothing stored.
                if flush_as_it_goes && self.wants_flush() {
                    let before = self.covered;
                    // Damage resets the index (and this goes on from
                    // entry 0): that is no reason to stop flushing.
                    flush_as_it_goes = self.flush_in_bulk(log).is_ok() || self.covered < before;
                }
            }
            // Derived data: if it cannot be written now, the postings stay
            // pending (and are consulted) until a later flush succeeds.
            if !behind || self.flush(log).is_ok() || self.covered == head.size {
                break;
            }
        }
        if self.must_reset {
            // A flush met damage and could not reset the index: it is not
            // to be read.
            return Err(ReadError::Index {
                message: "the damaged index could not be removed".to_owned(),
            });
        }
        Ok(())
    }

    /// Loads the meta record; an index that is not this history's (or
    /// not this version's) is cleared for rebuilding. Nothing changes in
    /// memory unless it succeeds.
    fn load(&mut self, log: &Log) -> Result<(), ReadError> {
        let meta = log.derived_get(META)?.and_then(|bytes| parse_meta(&bytes));
        let tied = match &meta {
            Some(m) if m.covered == 0 => m.tie == [0u8; 32],
            Some(m) if m.covered <= log.head().size => {
                log.get(m.covered - 1)?.map(|e| e.hash()) == Some(m.tie)
            }
            _ => false,
        };
        match meta {
            Some(meta) if tied => {
                *self = IndexStore {
                    covered: meta.covered,
                    tie: meta.tie,
                    stored: Some(meta),
                    ..self.emptied()
                };
                Ok(())
            }
            _ => self.reset(log),
        }
    }

    /// Forgets the stored index: its records are removed and it is rebuilt
    /// from the entries. Fails (changing nothing in memory) if they cannot
    /// be removed, since a rebuild must not merge into what is left.
    pub(crate) fn reset(&mut self, log: &Log) -> Result<(), ReadError> {
        let removed = log
            .derived_names(PREFIX)
            .map_err(ReadError::from)
            .and_then(|stale| {
                log.derived_apply(stale.into_iter().map(|name| (name, None)).collect())
                    .map_err(|e| ReadError::Index {
                        message: e.to_string(),
                    })
            });
        if let Err(e) = removed {
            // The index is known to be wrong: no lookup may use it until a
            // reset succeeds.
            self.must_reset = true;
            return Err(e);
        }
        *self = self.emptied();
        Ok(())
    }

    /// A loaded index of nothing, flushed as this one is.
    fn emptied(&self) -> IndexStore {
        IndexStore {
            loaded: true,
            flush_after: self.flush_after,
            bulk_buckets: self.bulk_buckets,
            flushes: self.flushes,
            ..IndexStore::default()
        }
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

    /// Records that entry `seq` (with hash `hash`) holds the event whose id
    /// has [`id_hash`] `id_hash`, indexed under `terms`. Entries already
    /// covered are skipped (a reader may have indexed them while catching
    /// up), and so is everything while the index is not loaded: the next
    /// use indexes those entries from the log.
    pub(crate) fn add(&mut self, seq: u64, hash: Hash, id_hash: Option<u64>, terms: &Terms) {
        if !self.loaded || seq != self.covered {
            return;
        }
        if let Some(id_hash) = id_hash {
            self.pending_ids
                .entry(pending_group(id_hash))
                .or_default()
                .push((id_hash, seq));
        }
        self.pending_postings += 1;
        for term in terms.iter() {
            // Most terms are already pending (a dispute has many events):
            // look up by reference before paying for an owned key.
            match self.pending_terms.get_mut(term) {
                Some(seqs) => seqs.push(seq),
                None => {
                    self.pending_terms.insert(term.to_vec(), vec![seq]);
                }
            }
            self.pending_postings += 1;
        }
        self.covered = seq + 1;
        self.tie = hash;
    }

    /// Whether enough is pending that an import should flush now
    /// ([`IndexStore::flush_in_bulk`]).
    pub(crate) fn wants_flush(&self) -> bool {
        self.pending_postings >= self.flush_after
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

    /// The pending seqs under an id hash.
    fn pending_seqs(&self, hash: u64) -> impl Iterator<Item = u64> + '_ {
        let pending = self.pending_ids.get(&pending_group(hash));
        pending
            .into_iter()
            .flatten()
            .filter(move |(h, _)| *h == hash)
            .map(|(_, seq)| *seq)
    }

    fn stored_id_seqs(&mut self, log: &Log, hash: u64) -> Result<Vec<u64>, ReadError> {
        let bucket = self.buckets().bucket_of(hash);
        if !self.id_buckets.contains_key(&bucket) {
            let stored = self.load_id_bucket(log, bucket)?;
            self.id_buckets.insert(bucket, stored);
        }
        let ids = self.id_buckets.get(&bucket).map_or(&[][..], Vec::as_slice);
        let first = ids.partition_point(|(h, _)| *h < hash);
        Ok(ids[first..]
            .iter()
            .take_while(|(h, _)| *h == hash)
            .map(|(_, seq)| *seq)
            .collect())
    }

    /// The buckets stored, or those a first flush starts from.
    fn buckets(&self) -> Buckets {
        self.stored.map_or(Buckets::FEWEST, |meta| meta.buckets)
    }

    /// A stored bucket's payload; `None` if nothing is stored. A bucket of
    /// the stored index that is missing, or fails its checksum, is damage.
    fn bucket(&self, log: &Log, kind: &[u8], bucket: Bucket) -> Result<Option<Vec<u8>>, ReadError> {
        if self.stored.is_none() {
            return Ok(None);
        }
        let name = bucket.name(kind);
        let damaged = || ReadError::Index {
            message: format!(
                "derived index bucket {}{bucket} is damaged",
                String::from_utf8_lossy(kind)
            ),
        };
        let sealed = log.derived_get(&name)?.ok_or_else(damaged)?;
        unseal(&name, &sealed)
            .map(|payload| Some(payload.to_vec()))
            .ok_or_else(damaged)
    }

    /// Entries the stored meta record covers: a stored bucket may also list
    /// later ones, written by a flush that stopped before its meta record
    /// (see [`IndexStore::flush`]), and those are not to be read.
    fn stored_covered(&self) -> u64 {
        self.stored.map_or(0, |meta| meta.covered)
    }

    /// A stored id bucket, but for entries the meta record does not cover.
    fn load_id_bucket(&self, log: &Log, bucket: Bucket) -> Result<Vec<(u64, u64)>, ReadError> {
        let Some(payload) = self.bucket(log, ID_BUCKET, bucket)? else {
            return Ok(Vec::new());
        };
        let mut ids = decode_ids(&payload).ok_or_else(|| damaged(ID_BUCKET, bucket))?;
        let covered = self.stored_covered();
        ids.retain(|(_, seq)| *seq < covered);
        Ok(ids)
    }

    /// A stored term bucket, but for entries the meta record does not
    /// cover.
    fn load_term_bucket(&self, log: &Log, bucket: Bucket) -> Result<TermMap, ReadError> {
        let Some(payload) = self.bucket(log, TERM_BUCKET, bucket)? else {
            return Ok(TermMap::new());
        };
        let mut terms = decode_terms(&payload).ok_or_else(|| damaged(TERM_BUCKET, bucket))?;
        let covered = self.stored_covered();
        terms.retain(|_, seqs| {
            // Ascending: decoding refuses them otherwise.
            seqs.truncate(seqs.partition_point(|seq| *seq < covered));
            !seqs.is_empty()
        });
        Ok(terms)
    }

    /// Every entry indexed under `term`, in seq order.
    pub(crate) fn postings(&mut self, log: &Log, term: &[u8]) -> Result<Vec<u64>, ReadError> {
        let bucket = self.buckets().bucket_of(term_hash(term));
        let stored = self.load_term_bucket(log, bucket)?;
        let mut seqs = stored.get(term).cloned().unwrap_or_default();
        seqs.extend(self.pending_terms.get(term).into_iter().flatten());
        Ok(seqs)
    }
}

fn damaged(kind: &[u8], bucket: Bucket) -> ReadError {
    ReadError::Index {
        message: format!(
            "derived index bucket {}{bucket} does not decode",
            String::from_utf8_lossy(kind)
        ),
    }
}
