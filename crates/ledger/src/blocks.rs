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
/// so element `i` is at `(i / BLOCK, i % BLOCK)`.
#[derive(Debug)]
pub(crate) struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks {
            blocks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Blocks<T> {
    /// An empty list with room for the blocks of `capacity` elements (the
    /// blocks themselves are allocated as they fill). The room is only
    /// asked for: a count the system refuses grows as elements come.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut blocks = Blocks::default();
        let _ = blocks.blocks.try_reserve_exact(capacity.div_ceil(BLOCK));
        blocks
    }

    /// Adds `value` at the end.
    pub(crate) fn push(&mut self, value: T) {
        match self.blocks.last_mut() {
            Some(block) if block.len() < BLOCK => block.push(value),
            _ => {
                let mut block = Vec::with_capacity(BLOCK);
                block.push(value);
                self.blocks.push(block);
            }
        }
        self.len += 1;
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no element.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Element `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.blocks.get(index / BLOCK)?.get(index % BLOCK)
    }

    /// Every element, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    /// The blocks, in order: all full but the last.
    pub(crate) fn into_blocks(self) -> Vec<Vec<T>> {
        self.blocks
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
            return Blocks { blocks, len };
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
            let blocks = pushed.into_blocks();
            assert_eq!(blocks.len(), len.div_ceil(BLOCK));
            let (last, full) = blocks.split_last().unzip();
            assert!(full.unwrap_or_default().iter().all(|b| b.len() == BLOCK));
            assert!(last.is_none_or(|b| !b.is_empty() && b.len() <= BLOCK));
        }
    }
}
