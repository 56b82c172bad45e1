//! The stored Merkle tree: nodes written with the entries, roots and
//! proofs read back in O(log n), the upgrade of logs written before nodes
//! were stored, and the check of the nodes during verification.
//!
//! # Stored nodes
//!
//! The tree is the RFC 9162 tree in BLAKE3 mode ([`Blake3Hasher`]) over the
//! entry hashes: leaf `s` = `BLAKE3(0x00 ‖ entry_hash(s))`. Its *perfect
//! subtree* `(level, index)` covers the `2^level` entries `index·2^level ..
//! (index+1)·2^level`; level 0 holds the leaves. Each perfect subtree is
//! stored once it is complete, under the key `"N"` ‖ level (u8) ‖ index
//! (u64 BE), value its 32-byte hash, in the same sled batch as the entry
//! that completes it. Appending entry `s` completes the subtrees
//! `(l, (s+1)/2^l − 1)` for `l` = 0 … the number of trailing zero bits of
//! `s + 1`: one key per entry plus one per completed interior node, 2n − 1
//! keys in all for n entries (2n − popcount(n) exactly).
//!
//! A tree of size `n` is the perfect subtrees of `n`'s binary
//! decomposition (the *frontier*: one per set bit, largest first), folded
//! from the right with the node hash. The RFC 9162 tree of any size `m ≤ n`
//! is made of stored nodes the same way, and so is every subtree an
//! inclusion or consistency proof needs: a range `a..b` of the RFC's
//! recursion is either a perfect, aligned subtree (one read) or splits at
//! the largest power of two below `b − a` into two such ranges. A proof
//! reads at most about 2·log2(n) nodes.
//!
//! # Upgrade
//!
//! Logs written before nodes were stored have none (the layout version did
//! not change: the `"N"` prefix was reserved). [`Log::open`] checks for the
//! leaf node of the last entry and, if it is absent, rebuilds every node
//! from the entries in one batch — but only if the entries chain correctly
//! up to the head record; a damaged log is left as it is for
//! [`Log::verify`] to report.

use std::ops::Bound;

use crate::chunk::frames;
use crate::entry::{Appended, Head, entry_hash};
use crate::error::{AppendError, ReadError, show_key};
use crate::layout::{
    CHUNK_PREFIX, NODE_PREFIX, chunk_of, node_key, parse_chunk_key, parse_node_key,
};
use crate::merkle::{
    Blake3Hasher, Frontier, MerkleHasher, check_consistency_sizes, consistency_path, decomposition,
    inclusion_path, split_point,
};
use crate::store::Log;
use crate::verify::Damage;
use crate::{Hash, ProofError, ZERO_HASH};

