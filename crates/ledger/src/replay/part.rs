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
/// Replay takes each event out once it has applied it; the entries sit in
/// blocks ([`Blocks`]), and a block is freed as soon as replay has taken
/// every event of it that it applies ([`Part::expect_take`]).
#[derive(Debug, Default)]
pub(crate) struct Part {
    entries: Blocks<(u64, Option<Event>)>,
    /// For each block, how many of its events replay will still take
    /// (empty until replay says which).
    to_take: Vec<usize>,
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
        let mut part = Part {
            entries: Blocks::with_capacity(capacity),
            ..Part::default()
        };
        let _ = part.keys.try_reserve_exact(capacity);
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
        part.entries = entries.map_blocks(|block| {
            block
                .into_iter()
                .map(|(seq, event)| (seq, Some(event)))
                .collect()
        });
        for (position, (seq, event)) in part.entries.iter().enumerate() {
            note(
                &mut part.keys,
                &mut part.revisions,
                position,
                *seq,
                event.as_ref(),
            );
        }
        part
    }

    /// Adds entry `seq`'s event (after those already added).
    pub(crate) fn push(&mut self, seq: u64, event: Option<Event>) {
        let position = self.entries.len();
        note(
            &mut self.keys,
            &mut self.revisions,
            position,
            seq,
            event.as_ref(),
        );
        self.entries.push((seq, event));
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
            let (seq, event) = self.entries.get(position)?;
            Some((*seq, event.as_ref()?))
        })
    }

    /// The event at `position`; `None` once its block is freed.
    pub(crate) fn get(&self, position: usize) -> Option<&Event> {
        self.entries.get(position)?.1.as_ref()
    }

    /// Whether freeing a block keeps its untaken events for
    /// [`Part::into_events`] (or drops them): one choice for the whole
    /// replay, made before it takes anything.
    pub(crate) fn keep_untaken(&mut self, keep: bool) {
        self.keep_untaken = keep;
    }

    /// Notes that replay will take the event at `position`: its block is
    /// freed once every such event of it is taken. Every position is noted
    /// before the first is taken, and nothing is pushed afterwards.
    pub(crate) fn expect_take(&mut self, position: usize) {
        if self.to_take.is_empty() {
            self.to_take = vec![0; self.entries.block_count()];
        }
        if let Some(count) = self.to_take.get_mut(position / BLOCK) {
            *count += 1;
        }
    }

    /// Takes the event at `position` out (it is `None` afterwards), and
    /// frees its block if that was the last one replay expected to take.
    pub(crate) fn take(&mut self, position: usize) -> Option<Event> {
        let event = self.entries.get_mut(position)?.1.take()?;
        let block = position / BLOCK;
        if let Some(count) = self.to_take.get_mut(block)
            && *count > 0
        {
            *count -= 1;
            if *count == 0 {
                let freed = self.entries.free_block(block);
                if self.keep_untaken {
                    let rest = freed.into_iter();
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
        let count = self.entries.iter().filter(|(_, e)| e.is_some()).count();
        let end = self.entries.iter().last().map_or(0, |(seq, _)| seq + 1);
        (count, end)
    }

    /// Every entry left: in seq order, unless replay freed blocks, whose
    /// untaken events then come last.
    pub(crate) fn into_events(self) -> impl Iterator<Item = (u64, Option<Event>)> {
        let untaken = self.untaken.into_iter();
        let kept = self.entries.into_iter();
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
