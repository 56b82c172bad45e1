//! Writing the index's pending postings back: the rewritten buckets and
//! the meta record, in one batch.

use foldhash::{HashMap, HashMapExt};

use docket_log::Log;

use super::{
    Change, ID_BUCKET, IndexStore, META, TERM_BUCKET, TermRefs, bucket_name, terms_by_bucket,
};
use crate::ReadError;
use crate::index_codec::{
    Meta, encode_ids, encode_meta, encode_term_slices, encode_terms, seal, set,
};

/// From this many pending postings on, a flush builds the id buckets and
/// two halves of the term buckets on three threads.
const PARALLEL_FLUSH: usize = 65_536;

/// What a helper thread of a flush returned; its panic is passed on.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

impl IndexStore {
    /// Writes the pending postings and the meta record in one batch. Only
    /// once that succeeds do they leave memory: after a failure they are
    /// still pending, still consulted by lookups, and written by the next
    /// flush.
    pub(crate) fn flush(&mut self, log: &Log) -> Result<(), ReadError> {
        if !self.loaded || (self.covered == self.stored.covered && self.pending_postings == 0) {
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
        log.derived_apply(changes).map_err(|e| ReadError::Index {
            message: e.to_string(),
        })?;
        self.id_buckets.extend(id_buckets);
        self.stored = meta;
        self.pending_ids.clear();
        self.pending_terms.clear();
        self.pending_postings = 0;
        Ok(())
    }

    /// The records that store the pending postings: the rewritten buckets
    /// and the meta record, with the id buckets as they will then be and
    /// the meta record's content. Changes nothing.
    #[allow(clippy::type_complexity)]
    fn changes(
        &self,
        log: &Log,
        parallel: bool,
    ) -> Result<(Vec<Change>, HashMap<u16, Vec<(u64, u64)>>, Meta), ReadError> {
        let mut meta = self.stored.clone();
        meta.covered = self.covered;
        meta.tie = self.tie;
        let term_buckets = || -> Vec<(u16, TermRefs<'_>)> {
            terms_by_bucket(&self.pending_terms).into_iter().collect()
        };
        // The id buckets and the term buckets need nothing from each other,
        // nor one term bucket from another. After an import of a million
        // events the ids took 75 ms and the terms 135–160 ms, each on a
        // thread of its own, so for half the time one core was idle: the
        // term buckets are now split in two halves, on two threads. A small
        // flush (after one append) is not worth a thread.
        let (ids, lower, upper) = if !parallel {
            (
                self.id_changes(log),
                self.term_changes(log, &term_buckets()),
                Ok((Vec::new(), Vec::new())),
            )
        } else {
            // Grouped while the ids are worked out, and held past the
            // threads that read it.
            let grouped = std::cell::OnceCell::new();
            std::thread::scope(|scope| {
                let ids = std::thread::Builder::new()
                    .name("docket-index-ids".to_owned())
                    .spawn_scoped(scope, || self.id_changes(log));
                let term_buckets = grouped.get_or_init(term_buckets);
                let (lower, upper) = term_buckets.split_at(term_buckets.len() / 2);
                let upper_terms = std::thread::Builder::new()
                    .name("docket-index-terms".to_owned())
                    .spawn_scoped(scope, || self.term_changes(log, upper));
                let lower = self.term_changes(log, lower);
                let upper = match upper_terms {
                    Ok(handle) => join(handle),
                    Err(_) => self.term_changes(log, upper),
                };
                let ids = match ids {
                    Ok(handle) => join(handle),
                    Err(_) => self.id_changes(log),
                };
                (ids, lower, upper)
            })
        };
        let (mut changes, id_buckets, id_bits) = ids?;
        let (lower_changes, lower_bits) = lower?;
        let (upper_changes, upper_bits) = upper?;
        changes.extend(lower_changes);
        changes.extend(upper_changes);
        let term_bits = lower_bits.into_iter().chain(upper_bits);
        for bucket in id_bits {
            set(&mut meta.ids, bucket);
        }
        for bucket in term_bits {
            set(&mut meta.terms, bucket);
        }
        changes.push((META.to_vec(), Some(encode_meta(&meta))));
        Ok((changes, id_buckets, meta))
    }

    /// The rewritten id buckets: the records, the buckets as they will
    /// then be, and which buckets were written.
    #[allow(clippy::type_complexity)]
    fn id_changes(
        &self,
        log: &Log,
    ) -> Result<(Vec<Change>, HashMap<u16, Vec<(u64, u64)>>, Vec<u16>), ReadError> {
        let mut changes: Vec<Change> = Vec::new();
        let mut written = Vec::new();
        let mut buckets: Vec<u16> = self.pending_ids.keys().copied().collect();
        buckets.sort_unstable();
        let mut id_buckets = HashMap::new();
        for bucket in buckets {
            let mut ids = match self.id_buckets.get(&bucket) {
                Some(cached) => cached.clone(),
                None => self.load_id_bucket(log, bucket)?,
            };
            ids.extend(self.pending_ids.get(&bucket).into_iter().flatten());
            ids.sort_unstable();
            let name = bucket_name(ID_BUCKET, bucket);
            changes.push((name.clone(), Some(seal(&name, encode_ids(&ids)))));
            written.push(bucket);
            id_buckets.insert(bucket, ids);
        }
        Ok((changes, id_buckets, written))
    }

    /// The rewritten term buckets for the pending terms of `buckets`, and
    /// which buckets were written. A bucket that holds nothing yet (every
    /// bucket, at the first flush of an import into a new ledger) is
    /// encoded straight from the pending postings, which copying into a
    /// map first made a third of the work.
    fn term_changes(
        &self,
        log: &Log,
        buckets: &[(u16, TermRefs<'_>)],
    ) -> Result<(Vec<Change>, Vec<u16>), ReadError> {
        let mut changes: Vec<Change> = Vec::new();
        let mut written = Vec::new();
        for (bucket, new) in buckets {
            let mut terms = self.load_term_bucket(log, *bucket)?;
            let payload = if terms.is_empty() {
                let mut new = new.clone();
                new.sort_unstable_by(|a, b| a.0.cmp(b.0));
                encode_term_slices(
                    new.iter()
                        .map(|(term, seqs)| (term.as_slice(), seqs.as_slice())),
                )
            } else {
                for (term, seqs) in new {
                    terms.entry((*term).clone()).or_default().extend(*seqs);
                }
                encode_terms(&terms)
            };
            let name = bucket_name(TERM_BUCKET, *bucket);
            changes.push((name.clone(), Some(seal(&name, payload))));
            written.push(*bucket);
        }
        Ok((changes, written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Terms;
    use crate::index_codec::BUCKETS;
    use crate::index_store::bucket_of;

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
            for seq in round * 3000..(round + 1) * 3000 {
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
            assert!(term_records.count() > 50, "both halves hold term buckets");
            assert!(one.len() > 100);
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
            for bucket in 0..BUCKETS as u16 {
                let name = bucket_name(TERM_BUCKET, bucket);
                let Some(sealed) = log.derived_get(&name).unwrap() else {
                    continue;
                };
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
        assert_eq!(bucket_of(near), bucket_of(a));
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
}
