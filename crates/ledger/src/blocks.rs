//! [`Blocks`]: a list that grows a block at a time, never moving what it
//! holds, so that a reader can free each block once done with it.
//!
//! An import holds every new event of its file until validation has
//! replayed them, and a full verify or replay every decoded event of the
//! log. In one vector, an event's slot (224 bytes) stayed allocated until
//! the last event was applied: at the end of a replay the vector of a
//! million events was 214 MiB of memory holding nothing. In blocks, the
//! replay frees each block as soon as it has taken the events it applies
//! (`replay::Part`), and that memory holds the state it builds instead.

/// Elements per block: a block of events is under a megabyte, and a
/// million events are 245 blocks.
pub(crate) const BLOCK: usize = 4096;

/// A list of `T` in blocks of [`BLOCK`]; every block but the last is full,
/// so element `i` is at `(i / BLOCK, i % BLOCK)`. A block may be freed
/// ([`Blocks::free_block`]) once nothing more is pushed.
#[derive(Debug)]
pub(crate) struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    /// Elements pushed, freed ones included.
    len: usize,
    /// The elements expected, which sizes the first block: a list of a
    /// few elements does not hold room for a whole block.
    expected: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks {
            blocks: Vec::new(),
            len: 0,
            expected: 0,
        }
    }
}

impl<T> Blocks<T> {
    /// An empty list expecting `capacity` elements: room for their blocks
    /// is asked for (only asked: a count the system refuses grows as
    /// elements come), and the blocks themselves are allocated as they
    /// fill.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut blocks = Blocks {
            expected: capacity,
            ..Blocks::default()
        };
        let _ = blocks.blocks.try_reserve_exact(capacity.div_ceil(BLOCK));
        blocks
    }

    /// Adds `value` at the end. Not after a block was freed.
    pub(crate) fn push(&mut self, value: T) {
        let at = self.len % BLOCK;
        match self.blocks.last_mut() {
            Some(block) if at > 0 => {
                // Pushed after the last block was freed, the value would
                // sit where no position finds it.
                assert_eq!(block.len(), at, "pushed after a block was freed");
                if block.len() == block.capacity() {
                    // A first block sized for fewer elements than came
                    // grows by doubling, but never past a block.
                    block.reserve_exact(block.len().min(BLOCK - block.len()));
                }
                block.push(value);
            }
            _ => {
                // The first block is as large as the list is expected to
                // be (it grows if more come); the others are whole.
                let room = match self.blocks.is_empty() {
                    true => self.expected.min(BLOCK),
                    false => BLOCK,
                };
                let mut block = Vec::with_capacity(room);
                block.push(value);
                self.blocks.push(block);
            }
        }
        self.len += 1;
    }

    /// The number of elements pushed.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no element.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of blocks.
    pub(crate) fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Element `index`; `None` if its block was freed.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.blocks.get(index / BLOCK)?.get(index % BLOCK)
    }

    /// Element `index`, to change; `None` if its block was freed.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.blocks.get_mut(index / BLOCK)?.get_mut(index % BLOCK)
    }

    /// Takes block `block` out, leaving its memory free; its elements are
    /// `None` to [`Blocks::get`] from then on.
    pub(crate) fn free_block(&mut self, block: usize) -> Vec<T> {
        self.blocks
            .get_mut(block)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Every element not freed, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    /// The list of `f` of each block, block by block: `f` must keep each
    /// block's length (a conversion in place, say).
    pub(crate) fn map_blocks<U>(self, mut f: impl FnMut(Vec<T>) -> Vec<U>) -> Blocks<U> {
        let blocks = self.blocks.into_iter().map(|block| {
            let len = block.len();
            let mapped = f(block);
            debug_assert_eq!(mapped.len(), len, "a block changed its length");
            mapped
        });
        Blocks {
            blocks: blocks.collect(),
            len: self.len,
            expected: self.expected,
        }
    }
}

