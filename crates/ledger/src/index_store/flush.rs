//! Writing the index's pending postings back: the rewritten buckets and
//! the meta record, in one batch.

use std::borrow::Cow;
use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use docket_log::Log;

use super::{
    Change, ID_BUCKET, IndexStore, META, TERM_BUCKET, TermMap, TermRefs, term_hash, terms_by_bucket,
};
use crate::ReadError;
use crate::index_buckets::{Bucket, Buckets};
use crate::index_codec::{Meta, encode_ids, encode_meta, encode_term_slices, encode_terms, seal};

/// From this many pending postings on, a flush builds the id buckets and
/// two halves of the term buckets on three threads.
const PARALLEL_FLUSH: usize = 65_536;

/// Bytes of buckets a flush writes in one batch, about. sled frees the
/// pages a batch replaces only once the batch is done, so one batch of
/// every bucket, which a large flush writes, held them all: indexing ten
/// million entries again peaked at 4 GB, and at 1.2 GB in batches.
const BATCH_BYTES: usize = 8 << 20;

/// Id buckets as (id hash, seq) pairs, by bucket.
type IdBuckets = HashMap<Bucket, Vec<(u64, u64)>>;

/// Pending (id hash, seq) pairs by bucket, in parts.
type PendingIds<'a> = HashMap<Bucket, Vec<Cow<'a, [(u64, u64)]>>>;

/// What a helper thread of a flush returned; its panic is passed on.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Buckets a flush writes, and the stored bucket their postings come from:
/// the bucket itself, a stored bucket the flush splits into them, or none
/// (nothing is stored yet).
struct Rewrite {
    source: Option<Bucket>,
    targets: Vec<Bucket>,
}

/// What a flush from `old` buckets (`None`: nothing stored) to `new` ones
/// rewrites, given the new buckets that pending postings fall in
/// (`touched`): every bucket when nothing is stored, since every bucket
/// of a stored index is stored; every bucket split, into all its parts;
/// and every other bucket a pending posting falls in.
fn rewrites(
    old: Option<Buckets>,
    new: Buckets,
    touched: impl Iterator<Item = Bucket>,
) -> Vec<Rewrite> {
    let Some(old) = old else {
        return new
            .all()
            .map(|bucket| Rewrite {
                source: None,
                targets: vec![bucket],
            })
            .collect();
    };
    let mut rewrites = Vec::new();
    if old != new {
        for split in old.all().filter(|bucket| !new.holds(*bucket)) {
            rewrites.push(Rewrite {
                source: Some(split),
                targets: new.within(split).collect(),
            });
        }
    }
    // A touched bucket that is not an old one lies in a split bucket,
    // rewritten above.
    for bucket in touched.filter(|bucket| old.holds(*bucket)) {
        rewrites.push(Rewrite {
            source: Some(bucket),
            targets: vec![bucket],
        });
    }
    rewrites
}

/// The record that removes a split bucket, if `rewrite` splits one.
fn removal(rewrite: &Rewrite, kind: &[u8]) -> Option<Change> {
    let source = rewrite.source?;
    (rewrite.targets != [source]).then(|| (source.name(kind), None))
}

/// `changes` as batches to write in turn: the bucket records in batches
/// of about [`BATCH_BYTES`], the last batch with the removals and the meta
/// record.
fn batches(changes: Vec<Change>) -> Vec<Vec<Change>> {
    let (last, writes): (Vec<Change>, Vec<Change>) = changes
        .into_iter()
        .partition(|(name, value)| value.is_none() || name == META);
    let mut batches = Vec::new();
    let mut batch: Vec<Change> = Vec::new();
    let mut bytes = 0;
    for change in writes {
        let size = change.1.as_ref().map_or(0, Vec::len);
        if bytes + size > BATCH_BYTES && !batch.is_empty() {
            batches.push(std::mem::take(&mut batch));
            bytes = 0;
        }
        bytes += size;
        batch.push(change);
    }
    batch.extend(last);
    batches.push(batch);
    batches
}

