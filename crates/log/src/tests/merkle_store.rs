//! The stored Merkle tree: nodes written with single appends, batches and
//! restores give the same roots and proofs as the in-memory functions; only
//! nodes of level ≥ 6 are stored; the read cost is O(log n) node reads and
//! at most two chunk reads; logs without nodes and logs with nodes below
//! level 6 are upgraded on open; verification checks the nodes.

use proptest::prelude::*;

use super::{new_entry, new_log, verified};
use crate::merkle::{
    Blake3Hasher, MerkleHasher, ProofError, consistency_proof, inclusion_proof, root,
    verify_consistency, verify_inclusion,
};
use crate::nodes::{CHUNK_READS, NODE_READS};
use crate::{AppendError, Damage, Hash, Log, ReadError, testing};

/// The leaf hashes of every entry of `log`.
fn leaves(log: &Log) -> Vec<Hash> {
    log.range(0..u64::MAX)
        .map(|e| Blake3Hasher.leaf(&e.unwrap().hash()))
        .collect()
}

/// A few seqs below `size`: all of them for small sizes, else the edges,
/// the powers of two and a spread.
fn sample(size: u64) -> Vec<u64> {
    if size <= 40 {
        return (0..size).collect();
    }
    let mut out: Vec<u64> = vec![0, 1, size / 2, size - 2, size - 1];
    out.extend((0..64).map(|s| 1u64 << s).filter(|&p| p < size));
    out.extend(
        (0..size)
            .step_by((size / 7) as usize)
            .map(|s| s + 3)
            .filter(|&s| s < size),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// Stored roots and proofs equal the in-memory ones for the given sizes.
fn check_against_pure(log: &Log, sizes: impl IntoIterator<Item = u64>) {
    let all = leaves(log);
    for size in sizes {
        let prefix = &all[..size as usize];
        let r = root(&Blake3Hasher, prefix);
        assert_eq!(log.merkle_root(size).unwrap(), r, "root of {size}");
        for seq in sample(size) {
            let proof = log.inclusion_proof(seq, size).unwrap();
            assert_eq!(proof, inclusion_proof(&Blake3Hasher, prefix, seq).unwrap());
            let leaf = all[seq as usize];
            assert_eq!(
                verify_inclusion(&Blake3Hasher, seq, size, &leaf, &proof, &r),
                Ok(())
            );
        }
        for size1 in sample(size).into_iter().map(|s| s + 1) {
            let proof = log.consistency_proof(size1, size).unwrap();
            assert_eq!(
                proof,
                consistency_proof(&Blake3Hasher, prefix, size1).unwrap()
            );
            let r1 = log.merkle_root(size1).unwrap();
            assert_eq!(
                verify_consistency(&Blake3Hasher, size1, size, &r1, &r, &proof),
                Ok(())
            );
        }
    }
}

/// The node records a log of these leaves must hold, in key order: every
/// complete perfect subtree of level ≥ 6 with its hash, and nothing else.
fn expected_nodes(all: &[Hash]) -> Vec<testing::Record> {
    let n = all.len();
    let mut out = Vec::new();
    for level in 6..64u8 {
        let width = 1usize << level;
        if width > n {
            break;
        }
        for index in 0..n / width {
            let hash = root(&Blake3Hasher, &all[index * width..(index + 1) * width]);
            out.push((testing::node_key(level, index as u64), hash.to_vec()));
        }
    }
    out
}

/// Exactly the nodes of the complete perfect subtrees of level ≥ 6 are
/// stored, with the right hashes: `2c − popcount(c)` records for `c` full
/// chunks.
fn check_node_count(log: &Log) {
    let n = log.head().size;
    let nodes = testing::raw_nodes(log).unwrap();
    let c = n / 64;
    assert_eq!(nodes.len() as u64, 2 * c - u64::from(c.count_ones()));
    assert!(
        nodes
            .iter()
            .all(|(k, v)| k.len() == 10 && k[1] >= 6 && v.len() == 32)
    );
    assert_eq!(nodes, expected_nodes(&leaves(log)));
}

#[test]
fn single_appends_match_the_pure_tree() {
    let (_dir, _path, log) = new_log();
    assert_eq!(log.merkle_root(0).unwrap(), Blake3Hasher.empty_root());
    for seq in 0..300 {
        log.append(vec![new_entry(seq)]).unwrap();
        let all = leaves(&log);
        assert_eq!(log.merkle_root(seq + 1).unwrap(), root(&Blake3Hasher, &all));
    }
    check_node_count(&log);
    check_against_pure(&log, 0..=300);
    assert!(verified(&log).is_ok());
}

fn build_in_batches(sizes: &[u64]) -> (tempfile::TempDir, Log) {
    let (dir, _path, log) = new_log();
    let mut next = 0;
    for &n in sizes {
        log.append((next..next + n).map(new_entry).collect())
            .unwrap();
        next += n;
    }
    (dir, log)
}

#[test]
fn batches_and_restore_match_the_pure_tree() {
    let (_dir, log) = build_in_batches(&[1, 2, 61, 64, 1, 127, 44]);
    assert_eq!(log.head().size, 300);
    check_node_count(&log);
    check_against_pure(&log, 0..=300);
    // Restoring the same entries in other batches stores the same nodes.
    let (_dir2, _path2, copy) = new_log();
    let entries: Vec<_> = log.range(0..300).map(Result::unwrap).collect();
    let mut rest = entries.as_slice();
    for n in [5usize, 1, 100, 64, 130] {
        let (now, later) = rest.split_at(n.min(rest.len()));
        copy.restore(now.iter().map(|e| (e.clone(), vec![])).collect())
            .unwrap();
        rest = later;
    }
    assert_eq!(copy.head(), log.head());
    assert_eq!(
        testing::raw_nodes(&copy).unwrap(),
        testing::raw_nodes(&log).unwrap()
    );
    assert!(verified(&copy).is_ok());
}

#[test]
fn larger_logs_and_read_cost() {
    let (_dir, log) = build_in_batches(&[1000, 3097, 1, 902, 1]);
    let n = log.head().size;
    assert_eq!(n, 5001);
    check_node_count(&log);
    check_against_pure(&log, [4096, 4097, 4098, 5000, 5001, 1023, 2049, 3333]);
    // O(log n) reads: a root reads one node per set bit of size / 64 and
    // the last chunk if it is partial; a proof at most about two nodes per
    // level above 6 and at most two chunks.
    let reads = |f: &dyn Fn()| {
        NODE_READS.with(|c| c.set(0));
        CHUNK_READS.with(|c| c.set(0));
        f();
        (NODE_READS.with(|c| c.get()), CHUNK_READS.with(|c| c.get()))
    };
    for size in [n, 4096, 4095, 4032, 64, 63, 1] {
        assert_eq!(
            reads(&|| {
                log.merkle_root(size).unwrap();
            }),
            (
                u64::from((size / 64).count_ones()),
                u64::from(size % 64 != 0)
            ),
            "root of {size}"
        );
    }
    for size in [5001u64, 4096, 4095, 3000, 100, 64, 7] {
        for seq in sample(size) {
            let (nodes, chunks) = reads(&|| drop(log.inclusion_proof(seq, size).unwrap()));
            assert!(
                nodes <= 2 * (13 - 6) + 1 && chunks <= 2,
                "inclusion {seq} of {size}: {nodes} nodes, {chunks} chunks"
            );
            let (nodes, chunks) = reads(&|| drop(log.consistency_proof(seq + 1, size).unwrap()));
            assert!(
                nodes <= 2 * (13 - 6) + 1 && chunks <= 2,
                "consistency {} -> {size}: {nodes} nodes, {chunks} chunks",
                seq + 1
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn random_batches_match_the_pure_tree(
        batches in proptest::collection::vec(1u64..150, 1..8),
    ) {
        let (_dir, log) = build_in_batches(&batches);
        let n = log.head().size;
        check_node_count(&log);
        check_against_pure(&log, [1, n / 3 + 1, n / 2 + 1, n - 1, n].into_iter().filter(|&s| s <= n));
    }
}

#[test]
fn bad_requests_are_errors() {
    let (_dir, log) = build_in_batches(&[10]);
    assert!(matches!(
        log.merkle_root(11),
        Err(ReadError::BeyondHead {
            size: 11,
            head: 10,
            ..
        })
    ));
    assert!(matches!(
        log.inclusion_proof(3, 11),
        Err(ReadError::BeyondHead { .. })
    ));
    assert!(matches!(
        log.inclusion_proof(10, 10),
        Err(ReadError::NoProof {
            source: ProofError::IndexOutOfRange {
                index: 10,
                size: 10
            },
            ..
        })
    ));
    assert!(matches!(
        log.consistency_proof(0, 5),
        Err(ReadError::NoProof {
            source: ProofError::EmptyFirstTree,
            ..
        })
    ));
    assert!(matches!(
        log.consistency_proof(6, 5),
        Err(ReadError::NoProof {
            source: ProofError::SizesReversed { .. },
            ..
        })
    ));
    assert!(matches!(
        log.consistency_proof(5, 11),
        Err(ReadError::BeyondHead { .. })
    ));
    assert_eq!(log.consistency_proof(10, 10).unwrap(), Vec::<Hash>::new());
    let e = log.merkle_root(u64::MAX).unwrap_err().to_string();
    assert!(e.contains("holds 10 entries"), "{e}");
}

/// Removes every node record, as in a log written before nodes existed.
fn strip_nodes(log: &Log) {
    for (key, _) in testing::raw_nodes(log).unwrap() {
        testing::remove_raw(log, &key).unwrap();
    }
    log.flush().unwrap();
}

#[test]
fn open_rebuilds_the_nodes_of_an_old_log() {
    let (dir, path, log) = new_log();
    log.append((0..150).map(new_entry).collect()).unwrap();
    let before = testing::raw_nodes(&log).unwrap();
    let root = log.merkle_root(150).unwrap();
    strip_nodes(&log);
    assert!(testing::raw_nodes(&log).unwrap().is_empty());
    assert!(log.merkle_root(150).is_err());
    drop(log);
    let log = Log::open(&path).unwrap();
    assert_eq!(testing::raw_nodes(&log).unwrap(), before);
    assert_eq!(log.merkle_root(150).unwrap(), root);
    log.append(vec![new_entry(150)]).unwrap();
    assert!(verified(&log).is_ok());
    // An empty log has nothing to rebuild; a damaged one is left alone
    // (verification names the damaged entry, not the nodes).
    drop(log);
    let log = Log::open(&path).unwrap();
    testing::xor_byte(&log, 40, 70, 1).unwrap();
    strip_nodes(&log);
    drop(log);
    let log = Log::open(&path).unwrap();
    assert!(testing::raw_nodes(&log).unwrap().is_empty());
    let damage = verified(&log).damage;
    assert_eq!(damage, Some(Damage::EntryAltered { seq: 40 }));
    assert!(matches!(
        log.append(vec![new_entry(151)]),
        Err(AppendError::Damaged { .. })
    ));
    drop(dir);
}

/// The log the node tests tamper with: 1400 entries, so 21 full chunks
/// and stored nodes at levels 6 (0..=20), 7 (0..=9), 8 (0..=4), 9 (0, 1)
/// and 10 (0).
fn node_test_log() -> (tempfile::TempDir, Log) {
    let (dir, log) = build_in_batches(&[1, 63, 64, 40, 32, 500, 700]);
    assert_eq!(log.head().size, 1400);
    assert_eq!(testing::raw_nodes(&log).unwrap().len(), 21 + 10 + 5 + 2 + 1);
    (dir, log)
}

fn node_damage(tamper: impl FnOnce(&Log)) -> Damage {
    let (_dir, log) = node_test_log();
    assert!(verified(&log).is_ok());
    tamper(&log);
    let d = verified(&log).damage.unwrap();
    assert!(d.to_string().ends_with('.'), "{d}");
    if matches!(d, Damage::MerkleNode { .. }) {
        assert_eq!(d.seq(), None);
    }
    d
}

#[test]
fn verify_checks_the_nodes() {
    let key = testing::node_key;
    let d = node_damage(|l| testing::put_raw(l, &key(6, 5), &[0; 32]).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 6, index: 5, reason } if reason.contains("does not match")),
        "{d:?}"
    );
    assert!(d.to_string().contains("entries 320 to 383"), "{d}");
    let d = node_damage(|l| testing::put_raw(l, &key(8, 4), &[7; 32]).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 8, index: 4, reason } if reason.contains("does not match")),
        "{d:?}"
    );
    let d = node_damage(|l| testing::remove_raw(l, &key(6, 17)).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 6, index: 17, reason } if reason.contains("missing")),
        "{d:?}"
    );
    assert!(
        d.to_string()
            .contains("for entries 1088 to 1151 is missing"),
        "{d}"
    );
    let d = node_damage(|l| testing::remove_raw(l, &key(6, 20)).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 6, index: 20, reason } if reason.contains("missing")),
        "{d:?}"
    );
    let d = node_damage(|l| testing::remove_raw(l, &key(10, 0)).unwrap());
    assert!(
        matches!(
            d,
            Damage::MerkleNode {
                level: 10,
                index: 0,
                ..
            }
        ),
        "{d:?}"
    );
    let d = node_damage(|l| testing::put_raw(l, &key(7, 2), &[0; 31]).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 7, index: 2, reason } if reason.contains("31 bytes")),
        "{d:?}"
    );
    // Nodes that no entry accounts for.
    for (level, index) in [(6, 21), (6, 200), (7, 10), (10, 1), (11, 0), (40, 0)] {
        let d = node_damage(|l| testing::put_raw(l, &key(level, index), &[0; 32]).unwrap());
        assert!(
            matches!(&d, Damage::MerkleNode { level: l, index: i, reason }
                if (*l, *i) == (level, index) && reason.contains("no such entries")),
            "({level}, {index}): {d:?}"
        );
    }
    // Nodes below level 6 are never stored, even with the right hash.
    for (level, index) in [(0, 17), (0, 2000), (1, 2), (3, 5), (5, 0), (5, 21)] {
        let d = node_damage(|l| testing::put_raw(l, &key(level, index), &[0; 32]).unwrap());
        assert!(
            matches!(&d, Damage::MerkleNode { level: l, index: i, reason }
                if (*l, *i) == (level, index) && reason.contains("below level 6")),
            "({level}, {index}): {d:?}"
        );
    }
    let d = node_damage(|l| {
        let leaf = Blake3Hasher.leaf(&l.get(17).unwrap().unwrap().hash());
        testing::put_raw(l, &key(0, 17), &leaf).unwrap();
    });
    assert!(
        matches!(
            d,
            Damage::MerkleNode {
                level: 0,
                index: 17,
                ..
            }
        ),
        "{d:?}"
    );
    assert!(
        d.to_string().contains("for entry 17 is stored although"),
        "{d}"
    );
    // Malformed keys, below level 6, among the stored levels and above.
    for junk in [
        &b"N"[..],
        b"N\x00",
        b"N\x02junk",
        b"N\x03\x00",
        &[b'N', 4, 255, 255, 255, 255, 255, 255, 255, 255, 0],
        b"N\x06",
        b"N\x06junk",
        &[b'N', 6, 0, 0, 0, 0, 0, 0, 0, 3, 0],
        &[b'N', 7, 255, 255, 255, 255, 255, 255, 255, 255, 0],
        b"N\x09\x00",
        b"N\x0b\x00",
        &[b'N', 200, 1, 2],
    ] {
        let d = node_damage(|l| testing::put_raw(l, junk, b"").unwrap());
        assert!(matches!(d, Damage::MerkleNode { .. }), "{junk:?}: {d:?}");
    }
    let d = node_damage(|l| testing::put_raw(l, &[b'N', 200, 1, 2], b"").unwrap());
    assert!(matches!(d, Damage::MerkleNode { level: 200, .. }), "{d:?}");
    // Damage to an entry is named before damage to the nodes.
    let d = node_damage(|l| {
        testing::put_raw(l, &key(6, 3), &[0; 32]).unwrap();
        testing::put_raw(l, &key(0, 3), &[0; 32]).unwrap();
        testing::xor_byte(l, 100, 60, 1).unwrap();
    });
    assert_eq!(d, Damage::EntryAltered { seq: 100 });
    // An empty log and a log without a full chunk, with a stray node.
    for size in [0, 63] {
        for (level, index) in [(0, 0), (6, 0)] {
            let (_dir, _path, log) = new_log();
            if size > 0 {
                log.append((0..size).map(new_entry).collect()).unwrap();
            }
            assert!(testing::raw_nodes(&log).unwrap().is_empty());
            testing::put_raw(&log, &key(level, index), &[0; 32]).unwrap();
            let d = verified(&log).damage;
            assert!(
                matches!(
                    &d,
                    Some(Damage::MerkleNode { level: l, index: i, .. }) if (*l, *i) == (level, index)
                ),
                "{size} entries, ({level}, {index}): {d:?}"
            );
        }
    }
}

