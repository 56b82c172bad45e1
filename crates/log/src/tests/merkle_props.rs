//! Properties of the in-memory Merkle functions, in both modes: every proof
//! generated verifies, flipping any bit of a proof, a root or the leaf
//! makes it fail, and no input (huge sizes, wrong lengths) panics.

use proptest::prelude::*;
use proptest::sample::Index;

use crate::Hash;
use crate::merkle::{
    Blake3Hasher, Frontier, MerkleHasher, ProofError, Sha256Hasher, consistency_path,
    consistency_proof, inclusion_path, inclusion_proof, root, split_point, verify_consistency,
    verify_inclusion,
};

fn leaves<H: MerkleHasher>(hasher: &H, seed: u64, n: usize) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| hasher.leaf(&(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_be_bytes()))
        .collect()
}

/// Every way of flipping one bit of `bytes`.
fn flips(bytes: &Hash) -> impl Iterator<Item = Hash> + '_ {
    (0..256).map(move |bit| {
        let mut out = *bytes;
        out[bit / 8] ^= 1 << (bit % 8);
        out
    })
}

fn check_inclusion<H: MerkleHasher>(hasher: &H, leaves: &[Hash], index: u64) {
    let size = leaves.len() as u64;
    let r = root(hasher, leaves);
    let leaf = leaves[index as usize];
    let proof = inclusion_proof(hasher, leaves, index).unwrap();
    assert_eq!(
        verify_inclusion(hasher, index, size, &leaf, &proof, &r),
        Ok(())
    );
    for i in 0..proof.len() {
        for flipped in flips(&proof[i]) {
            let mut bad = proof.clone();
            bad[i] = flipped;
            assert!(verify_inclusion(hasher, index, size, &leaf, &bad, &r).is_err());
        }
    }
    for bad_root in flips(&r) {
        assert!(verify_inclusion(hasher, index, size, &leaf, &proof, &bad_root).is_err());
    }
    for bad_leaf in flips(&leaf) {
        assert!(verify_inclusion(hasher, index, size, &bad_leaf, &proof, &r).is_err());
    }
    // Neither a shorter nor a longer proof passes. (Another size may: the
    // verifier knows the size only through the shape of the path, and the
    // root is what binds the tree.)
    if let Some((_, shorter)) = proof.split_last() {
        assert!(verify_inclusion(hasher, index, size, &leaf, shorter, &r).is_err());
    }
    let mut longer = proof.clone();
    longer.push(r);
    assert!(verify_inclusion(hasher, index, size, &leaf, &longer, &r).is_err());
}

fn check_consistency<H: MerkleHasher>(hasher: &H, leaves: &[Hash], size1: u64) {
    let size2 = leaves.len() as u64;
    let r1 = root(hasher, &leaves[..size1 as usize]);
    let r2 = root(hasher, leaves);
    let proof = consistency_proof(hasher, leaves, size1).unwrap();
    assert_eq!(
        verify_consistency(hasher, size1, size2, &r1, &r2, &proof),
        Ok(())
    );
    for i in 0..proof.len() {
        for flipped in flips(&proof[i]) {
            let mut bad = proof.clone();
            bad[i] = flipped;
            assert!(verify_consistency(hasher, size1, size2, &r1, &r2, &bad).is_err());
        }
    }
    for bad in flips(&r1) {
        assert!(verify_consistency(hasher, size1, size2, &bad, &r2, &proof).is_err());
    }
    for bad in flips(&r2) {
        assert!(verify_consistency(hasher, size1, size2, &r1, &bad, &proof).is_err());
    }
    if let Some((_, shorter)) = proof.split_last() {
        assert!(verify_consistency(hasher, size1, size2, &r1, &r2, shorter).is_err());
    }
}

/// The Merkle Tree Hash of leaves `a..b` of a tree whose leaves are all
/// `leaf`: computable for any size, because a perfect subtree's hash
/// depends only on its level.
fn uniform_range_root<H: MerkleHasher>(hasher: &H, perfect: &[Hash], a: u64, b: u64) -> Hash {
    let n = b - a;
    if n.is_power_of_two() && a.is_multiple_of(n) {
        return perfect[n.trailing_zeros() as usize];
    }
    let k = split_point(n);
    hasher.node(
        &uniform_range_root(hasher, perfect, a, a + k),
        &uniform_range_root(hasher, perfect, a + k, b),
    )
}

fn perfect_hashes<H: MerkleHasher>(hasher: &H, leaf: Hash) -> Vec<Hash> {
    let mut out = vec![leaf];
    for _ in 1..64 {
        let last = *out.last().unwrap();
        out.push(hasher.node(&last, &last));
    }
    out
}

