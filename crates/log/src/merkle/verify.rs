//! Verifying inclusion and consistency proofs: RFC 9162 §2.1.3.2 and
//! §2.1.4.2, with the inputs checked first so that every failure says what
//! is wrong.
//!
//! Roots, leaf hashes and proof hashes are taken as byte strings, as they
//! arrive from outside: a value that is not 32 bytes long is reported, never
//! a panic. (Two equal byte strings of any length are accepted as the roots
//! of two trees of the same size: that is all a proof between equal sizes
//! can show, and what the RFC 6962 test vectors expect.)

use thiserror::Error;

use super::MerkleHasher;
use crate::{Hash, hex};

/// Why a proof did not verify, or why no proof can exist for the sizes
/// asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index given.
        index: u64,
        /// The tree size given.
        size: u64,
    },
    /// A consistency proof from the empty tree was asked for or given;
    /// every tree extends the empty tree, so such a proof proves nothing and
    /// is refused.
    #[error("a consistency proof needs a first tree with at least one leaf")]
    EmptyFirstTree,
    /// The first tree of a consistency proof is larger than the second.
    #[error("the first tree size {size1} is larger than the second tree size {size2}")]
    SizesReversed {
        /// The first (older) tree size.
        size1: u64,
        /// The second (newer) tree size.
        size2: u64,
    },
    /// The proof does not have the number of hashes that the sizes (and
    /// index) determine.
    #[error("the proof has {actual} hashes, but these tree sizes need exactly {expected}")]
    WrongLength {
        /// The number of hashes the sizes call for.
        expected: usize,
        /// The number of hashes given.
        actual: usize,
    },
    /// A hash of the proof is not 32 bytes long.
    #[error("hash {position} of the proof is {len} bytes long instead of 32")]
    BadProofHash {
        /// Its position in the proof, from 0.
        position: usize,
        /// Its length.
        len: usize,
    },
    /// The leaf hash is not 32 bytes long.
    #[error("the leaf hash is {len} bytes long instead of 32")]
    BadLeafHash {
        /// Its length.
        len: usize,
    },
    /// A root that the proof must rebuild is not 32 bytes long (so no proof
    /// can lead to it).
    #[error("the {root} is {len} bytes long instead of 32")]
    BadRootLength {
        /// Which root: `"root"`, `"first root"` or `"second root"`.
        root: &'static str,
        /// Its length.
        len: usize,
    },
    /// Inclusion: the proof and the leaf hash lead to another root.
    #[error(
        "the leaf and the proof lead to root {}, not to the root given",
        hex(computed)
    )]
    RootMismatch {
        /// The root the proof leads to.
        computed: Hash,
    },
    /// Consistency: the proof does not rebuild the first root.
    #[error(
        "the proof rebuilds the first tree's root as {}, not as the root given",
        hex(computed)
    )]
    FirstRootMismatch {
        /// The first root the proof leads to.
        computed: Hash,
    },
    /// Consistency: the proof does not rebuild the second root.
    #[error(
        "the proof rebuilds the second tree's root as {}, not as the root given",
        hex(computed)
    )]
    SecondRootMismatch {
        /// The second root the proof leads to.
        computed: Hash,
    },
    /// Consistency between equal sizes: the two roots differ.
    #[error("the two trees have the same size but different roots")]
    RootsDiffer,
}

/// One step of the RFC 9162 verification loops: whether the proof hash at
/// this step is a left sibling (`true`) or a right sibling (`false`), and
/// the shifts of `f` and `s` that follow. `None` once `s` is 0 (the loop
/// must end there).
fn step(f: &mut u64, s: &mut u64) -> Option<bool> {
    if *s == 0 {
        return None;
    }
    let left = *f & 1 == 1 || *f == *s;
    if left && *f & 1 == 0 {
        // f == s and even: the right border of the tree; skip the levels
        // where the node has no right sibling.
        while *f & 1 == 0 && *f != 0 {
            *f >>= 1;
            *s >>= 1;
        }
    }
    *f >>= 1;
    *s >>= 1;
    Some(left)
}

/// The number of steps the verification loop takes from `(f, s)`.
fn steps(mut f: u64, mut s: u64) -> usize {
    let mut n = 0;
    while step(&mut f, &mut s).is_some() {
        n += 1;
    }
    n
}

