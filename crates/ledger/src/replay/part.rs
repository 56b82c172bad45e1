//! [`Part`]: decoded events in seq order, with what replay orders them by
//! noted as each one arrives.
//!
//! Replay needs three facts of every event before it can apply any: whether
//! it is a revision, its valid time, and whether a revision targets its id.
//! Noting them while the event is still in the cache of the thread that
//! decoded it (on every core) spares replay a second walk over a million
//! scattered events on one thread, which cost it about a tenth of its time.

use docket_model::{Event, EventId};

use crate::blocks::{BLOCK, Blocks};

/// A run of consecutive entries with their events, in seq order (`None`
/// for an entry with no event to apply), and the ordering facts of each.
/// Replay takes each event out once it has applied it; the events sit in
/// blocks ([`BLOCK`]), and a block is freed as soon as replay has taken
/// every event of it that it applies ([`Part::expect_take`]).
#[derive(Debug, Default)]
pub(crate) struct Part {
    blocks: Vec<Block>,
    /// Entries in the part.
    len: usize,
    /// One per event that a projection may see (not a revision, not a key
    /// event, not `None`), in part order.
    keys: Vec<Key>,
    /// The positions of the revisions (corrections and retractions).
    revisions: Vec<usize>,
    /// The events left in freed blocks, which replay did not apply
    /// (revisions, events revised away or past its date), when they are
    /// to be handed on at the end; in seq order within each block.
    untaken: Vec<(u64, Event)>,
    /// Whether freeing a block keeps its untaken events (or drops them).
    keep_untaken: bool,
}

/// One block of entries, and how many of its events replay will still
/// take.
#[derive(Debug, Default)]
struct Block {
    entries: Vec<(u64, Option<Event>)>,
    to_take: usize,
}

/// What replay orders an event by, and how it finds out whether a revision
/// touches it, without reading the event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    /// The event's effective time, in microseconds.
    pub(crate) instant: i64,
    /// Its seq.
    pub(crate) seq: u64,
    /// Its position in the part.
    pub(crate) position: usize,
    /// [`id_hash`] of its id; `None` for an event without an id, which
    /// replay drops.
    pub(crate) id_hash: Option<u64>,
}

impl Part {
    /// An empty part with room for `capacity` events' ordering facts and
    /// blocks, if the system grants it; else they grow as events come.
    /// The count may come from a head record that damage made absurd,
    /// which must be reported, not abort the process.
    pub(crate) fn with_capacity(capacity: usize) -> Part {
        let mut part = Part::default();
        if part
            .blocks
            .try_reserve_exact(capacity.div_ceil(BLOCK))
            .is_ok()
        {
            let _ = part.keys.try_reserve_exact(capacity);
        }
        part
    }

    /// The part of `entries` (in seq order), keeping their blocks: an
    /// import's new events are most of its memory, and a copy of them
    /// into a fresh part was a fifth of its peak.
    pub(crate) fn from_entries(entries: Blocks<(u64, Event)>) -> Part {
        // Converted in place: `(u64, Event)` and `(u64, Option<Event>)`
        // have the same size and alignment, so the events are not copied.
        const _: () = assert!(
            size_of::<(u64, Event)>() == size_of::<(u64, Option<Event>)>()
                && align_of::<(u64, Event)>() == align_of::<(u64, Option<Event>)>()
        );
        let mut part = Part::default();
        let _ = part.keys.try_reserve_exact(entries.len());
        part.len = entries.len();
        part.blocks = entries
            .into_blocks()
            .into_iter()
            .map(|block| Block {
                entries: block.into_iter().map(|(seq, e)| (seq, Some(e))).collect(),
                to_take: 0,
            })
            .collect();
        let mut position = 0;
        for block in &part.blocks {
            for (seq, event) in &block.entries {
                note(
                    &mut part.keys,
                    &mut part.revisions,
                    position,
                    *seq,
                    event.as_ref(),
                );
                position += 1;
            }
        }
        part
    }

    /// Adds entry `seq`'s event (after those already added).
    pub(crate) fn push(&mut self, seq: u64, event: Option<Event>) {
        note(
            &mut self.keys,
            &mut self.revisions,
            self.len,
            seq,
            event.as_ref(),
        );
        match self.blocks.last_mut() {
            Some(block) if block.entries.len() < BLOCK => block.entries.push((seq, event)),
            _ => {
                let mut entries = Vec::with_capacity(BLOCK);
                entries.push((seq, event));
                self.blocks.push(Block {
                    entries,
                    to_take: 0,
                });
            }
        }
        self.len += 1;
    }