fn size_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        1..=64u64,
        1..=u64::MAX,
        (0..64u32).prop_map(|s| 1u64 << s),
        (1..64u32).prop_map(|s| (1u64 << s) - 1),
        (0..64u32).prop_map(|s| (1u64 << s) + 1),
        Just(u64::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_resist_bit_flips(
        size in 1usize..=700,
        index in any::<Index>(),
        seed in any::<u64>(),
    ) {
        let index = index.index(size) as u64;
        check_inclusion(&Sha256Hasher, &leaves(&Sha256Hasher, seed, size), index);
        check_inclusion(&Blake3Hasher, &leaves(&Blake3Hasher, seed, size), index);
    }

    #[test]
    fn consistency_proofs_verify_and_resist_bit_flips(
        size2 in 1usize..=700,
        size1 in any::<Index>(),
        seed in any::<u64>(),
    ) {
        let size1 = size1.index(size2) as u64 + 1;
        check_consistency(&Sha256Hasher, &leaves(&Sha256Hasher, seed, size2), size1);
        check_consistency(&Blake3Hasher, &leaves(&Blake3Hasher, seed, size2), size1);
    }

    #[test]
    fn frontier_root_is_the_root(size in 0usize..=300, seed in any::<u64>()) {
        let all = leaves(&Blake3Hasher, seed, size);
        let mut frontier = Frontier::empty();
        let mut completed = 0u64;
        for leaf in &all {
            frontier.push(&Blake3Hasher, *leaf, |level, index, hash| {
                let width = 1usize << level;
                let start = index as usize * width;
                assert_eq!(*hash, root(&Blake3Hasher, &all[start..start + width]));
                completed += 1;
            });
        }
        prop_assert_eq!(frontier.root(&Blake3Hasher), root(&Blake3Hasher, &all));
        let size = size as u64;
        prop_assert_eq!(completed, (2 * size).saturating_sub(u64::from(size.count_ones())));
    }

    #[test]
    fn subtrees_push_like_their_leaves(size in 0usize..=400, level in 0u8..=7, seed in any::<u64>()) {
        // Whole aligned subtrees pushed at once, the rest leaf by leaf, as
        // verification does with full chunks: same root, same nodes above.
        let all = leaves(&Blake3Hasher, seed, size);
        let width = 1usize << level;
        let (mut by_leaf, mut by_subtree) = (Frontier::empty(), Frontier::empty());
        let (mut seen, mut expected) = (Vec::new(), Vec::new());
        for leaf in &all {
            by_leaf.push(&Blake3Hasher, *leaf, |l, i, h| {
                if l >= level {
                    expected.push((l, i, *h));
                }
            });
        }
        let mut record = |l: u8, i: u64, h: &[u8; 32]| seen.push((l, i, *h));
        for part in all.chunks(width) {
            if part.len() == width {
                let pushed = by_subtree.push_subtree(&Blake3Hasher, level, root(&Blake3Hasher, part), &mut record);
                prop_assert!(pushed);
            } else {
                for leaf in part {
                    by_subtree.push(&Blake3Hasher, *leaf, |l, i, h| if l >= level { record(l, i, h) });
                }
            }
        }
        prop_assert_eq!(by_subtree.root(&Blake3Hasher), by_leaf.root(&Blake3Hasher));
        prop_assert_eq!(by_subtree.size(), size as u64);
        prop_assert_eq!(seen, expected);
        if size % width != 0 && level > 0 {
            let misaligned = by_subtree.push_subtree(&Blake3Hasher, level, [0; 32], |_, _, _| ());
            prop_assert!(!misaligned);
        }
    }

    #[test]
    fn proofs_in_huge_trees_verify(
        size2 in size_strategy(),
        at in any::<Index>(),
        flip in any::<Index>(),
    ) {
        let hasher = Blake3Hasher;
        let perfect = perfect_hashes(&hasher, hasher.leaf(b"same"));
        let mth = |a, b| -> Result<Hash, ()> { Ok(uniform_range_root(&hasher, &perfect, a, b)) };
        let r2 = mth(0, size2).unwrap();
        // `at` as an index below size2 (Index only spans usize).
        let index = ((at.index(usize::MAX) as u128 * u128::from(size2)) / usize::MAX as u128) as u64;
        let index = index.min(size2 - 1);
        let proof = inclusion_path(index, size2, mth).unwrap();
        prop_assert!(proof.len() <= 64);
        prop_assert_eq!(
            verify_inclusion(&hasher, index, size2, &perfect[0], &proof, &r2),
            Ok(())
        );
        let size1 = index + 1;
        let r1 = mth(0, size1).unwrap();
        let proof = consistency_path(size1, size2, mth).unwrap();
        prop_assert!(proof.len() <= 128);
        prop_assert_eq!(verify_consistency(&hasher, size1, size2, &r1, &r2, &proof), Ok(()));
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let bit = flip.index(bad.len() * 256);
            bad[bit / 256][(bit % 256) / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(&hasher, size1, size2, &r1, &r2, &bad).is_err());
        }
    }

    #[test]
    fn arbitrary_inputs_never_panic(
        a in prop_oneof![any::<u64>(), 0..70u64, Just(u64::MAX)],
        b in prop_oneof![any::<u64>(), 0..70u64, Just(u64::MAX)],
        proof in proptest::collection::vec(
            prop_oneof![
                4 => proptest::collection::vec(any::<u8>(), 32),
                1 => proptest::collection::vec(any::<u8>(), 0..40),
            ],
            0..70,
        ),
        x in proptest::collection::vec(any::<u8>(), 0..40),
        y in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        for hasher in [&Sha256Hasher as &dyn MerkleHasher, &Blake3Hasher] {
            let _ = verify_inclusion(hasher, a, b, &x, &proof, &y);
            let _ = verify_consistency(hasher, a, b, &x, &y, &proof);
        }
    }
}

