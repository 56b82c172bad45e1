//! The Merkle tree on disk: the nodes stored with the entries (levels 6
//! and up), the nodes computed from one chunk (levels 0 to 5), roots and
//! proofs in O(log n) reads and the upgrade of logs written by other
//! builds. The check of the stored nodes during verification is in
//! `node_check.rs`.
//!
//! # Stored nodes and computed nodes
//!
//! The tree is the RFC 9162 tree in BLAKE3 mode ([`Blake3Hasher`]) over the
//! entry hashes: leaf `s` = `BLAKE3(0x00 ‖ entry_hash(s))`. Its *perfect
//! subtree* `(level, index)` covers the `2^level` entries `index·2^level ..
//! (index+1)·2^level`; level 0 holds the leaves.
//!
//! Only the perfect subtrees of level ≥ [`MIN_STORED_LEVEL`] (6: 64 leaves
//! and up) are stored, once complete, under the key `"N"` ‖ level (u8) ‖
//! index (u64 BE), value its 32-byte hash, in the same sled batch as the
//! entry that completes it. They are exactly the chunk-aligned subtrees: a
//! level-6 node is the Merkle root of one full chunk. A log of `n` entries
//! holds `2c − popcount(c)` node records, `c = ⌊n / 64⌋` (about one per 32
//! entries), against `2n − popcount(n)` if every node were stored: sled
//! pays microseconds per key, and two small keys per entry cost most of
//! the append and verify throughput.
//!
//! A subtree of level < 6 lies inside one chunk, so it is computed from
//! that chunk: one sled read, at most 64 entry hashes and 63 node hashes
//! ([`Tree::chunk_leaves`], cached per request).
//!
//! # Roots and proofs
//!
//! A tree of size `n` is the perfect subtrees of `n`'s binary
//! decomposition, folded from the right with the node hash. Every range
//! `a..b` an RFC 9162 proof needs is a perfect aligned subtree, a range
//! inside one chunk, or splits at the largest power of two below `b − a`
//! into two such ranges ([`Tree::range_root`]). A root reads
//! `popcount(n >> 6)` nodes and at most one chunk; a proof reads at most
//! about `2·(log2(n) − 6)` nodes and at most two chunks.
//!
//! # Upgrade
//!
//! [`upgrade`] runs on every open. It deletes, in one batch, every stored
//! node of level < 6 (written by the build that stored all nodes) and, if
//! the log has a full chunk but the level-6 node of its last full chunk is
//! absent (a log written before nodes were stored), rebuilds the nodes of
//! level ≥ 6 from the entries in the same batch — but only if the entries
//! chain correctly up to the head record; a damaged log keeps its entries
//! and nodes as they are for [`Log::verify`] to report. The layout version
//! does not change: a reader computes what is not stored.

use crate::chunk::frames;
use crate::codec::ChunkEncoding;
use crate::counted::Counted;
use crate::entry::{Head, entry_hash, entry_hasher};
use crate::error::{AppendError, ReadError};
use crate::layout::{
    CHUNK_LEN, CHUNK_PREFIX, MIN_STORED_LEVEL, NODE_KEY_LEN, chunk_of, node_key, parse_chunk_key,
    parse_node_key, slot_of,
};
use crate::merkle::{
    Blake3Hasher, Frontier, MerkleHasher, check_consistency_sizes, consistency_path, decomposition,
    inclusion_path, root, split_point,
};
use crate::store::Log;
use crate::{Hash, ProofError, ZERO_HASH};

