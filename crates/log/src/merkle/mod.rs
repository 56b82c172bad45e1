//! A Merkle tree over entry hashes with the structure of RFC 9162 (which
//! keeps RFC 6962's tree), generic over the hash function.
//!
//! For `n` leaf hashes `L[0..n]` the Merkle Tree Hash is
//!
//! * `MTH([])` = [`MerkleHasher::empty_root`];
//! * `MTH([l])` = `l` (a leaf hash is already `H(0x00 ‖ data)`);
//! * `MTH(L[0..n])` = `H(0x01 ‖ MTH(L[0..k]) ‖ MTH(L[k..n]))` for `n > 1`,
//!   where `k` is the largest power of two smaller than `n`.
//!
//! Two modes implement [`MerkleHasher`]:
//!
//! * [`Sha256Hasher`]: RFC 6962 / RFC 9162 exactly (SHA-256, empty root =
//!   SHA-256 of the empty string). It exists to check this code against the
//!   published test vectors.
//! * [`Blake3Hasher`]: what docket stores and proves. The same prefixes
//!   (`0x00` for leaves, `0x01` for interior nodes) with plain (unkeyed)
//!   BLAKE3; the empty root is BLAKE3 of the empty string. A docket leaf is
//!   `BLAKE3(0x00 ‖ entry_hash)`.
//!
//! The free functions here work on a slice of leaf hashes held in memory:
//! [`root`], [`inclusion_proof`], [`consistency_proof`], and the two
//! verifiers [`verify_inclusion`] and [`verify_consistency`], which follow
//! the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 step by step. A stored
//! log answers the same questions from its stored nodes (levels ≥ 6) and
//! at most two chunks in O(log n) reads:
//! [`crate::Log::merkle_root`], [`crate::Log::inclusion_proof`],
//! [`crate::Log::consistency_proof`]. Nothing here panics, whatever the
//! input.

mod verify;

use sha2::Digest;

pub use verify::{ProofError, verify_consistency, verify_inclusion};

use crate::Hash;

/// The hash function of a Merkle tree, with RFC 6962's domain separation.
pub trait MerkleHasher {
    /// The hash of a leaf: `H(0x00 ‖ data)`. In docket `data` is the 32-byte
    /// entry hash; the RFC 6962 vectors use inputs of any length.
    fn leaf(&self, data: &[u8]) -> Hash;
    /// The hash of an interior node: `H(0x01 ‖ left ‖ right)`.
    fn node(&self, left: &Hash, right: &Hash) -> Hash;
    /// The root of the tree with no leaves: `H()` of the empty string.
    fn empty_root(&self) -> Hash;
}

/// RFC 6962 / RFC 9162 hashing with SHA-256: leaf = `SHA-256(0x00 ‖ d)`,
/// node = `SHA-256(0x01 ‖ l ‖ r)`, empty root = `SHA-256("")`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sha256Hasher;

impl MerkleHasher for Sha256Hasher {
    fn leaf(&self, data: &[u8]) -> Hash {
        sha2::Sha256::new()
            .chain_update([0x00])
            .chain_update(data)
            .finalize()
            .into()
    }

    fn node(&self, left: &Hash, right: &Hash) -> Hash {
        sha2::Sha256::new()
            .chain_update([0x01])
            .chain_update(left)
            .chain_update(right)
            .finalize()
            .into()
    }

    fn empty_root(&self) -> Hash {
        sha2::Sha256::digest([]).into()
    }
}

/// docket's Merkle hashing: plain BLAKE3 (no key, no `derive_key`
/// context) with RFC 6962's prefixes. Leaf = `BLAKE3(0x00 ‖ d)`, node =
/// `BLAKE3(0x01 ‖ l ‖ r)`, empty root = `BLAKE3("")`
/// (`af1349b9…3262`). The entry hash that goes into a leaf is already
/// domain-separated by its `derive_key` context, and the prefixes keep
/// leaves and nodes apart, as in RFC 6962.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blake3Hasher;

impl MerkleHasher for Blake3Hasher {
    fn leaf(&self, data: &[u8]) -> Hash {
        // The common case, an entry hash, is hashed from one stack buffer:
        // `blake3::hash` is much cheaper than a `Hasher` for short inputs.
        if let Ok(digest) = <&Hash>::try_from(data) {
            let mut buf = [0u8; 33];
            buf[1..].copy_from_slice(digest);
            return *blake3::hash(&buf).as_bytes();
        }
        let mut h = blake3::Hasher::new();
        h.update(&[0x00]);
        h.update(data);
        *h.finalize().as_bytes()
    }