#[cfg(test)]
thread_local! {
    /// Number of node reads by this thread, for tests of the read cost.
    pub(crate) static NODE_READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The leaf hash of an entry hash, in docket's (BLAKE3) mode.
fn leaf(entry_hash: &Hash) -> Hash {
    Blake3Hasher.leaf(entry_hash)
}

impl Log {
    fn read_storage(&self, source: sled::Error) -> ReadError {
        ReadError::Storage {
            path: self.path().to_path_buf(),
            source,
        }
    }

    fn bad_node(&self, level: u8, index: u64, problem: String) -> ReadError {
        ReadError::BadNode {
            path: self.path().to_path_buf(),
            level,
            index,
            problem,
        }
    }

    /// Reads the stored perfect subtree `(level, index)`.
    fn stored_node(&self, level: u8, index: u64) -> Result<Hash, ReadError> {
        #[cfg(test)]
        NODE_READS.with(|n| n.set(n.get() + 1));
        let value = self
            .db()
            .get(node_key(level, index))
            .map_err(|e| self.read_storage(e))?
            .ok_or_else(|| self.bad_node(level, index, "missing".to_owned()))?;
        Hash::try_from(&value[..]).map_err(|_| {
            self.bad_node(
                level,
                index,
                format!("malformed ({} bytes instead of 32)", value.len()),
            )
        })
    }

    /// The Merkle Tree Hash of entries `a..b` from stored nodes.
    fn range_root(&self, a: u64, b: u64) -> Result<Hash, ReadError> {
        let n = b.saturating_sub(a);
        if n == 0 {
            return Ok(Blake3Hasher.empty_root());
        }
        if n.is_power_of_two() && a & (n - 1) == 0 {
            let level = n.trailing_zeros() as u8;
            return self.stored_node(level, a >> level);
        }
        let k = split_point(n);
        let left = self.range_root(a, a + k)?;
        let right = self.range_root(a + k, b)?;
        Ok(Blake3Hasher.node(&left, &right))
    }

    fn within_head(&self, size: u64) -> Result<(), ReadError> {
        let head = self.head().size;
        if size > head {
            return Err(ReadError::BeyondHead {
                path: self.path().to_path_buf(),
                size,
                head,
            });
        }
        Ok(())
    }

    fn no_proof(&self, source: ProofError) -> ReadError {
        ReadError::NoProof {
            path: self.path().to_path_buf(),
            source,
        }
    }

    /// The Merkle root (BLAKE3 mode) of the first `size` entries, for any
    /// `size` up to the head's, from the stored nodes of `size`'s binary
    /// decomposition (one read per set bit of `size`). The root of size 0 is
    /// BLAKE3 of the empty string.
    ///
    /// Fails with [`ReadError::BeyondHead`] if `size` exceeds the log and
    /// [`ReadError::BadNode`] if a node that must be stored is not.
    pub fn merkle_root(&self, size: u64) -> Result<Hash, ReadError> {
        self.within_head(size)?;
        self.range_root(0, size)
    }

    /// The inclusion proof of entry `seq` in the tree of the first `size`
    /// entries (RFC 9162 §2.1.3.1; bottom-up, as
    /// [`crate::merkle::verify_inclusion`] expects with
    /// [`Blake3Hasher`], the leaf hash `Blake3Hasher.leaf(&entry_hash)` and
    /// [`Log::merkle_root`]`(size)`). O(log size) reads.
    ///
    /// Fails with [`ReadError::BeyondHead`] if `size` exceeds the log and
    /// [`ReadError::NoProof`] if `seq` is not below `size`.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash>, ReadError> {
        self.within_head(size)?;
        if seq >= size {
            return Err(self.no_proof(ProofError::IndexOutOfRange { index: seq, size }));
        }
        inclusion_path(seq, size, |a, b| self.range_root(a, b))
    }

    /// The consistency proof from the tree of the first `size1` entries to
    /// the tree of the first `size2` (RFC 9162 §2.1.4.1, as
    /// [`crate::merkle::verify_consistency`] expects with
    /// [`Blake3Hasher`]); empty when the sizes are equal. O(log size2)
    /// reads.
    ///
    /// Fails with [`ReadError::BeyondHead`] if `size2` exceeds the log and
    /// [`ReadError::NoProof`] if `size1` is 0 or larger than `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, ReadError> {
        check_consistency_sizes(size1, size2).map_err(|e| self.no_proof(e))?;
        self.within_head(size2)?;
        consistency_path(size1, size2, |a, b| self.range_root(a, b))
    }

    /// Adds to `batch` the nodes that `appended` (the entries of one
    /// append, continuing a log of `size` entries) complete. Reads the
    /// frontier of `size`: popcount(size) nodes.
    pub(crate) fn stage_nodes(
        &self,
        size: u64,
        appended: &[Appended],
        batch: &mut sled::Batch,
    ) -> Result<(), AppendError> {
        let mut hashes = Vec::with_capacity(size.count_ones() as usize);
        for (level, index) in decomposition(size) {
            let hash = self.stored_node(level, index).map_err(|e| match e {
                ReadError::Storage { path, source } => AppendError::Storage {
                    path,
                    first_seq: size,
                    source,
                },
                ReadError::BadNode { problem, .. } => AppendError::Damaged {
                    path: self.path().to_path_buf(),
                    seq: size,
                    reason: format!("the Merkle node at level {level}, index {index} is {problem}"),
                },
                other => AppendError::Damaged {
                    path: self.path().to_path_buf(),
                    seq: size,
                    reason: other.to_string(),
                },
            })?;
            hashes.push(hash);
        }
        let Some(mut frontier) = Frontier::from_parts(size, hashes) else {
            return Err(AppendError::Damaged {
                path: self.path().to_path_buf(),
                seq: size,
                reason: "the Merkle frontier is incomplete".to_owned(),
            });
        };
        for a in appended {
            frontier.push(&Blake3Hasher, leaf(&a.hash), |level, index, hash| {
                batch.insert(&node_key(level, index)[..], &hash[..]);
            });
        }
        Ok(())
    }
}

/// The upgrade path (see the module documentation): if the log has entries
/// but no leaf node for the last one, rebuilds all nodes from the entries
/// in one batch and flushes. Does nothing unless the entries chain
/// correctly to exactly the head record. Returns whether it rebuilt.
pub(crate) fn rebuild_if_missing(db: &sled::Db, head: &Head) -> Result<bool, sled::Error> {
    if head.size == 0 || db.get(node_key(0, head.size - 1))?.is_some() {
        return Ok(false);
    }
    let mut batch = sled::Batch::default();
    let mut frontier = Frontier::empty();
    let mut prev = ZERO_HASH;
    for item in db.scan_prefix([CHUNK_PREFIX]) {
        let (key, value) = item?;
        if parse_chunk_key(&key) != Some(chunk_of(frontier.size())) {
            return Ok(false);
        }
        for frame in frames(&value) {
            let Ok(frame) = frame else {
                return Ok(false);
            };
            let seq = frontier.size();
            if seq == head.size || frame.header.seq != seq || frame.header.prev_hash != prev {
                return Ok(false);
            }
            prev = entry_hash(frame.bytes(&value));
            frontier.push(&Blake3Hasher, leaf(&prev), |level, index, hash| {
                batch.insert(&node_key(level, index)[..], &hash[..]);
            });
        }
    }
    if frontier.size() != head.size || prev != head.hash {
        return Ok(false);
    }
    db.apply_batch(batch)?;
    db.flush()?;
    Ok(true)
}