#[cfg(test)]
thread_local! {
    /// Number of node reads by this thread, for tests of the read cost.
    pub(crate) static NODE_READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Number of chunks read by this thread to compute nodes below level 6.
    pub(crate) static CHUNK_READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The leaf hash of an entry hash, in docket's (BLAKE3) mode.
pub(crate) fn leaf(entry_hash: &Hash) -> Hash {
    Blake3Hasher.leaf(entry_hash)
}

/// Whether node `(level, _)` is stored (rather than computed).
pub(crate) fn is_stored(level: u8) -> bool {
    level >= MIN_STORED_LEVEL
}

/// Entries `a..b` are a perfect, aligned subtree of a stored level: its
/// `(level, index)`.
fn stored_subtree(a: u64, b: u64) -> Option<(u8, u64)> {
    let n = b.checked_sub(a)?;
    if !n.is_power_of_two() || a & (n - 1) != 0 {
        return None;
    }
    let level = u8::try_from(n.trailing_zeros()).ok()?;
    is_stored(level).then_some((level, a >> level))
}

/// How many chunks' leaves a [`Tree`] keeps: a root needs one (the last
/// chunk of its size), a proof at most two (the chunk of the index or of
/// the old size, and the last chunk of the tree).
const CACHED_CHUNKS: usize = 2;

/// Computes Merkle Tree Hashes of ranges of the first `size` entries for
/// one request (a root or a proof): stored nodes for perfect subtrees of
/// level ≥ 6, the leaves of one chunk for ranges inside it. Each chunk is
/// read and hashed at most once per request.
struct Tree<'a> {
    log: &'a Log,
    /// The size of the tree asked about: no range goes beyond it, so no
    /// entry at or after it is read.
    size: u64,
    hasher: blake3::Hasher,
    /// Leaf hashes of the chunks read so far, most recent last.
    chunks: Vec<(u64, Vec<Hash>)>,
}

