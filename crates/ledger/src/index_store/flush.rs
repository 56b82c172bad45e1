//! Writing the index's pending postings back: the rewritten buckets, in
//! batches, then the split buckets' removal and the meta record.

use std::borrow::Cow;
use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use docket_log::Log;

use super::{
    Change, ID_BUCKET, IndexStore, TERM_BUCKET, TermMap, TermRefs, term_hash, terms_by_bucket,
};
use crate::ReadError;
use crate::index_buckets::{Bucket, Buckets, ENTRIES_PER_BUCKET};
use crate::index_codec::{
    META, Meta, encode_ids, encode_meta, encode_term_slices, encode_terms, seal,
};

/// From this many pending postings on, a flush builds the id buckets and
/// two halves of the term buckets on three threads.
const PARALLEL_FLUSH: usize = 65_536;

/// Bytes of buckets a flush writes in one batch, about. sled frees the
/// pages a batch replaces only once the batch is done, so one batch of
/// every bucket, which a large flush writes, held them all: indexing ten
/// million entries again peaked at 3.8 GiB, and at 1.3 GiB in batches.
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
    /// and written by the next flush. None of this forces the batches to
    /// disk: sled recovers its log in order up to the first message that is
    /// missing or torn (sled 0.34, `pagecache/iterator.rs`), so no crash
    /// keeps a later batch and loses an earlier one, and a meta record is
    /// never newer than its buckets. (The index always relied on that
    /// order between one flush and the next.)
    pub(crate) fn flush(&mut self, log: &Log) -> Result<(), ReadError> {
        self.flush_grown_for(log, self.covered)
    }

    /// [`IndexStore::flush`] in the middle of an import, or of indexing
    /// every entry again: it writes every pending posting, but grows the
    /// index to [`super::BULK_BUCKETS`] of each kind at most.
    pub(crate) fn flush_in_bulk(&mut self, log: &Log) -> Result<(), ReadError> {
        let entries = self.covered.min(self.bulk_buckets * ENTRIES_PER_BUCKET);
        self.flush_grown_for(log, entries)
    }

    /// Writes the pending postings, with as many buckets as `entries`
    /// entries call for (or as many as are stored, if more).
    fn flush_grown_for(&mut self, log: &Log, entries: u64) -> Result<(), ReadError> {
        if self.must_reset {
            // Stored buckets are not to be trusted, let alone merged into.
            return Err(ReadError::Index {
                message: "the index must be rebuilt before it is written".to_owned(),
            });
        }
        let stored_covered = self.stored.map_or(0, |meta| meta.covered);
        let nothing_new = self.covered == stored_covered && self.pending_postings == 0;
        // An import's last flush may find nothing pending (its last batch
        // flushed in bulk) and must still grow the index.
        let grown = self
            .stored
            .is_none_or(|meta| meta.buckets.grown_for(entries) == meta.buckets);
        if !self.loaded || (nothing_new && grown) {
            return Ok(());
        }
        let parallel = self.pending_postings >= PARALLEL_FLUSH;
        let (changes, id_buckets, meta) = match self.changes(log, entries, parallel) {
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
        self.flushes += 1;
        Ok(())
    }

    /// The records that store the pending postings: the rewritten and the
    /// split buckets, and the meta record, with the id buckets as they
    /// will then be and the meta record's content. Changes nothing.
    fn changes(
        &self,
        log: &Log,
        entries: u64,
        parallel: bool,
    ) -> Result<(Vec<Change>, IdBuckets, Meta), ReadError> {
        let old = self.stored.map(|meta| meta.buckets);
        let meta = Meta {
            covered: self.covered,
            tie: self.tie,
            buckets: self.buckets().grown_for(entries),
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
            // Borrowed from the cache: each target copies its part anyway.
            let stored: Cow<'_, [(u64, u64)]> = match rewrite.source {
                None => Cow::Borrowed(&[]),
                Some(source) => match self.id_buckets.get(&source) {
                    Some(cached) => Cow::Borrowed(cached),
                    None => Cow::Owned(self.load_id_bucket(log, source)?),
                },
            };
            // Sorted by hash, and the targets are consecutive ranges of
            // hashes: each target's part is a slice.
            let mut rest = &*stored;
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
    /// up to 4096 buckets (about a million entries): a copy held another
    /// 16 MB at the end of an import of a million events.
    fn pending_ids_by_bucket(&self, new: Buckets) -> PendingIds<'_> {
        let mut by_bucket: PendingIds<'_> = HashMap::new();
        for (&group, ids) in &self.pending_ids {
            let first = u64::from(group) << (64 - super::GROUP_BITS);
            let bucket = new.bucket_of(first);
            if bucket == new.bucket_of(first | (u64::MAX >> super::GROUP_BITS)) {
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
mod tests;