    fn node(&self, left: &Hash, right: &Hash) -> Hash {
        let mut buf = [0u8; 65];
        buf[0] = 0x01;
        buf[1..33].copy_from_slice(left);
        buf[33..].copy_from_slice(right);
        *blake3::hash(&buf).as_bytes()
    }

    fn empty_root(&self) -> Hash {
        *blake3::hash(&[]).as_bytes()
    }
}

/// The largest power of two strictly below `n`; `n` must be at least 2
/// (for smaller `n` the result is 1, which callers never use).
pub(crate) fn split_point(n: u64) -> u64 {
    1 << (63 - n.saturating_sub(1).max(1).leading_zeros())
}

/// The Merkle Tree Hash of a slice of leaf hashes, by the definition.
fn slice_root<H: MerkleHasher + ?Sized>(hasher: &H, leaves: &[Hash]) -> Hash {
    match leaves {
        [] => hasher.empty_root(),
        [one] => *one,
        _ => {
            let k = split_point(leaves.len() as u64) as usize;
            let (left, right) = leaves.split_at(k.min(leaves.len()));
            hasher.node(&slice_root(hasher, left), &slice_root(hasher, right))
        }
    }
}

/// The root (Merkle Tree Hash) of the tree whose leaves have the given
/// leaf hashes (each already `hasher.leaf(data)`). The empty tree's root is
/// [`MerkleHasher::empty_root`].
pub fn root<H: MerkleHasher + ?Sized>(hasher: &H, leaf_hashes: &[Hash]) -> Hash {
    slice_root(hasher, leaf_hashes)
}