impl<'a> Tree<'a> {
    fn new(log: &'a Log, size: u64) -> Tree<'a> {
        Tree {
            log,
            size,
            hasher: entry_hasher(),
            chunks: Vec::with_capacity(CACHED_CHUNKS),
        }
    }

    /// The Merkle Tree Hash of entries `a..b` (`a <= b <= self.size`).
    fn range_root(&mut self, a: u64, b: u64) -> Result<Hash, ReadError> {
        let n = b.saturating_sub(a);
        if n == 0 {
            return Ok(Blake3Hasher.empty_root());
        }
        if let Some((level, index)) = stored_subtree(a, b) {
            return self.log.stored_node(level, index);
        }
        if chunk_of(a) == chunk_of(b - 1) {
            let from = slot_of(a);
            let to = slot_of(b - 1) + 1;
            let leaves = self.chunk_leaves(chunk_of(a))?;
            return match leaves.get(from..to) {
                Some(range) => Ok(root(&Blake3Hasher, range)),
                // `chunk_leaves` returns every entry below `size`.
                None => Err(ReadError::Missing {
                    path: self.log.path().to_path_buf(),
                    seq: b - 1,
                }),
            };
        }
        let k = split_point(n);
        let left = self.range_root(a, a + k)?;
        let right = self.range_root(a + k, b)?;
        Ok(Blake3Hasher.node(&left, &right))
    }

    /// The leaf hashes of the entries of chunk `chunk` below `self.size`.
    fn chunk_leaves(&mut self, chunk: u64) -> Result<&[Hash], ReadError> {
        let at = match self.chunks.iter().position(|(c, _)| *c == chunk) {
            Some(at) => at,
            None => {
                let first = chunk.saturating_mul(CHUNK_LEN);
                let count = self.size.saturating_sub(first).min(CHUNK_LEN);
                let mut leaves = Vec::with_capacity(CHUNK_LEN as usize);
                self.log
                    .chunk_leaves(chunk, count, &mut self.hasher, &mut leaves)?;
                if self.chunks.len() == CACHED_CHUNKS {
                    self.chunks.remove(0);
                }
                self.chunks.push((chunk, leaves));
                self.chunks.len() - 1
            }
        };
        Ok(self.chunks.get(at).map_or(&[], |(_, l)| l.as_slice()))
    }
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

    /// Reads the stored perfect subtree `(level, index)` (level ≥ 6).
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

    /// Reads chunk `chunk` and appends to `out` the leaf hashes of its
    /// first `count` entries (at most 64), checking that each decodes and
    /// is the entry its position says. Does not check the chain: that is
    /// [`Log::verify`]'s business. `hasher` is a `derive_key` entry hasher,
    /// reset for each entry.
    fn chunk_leaves(
        &self,
        chunk: u64,
        count: u64,
        hasher: &mut blake3::Hasher,
        out: &mut Vec<Hash>,
    ) -> Result<(), ReadError> {
        #[cfg(test)]
        CHUNK_READS.with(|n| n.set(n.get() + 1));
        let first = chunk.saturating_mul(CHUNK_LEN);
        if count == 0 {
            return Ok(());
        }
        let value = self.load_chunk(first)?;
        let mut seq = first;
        for frame in frames(&value) {
            if seq - first == count {
                break;
            }
            let frame = frame.map_err(|(_, source)| ReadError::Malformed {
                path: self.path().to_path_buf(),
                seq,
                source,
            })?;
            if frame.header.seq != seq {
                return Err(ReadError::Misplaced {
                    path: self.path().to_path_buf(),
                    seq,
                    found: frame.header.seq,
                });
            }
            hasher.reset();
            hasher.update(frame.bytes(&value));
            out.push(leaf(hasher.finalize().as_bytes()));
            seq += 1;
        }
        if seq - first < count {
            return Err(ReadError::Missing {
                path: self.path().to_path_buf(),
                seq,
            });
        }
        Ok(())
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
    /// `size` up to the head's: the stored nodes of the binary
    /// decomposition of `size` rounded down to a multiple of 64 (one read
    /// per set bit), and the rest computed from the last chunk (one read).
    /// The root of size 0 is BLAKE3 of the empty string.
    ///
    /// Fails with [`ReadError::BeyondHead`] if `size` exceeds the log,
    /// [`ReadError::BadNode`] if a node that must be stored is not, and
    /// with the read errors of [`Log::get`] if an entry of the last chunk
    /// cannot be read.
    pub fn merkle_root(&self, size: u64) -> Result<Hash, ReadError> {
        self.within_head(size)?;
        Tree::new(self, size).range_root(0, size)
    }

    /// The inclusion proof of entry `seq` in the tree of the first `size`
    /// entries (RFC 9162 §2.1.3.1; bottom-up, as
    /// [`crate::merkle::verify_inclusion`] expects with
    /// [`Blake3Hasher`], the leaf hash `Blake3Hasher.leaf(&entry_hash)` and
    /// [`Log::merkle_root`]`(size)`). O(log size) node reads and at most two
    /// chunk reads.
    ///
    /// Fails with [`ReadError::BeyondHead`] if `size` exceeds the log and
    /// [`ReadError::NoProof`] if `seq` is not below `size`.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash>, ReadError> {
        self.within_head(size)?;
        if seq >= size {
            return Err(self.no_proof(ProofError::IndexOutOfRange { index: seq, size }));
        }
        let mut tree = Tree::new(self, size);
        inclusion_path(seq, size, |a, b| tree.range_root(a, b))
    }

    /// The consistency proof from the tree of the first `size1` entries to
    /// the tree of the first `size2` (RFC 9162 §2.1.4.1, as
    /// [`crate::merkle::verify_consistency`] expects with
    /// [`Blake3Hasher`]); empty when the sizes are equal. O(log size2)
    /// node reads and at most two chunk reads.
    ///
    /// Fails with [`ReadError::BeyondHead`] if `size2` exceeds the log and
    /// [`ReadError::NoProof`] if `size1` is 0 or larger than `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, ReadError> {
        check_consistency_sizes(size1, size2).map_err(|e| self.no_proof(e))?;
        self.within_head(size2)?;
        let mut tree = Tree::new(self, size2);
        consistency_path(size1, size2, |a, b| tree.range_root(a, b))
    }