#[test]
fn append_refuses_a_missing_frontier_node() {
    let (_dir, log) = build_in_batches(&[200]);
    // The stored frontier of 200 is the nodes (7, 0) and (6, 2); entries
    // 192..200 are read from chunk 3.
    testing::remove_raw(&log, &testing::node_key(7, 0)).unwrap();
    let e = log.append(vec![new_entry(200)]).unwrap_err();
    assert!(matches!(e, AppendError::Damaged { seq: 200, .. }), "{e:?}");
    assert!(e.to_string().contains("level 7, index 0 is missing"), "{e}");
    assert_eq!(log.head().size, 200);
    assert!(matches!(
        log.merkle_root(200),
        Err(ReadError::BadNode {
            level: 7,
            index: 0,
            ..
        })
    ));
    // Roots and proofs that do not need the node still work.
    assert!(log.merkle_root(127).is_ok());
    assert!(log.inclusion_proof(130, 192).is_err());
    assert!(log.inclusion_proof(3, 127).is_ok());
    testing::put_raw(&log, &testing::node_key(7, 0), &[1; 30]).unwrap();
    let e = log.append(vec![new_entry(200)]).unwrap_err();
    assert!(e.to_string().contains("30 bytes instead of 32"), "{e}");
}

#[test]
fn proofs_read_the_entries_below_level_6() {
    // Nodes below level 6 come from the chunk: damage to an entry there
    // shows in the roots, and an unreadable chunk is an error, not a panic.
    let (_dir, log) = build_in_batches(&[100]);
    let root = log.merkle_root(100).unwrap();
    let r64 = log.merkle_root(64).unwrap();
    testing::xor_byte(&log, 70, 60, 1).unwrap();
    assert_ne!(log.merkle_root(100).unwrap(), root);
    // The root of the full chunk 0 is the stored node (6, 0).
    assert_eq!(log.merkle_root(64).unwrap(), r64);
    testing::put_chunk(&log, 1, b"garbage").unwrap();
    assert!(matches!(
        log.merkle_root(100),
        Err(ReadError::Malformed { seq: 64, .. })
    ));
    assert!(matches!(
        log.inclusion_proof(3, 100),
        Err(ReadError::Malformed { seq: 64, .. })
    ));
    assert!(log.inclusion_proof(3, 64).is_ok());
    testing::remove_chunk(&log, 1).unwrap();
    assert!(matches!(
        log.merkle_root(65),
        Err(ReadError::Missing { seq: 64, .. })
    ));
    assert!(log.merkle_root(63).is_ok());
    testing::delete_entry(&log, 10).unwrap();
    assert!(matches!(
        log.merkle_root(63),
        Err(ReadError::Misplaced {
            seq: 10,
            found: 11,
            ..
        })
    ));
    assert!(matches!(
        log.merkle_root(64),
        Ok(r) if r == r64
    ));
}

