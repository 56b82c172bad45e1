//! Tests of the flush: what it writes, in which batches, as buckets split.

use super::*;
use crate::index::Terms;

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
        let (one, one_ids, one_meta) = store.changes(&log, store.covered, false).unwrap();
        let (two, two_ids, two_meta) = store.changes(&log, store.covered, true).unwrap();
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
    let (one, one_ids, one_meta) = store.changes(&log, store.covered, false).unwrap();
    let (two, two_ids, two_meta) = store.changes(&log, store.covered, true).unwrap();
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
    // Buckets coarser than the pending groups, and finer (more than 4096
    // buckets: each group is split between buckets).
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

/// Adds entries `seqs`, as [`growing_entry`] makes them.
fn add_growing(store: &mut IndexStore, seqs: std::ops::Range<u64>) {
    for seq in seqs {
        let (hash, terms) = growing_entry(seq);
        store.add(seq, [seq as u8; 32], Some(hash), &terms);
    }
}

/// Every entry below `covered` is found once under its id and its terms,
/// read from the stored buckets, and every bucket counted is stored.
fn assert_all_found_once(log: &Log, store: &mut IndexStore, covered: u64) {
    store.id_buckets.clear();
    for seq in 0..covered {
        let (hash, _) = growing_entry(seq);
        assert_eq!(store.stored_id_seqs(log, hash).unwrap(), [seq]);
    }
    for d in 0..211u64 {
        let want: Vec<u64> = (0..covered).filter(|seq| seq % 211 == d).collect();
        let term = format!("d:g{d}").into_bytes();
        assert_eq!(store.postings(log, &term).unwrap(), want, "d:g{d}");
    }
    for bucket in store.stored.unwrap().buckets.all() {
        for kind in [ID_BUCKET, TERM_BUCKET] {
            assert!(log.derived_get(&bucket.name(kind)).unwrap().is_some());
        }
    }
}

#[test]
fn a_flush_stopped_before_its_last_batch_loses_and_repeats_nothing() {
    let (_dir, log, mut store) = empty_index();
    add_growing(&mut store, 0..6000);
    store.flush(&log).unwrap();
    let stored = store.stored.unwrap();
    assert_eq!(stored.buckets.count(), 24);
    // The next flush splits 12 buckets to reach 36; a crash before its
    // last batch leaves every bucket it wrote (rewritten ones listing
    // entries 6000 and on, the parts of split ones) and not the rest.
    add_growing(&mut store, 6000..9000);
    let (changes, _, _) = store.changes(&log, store.covered, false).unwrap();
    let written: Vec<Change> = changes
        .into_iter()
        .filter(|(name, value)| value.is_some() && name != META)
        .collect();
    log.derived_apply(written).unwrap();
    // The next process loads the index the meta record describes and
    // indexes entries 6000 and on again: fewer of them first (32 buckets:
    // some parts written above are left over), then enough to split the
    // same buckets again (38).
    let mut store = IndexStore {
        loaded: true,
        covered: stored.covered,
        tie: stored.tie,
        stored: Some(stored),
        ..IndexStore::default()
    };
    assert_all_found_once(&log, &mut store, 6000);
    add_growing(&mut store, 6000..8000);
    store.flush(&log).unwrap();
    assert_eq!(store.stored.unwrap().buckets.count(), 32);
    assert_all_found_once(&log, &mut store, 8000);
    add_growing(&mut store, 8000..9500);
    store.flush(&log).unwrap();
    assert_eq!(store.stored.unwrap().buckets.count(), 38);
    assert_all_found_once(&log, &mut store, 9500);
}

#[test]
fn a_flush_in_the_middle_of_an_import_grows_the_index_only_so_far() {
    let (_dir, log, mut store) = empty_index();
    store.bulk_buckets = 20;
    add_growing(&mut store, 0..9000);
    store.flush_in_bulk(&log).unwrap();
    assert_eq!(store.stored.unwrap().buckets.count(), 20);
    assert_all_found_once(&log, &mut store, 9000);
    // The import's last flush grows it to what the entries call for, even
    // with nothing pending (its last batch was flushed in bulk).
    assert_eq!(store.pending_postings, 0);
    store.flush(&log).unwrap();
    assert_eq!(store.stored.unwrap().buckets.count(), 36);
    assert_all_found_once(&log, &mut store, 9000);
    add_growing(&mut store, 9000..9500);
    store.flush(&log).unwrap();
    assert_eq!(store.stored.unwrap().buckets.count(), 38);
    assert_all_found_once(&log, &mut store, 9500);
}

#[test]
fn indexing_every_entry_again_flushes_as_it_goes() {
    let (_dir, ledger) = crate::tests::ledger_of(6000);
    ledger.discard_index().unwrap();
    let flushes = {
        let mut index = ledger.index.lock().unwrap();
        index.flush_after = 4000;
        index.bulk_buckets = 18;
        index.flushes
    };
    let id = ledger.get(5500).unwrap().unwrap().event.id.unwrap();
    assert_eq!(ledger.seq_of(&id).unwrap(), Some(5500));
    let index = ledger.index.lock().unwrap();
    assert!(
        index.flushes >= flushes + 4,
        "{} flushes",
        index.flushes - flushes
    );
    assert!(index.pending_postings == 0);
    // Grown as far as the flushes on the way may, then all the way.
    assert_eq!(index.stored.unwrap().buckets.count(), 24);
    drop(index);
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}