    /// The Merkle frontier of the first `size` entries, from the stored
    /// nodes and `tail`, the stored bytes of the partly filled last chunk
    /// (entries `size − size mod 64 .. size`, as checked by the caller).
    /// Reads popcount(size / 64) nodes.
    pub(crate) fn frontier_at(&self, size: u64, tail: &[u8]) -> Result<Frontier, AppendError> {
        let damaged = |reason: String| AppendError::Damaged {
            path: self.path().to_path_buf(),
            seq: size,
            reason,
        };
        let aligned = size - size % CHUNK_LEN;
        let mut hashes = Vec::with_capacity(aligned.count_ones() as usize);
        for (level, index) in decomposition(aligned) {
            let hash = self.stored_node(level, index).map_err(|e| match e {
                ReadError::Storage { path, source } => AppendError::Storage {
                    path,
                    first_seq: size,
                    source,
                },
                ReadError::BadNode { problem, .. } => damaged(format!(
                    "the Merkle node at level {level}, index {index} is {problem}"
                )),
                other => damaged(other.to_string()),
            })?;
            hashes.push(hash);
        }
        let Some(mut frontier) = Frontier::from_parts(aligned, hashes) else {
            return Err(damaged("the Merkle frontier is incomplete".to_owned()));
        };
        // The levels below 6 of the frontier, from the last chunk.
        let mut hasher = entry_hasher();
        for frame in frames(tail) {
            let frame = frame.map_err(|(offset, e)| {
                damaged(format!(
                    "chunk {} is unreadable at byte {offset}: {e}",
                    chunk_of(size)
                ))
            })?;
            hasher.reset();
            hasher.update(frame.bytes(tail));
            frontier.push(
                &Blake3Hasher,
                leaf(hasher.finalize().as_bytes()),
                |_, _, _| {},
            );
        }
        if frontier.size() != size {
            return Err(damaged(format!(
                "chunk {} does not hold the entries the head record counts",
                chunk_of(size)
            )));
        }
        Ok(frontier)
    }
}

/// What [`upgrade`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Upgrade {
    /// Stored nodes of level < 6 deleted.
    pub removed: u64,
    /// Nodes of level ≥ 6 rebuilt from the entries.
    pub rebuilt: u64,
}

/// The upgrade path (see the module documentation), run on open: deletes
/// the stored nodes of level < 6, and rebuilds the nodes of level ≥ 6 if
/// the level-6 node of the last full chunk is absent and the entries chain
/// correctly to exactly the head record. Everything in one batch, then
/// flushed; nothing is written if there is nothing to do.
pub(crate) fn upgrade(
    db: &sled::Db,
    encoding: ChunkEncoding,
    head: &Head,
) -> Result<Upgrade, sled::Error> {
    let mut batch = sled::Batch::default();
    let mut done = Upgrade::default();
    // Malformed keys in this range are left for verification to report.
    for item in db.range(node_key(0, 0)..node_key(MIN_STORED_LEVEL, 0)) {
        let (key, _) = item?;
        if parse_node_key(&key).is_some() {
            batch.remove(key);
            done.removed += 1;
        }
    }
    let full_chunks = head.size / CHUNK_LEN;
    if full_chunks > 0
        && db
            .get(node_key(MIN_STORED_LEVEL, full_chunks - 1))?
            .is_none()
        && let Some(nodes) = rebuilt_nodes(db, encoding, head)?
    {
        done.rebuilt = nodes.len() as u64;
        for (key, hash) in nodes {
            batch.insert(&key[..], &hash[..]);
        }
    }
    if done != Upgrade::default() {
        db.apply_batch(batch)?;
        db.flush()?;
    }
    Ok(done)
}

/// A node record: its key and its hash.
type NodeRecord = ([u8; NODE_KEY_LEN], Hash);

/// Every node of level ≥ 6 of the log, recomputed from the entries; `None`
/// unless the entries chain correctly to exactly the head record.
fn rebuilt_nodes(
    db: &sled::Db,
    encoding: ChunkEncoding,
    head: &Head,
) -> Result<Option<Vec<NodeRecord>>, sled::Error> {
    let mut nodes = Vec::new();
    let mut frontier = Frontier::empty();
    let mut prev = ZERO_HASH;
    for item in Counted::new(db, db.scan_prefix([CHUNK_PREFIX])) {
        let (key, value) = item?;
        if parse_chunk_key(&key) != Some(chunk_of(frontier.size())) {
            return Ok(None);
        }
        let Ok(value) = encoding.decode(value) else {
            return Ok(None);
        };
        for frame in frames(&value) {
            let Ok(frame) = frame else {
                return Ok(None);
            };
            let seq = frontier.size();
            if seq == head.size || frame.header.seq != seq || frame.header.prev_hash != prev {
                return Ok(None);
            }
            prev = entry_hash(frame.bytes(&value));
            frontier.push(&Blake3Hasher, leaf(&prev), |level, index, hash| {
                if is_stored(level) {
                    nodes.push((node_key(level, index), *hash));
                }
            });
        }
    }
    if frontier.size() != head.size || prev != head.hash {
        return Ok(None);
    }
    Ok(Some(nodes))
}