/// Writes every node of level < 6 of the log (with the right hashes), as
/// the build that stored all nodes did, one key at a time.
fn put_low_nodes(log: &Log) -> usize {
    let all = leaves(log);
    let mut written = 0;
    for level in 0..6u8 {
        let width = 1usize << level;
        for index in 0..all.len() / width {
            let hash = root(&Blake3Hasher, &all[index * width..(index + 1) * width]);
            testing::put_raw(log, &testing::node_key(level, index as u64), &hash).unwrap();
            written += 1;
        }
    }
    written
}

#[test]
fn open_removes_the_nodes_below_level_6() {
    let (_dir, path, log) = new_log();
    log.append((0..1000).map(new_entry).collect()).unwrap();
    log.append((1000..1100).map(new_entry).collect()).unwrap();
    let stored = testing::raw_nodes(&log).unwrap();
    let root = log.merkle_root(1100).unwrap();
    // A log as the build that stored every node left it: 2n − popcount(n)
    // records in all.
    let low = put_low_nodes(&log);
    let junk = [b'N', 3, 1, 2];
    testing::put_raw(&log, &junk, b"").unwrap();
    let n = 1100u64;
    assert_eq!(
        testing::raw_nodes(&log).unwrap().len() as u64,
        2 * n - u64::from(n.count_ones()) + 1
    );
    assert_eq!(low, 1100 + 550 + 275 + 137 + 68 + 34);
    assert!(matches!(
        verified(&log).damage,
        Some(Damage::MerkleNode {
            level: 0,
            index: 0,
            ..
        })
    ));
    log.flush().unwrap();
    drop(log);
    let log = Log::open(&path).unwrap();
    // The well-formed nodes below level 6 are gone (a malformed key is
    // left for verification to report); the others are untouched.
    let mut want = stored.clone();
    want.insert(0, (junk.to_vec(), Vec::new()));
    assert_eq!(testing::raw_nodes(&log).unwrap(), want);
    testing::remove_raw(&log, &junk).unwrap();
    assert!(verified(&log).is_ok());
    assert_eq!(log.merkle_root(1100).unwrap(), root);
    check_against_pure(&log, [1, 63, 64, 65, 700, 1024, 1099, 1100]);
    log.append((1100..1250).map(new_entry).collect()).unwrap();
    check_node_count(&log);
    check_against_pure(&log, [1100, 1216, 1249, 1250]);
    assert!(verified(&log).is_ok());
    // Reopening again changes nothing.
    let before = testing::raw_nodes(&log).unwrap();
    drop(log);
    let log = Log::open(&path).unwrap();
    assert_eq!(testing::raw_nodes(&log).unwrap(), before);

    // Low nodes with wrong hashes, on a damaged log, on a log of less than
    // a chunk: all removed, and nothing else changes.
    for (size, damage) in [(1250u64, false), (1250, true), (40, false)] {
        let (_dir, path, log) = new_log();
        log.append((0..size).map(new_entry).collect()).unwrap();
        let stored = testing::raw_nodes(&log).unwrap();
        for (level, index) in [(0, 0), (0, size + 5), (2, 3), (5, 1)] {
            testing::put_raw(&log, &testing::node_key(level, index), &[9; 32]).unwrap();
        }
        if damage {
            testing::xor_byte(&log, 500, 60, 1).unwrap();
        }
        log.flush().unwrap();
        drop(log);
        let log = Log::open(&path).unwrap();
        assert_eq!(testing::raw_nodes(&log).unwrap(), stored, "{size} {damage}");
        let d = verified(&log).damage;
        if damage {
            assert_eq!(d, Some(Damage::EntryAltered { seq: 500 }));
        } else {
            assert_eq!(d, None);
            check_against_pure(&log, [size / 2, size]);
        }
    }
}

