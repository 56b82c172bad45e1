//! [`Part`]: decoded events in seq order, with what replay orders them by
//! noted as each one arrives.
//!
//! Replay needs three facts of every event before it can apply any: whether
//! it is a revision, its valid time, and whether a revision targets its id.
//! Noting them while the event is still in the cache of the thread that
//! decoded it (on every core) spares replay a second walk over a million
//! scattered events on one thread, which cost it about a tenth of its time.

use docket_model::{Event, EventId};

/// A run of consecutive entries with their events, in seq order (`None`
/// for an entry with no event to apply), and the ordering facts of each.
/// Replay takes each event out once it has applied it.
#[derive(Debug, Default)]
pub(crate) struct Part {
    events: Vec<(u64, Option<Event>)>,
    /// One per event that a projection may see (not a revision, not a key
    /// event, not `None`), in part order.
    keys: Vec<Key>,
    /// The positions of the revisions (corrections and retractions).
    revisions: Vec<usize>,
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
    /// An empty part with room for `capacity` events, if the system grants
    /// it; else it grows as events come. The count may come from a head
    /// record that damage made absurd, which must be reported, not abort
    /// the process.
    pub(crate) fn with_capacity(capacity: usize) -> Part {
        let mut part = Part::default();
        if part.events.try_reserve_exact(capacity).is_ok() {
            let _ = part.keys.try_reserve_exact(capacity);
        }
        part
    }

    /// The part of `entries` (in seq order), keeping their buffer: an
    /// import's new events are most of its memory, and a copy of them
    /// into a fresh part was a fifth of its peak.
    pub(crate) fn from_entries(entries: Vec<(u64, Option<Event>)>) -> Part {
        let mut part = Part {
            events: Vec::new(),
            keys: Vec::new(),
            revisions: Vec::new(),
        };
        let _ = part.keys.try_reserve_exact(entries.len());
        for (position, (seq, event)) in entries.iter().enumerate() {
            part.note(position, *seq, event.as_ref());
        }
        part.events = entries;
        part
    }

    /// Adds entry `seq`'s event (after those already added).
    pub(crate) fn push(&mut self, seq: u64, event: Option<Event>) {
        self.note(self.events.len(), seq, event.as_ref());
        self.events.push((seq, event));
    }

    /// Notes what replay orders the event at `position` by.
    fn note(&mut self, position: usize, seq: u64, event: Option<&Event>) {
        if let Some(event) = event {
            let kind = event.kind();
            if kind.is_meta() {
                self.revisions.push(position);
            } else if !kind.is_key() {
                self.keys.push(Key {
                    instant: event.effective.instant_micros(),
                    seq,
                    position,
                    id_hash: event.id.as_ref().map(id_hash),
                });
            }
        }
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
            let (seq, event) = self.events.get(position)?;
            Some((*seq, event.as_ref()?))
        })
    }

    /// The event at `position`.
    pub(crate) fn get(&self, position: usize) -> Option<&Event> {
        self.events.get(position)?.1.as_ref()
    }

    /// Takes the event at `position` out (it is `None` afterwards).
    pub(crate) fn take(&mut self, position: usize) -> Option<Event> {
        self.events.get_mut(position)?.1.take()
    }

    /// Every entry, in seq order.
    pub(crate) fn events(&self) -> &[(u64, Option<Event>)] {
        &self.events
    }

    /// Every entry, in seq order.
    pub(crate) fn into_events(self) -> Vec<(u64, Option<Event>)> {
        self.events
    }

    /// The events still in the part, with their seqs, in seq order.
    pub(crate) fn into_present(self) -> Vec<(u64, Event)> {
        let events = self.events.into_iter();
        events
            .filter_map(|(seq, event)| Some((seq, event?)))
            .collect()
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
