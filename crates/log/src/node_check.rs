//! The check of the stored Merkle nodes during verification (see
//! `docs/format.md` §9.6 and `nodes.rs` for the tree on disk).

use std::ops::Bound;

use crate::Hash;
use crate::counted::Counted;
use crate::error::show_key;
use crate::layout::{CHUNK_LEN, MIN_STORED_LEVEL, NODE_PREFIX, node_key, parse_node_key};
use crate::merkle::{Blake3Hasher, Frontier};
use crate::nodes::{is_stored, leaf};
use crate::verify::Damage;

/// Checks the stored nodes against the entries as verification hashes
/// them: every node is recomputed once from the leaves (O(n) hashing in
/// all; the nodes below level 6 on the way to each chunk root) and each one
/// of level ≥ 6 is compared with the stored value, which is read by walking
/// that level's keys in order (no random reads).
pub(crate) struct NodeCheck<'a> {
    db: &'a sled::Db,
    frontier: Frontier,
    /// One cursor per stored level (index 0 is level 6), opened when the
    /// first node of that level completes.
    levels: Vec<Counted<'a>>,
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
        Some((level, index)) if !is_stored(level) => Damage::MerkleNode {
            level,
            index,
            reason: format!(
                "is stored although nodes below level {MIN_STORED_LEVEL} are computed from \
                 the entries, never stored"
            ),
        },
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

    /// Takes the next entry's hash; checks the stored nodes it completes.
    /// After the first problem, does nothing.
    pub fn push(&mut self, entry_hash: &Hash) {
        if self.problem.is_none() {
            self.push_subtree(0, leaf(entry_hash));
        }
    }

    /// Pushes a perfect subtree of `2^level` leaves given its hash and
    /// checks the stored nodes it completes; `false` if the frontier is not
    /// aligned for it (nothing was pushed).
    fn push_subtree(&mut self, level: u8, hash: Hash) -> bool {
        let NodeCheck {
            db,
            frontier,
            levels,
            problem,
        } = self;
        frontier.push_subtree(&Blake3Hasher, level, hash, |level, index, hash| {
            if is_stored(level) && problem.is_none() {
                *problem = check_node(db, levels, level, index, hash);
            }
        })
    }

    /// Takes the hashes of the next entries, all of one chunk, and `root`,
    /// the Merkle root of their leaves when they are a full chunk (as
    /// computed by a verification worker): the chunk's node is then pushed
    /// whole, which saves recomputing the 127 hashes under it here. Without
    /// a root, or if the entries so far do not end on a chunk boundary,
    /// the entries are pushed one by one.
    pub fn push_chunk<'h, I>(&mut self, entry_hashes: I, root: Option<&Hash>)
    where
        I: IntoIterator<Item = &'h Hash>,
        I::IntoIter: ExactSizeIterator,
    {
        if self.problem.is_some() {
            return;
        }
        let entry_hashes = entry_hashes.into_iter();
        if let Some(root) = root
            && entry_hashes.len() as u64 == CHUNK_LEN
            && self.push_subtree(MIN_STORED_LEVEL, *root)
        {
            return;
        }
        for hash in entry_hashes {
            self.push(hash);
        }
    }

    /// The first problem found, or else the first node record that should
    /// not exist: one stored beyond the entries pushed, one of a level
    /// below 6, or one with a malformed key.
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
        // Any key below level 6.
        if let Some(found) = self.first_in((
            Bound::Included(vec![NODE_PREFIX]),
            Bound::Excluded(vec![NODE_PREFIX, MIN_STORED_LEVEL]),
        )) {
            return Some(found);
        }
        // Malformed keys in the gaps around each stored level's range of
        // valid keys, then the keys of levels no node of which is complete.
        let top = u8::try_from(self.levels.len())
            .ok()
            .and_then(|n| n.checked_add(MIN_STORED_LEVEL))
            .unwrap_or(u8::MAX);
        for level in MIN_STORED_LEVEL..top {
            let before = (
                Bound::Included(vec![NODE_PREFIX, level]),
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
        self.first_in((
            Bound::Included(vec![NODE_PREFIX, top]),
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

/// Compares the recomputed node `(level, index)` (level ≥ 6) with the next
/// stored key of its level.
fn check_node<'d>(
    db: &'d sled::Db,
    levels: &mut Vec<Counted<'d>>,
    level: u8,
    index: u64,
    hash: &Hash,
) -> Option<Damage> {
    let slot = usize::from(level.checked_sub(MIN_STORED_LEVEL)?);
    while levels.len() <= slot {
        let l = u8::try_from(levels.len())
            .ok()
            .and_then(|n| n.checked_add(MIN_STORED_LEVEL))
            .unwrap_or(u8::MAX);
        let level = db.range(node_key(l, 0)..=node_key(l, u64::MAX));
        levels.push(Counted::new(db, level));
    }
    let cursor = levels.get_mut(slot)?;
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