#[test]
fn open_of_a_log_without_nodes_and_with_low_nodes() {
    // Both upgrades at once: low nodes from one build, and the stored
    // levels missing (as if removed by hand): one batch does both.
    let (_dir, path, log) = new_log();
    log.append((0..700).map(new_entry).collect()).unwrap();
    let stored = testing::raw_nodes(&log).unwrap();
    strip_nodes(&log);
    put_low_nodes(&log);
    drop(log);
    let log = Log::open(&path).unwrap();
    assert_eq!(testing::raw_nodes(&log).unwrap(), stored);
    check_against_pure(&log, [699, 700]);
    assert!(verified(&log).is_ok());
}

/// Time of the one-off upgrade on open of a log written by the build that
/// stored every Merkle node (its nodes of levels 0 to 5 are deleted), and of
/// the opens after it. Ignored by default (and kept out of the `speed`
/// module, whose timings it would disturb): run with
/// `cargo test -p docket-log --release -- --ignored --nocapture upgrade_timing`.
#[test]
#[ignore = "slow; run in release mode to measure"]
fn upgrade_timing() {
    use std::time::{Duration, Instant};

    use crate::NewEntry;
    use crate::layout::node_key;
    use crate::merkle::Frontier;

    let n: u64 = std::env::var("DOCKET_LOG_SPEED_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let (_dir, path, log) = new_log();
    // Each append is followed by a batch with the nodes below level 6 that
    // it completes, as the earlier build wrote them with the entries.
    let mut frontier = Frontier::empty();
    let mut low = 0u64;
    let mut next = 0;
    while next < n {
        let batch = (next..n.min(next + 10_000))
            .map(|i| NewEntry {
                payload: format!("{i:0>300}").into_bytes(),
                index_keys: vec![],
            })
            .collect::<Vec<_>>();
        next += batch.len() as u64;
        let mut nodes = sled::Batch::default();
        for a in log.append(batch).unwrap() {
            frontier.push(&Blake3Hasher, Blake3Hasher.leaf(&a.hash), |l, i, h| {
                if l < 6 {
                    nodes.insert(&node_key(l, i)[..], &h[..]);
                    low += 1;
                }
            });
        }
        log.db().apply_batch(nodes).unwrap();
    }
    log.flush().unwrap();
    drop(log);
    let mut opens = Vec::new();
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let log = Log::open(&path).unwrap();
        opens.push(started.elapsed().as_secs_f64());
        drop(log);
    }
    let log = Log::open(&path).unwrap();
    assert!(verified(&log).is_ok());
    println!(
        "{n} entries, {low} nodes below level 6: opens take {opens:.2?} s (the first deletes them)"
    );
}