/// Checks that a root is a 32-byte hash.
fn root_hash(bytes: &[u8], root: &'static str) -> Result<Hash, ProofError> {
    Hash::try_from(bytes).map_err(|_| ProofError::BadRootLength {
        root,
        len: bytes.len(),
    })
}

/// Checks that each proof element is a 32-byte hash.
fn hashes<P: AsRef<[u8]>>(proof: &[P]) -> Result<Vec<Hash>, ProofError> {
    proof
        .iter()
        .enumerate()
        .map(|(position, p)| {
            let bytes = p.as_ref();
            Hash::try_from(bytes).map_err(|_| ProofError::BadProofHash {
                position,
                len: bytes.len(),
            })
        })
        .collect()
}

/// Verifies that `leaf_hash` (already `hasher.leaf(data)`) is leaf
/// `leaf_index` of the tree of `tree_size` leaves whose root is `root`,
/// by the algorithm of RFC 9162 §2.1.3.2.
///
/// Checks, in this order: `leaf_index < tree_size`; the leaf hash is 32
/// bytes; the root is 32 bytes; the proof has exactly the number of hashes
/// the index and size call for (RFC 9162 fails the same proofs through its
/// `sn` checks); every proof hash is 32 bytes; the root rebuilt from the
/// leaf and the proof equals `root`.
pub fn verify_inclusion<H, P>(
    hasher: &H,
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError>
where
    H: MerkleHasher + ?Sized,
    P: AsRef<[u8]>,
{
    if leaf_index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let leaf = Hash::try_from(leaf_hash).map_err(|_| ProofError::BadLeafHash {
        len: leaf_hash.len(),
    })?;
    let root = root_hash(root, "root")?;
    // Step 2 of the RFC: fn = leaf_index, sn = tree_size − 1.
    let (mut f, mut s) = (leaf_index, tree_size - 1);
    let expected = steps(f, s);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    let mut r = leaf;
    for p in hashes(proof)? {
        let Some(left) = step(&mut f, &mut s) else {
            // sn reached 0 with hashes left (excluded by the length check).
            return Err(ProofError::WrongLength {
                expected,
                actual: proof.len(),
            });
        };
        r = if left {
            hasher.node(&p, &r)
        } else {
            hasher.node(&r, &p)
        };
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    if r != root {
        return Err(ProofError::RootMismatch { computed: r });
    }
    Ok(())
}

/// Verifies that the tree of `size1` leaves with root `root1` is a prefix
/// of the tree of `size2` leaves with root `root2`, by the algorithm of
/// RFC 9162 §2.1.4.2.
///
/// Checks, in this order: `size1 <= size2`; `size1 > 0` (a proof from the
/// empty tree proves nothing and is refused); for equal sizes, that the
/// proof is empty and the roots are equal bytes; otherwise that the proof
/// has exactly the number of hashes the sizes call for, both roots and
/// every proof hash are 32 bytes, and the proof rebuilds both `root1` and
/// `root2`.
pub fn verify_consistency<H, P>(
    hasher: &H,
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[P],
) -> Result<(), ProofError>
where
    H: MerkleHasher + ?Sized,
    P: AsRef<[u8]>,
{
    super::check_consistency_sizes(size1, size2)?;
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootsDiffer)
        };
    }
    // Steps 3 and 4: fn = size1 − 1, sn = size2 − 1, then drop the
    // trailing one bits of fn (levels where the old tree's edge is a left
    // child whose hash is part of the proof's first element).
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    // Step 2: when size1 is a power of two, the old root is itself a node
    // of the new tree and is used as the first element instead of being
    // sent.
    let seeded = size1.is_power_of_two();
    let expected = steps(f, s) + usize::from(!seeded);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    let root1 = root_hash(root1, "first root")?;
    let root2 = root_hash(root2, "second root")?;
    let mut path = hashes(proof)?;
    if seeded {
        path.insert(0, root1);
    }
    // Step 1 (an empty path fails) and step 5.
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    };
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        let Some(left) = step(&mut f, &mut s) else {
            return Err(ProofError::WrongLength {
                expected,
                actual: proof.len(),
            });
        };
        if left {
            fr = hasher.node(c, &fr);
            sr = hasher.node(c, &sr);
        } else {
            sr = hasher.node(&sr, c);
        }
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    if fr != root1 {
        return Err(ProofError::FirstRootMismatch { computed: fr });
    }
    if sr != root2 {
        return Err(ProofError::SecondRootMismatch { computed: sr });
    }
    Ok(())
}
