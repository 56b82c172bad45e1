//! The stored Merkle tree: nodes written with single appends, batches and
//! restores give the same roots and proofs as the in-memory functions; the
//! read cost is O(log n); old logs are upgraded on open; verification
//! checks the nodes.

use proptest::prelude::*;

use super::{new_entry, new_log};
use crate::merkle::{
    Blake3Hasher, MerkleHasher, ProofError, consistency_proof, inclusion_proof, root,
    verify_consistency, verify_inclusion,
};
use crate::nodes::NODE_READS;
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

/// Exactly the nodes of every complete perfect subtree are stored.
fn check_node_count(log: &Log) {
    let n = log.head().size;
    let nodes = testing::raw_nodes(log).unwrap();
    assert_eq!(nodes.len() as u64, 2 * n - u64::from(n.count_ones()));
    assert!(nodes.iter().all(|(k, v)| k.len() == 10 && v.len() == 32));
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
    assert!(log.verify(&mut |_, _| {}).is_ok());
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
    assert!(copy.verify(&mut |_, _| {}).is_ok());
}

#[test]
fn larger_logs_and_read_cost() {
    let (_dir, log) = build_in_batches(&[1000, 3097, 1, 902, 1]);
    let n = log.head().size;
    assert_eq!(n, 5001);
    check_node_count(&log);
    check_against_pure(&log, [4096, 4097, 4098, 5000, 5001, 1023, 2049, 3333]);
    // O(log n) node reads: a root reads one node per set bit; a proof at
    // most about two per level.
    let reads = |f: &dyn Fn()| {
        NODE_READS.with(|c| c.set(0));
        f();
        NODE_READS.with(|c| c.get())
    };
    assert_eq!(
        reads(&|| drop(log.merkle_root(n))),
        u64::from(n.count_ones())
    );
    for size in [5001u64, 4096, 4095, 3000] {
        for seq in sample(size) {
            let r = reads(&|| drop(log.inclusion_proof(seq, size).unwrap()));
            assert!(r <= 2 * 13 + 1, "inclusion {seq} of {size}: {r} reads");
            let r = reads(&|| drop(log.consistency_proof(seq + 1, size).unwrap()));
            assert!(
                r <= 2 * 13 + 1,
                "consistency {} -> {size}: {r} reads",
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
    assert!(log.verify(&mut |_, _| {}).is_ok());
    // An empty log has nothing to rebuild; a damaged one is left alone
    // (verification names the damaged entry, not the nodes).
    drop(log);
    let log = Log::open(&path).unwrap();
    testing::xor_byte(&log, 40, 70, 1).unwrap();
    strip_nodes(&log);
    drop(log);
    let log = Log::open(&path).unwrap();
    assert!(testing::raw_nodes(&log).unwrap().is_empty());
    let damage = log.verify(&mut |_, _| {}).damage;
    assert_eq!(damage, Some(Damage::EntryAltered { seq: 40 }));
    assert!(matches!(
        log.append(vec![new_entry(151)]),
        Err(AppendError::Damaged { .. })
    ));
    drop(dir);
}

fn node_damage(tamper: impl FnOnce(&Log)) -> Damage {
    let (_dir, log) = build_in_batches(&[1, 63, 64, 40, 32]);
    assert!(log.verify(&mut |_, _| {}).is_ok());
    tamper(&log);
    let d = log.verify(&mut |_, _| {}).damage.unwrap();
    assert!(d.to_string().ends_with('.'), "{d}");
    if matches!(d, Damage::MerkleNode { .. }) {
        assert_eq!(d.seq(), None);
    }
    d
}

#[test]
fn verify_checks_the_nodes() {
    let key = testing::node_key;
    let d = node_damage(|l| testing::put_raw(l, &key(3, 5), &[0; 32]).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 3, index: 5, reason } if reason.contains("does not match")),
        "{d:?}"
    );
    assert!(d.to_string().contains("entries 40 to 47"), "{d}");
    let d = node_damage(|l| testing::remove_raw(l, &key(0, 17)).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 0, index: 17, reason } if reason.contains("missing")),
        "{d:?}"
    );
    assert!(d.to_string().contains("for entry 17 is missing"), "{d}");
    let d = node_damage(|l| testing::remove_raw(l, &key(7, 0)).unwrap());
    assert!(
        matches!(
            d,
            Damage::MerkleNode {
                level: 7,
                index: 0,
                ..
            }
        ),
        "{d:?}"
    );
    let d = node_damage(|l| testing::put_raw(l, &key(1, 2), &[0; 31]).unwrap());
    assert!(
        matches!(&d, Damage::MerkleNode { level: 1, index: 2, reason } if reason.contains("31 bytes")),
        "{d:?}"
    );
    // Nodes that no entry accounts for.
    let d = node_damage(|l| testing::put_raw(l, &key(0, 200), &[0; 32]).unwrap());
    assert!(
        matches!(
            d,
            Damage::MerkleNode {
                level: 0,
                index: 200,
                ..
            }
        ),
        "{d:?}"
    );
    let d = node_damage(|l| testing::put_raw(l, &key(9, 0), &[0; 32]).unwrap());
    assert!(
        matches!(
            d,
            Damage::MerkleNode {
                level: 9,
                index: 0,
                ..
            }
        ),
        "{d:?}"
    );
    let d = node_damage(|l| testing::put_raw(l, b"N\x02junk", b"").unwrap());
    assert!(matches!(d, Damage::MerkleNode { .. }), "{d:?}");
    for junk in [
        &b"N"[..],
        b"N\x00",
        b"N\x03\x00",
        &[b'N', 4, 255, 255, 255, 255, 255, 255, 255, 255, 0],
    ] {
        let d = node_damage(|l| testing::put_raw(l, junk, b"").unwrap());
        assert!(matches!(d, Damage::MerkleNode { .. }), "{junk:?}: {d:?}");
    }
    let d = node_damage(|l| testing::put_raw(l, &[b'N', 200, 1, 2], b"").unwrap());
    assert!(matches!(d, Damage::MerkleNode { level: 200, .. }), "{d:?}");
    // Damage to an entry is named before damage to the nodes.
    let d = node_damage(|l| {
        testing::put_raw(l, &key(0, 3), &[0; 32]).unwrap();
        testing::xor_byte(l, 100, 60, 1).unwrap();
    });
    assert_eq!(d, Damage::EntryAltered { seq: 100 });
    // An empty log with a stray node.
    let (_dir, _path, log) = new_log();
    testing::put_raw(&log, &key(0, 0), &[0; 32]).unwrap();
    let d = log.verify(&mut |_, _| {}).damage;
    assert!(
        matches!(
            d,
            Some(Damage::MerkleNode {
                level: 0,
                index: 0,
                ..
            })
        ),
        "{d:?}"
    );
}

#[test]
fn append_refuses_a_missing_frontier_node() {
    let (_dir, log) = build_in_batches(&[6]);
    // The frontier of 6 is the nodes (2, 0) and (1, 2).
    testing::remove_raw(&log, &testing::node_key(2, 0)).unwrap();
    let e = log.append(vec![new_entry(6)]).unwrap_err();
    assert!(matches!(e, AppendError::Damaged { seq: 6, .. }), "{e:?}");
    assert!(e.to_string().contains("level 2, index 0 is missing"), "{e}");
    assert_eq!(log.head().size, 6);
    assert!(matches!(
        log.merkle_root(6),
        Err(ReadError::BadNode {
            level: 2,
            index: 0,
            ..
        })
    ));
}