    /// The ordering facts of the events a projection may see, in part order.
    pub(crate) fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Frees the ordering facts, once replay has copied what it needs.
    pub(crate) fn forget_keys(&mut self) {
        self.keys = Vec::new();
    }

    /// The revisions, with their seqs, in seq order.
    pub(crate) fn revisions(&self) -> impl Iterator<Item = (u64, &Event)> {
        self.revisions.iter().filter_map(|&position| {
            let (seq, event) = self.entry(position)?;
            Some((*seq, event.as_ref()?))
        })
    }

    fn entry(&self, position: usize) -> Option<&(u64, Option<Event>)> {
        self.blocks
            .get(position / BLOCK)?
            .entries
            .get(position % BLOCK)
    }

    /// The event at `position`; `None` once its block is freed.
    pub(crate) fn get(&self, position: usize) -> Option<&Event> {
        self.entry(position)?.1.as_ref()
    }

    /// Notes that replay will take the event at `position`: its block is
    /// freed once every such event of it is taken. Freeing keeps the
    /// block's other events for [`Part::into_events`] if `keep_untaken`,
    /// and drops them otherwise.
    pub(crate) fn expect_take(&mut self, position: usize, keep_untaken: bool) {
        self.keep_untaken = keep_untaken;
        if let Some(block) = self.blocks.get_mut(position / BLOCK) {
            block.to_take += 1;
        }
    }

    /// Takes the event at `position` out (it is `None` afterwards), and
    /// frees its block if that was the last one replay expected to take.
    pub(crate) fn take(&mut self, position: usize) -> Option<Event> {
        let block = self.blocks.get_mut(position / BLOCK)?;
        let event = block.entries.get_mut(position % BLOCK)?.1.take()?;
        if block.to_take > 0 {
            block.to_take -= 1;
            if block.to_take == 0 {
                let entries = std::mem::take(&mut block.entries);
                if self.keep_untaken {
                    let rest = entries.into_iter();
                    self.untaken
                        .extend(rest.filter_map(|(seq, event)| Some((seq, event?))));
                }
            }
        }
        Some(event)
    }

    /// The number of entries with an event, and the seq after the last
    /// entry (0 for an empty part). Read before replay frees any block.
    pub(crate) fn count_and_end(&self) -> (usize, u64) {
        let entries = self.blocks.iter().flat_map(|block| &block.entries);
        let count = entries.clone().filter(|(_, e)| e.is_some()).count();
        let end = entries.last().map_or(0, |(seq, _)| seq + 1);
        (count, end)
    }

    /// Every entry left: in seq order, unless replay freed blocks, whose
    /// untaken events then come last.
    pub(crate) fn into_events(self) -> impl Iterator<Item = (u64, Option<Event>)> {
        let kept = self.blocks.into_iter().flat_map(|block| block.entries);
        let untaken = self.untaken.into_iter();
        kept.chain(untaken.map(|(seq, event)| (seq, Some(event))))
    }

    /// The events still in the part, with their seqs, in the order of
    /// [`Part::into_events`].
    pub(crate) fn into_present(self) -> Vec<(u64, Event)> {
        self.into_events()
            .filter_map(|(seq, event)| Some((seq, event?)))
            .collect()
    }
}

/// Notes what replay orders the event at `position` by.
fn note(
    keys: &mut Vec<Key>,
    revisions: &mut Vec<usize>,
    position: usize,
    seq: u64,
    event: Option<&Event>,
) {
    if let Some(event) = event {
        let kind = event.kind();
        if kind.is_meta() {
            revisions.push(position);
        } else if !kind.is_key() {
            keys.push(Key {
                instant: event.effective.instant_micros(),
                seq,
                position,
                id_hash: event.id.as_ref().map(id_hash),
            });
        }
    }
}

impl FromIterator<(u64, Option<Event>)> for Part {
    fn from_iter<I: IntoIterator<Item = (u64, Option<Event>)>>(entries: I) -> Part {
        let entries = entries.into_iter();
        let mut part = Part::with_capacity(entries.size_hint().0);
        for (seq, event) in entries {
            part.push(seq, event);
        }
        part
    }
}

/// A multiplicative hash of the id's length and last eight bytes (where ids
/// differ: counters, derived hex), in constant time. Unkeyed, so anyone can
/// make ids collide, but it only decides which ids are looked up in the
/// (keyed) map of revision targets, never what the lookup finds.
pub(crate) fn id_hash(id: &EventId) -> u64 {
    let bytes = id.as_str().as_bytes();
    let tail = &bytes[bytes.len().saturating_sub(8)..];
    let mut word = [0u8; 8];
    word[..tail.len()].copy_from_slice(tail);
    let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    (u64::from_le_bytes(word) ^ length.rotate_left(56)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}
