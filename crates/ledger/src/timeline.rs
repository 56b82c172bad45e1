//! The timeline: events in the order they happened, with what revised them.
//! Unlike projections, a timeline keeps retracted and corrected events, so
//! the history of the record itself stays in view.

use docket_model::Event;

use crate::index::Family;
use crate::replay::resolve;
use crate::{Ledger, ReadError, TimeQuery};

/// Which events a timeline shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineScope {
    /// Every event.
    All,
    /// Events naming this dispute (and revisions of them).
    Dispute(String),
    /// Events naming this entity (and revisions of them).
    Entity(String),
}

/// What happened to an event after it was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revised {
    /// Nothing: the event stands as recorded.
    No,
    /// Replaced by the correction at `seq`; `original` is what was recorded.
    Corrected {
        /// The correction in force.
        seq: u64,
        /// Its reason.
        reason: String,
        /// The content as first recorded.
        original: Box<Event>,
    },
    /// Withdrawn by the retraction at `seq`.
    Retracted {
        /// The retraction in force.
        seq: u64,
        /// Its reason.
        reason: String,
    },
}

/// One line of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineItem {
    /// Where the event is stored.
    pub seq: u64,
    /// The event as it now stands (a corrected event shows its correction).
    pub event: Event,
    /// Whether and how it was revised.
    pub revised: Revised,
}

impl Ledger {
    /// The events of `scope` visible to `query`, in `(effective, seq)` order.
    pub fn timeline(
        &self,
        scope: &TimelineScope,
        query: &TimeQuery,
    ) -> Result<Vec<TimelineItem>, ReadError> {
        let visible = self.visible_size(query)?;
        let events: Vec<(u64, Event)> = match scope {
            TimelineScope::All => self
                .events(0..visible)
                .map(|s| s.map(|s| (s.entry.header.seq, s.event)))
                .collect::<Result<_, _>>()?,
            TimelineScope::Dispute(id) => self.indexed_events(Family::Dispute, id, visible)?,
            TimelineScope::Entity(id) => self.indexed_events(Family::Entity, id, visible)?,
        };
        let meta: Vec<(u64, Event)> = events
            .iter()
            .filter(|(_, e)| e.kind().is_meta())
            .cloned()
            .collect();
        let resolution = resolve(&meta);
        let reasons: std::collections::HashMap<u64, String> = resolution
            .revisions
            .iter()
            .map(|r| (r.seq, r.reason.to_string()))
            .collect();
        let reason_of = |seq: u64| reasons.get(&seq).cloned().unwrap_or_default();
        let mut items: Vec<TimelineItem> = events
            .into_iter()
            .map(|(seq, event)| {
                let id = event.id.clone();
                let retracted = id
                    .as_ref()
                    .and_then(|id| resolution.retracted.get(id).copied());
                let corrected = id
                    .as_ref()
                    .and_then(|id| resolution.corrected.get(id).cloned());
                match (retracted, corrected) {
                    (Some(by), _) => TimelineItem {
                        seq,
                        event,
                        revised: Revised::Retracted {
                            seq: by,
                            reason: reason_of(by),
                        },
                    },
                    (None, Some((by, replacement))) => {
                        let mut now = replacement;
                        now.id = id;
                        TimelineItem {
                            seq,
                            event: now,
                            revised: Revised::Corrected {
                                seq: by,
                                reason: reason_of(by),
                                original: Box::new(event),
                            },
                        }
                    }
                    (None, None) => TimelineItem {
                        seq,
                        event,
                        revised: Revised::No,
                    },
                }
            })
            .filter(|item| {
                query
                    .as_of
                    .is_none_or(|limit| item.event.effective.instant_micros() <= limit)
            })
            .collect();
        items.sort_by_key(|item| (item.event.effective.instant_micros(), item.seq));
        Ok(items)
    }
}