#[test]
fn requests_without_a_proof_are_errors() {
    let all = leaves(&Sha256Hasher, 1, 5);
    assert_eq!(
        inclusion_proof(&Sha256Hasher, &all, 5),
        Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        inclusion_proof(&Sha256Hasher, &[], 0),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        consistency_proof(&Sha256Hasher, &all, 0),
        Err(ProofError::EmptyFirstTree)
    );
    assert_eq!(
        consistency_proof(&Sha256Hasher, &all, 6),
        Err(ProofError::SizesReversed { size1: 6, size2: 5 })
    );
    assert_eq!(consistency_proof(&Sha256Hasher, &all, 5), Ok(vec![]));
    // Errors name what failed.
    let r = root(&Sha256Hasher, &all);
    let proof = inclusion_proof(&Sha256Hasher, &all, 2).unwrap();
    assert_eq!(
        verify_inclusion(&Sha256Hasher, 2, 5, &all[2], &proof[..1], &r),
        Err(ProofError::WrongLength {
            expected: proof.len(),
            actual: 1
        })
    );
    assert_eq!(
        verify_inclusion(&Sha256Hasher, 2, 5, &all[2][..31], &proof, &r),
        Err(ProofError::BadLeafHash { len: 31 })
    );
    let short: Vec<&[u8]> = vec![&proof[0], &proof[1][..3], &proof[2]];
    assert_eq!(
        verify_inclusion(&Sha256Hasher, 2, 5, &all[2], &short, &r),
        Err(ProofError::BadProofHash {
            position: 1,
            len: 3
        })
    );
    assert_eq!(
        verify_inclusion(&Sha256Hasher, 2, 5, &all[2], &proof, &r[..5]),
        Err(ProofError::BadRootLength {
            root: "root",
            len: 5
        })
    );
    let e = verify_inclusion(&Sha256Hasher, 2, 5, &all[3], &proof, &r).unwrap_err();
    assert!(matches!(e, ProofError::RootMismatch { .. }), "{e}");
    assert!(e.to_string().contains("lead to root"), "{e}");
    let r3 = root(&Sha256Hasher, &all[..3]);
    let c = consistency_proof(&Sha256Hasher, &all, 3).unwrap();
    let e = verify_consistency(&Sha256Hasher, 3, 5, &r, &r, &c).unwrap_err();
    assert!(matches!(e, ProofError::FirstRootMismatch { .. }), "{e}");
    let e = verify_consistency(&Sha256Hasher, 3, 5, &r3, &r3, &c).unwrap_err();
    assert!(matches!(e, ProofError::SecondRootMismatch { .. }), "{e}");
    assert_eq!(
        verify_consistency(&Sha256Hasher, 5, 5, &r, &r3, &[] as &[Hash]),
        Err(ProofError::RootsDiffer)
    );
}

#[test]
fn empty_roots_and_mode_separation() {
    // BLAKE3 of the empty string, as documented.
    assert_eq!(
        crate::hex(&Blake3Hasher.empty_root()),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
    assert_eq!(root(&Blake3Hasher, &[]), Blake3Hasher.empty_root());
    // The prefixes separate leaves from nodes.
    let x = [7u8; 32];
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(&x);
    both[32..].copy_from_slice(&x);
    assert_ne!(Blake3Hasher.leaf(&both), Blake3Hasher.node(&x, &x));
    assert_eq!(
        Blake3Hasher.leaf(&x),
        *blake3::hash(&[&[0u8][..], &x[..]].concat()).as_bytes()
    );
    assert_eq!(
        Blake3Hasher.node(&x, &x),
        *blake3::hash(&[&[1u8][..], &both[..]].concat()).as_bytes()
    );
}