impl IndexStore {
    /// Writes the pending postings: the rewritten buckets in batches of
    /// about [`BATCH_BYTES`], then the removal of the split ones and the
    /// meta record in the last batch. Until that batch, the meta record
    /// still counts the entries and buckets it did: the buckets it counts
    /// are all there (none is removed before), and a rewritten one lists
    /// entries it does not cover, which readers leave out
    /// ([`IndexStore::load_id_bucket`]) and index again from the log.
    /// Only once the last batch is written do the postings leave memory:
    /// after a failure they are still pending, still consulted by lookups,
    /// and written by the next flush.
    pub(crate) fn flush(&mut self, log: &Log) -> Result<(), ReadError> {
        let stored_covered = self.stored.map_or(0, |meta| meta.covered);
        if !self.loaded || (self.covered == stored_covered && self.pending_postings == 0) {
            return Ok(());
        }
        let parallel = self.pending_postings >= PARALLEL_FLUSH;
        let (changes, id_buckets, meta) = match self.changes(log, parallel) {
            Ok(planned) => planned,
            Err(damage @ ReadError::Index { .. }) => {
                // A damaged bucket would stop every flush from now on (and
                // pending postings would grow without end): start over.
                self.reset(log)?;
                return Err(damage);
            }
            Err(e) => return Err(e),
        };
        for batch in batches(changes) {
            log.derived_apply(batch).map_err(|e| ReadError::Index {
                message: e.to_string(),
            })?;
        }
        // Buckets split are gone.
        self.id_buckets
            .retain(|bucket, _| meta.buckets.holds(*bucket));
        self.id_buckets.extend(id_buckets);
        self.stored = Some(meta);
        self.pending_ids.clear();
        self.pending_terms.clear();
        self.pending_postings = 0;
        Ok(())
    }

    /// The records that store the pending postings: the rewritten and the
    /// split buckets, and the meta record, with the id buckets as they
    /// will then be and the meta record's content. Changes nothing.
    fn changes(
        &self,
        log: &Log,
        parallel: bool,
    ) -> Result<(Vec<Change>, IdBuckets, Meta), ReadError> {
        let old = self.stored.map(|meta| meta.buckets);
        let meta = Meta {
            covered: self.covered,
            tie: self.tie,
            buckets: self.buckets().grown_for(self.covered),
        };
        let new = meta.buckets;
        let term_rewrites =
            |pending: &BTreeMap<Bucket, TermRefs<'_>>| rewrites(old, new, pending.keys().copied());
        // The id buckets and the term buckets need nothing from each other,
        // nor one term bucket from another. After an import of a million
        // events the ids took 75 ms and the terms 135–160 ms, each on a
        // thread of its own, so for half the time one core was idle: the
        // term buckets are now split in two halves, on two threads. A small
        // flush (after one append) is not worth a thread.
        let (ids, lower, upper) = if !parallel {
            let pending = terms_by_bucket(&self.pending_terms, new);
            (
                self.id_changes(log, old, new),
                self.term_changes(log, new, &term_rewrites(&pending), &pending),
                Ok(Vec::new()),
            )
        } else {
            // Grouped while the ids are worked out, and held past the
            // threads that read it.
            let grouped = std::cell::OnceCell::new();
            std::thread::scope(|scope| {
                let ids = std::thread::Builder::new()
                    .name("docket-index-ids".to_owned())
                    .spawn_scoped(scope, || self.id_changes(log, old, new));
                let (pending, rewrites) = grouped.get_or_init(|| {
                    let pending = terms_by_bucket(&self.pending_terms, new);
                    let rewrites = term_rewrites(&pending);
                    (pending, rewrites)
                });
                let (lower, upper) = rewrites.split_at(rewrites.len() / 2);
                let upper_terms = std::thread::Builder::new()
                    .name("docket-index-terms".to_owned())
                    .spawn_scoped(scope, || self.term_changes(log, new, upper, pending));
                let lower = self.term_changes(log, new, lower, pending);
                let upper = match upper_terms {
                    Ok(handle) => join(handle),
                    Err(_) => self.term_changes(log, new, upper, pending),
                };
                let ids = match ids {
                    Ok(handle) => join(handle),
                    Err(_) => self.id_changes(log, old, new),
                };
                (ids, lower, upper)
            })
        };
        let (mut changes, id_buckets) = ids?;
        changes.extend(lower?);
        changes.extend(upper?);
        changes.push((META.to_vec(), Some(encode_meta(&meta))));
        Ok((changes, id_buckets, meta))
    }