/// RFC 9162 §2.1.3.1: the inclusion proof (audit path) of leaf `index` in
/// the tree of `size` leaves, from the leaf's sibling up to the root's
/// child. `range_root(a, b)` must return the Merkle Tree Hash of leaves
/// `a..b`; it is only asked for ranges of the RFC's recursion. Requires
/// `index < size`.
pub(crate) fn inclusion_path<E>(
    index: u64,
    size: u64,
    mut range_root: impl FnMut(u64, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    let mut out = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0, size);
    // Top-down: the RFC's PATH puts the deeper part first, so reverse.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            out.push(range_root(lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_root(lo, lo + k)?);
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// RFC 9162 §2.1.4.1: the consistency proof between the trees of `size1`
/// and `size2` leaves (`SUBPROOF(size1, D[0:size2], true)`). Requires
/// `0 < size1 <= size2`; see [`inclusion_path`] for `range_root`.
pub(crate) fn consistency_path<E>(
    size1: u64,
    size2: u64,
    mut range_root: impl FnMut(u64, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    let mut out = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0, size2);
    let mut m = size1;
    // Whether the subtree being descended into is the old tree's left edge
    // (the RFC's `b`): its root is then known to the verifier.
    let mut edge = true;
    loop {
        let n = hi - lo;
        if m >= n {
            if !edge {
                out.push(range_root(lo, hi)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            out.push(range_root(lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_root(lo, lo + k)?);
            lo += k;
            m -= k;
            edge = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// The inclusion proof of leaf `leaf_index` in the tree of all
/// `leaf_hashes`: the hashes to combine with the leaf hash, bottom-up, as
/// [`verify_inclusion`] expects.
///
/// Fails with [`ProofError::IndexOutOfRange`] if `leaf_index` is not below
/// the number of leaves.
pub fn inclusion_proof<H: MerkleHasher + ?Sized>(
    hasher: &H,
    leaf_hashes: &[Hash],
    leaf_index: u64,
) -> Result<Vec<Hash>, ProofError> {
    let size = leaf_hashes.len() as u64;
    if leaf_index >= size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            size,
        });
    }
    inclusion_path(leaf_index, size, |a, b| {
        Ok(slice_range_root(hasher, leaf_hashes, a, b))
    })
}

/// The consistency proof that the tree of the first `size1` leaf hashes is
/// a prefix of the tree of all `leaf_hashes`, as [`verify_consistency`]
/// expects. Equal sizes give the empty proof.
///
/// Fails with [`ProofError::EmptyFirstTree`] if `size1` is 0 (the
/// verifier rejects any proof from the empty tree) and
/// [`ProofError::SizesReversed`] if `size1` exceeds the number of leaves.
pub fn consistency_proof<H: MerkleHasher + ?Sized>(
    hasher: &H,
    leaf_hashes: &[Hash],
    size1: u64,
) -> Result<Vec<Hash>, ProofError> {
    let size2 = leaf_hashes.len() as u64;
    check_consistency_sizes(size1, size2)?;
    consistency_path(size1, size2, |a, b| {
        Ok(slice_range_root(hasher, leaf_hashes, a, b))
    })
}

/// The sizes a consistency proof can exist for: `0 < size1 <= size2`.
pub(crate) fn check_consistency_sizes(size1: u64, size2: u64) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    Ok(())
}

fn slice_range_root<H: MerkleHasher + ?Sized>(hasher: &H, leaves: &[Hash], a: u64, b: u64) -> Hash {
    // The proof builders only ask for ranges within the tree, which the
    // callers checked against the slice.
    let range = usize::try_from(a).unwrap_or(usize::MAX)..usize::try_from(b).unwrap_or(usize::MAX);
    slice_root(hasher, leaves.get(range).unwrap_or(&[]))
}

/// The perfect subtrees that make up the tree of `size` leaves, left to
/// right: one `(level, index)` per set bit of `size`, from the highest. The
/// subtree `(level, index)` covers leaves `index·2^level ..
/// (index+1)·2^level`.
pub(crate) fn decomposition(size: u64) -> impl Iterator<Item = (u8, u64)> {
    let mut start = 0u64;
    (0..64u8).rev().filter_map(move |level| {
        let width = 1u64 << level;
        if size & width == 0 {
            return None;
        }
        let node = (level, start >> level);
        start += width;
        Some(node)
    })
}

/// The hashes of the perfect subtrees of the decomposition of a tree (its
/// "frontier"), kept up to date as leaves are appended. Appending leaf `s`
/// completes the subtrees `(l, (s+1)/2^l − 1)` for `l` = 0 … number of
/// trailing zero bits of `s + 1`.
#[derive(Debug, Clone)]
pub(crate) struct Frontier {
    size: u64,
    /// Hashes of `decomposition(size)`, in the same order.
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Frontier {
        Frontier {
            size: 0,
            hashes: Vec::new(),
        }
    }

    /// The frontier of a tree of `size` leaves, given the hashes of
    /// `decomposition(size)` in order; `None` if there are not exactly as
    /// many as set bits in `size`.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Option<Frontier> {
        (hashes.len() == size.count_ones() as usize).then_some(Frontier { size, hashes })
    }

    /// Number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash and reports, bottom-up, every perfect subtree it
    /// completes as `(level, index, hash)` (the leaf itself first, at level
    /// 0).
    pub fn push<H: MerkleHasher + ?Sized>(
        &mut self,
        hasher: &H,
        leaf: Hash,
        completed: impl FnMut(u8, u64, &Hash),
    ) {
        self.push_subtree(hasher, 0, leaf, completed);
    }

    /// Appends the `2^level` leaves under a perfect subtree at once, given
    /// its hash, and reports it and every subtree it completes, as
    /// [`Frontier::push`] does for a leaf (the subtrees inside it are not
    /// reported). Verification hashes the subtree of each full chunk in a
    /// worker thread and pushes only its root here.
    ///
    /// The size must be a multiple of `2^level` (`level` < 64), or the
    /// subtree would not be a node of the tree; otherwise nothing is
    /// pushed and `false` is returned.
    pub fn push_subtree<H: MerkleHasher + ?Sized>(
        &mut self,
        hasher: &H,
        level: u8,
        hash: Hash,
        mut completed: impl FnMut(u8, u64, &Hash),
    ) -> bool {
        let Some(width) = 1u64.checked_shl(u32::from(level)) else {
            return false;
        };
        let Some(size) = self
            .size
            .checked_add(width)
            .filter(|_| self.size.is_multiple_of(width))
        else {
            return false;
        };
        let mut node = hash;
        let mut level = level;
        let mut index = self.size >> level;
        completed(level, index, &node);
        while index & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                break;
            };
            node = hasher.node(&left, &node);
            level += 1;
            index >>= 1;
            completed(level, index, &node);
        }
        self.hashes.push(node);
        self.size = size;
        true
    }

    /// The root of the tree so far.
    #[cfg(test)]
    pub fn root<H: MerkleHasher + ?Sized>(&self, hasher: &H) -> Hash {
        let mut nodes = self.hashes.iter().rev();
        let Some(last) = nodes.next() else {
            return hasher.empty_root();
        };
        nodes.fold(*last, |right, left| hasher.node(left, &right))
    }
}
