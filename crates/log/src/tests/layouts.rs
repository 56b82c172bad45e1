//! Layout 1 (chunks stored as they are, under sled's compression) and
//! layout 2 (each chunk one zstd frame): a log of either layout is read,
//! verified and extended in its own layout, the two agree on every hash,
//! and damage to a compressed chunk is found without panicking.

use super::store::check_contents;
use super::{new_entry, new_log, verified};
use crate::{Damage, Log, ReadError, testing};

/// The batches both logs get: they cross chunk boundaries both ways.
const BATCHES: [u64; 5] = [1, 63, 64, 40, 32];

fn append_batches(log: &Log) {
    let mut next = 0;
    for (i, n) in BATCHES.into_iter().enumerate() {
        let batch = (next..next + n).map(new_entry).collect();
        log.append_at(batch, 1_000 * (i as i64 + 1)).unwrap();
        next += n;
    }
}

#[test]
fn layout_1_logs_are_read_verified_and_extended_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let old_path = dir.path().join("layout-1");
    let old = testing::create_layout_1(&old_path).unwrap();
    let (_new_dir, _, new) = new_log();
    assert_eq!((testing::layout_of(&old), testing::layout_of(&new)), (1, 2));
    append_batches(&old);
    append_batches(&new);

    // The same entries, hashes, roots and proofs, whatever the layout.
    assert_eq!(old.head(), new.head());
    for size in [1, 64, 65, 128, 200] {
        assert_eq!(
            old.merkle_root(size).unwrap(),
            new.merkle_root(size).unwrap()
        );
        assert_eq!(
            old.inclusion_proof(size / 2, size).unwrap(),
            new.inclusion_proof(size / 2, size).unwrap()
        );
    }
    assert_eq!(
        testing::raw_chunks(&old).unwrap(),
        testing::raw_chunks(&new).unwrap()
    );
    check_contents(&new, 200);

    // Reopened, the old log keeps its layout: plain chunk values, in a
    // database sled compresses.
    drop(old);
    let old = Log::open(&old_path).unwrap();
    assert_eq!(testing::layout_of(&old), 1);
    let recorded = crate::open::recorded(&old_path).unwrap();
    assert!(recorded.compression);
    assert_eq!(
        recorded.segment_size,
        crate::open::SLED_DEFAULT_SEGMENT_SIZE
    );
    check_contents(&old, 200);
    old.append_at((200..230).map(new_entry).collect(), 9_000)
        .unwrap();
    check_contents(&old, 230);
    assert_eq!(
        testing::raw_chunk_values(&old).unwrap(),
        testing::raw_chunks(&old).unwrap()
    );
    for (_, value) in testing::raw_chunk_values(&new).unwrap() {
        assert_eq!(value[..4], [0x28, 0xb5, 0x2f, 0xfd]);
    }

    // Tampering is found the same way in layout 1.
    testing::xor_byte(&old, 100, 60, 1).unwrap();
    assert_eq!(
        verified(&old).damage,
        Some(Damage::EntryAltered { seq: 100 })
    );
}

#[test]
fn a_compressed_chunk_that_does_not_decode_is_named() {
    let (_dir, _path, log) = new_log();
    append_batches(&log);
    testing::put_chunk_value(&log, 1, b"not a zstd frame").unwrap();
    let damage = verified(&log).damage.unwrap();
    let Damage::Malformed { seq: 64, reason } = &damage else {
        panic!("{damage:?}");
    };
    assert!(reason.contains("chunk 1 is unreadable"), "{reason}");
    assert!(matches!(
        log.get(70),
        Err(ReadError::UnreadableChunk { seq: 70, .. })
    ));
    assert!(log.range(0..200).any(|e| e.is_err()));
    // Earlier chunks still read.
    assert_eq!(log.get(63).unwrap().unwrap().header.seq, 63);

    // An unreadable chunk after a missing one: the entries of the missing
    // one are what is reported.
    testing::remove_chunk(&log, 1).unwrap();
    testing::put_chunk_value(&log, 2, b"not a zstd frame either").unwrap();
    assert_eq!(verified(&log).damage, Some(Damage::Missing { seq: 64 }));
}

#[test]
fn altered_compressed_bytes_are_found_when_they_change_an_entry() {
    let (_dir, _path, log) = new_log();
    append_batches(&log);
    let contents = testing::raw_chunks(&log).unwrap()[1].1.clone();
    let stored = testing::raw_chunk_values(&log).unwrap()[1].1.clone();
    let mut changed = 0;
    for at in (0..stored.len()).step_by(3) {
        let mut damaged = stored.clone();
        damaged[at] ^= 0x21;
        testing::put_chunk_value(&log, 1, &damaged).unwrap();
        let decoded = testing::raw_chunks(&log)
            .ok()
            .map(|chunks| chunks[1].1.clone());
        let report = verified(&log);
        // Reads never panic, whatever they return.
        let _ = log.get(80);
        if decoded.as_ref() == Some(&contents) {
            // Only the compressed form changed (a window size, say): the
            // entries, which is what the chain vouches for, did not.
            assert!(report.is_ok(), "byte {at}: {:?}", report.damage);
            continue;
        }
        changed += 1;
        let seq = report
            .damage
            .as_ref()
            .and_then(Damage::seq)
            .unwrap_or_else(|| panic!("byte {at}: {:?}", report.damage));
        assert!((63..=128).contains(&seq), "byte {at}: {:?}", report.damage);
    }
    assert!(changed > stored.len() / 6, "{changed} of {}", stored.len());
    testing::put_chunk_value(&log, 1, &stored).unwrap();
    assert!(verified(&log).is_ok());
}

#[test]
fn reads_keep_only_full_chunks_of_bounded_size() {
    let (_dir, _path, log) = new_log();
    append_batches(&log);
    for seq in [0, 64, 199] {
        log.get(seq).unwrap().unwrap();
    }
    let cached = |chunk| log.chunk_cache().get(chunk).is_some();
    assert!(cached(0) && cached(1));
    // The last chunk is partial: appends rewrite it.
    assert!(!cached(3));
    testing::xor_byte(&log, 70, 60, 1).unwrap();
    assert!(!cached(1));

    // A chunk of large payloads (64 × 5 KiB) is read but not kept.
    let (_dir, _path, big) = new_log();
    let entry = |seq: u64| crate::NewEntry {
        payload: vec![b'a' + (seq % 26) as u8; 5 * 1024],
        index_keys: vec![],
    };
    big.append((0..65).map(entry).collect()).unwrap();
    assert_eq!(big.get(3).unwrap().unwrap().payload.len(), 5 * 1024);
    assert!(big.chunk_cache().get(0).is_none());
}