    /// The rewritten id buckets, as records and as the buckets will then
    /// be, when `old` buckets become `new` ones.
    fn id_changes(
        &self,
        log: &Log,
        old: Option<Buckets>,
        new: Buckets,
    ) -> Result<(Vec<Change>, IdBuckets), ReadError> {
        let pending = self.pending_ids_by_bucket(new);
        let mut touched: Vec<Bucket> = pending.keys().copied().collect();
        touched.sort_unstable();
        let mut changes: Vec<Change> = Vec::new();
        let mut id_buckets = HashMap::new();
        for rewrite in rewrites(old, new, touched.into_iter()) {
            let stored = match rewrite.source {
                None => Vec::new(),
                Some(source) => match self.id_buckets.get(&source) {
                    Some(cached) => cached.clone(),
                    None => self.load_id_bucket(log, source)?,
                },
            };
            // Sorted by hash, and the targets are consecutive ranges of
            // hashes: each target's part is a slice.
            let mut rest = stored.as_slice();
            for &target in &rewrite.targets {
                let (first, last) = target.hashes();
                let from = rest.partition_point(|(hash, _)| *hash < first);
                let to = rest.partition_point(|(hash, _)| *hash <= last);
                let mut ids = rest[from..to].to_vec();
                rest = &rest[to..];
                ids.extend(
                    pending
                        .get(&target)
                        .into_iter()
                        .flatten()
                        .flat_map(|p| p.iter()),
                );
                ids.sort_unstable();
                let name = target.name(ID_BUCKET);
                changes.push((name.clone(), Some(seal(&name, encode_ids(&ids)))));
                id_buckets.insert(target, ids);
            }
            changes.extend(removal(&rewrite, ID_BUCKET));
        }
        Ok((changes, id_buckets))
    }

