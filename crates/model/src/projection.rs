//! What every projection shares: the `apply` contract and anomalies.
//!
//! A projection folds events into a state. The ledger decides *which*
//! events a projection sees and in what order (the visible entries of a
//! query, corrections already substituted, retractions removed, sorted by
//! `(effective, seq)`); the projection only decides what they mean.

use bincode::{Decode, Encode};

use crate::{Event, Kind};

/// A pure, total fold over events.
///
/// `apply` must never fail and never panic: an event that does not fit the
/// state (a ruling in a dispute nobody filed, a second settlement) is
/// recorded as an [`Anomaly`] and otherwise ignored, so one bad event cannot
/// hide the rest of the history.
pub trait Projection {
    /// Folds one event, stored at `seq`, into the state. For a corrected
    /// event, `event` is the replacement content under the original id and
    /// `seq` is the original's.
    fn apply(&mut self, seq: u64, event: &Event);

    /// Every event so far that did not fit, in the order applied.
    fn anomalies(&self) -> &[Anomaly];
}

/// An event that did not fit a projection's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Anomaly {
    /// Where the event is stored.
    pub seq: u64,
    /// Its kind.
    pub kind: Kind,
    /// Why it does not fit, as a sentence naming the ids involved.
    pub reason: String,
}

impl Anomaly {
    /// An anomaly for `event` at `seq`.
    pub fn new(seq: u64, event: &Event, reason: impl Into<String>) -> Anomaly {
        Anomaly {
            seq,
            kind: event.kind(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "entry {} ({}): {}",
            self.seq,
            self.kind.as_str(),
            self.reason
        )
    }
}