impl<T> IntoIterator for Blocks<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    /// Every element not freed, in order.
    fn into_iter(self) -> Self::IntoIter {
        self.blocks.into_iter().flatten()
    }
}

impl<T> From<Vec<T>> for Blocks<T> {
    /// A list of no more than a block keeps its vector; a longer one is
    /// moved into blocks (appends are a few events, imports build blocks).
    fn from(values: Vec<T>) -> Self {
        if values.len() <= BLOCK {
            let len = values.len();
            let blocks = if values.is_empty() {
                Vec::new()
            } else {
                vec![values]
            };
            return Blocks {
                blocks,
                len,
                expected: len,
            };
        }
        let mut blocks = Blocks::with_capacity(values.len());
        for value in values {
            blocks.push(value);
        }
        blocks
    }
}

#[cfg(test)]
mod tests {
    use super::{BLOCK, Blocks};

    #[test]
    fn elements_are_found_where_they_were_pushed_across_blocks() {
        for len in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7] {
            let mut pushed = Blocks::with_capacity(len / 2);
            for i in 0..len {
                pushed.push(i);
            }
            let converted = Blocks::from((0..len).collect::<Vec<_>>());
            for blocks in [&pushed, &converted] {
                assert_eq!(blocks.len(), len);
                assert_eq!(blocks.is_empty(), len == 0);
                assert!(blocks.iter().copied().eq(0..len));
                for i in [0, len / 2, len.saturating_sub(1), len, len + BLOCK] {
                    assert_eq!(blocks.get(i).copied(), (i < len).then_some(i), "{len} {i}");
                }
            }
            // Every block but the last is full, as positions assume.
            assert_eq!(pushed.block_count(), len.div_ceil(BLOCK));
            let lens: Vec<usize> = pushed.blocks.iter().map(Vec::len).collect();
            let (last, full) = lens.split_last().unzip();
            assert!(full.unwrap_or_default().iter().all(|&n| n == BLOCK));
            assert!(last.is_none_or(|&n| n > 0 && n <= BLOCK));
            // No block holds room for more than a block.
            assert!(pushed.blocks.iter().all(|b| b.capacity() <= BLOCK));
            assert!(pushed.into_iter().eq(0..len));
        }
    }

    #[test]
    fn the_first_block_holds_room_for_what_is_expected() {
        let first_capacity = |expected: usize, pushed: usize| {
            let mut blocks = Blocks::with_capacity(expected);
            for i in 0..pushed {
                blocks.push(i);
            }
            blocks.blocks.first().map_or(0, Vec::capacity)
        };
        assert_eq!(first_capacity(3, 3), 3);
        assert_eq!(first_capacity(3, 4), 6);
        assert_eq!(first_capacity(3, BLOCK + 1), BLOCK);
        assert_eq!(first_capacity(0, BLOCK), BLOCK);
        assert_eq!(first_capacity(10 * BLOCK, 1), BLOCK);
    }

    #[test]
    fn a_freed_block_is_gone_and_the_others_stay_where_they_were() {
        let mut blocks = Blocks::from((0..2 * BLOCK + 3).collect::<Vec<_>>());
        let freed = blocks.free_block(1);
        assert!(freed.into_iter().eq(BLOCK..2 * BLOCK));
        assert_eq!(blocks.get(BLOCK), None);
        assert_eq!(blocks.get(BLOCK - 1), Some(&(BLOCK - 1)));
        assert_eq!(blocks.get_mut(2 * BLOCK + 2).copied(), Some(2 * BLOCK + 2));
        assert_eq!(blocks.len(), 2 * BLOCK + 3);
        assert!(blocks.free_block(7).is_empty());
        let left = (0..BLOCK).chain(2 * BLOCK..2 * BLOCK + 3);
        assert!(blocks.iter().copied().eq(left.clone()));
        let doubled = blocks.map_blocks(|b| b.into_iter().map(|i| 2 * i).collect());
        assert!(doubled.into_iter().eq(left.map(|i| 2 * i)));
    }
}