    /// The pending ids, by the bucket of `new` they fall in. Borrowed a
    /// group at a time where a group lies within one bucket, as it does
    /// up to 2^16 buckets (some 16 million entries): a copy held another
    /// 16 MB at the end of an import of a million events.
    fn pending_ids_by_bucket(&self, new: Buckets) -> PendingIds<'_> {
        let mut by_bucket: PendingIds<'_> = HashMap::new();
        for (&group, ids) in &self.pending_ids {
            let first = u64::from(group) << 48;
            let bucket = new.bucket_of(first);
            if bucket == new.bucket_of(first | (u64::MAX >> 16)) {
                by_bucket
                    .entry(bucket)
                    .or_default()
                    .push(Cow::Borrowed(ids));
                continue;
            }
            let mut parts: HashMap<Bucket, Vec<(u64, u64)>> = HashMap::new();
            for &(hash, seq) in ids {
                parts
                    .entry(new.bucket_of(hash))
                    .or_default()
                    .push((hash, seq));
            }
            for (bucket, part) in parts {
                by_bucket.entry(bucket).or_default().push(Cow::Owned(part));
            }
        }
        by_bucket
    }

    /// The records of `rewrites` of term buckets into `new` ones, with the
    /// pending terms of each new bucket. A bucket that holds nothing yet
    /// (every bucket, at the first flush of an import into a new ledger)
    /// is encoded straight from the pending postings, which copying into
    /// a map first made a third of the work.
    fn term_changes(
        &self,
        log: &Log,
        new: Buckets,
        rewrites: &[Rewrite],
        pending: &BTreeMap<Bucket, TermRefs<'_>>,
    ) -> Result<Vec<Change>, ReadError> {
        let mut changes: Vec<Change> = Vec::new();
        for rewrite in rewrites {
            let stored = match rewrite.source {
                None => TermMap::new(),
                Some(source) => self.load_term_bucket(log, source)?,
            };
            let mut parts: BTreeMap<Bucket, TermMap> = BTreeMap::new();
            if rewrite.targets.len() == 1 {
                parts.insert(rewrite.targets[0], stored);
            } else {
                for (term, seqs) in stored {
                    let part = parts.entry(new.bucket_of(term_hash(&term))).or_default();
                    part.insert(term, seqs);
                }
            }
            for &target in &rewrite.targets {
                let mut terms = parts.remove(&target).unwrap_or_default();
                let new_terms = pending.get(&target).map_or(&[][..], Vec::as_slice);
                let payload = if terms.is_empty() {
                    let mut new_terms = new_terms.to_vec();
                    new_terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
                    encode_term_slices(
                        new_terms
                            .iter()
                            .map(|(term, seqs)| (term.as_slice(), seqs.as_slice())),
                    )
                } else {
                    for (term, seqs) in new_terms {
                        terms.entry((*term).clone()).or_default().extend(*seqs);
                    }
                    encode_terms(&terms)
                };
                let name = target.name(TERM_BUCKET);
                changes.push((name.clone(), Some(seal(&name, payload))));
            }
            changes.extend(removal(rewrite, TERM_BUCKET));
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Terms;
    use crate::index_buckets::ENTRIES_PER_BUCKET;

    /// A new log and its loaded, empty index (the directory must outlive
    /// both).
    fn empty_index() -> (tempfile::TempDir, Log, IndexStore) {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::create(&dir.path().join("log")).unwrap();
        let mut store = IndexStore::default();
        store.ensure(&log).unwrap();
        (dir, log, store)
    }

    #[test]
    fn a_flush_on_two_threads_writes_what_one_thread_would() {
        let (_dir, log, mut store) = empty_index();
        // Twice: into new buckets, then merging into the stored ones.
        for round in 0..2u64 {
            for seq in round * 9000..(round + 1) * 9000 {
                let id = docket_model::EventId::new(format!("e{seq}")).unwrap();
                let terms = Terms::of([format!("d:x{}", seq % 97).into_bytes(), b"k:".to_vec()]);
                store.add(
                    seq,
                    [seq as u8; 32],
                    Some(super::super::id_hash(&id)),
                    &terms,
                );
            }
            let (one, one_ids, one_meta) = store.changes(&log, false).unwrap();
            let (two, two_ids, two_meta) = store.changes(&log, true).unwrap();
            let term_records = one.iter().filter(|(name, _)| name.starts_with(TERM_BUCKET));
            assert!(term_records.count() > 30, "both halves hold term buckets");
            assert!(one.len() > 70);
            assert_eq!(one, two);
            assert_eq!(one_ids, two_ids);
            assert_eq!(encode_meta(&one_meta), encode_meta(&two_meta));
            store.flush(&log).unwrap();
        }
    }

    #[test]
    fn term_buckets_are_written_sorted_whether_new_or_merged() {
        let (_dir, log, mut store) = empty_index();
        let term = |n: u64| format!("d:t{}", (n * 7919) % 500).into_bytes();
        // Two flushes: the first writes new buckets straight from the
        // pending postings, the second merges into the stored ones.
        for round in 0..2u64 {
            for seq in round * 1000..(round + 1) * 1000 {
                store.add(seq, [0u8; 32], None, &Terms::of([term(seq), term(seq + 1)]));
            }
            store.flush(&log).unwrap();
            for bucket in store.buckets().all() {
                let name = bucket.name(TERM_BUCKET);
                let sealed = log.derived_get(&name).unwrap().unwrap();
                let payload = crate::index_codec::unseal(&name, &sealed).unwrap();
                let decoded = crate::index_codec::decode_terms(payload).unwrap();
                assert_eq!(
                    encode_terms(&decoded),
                    payload,
                    "bucket {bucket} is in term order"
                );
            }
        }
        for n in 0..500u64 {
            let t = format!("d:t{n}").into_bytes();
            let want: Vec<u64> = (0..2000u64)
                .filter(|&seq| term(seq) == t || term(seq + 1) == t)
                .collect();
            assert_eq!(store.postings(&log, &t).unwrap(), want);
        }
    }

    #[test]
    fn an_id_hash_is_the_one_format_md_defines() {
        let id = docket_model::EventId::new("e-1".to_owned()).unwrap();
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"id\0e-1");
        let first: [u8; 8] = hasher.finalize().as_bytes()[..8].try_into().unwrap();
        // Pinned: stored id buckets are filed under this value.
        let expected = 0x8e38_330d_ab46_7c38;
        assert_eq!(u64::from_le_bytes(first), expected);
        assert_eq!(super::super::id_hash(&id), expected);
        let digest = super::super::id_digest(&id);
        assert_eq!(super::super::id_hash_of(&digest), expected);
    }

    #[test]
    fn ids_under_one_hash_are_all_found_pending_and_once_flushed() {
        let (_dir, log, mut store) = empty_index();
        let id = |name: &str| docket_model::EventId::new(name.to_owned()).unwrap();
        let (a, b) = (
            super::super::id_hash(&id("a")),
            super::super::id_hash(&id("b")),
        );
        // A hash in a's bucket that is not a's (as a colliding bucket
        // neighbour would be).
        let near = a ^ 1;
        assert_eq!(
            super::super::pending_group(near),
            super::super::pending_group(a)
        );
        assert_eq!(
            store.buckets().bucket_of(near),
            store.buckets().bucket_of(a)
        );
        // The same id held twice (as only a forged log holds it), around
        // its bucket neighbour: both are listed under its hash, apart from
        // the neighbour, before and after a flush.
        for (seq, hash) in [(0u64, a), (1, near), (2, a), (3, b)] {
            store.add(seq, [seq as u8; 32], Some(hash), &Terms::default());
        }
        let pending = |store: &IndexStore, hash| store.pending_seqs(hash).collect::<Vec<_>>();
        assert_eq!(pending(&store, a), [0, 2]);
        assert_eq!(pending(&store, near), [1]);
        assert_eq!(pending(&store, b), [3]);
        store.flush(&log).unwrap();
        assert!(pending(&store, a).is_empty());
        // Read back from the stored buckets, not the ones the flush kept.
        store.id_buckets.clear();
        assert_eq!(store.stored_id_seqs(&log, a).unwrap(), [0, 2]);
        assert_eq!(store.stored_id_seqs(&log, near).unwrap(), [1]);
        assert_eq!(store.stored_id_seqs(&log, b).unwrap(), [3]);
    }

    /// Entry `seq`'s id and terms, as [`a_growing_index_splits_buckets_and_keeps_every_posting`]
    /// indexes them.
    fn growing_entry(seq: u64) -> (u64, Terms) {
        let id = docket_model::EventId::new(format!("g{seq}")).unwrap();
        let terms = Terms::of([
            format!("d:g{}", seq % 211).into_bytes(),
            format!("e:g{}", seq % 7).into_bytes(),
        ]);
        (super::super::id_hash(&id), terms)
    }

    /// Every bucket the stored meta record counts is stored, of both
    /// kinds, and no other.
    fn assert_every_bucket_stored(log: &Log, store: &IndexStore) {
        let buckets = store.stored.unwrap().buckets;
        for kind in [ID_BUCKET, TERM_BUCKET] {
            let names = log.derived_names(kind).unwrap();
            let wanted: Vec<Vec<u8>> = buckets.all().map(|b| b.name(kind)).collect();
            assert_eq!(names.len(), wanted.len());
            for name in wanted {
                assert!(names.contains(&name));
            }
        }
    }

    #[test]
    fn a_growing_index_splits_buckets_and_keeps_every_posting() {
        let (_dir, log, mut store) = empty_index();
        let mut added = 0u64;
        let mut add_and_flush = |store: &mut IndexStore, count: u64| {
            for seq in added..added + count {
                let (hash, terms) = growing_entry(seq);
                store.add(seq, [seq as u8; 32], Some(hash), &terms);
            }
            added += count;
            store.flush(&log).unwrap();
            assert_every_bucket_stored(&log, store);
            let buckets = store.stored.unwrap().buckets;
            assert_eq!(buckets.count(), added.div_ceil(ENTRIES_PER_BUCKET).max(16));
            added
        };
        // Large flushes that split many buckets at once, then one entry a
        // flush across several splits.
        for count in [100, 5000, 3000] {
            add_and_flush(&mut store, count);
        }
        let mut covered = 0;
        for _ in 0..700 {
            covered = add_and_flush(&mut store, 1);
        }
        assert_eq!(store.stored.unwrap().buckets.count(), 35);
        // Read back from the stored buckets, not those the flushes kept.
        store.id_buckets.clear();
        for seq in (0..covered).step_by(7) {
            let (hash, _) = growing_entry(seq);
            assert!(store.stored_id_seqs(&log, hash).unwrap().contains(&seq));
        }
        for d in [0u64, 5, 210] {
            let want: Vec<u64> = (0..covered).filter(|seq| seq % 211 == d).collect();
            let term = format!("d:g{d}").into_bytes();
            assert_eq!(store.postings(&log, &term).unwrap(), want);
        }
        let e3: Vec<u64> = (0..covered).filter(|seq| seq % 7 == 3).collect();
        assert_eq!(store.postings(&log, b"e:g3").unwrap(), e3);
    }

    #[test]
    fn a_flush_that_splits_on_two_threads_writes_what_one_thread_would() {
        let (_dir, log, mut store) = empty_index();
        for seq in 0..6000 {
            let (hash, terms) = growing_entry(seq);
            store.add(seq, [seq as u8; 32], Some(hash), &terms);
        }
        store.flush(&log).unwrap();
        for seq in 6000..9000 {
            let (hash, terms) = growing_entry(seq);
            store.add(seq, [seq as u8; 32], Some(hash), &terms);
        }
        let (one, one_ids, one_meta) = store.changes(&log, false).unwrap();
        let (two, two_ids, two_meta) = store.changes(&log, true).unwrap();
        let removed = one.iter().filter(|(_, value)| value.is_none()).count();
        assert_eq!(removed, 2 * (36 - 24), "each split bucket of each kind");
        assert_eq!(one, two);
        assert_eq!(one_ids, two_ids);
        assert_eq!(one_meta, two_meta);
    }

    #[test]
    fn pending_ids_fall_in_their_buckets_whether_or_not_a_group_is_split() {
        let (_dir, _log, mut store) = empty_index();
        for seq in 0..5000 {
            let (hash, terms) = growing_entry(seq);
            store.add(seq, [0u8; 32], Some(hash), &terms);
        }
        // Buckets coarser than the pending groups, and finer (17 bits and
        // more: each group is split between buckets).
        for buckets in [Buckets::FEWEST, Buckets::new(17, 5).unwrap()] {
            let by_bucket = store.pending_ids_by_bucket(buckets);
            let mut all = Vec::new();
            for (bucket, parts) in &by_bucket {
                for &(hash, seq) in parts.iter().flat_map(|part| part.iter()) {
                    assert_eq!(buckets.bucket_of(hash), *bucket);
                    all.push(seq);
                }
            }
            all.sort_unstable();
            assert_eq!(all, (0..5000).collect::<Vec<u64>>());
        }
    }

    #[test]
    fn buckets_are_written_in_batches_and_the_meta_record_last() {
        let record = |n: u8, len: usize| (vec![b'b', n], Some(vec![n; len]));
        let mut changes: Vec<Change> = (0..10).map(|n| record(n, BATCH_BYTES / 4)).collect();
        changes.insert(3, (b"split".to_vec(), None));
        changes.push(record(10, BATCH_BYTES * 2));
        changes.push((META.to_vec(), Some(b"meta".to_vec())));
        let batches = batches(changes.clone());
        assert_eq!(
            batches.len(),
            4,
            "4 + 4 quarters, 2 quarters, then the large one"
        );
        for batch in &batches[..batches.len() - 1] {
            let bytes: usize = batch
                .iter()
                .filter_map(|(_, v)| v.as_ref())
                .map(Vec::len)
                .sum();
            assert!(bytes <= BATCH_BYTES);
            assert!(batch.iter().all(|(name, v)| v.is_some() && name != META));
        }
        let last = batches.last().unwrap();
        assert!(last.contains(&(b"split".to_vec(), None)));
        assert_eq!(last.last().unwrap().0, META);
        let mut all: Vec<Change> = batches.into_iter().flatten().collect();
        all.sort();
        changes.sort();
        assert_eq!(all, changes, "every change once");
        // A small flush (one append's) is one batch.
        let small = vec![record(1, 100), record(2, 100), (META.to_vec(), None)];
        assert_eq!(super::batches(small).len(), 1);
    }
}