/// Checks the stored nodes against the entries as verification hashes
/// them: every node is recomputed once from the leaves (O(n) hashing in
/// all) and compared with the stored value, which is read by walking each
/// level's keys in order (no random reads).
pub(crate) struct NodeCheck<'a> {
    db: &'a sled::Db,
    frontier: Frontier,
    /// One cursor per level, opened when the first node of that level
    /// completes.
    levels: Vec<sled::Iter>,
    problem: Option<Damage>,
}

fn node_damage(level: u8, index: u64, reason: impl Into<String>) -> Option<Damage> {
    Some(Damage::MerkleNode {
        level,
        index,
        reason: reason.into(),
    })
}

/// The damage for a node record that should not exist.
fn stray(key: &[u8]) -> Damage {
    match parse_node_key(key) {
        Some((level, index)) => Damage::MerkleNode {
            level,
            index,
            reason: "is stored although the ledger has no such entries".to_owned(),
        },
        None => Damage::MerkleNode {
            level: key.get(1).copied().unwrap_or(0),
            index: 0,
            reason: format!("has a malformed key \"{}\"", show_key(key)),
        },
    }
}

impl<'a> NodeCheck<'a> {
    pub fn new(db: &'a sled::Db) -> NodeCheck<'a> {
        NodeCheck {
            db,
            frontier: Frontier::empty(),
            levels: Vec::new(),
            problem: None,
        }
    }

    /// Takes the next entry's hash; checks the nodes it completes. After
    /// the first problem, does nothing.
    pub fn push(&mut self, entry_hash: &Hash) {
        if self.problem.is_some() {
            return;
        }
        let NodeCheck {
            db,
            frontier,
            levels,
            problem,
        } = self;
        frontier.push(&Blake3Hasher, leaf(entry_hash), |level, index, hash| {
            if problem.is_none() {
                *problem = check_node(db, levels, level, index, hash);
            }
        });
    }

    /// The first problem found, or else the first node stored beyond the
    /// entries pushed.
    pub fn finish(mut self) -> Option<Damage> {
        if let Some(problem) = self.problem.take() {
            return Some(problem);
        }
        for cursor in &mut self.levels {
            match cursor.next() {
                None => {}
                Some(Ok((key, _))) => return Some(stray(&key)),
                Some(Err(e)) => return node_damage(0, 0, format!("cannot be read: {e}")),
            }
        }
        // Malformed keys in the gaps around each level's range of valid
        // keys, then the keys of levels no node of which is complete.
        let top = u8::try_from(self.levels.len()).unwrap_or(u8::MAX);
        for level in 0..top {
            let from = if level == 0 {
                vec![NODE_PREFIX]
            } else {
                vec![NODE_PREFIX, level]
            };
            let before = (
                Bound::Included(from),
                Bound::Excluded(node_key(level, 0).to_vec()),
            );
            let after = (
                Bound::Excluded(node_key(level, u64::MAX).to_vec()),
                Bound::Excluded(vec![NODE_PREFIX, level + 1]),
            );
            for gap in [before, after] {
                if let Some(found) = self.first_in(gap) {
                    return Some(found);
                }
            }
        }
        let start = if top == 0 {
            vec![NODE_PREFIX]
        } else {
            vec![NODE_PREFIX, top]
        };
        self.first_in((
            Bound::Included(start),
            Bound::Excluded(vec![NODE_PREFIX + 1]),
        ))
    }

    /// The damage for the first key in `range`, if any.
    fn first_in(&self, range: (Bound<Vec<u8>>, Bound<Vec<u8>>)) -> Option<Damage> {
        match self.db.range::<Vec<u8>, _>(range).next() {
            None => None,
            Some(Ok((key, _))) => Some(stray(&key)),
            Some(Err(e)) => node_damage(0, 0, format!("cannot be read: {e}")),
        }
    }
}

/// Compares the recomputed node `(level, index)` with the next stored key
/// of its level.
fn check_node(
    db: &sled::Db,
    levels: &mut Vec<sled::Iter>,
    level: u8,
    index: u64,
    hash: &Hash,
) -> Option<Damage> {
    while levels.len() <= usize::from(level) {
        let l = u8::try_from(levels.len()).unwrap_or(u8::MAX);
        levels.push(db.range(node_key(l, 0)..=node_key(l, u64::MAX)));
    }
    let cursor = levels.get_mut(usize::from(level))?;
    match cursor.next() {
        None => node_damage(level, index, "is missing"),
        Some(Err(e)) => node_damage(level, index, format!("cannot be read: {e}")),
        Some(Ok((key, value))) => match parse_node_key(&key) {
            Some((l, i)) if l == level && i == index => {
                if value.len() != 32 {
                    node_damage(
                        level,
                        index,
                        format!("is malformed ({} bytes instead of 32)", value.len()),
                    )
                } else if value[..] != hash[..] {
                    node_damage(level, index, "does not match the entries")
                } else {
                    None
                }
            }
            Some((l, i)) if l == level && i > index => node_damage(level, index, "is missing"),
            _ => node_damage(
                level,
                index,
                format!("is preceded by an unexpected record \"{}\"", show_key(&key)),
            ),
        },
    }
}
