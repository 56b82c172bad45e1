//! docket projection: each dispute's parties, forum, claims, status and history.
//!
//! [`Disputes`] folds `dispute.*` events into one [`Dispute`] per filed
//! dispute. It is a [`Projection`]: pure and total. [`Projection::apply`]
//! never fails and never panics; an event that does not fit the state (a
//! ruling in a dispute nobody filed, an appeal of a settled dispute) is
//! recorded as an [`Anomaly`] naming the ids involved and otherwise ignored,
//! so the state after an anomaly is exactly the state before it. (A large
//! state is freed on two threads when dropped; nothing else here starts a
//! thread, and that one touches nothing but the state's own memory.)
//!
//! # What the projection is fed
//!
//! The ledger decides which events are visible to a query and their order:
//! corrections already substituted (the replacement content under the
//! original id and seq), retractions removed, sorted by `(effective, seq)`.
//! This crate only gives them meaning. `correction` and `retraction` events
//! themselves, and the entity, partnership, acquisition and divestment kinds,
//! are ignored without an anomaly.
//!
//! # Status machine
//!
//! `dispute.filed` creates a dispute with status `open`. The other dispute
//! events move it as in this table (rows: event; columns: status before;
//! `=` keeps the status; `A` is an anomaly that leaves everything as it was):
//!
//! | event \ status      | open      | stayed              | on-appeal | settled | dismissed | decided   |
//! |---------------------|-----------|---------------------|-----------|---------|-----------|-----------|
//! | `dispute.stayed`    | stayed    | A                   | stayed    | A       | A         | A         |
//! | `dispute.resumed`   | A         | status before stay  | A         | A       | A         | A         |
//! | `dispute.appealed`  | on-appeal | A                   | A         | A       | on-appeal | on-appeal |
//! | `dispute.judgment`  | decided   | A                   | decided   | A       | A         | A         |
//! | `dispute.dismissed` | dismissed | dismissed           | dismissed | A       | A         | A         |
//! | `dispute.settled`   | settled   | settled             | settled   | A       | A         | A         |
//! | `dispute.ruling`    | =         | =                   | =         | A       | A         | A         |
//! | `dispute.entry`     | =         | =                   | =         | =       | =         | =         |
//!
//! `settled`, `dismissed` and `decided` are terminal ([`Status::is_terminal`]).
//! Entering one sets [`Dispute::closed`] to the event's effective time; an
//! appeal reopens the dispute and clears it. A docket entry after closure is
//! normal (courts docket closing orders) and is not an anomaly.
//!
//! Further rules:
//!
//! - Filing an id that is already filed is an anomaly; the second filing is
//!   ignored.
//! - A filing whose `responds_to` names a dispute that is not filed is an
//!   anomaly, but the filing still applies (with `responds_to` as given).
//! - Any other event naming a dispute that is not filed is an anomaly. So is
//!   an event dated before the filing of its dispute (which the ledger's
//!   ordering rules out, but a hand-fed sequence may not).
//! - A settlement closes each listed dispute that is open, stayed or on
//!   appeal. Each listed dispute that is not filed or already terminal gives
//!   its own anomaly, and the others still settle.
//!
//! [`Dispute::history`] lists every event applied to a dispute, in applied
//! order, each with the status after it and a one-line summary.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod apply;
mod codec;
mod dispute;
mod status;
mod summary;

#[cfg(test)]
mod tests;

use bincode::de::Decoder;
use bincode::error::DecodeError;
use bincode::{Decode, Encode};
use docket_model::Anomaly;

use docket_model::{Slug, SlugMap};

use crate::codec::WithoutHistory;

pub use codec::Histories;
pub use dispute::{
    Appeal, Detail, Dismissal, Dispute, DocketEntry, HistoryItem, Judgment, Ruling, Settlement,
};
pub use docket_model::Projection;
pub use status::Status;

/// The state of every dispute: the [`Projection`] over `dispute.*` events.
///
/// Keyed by dispute id, found by hash but listed, compared and encoded in id
/// order (as a `BTreeMap` would be), so equality, iteration order and the
/// bincode encoding are deterministic: the same events in the same order
/// always give an equal state with the same bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct Disputes {
    /// Every filed dispute, by id.
    disputes: SlugMap<Dispute>,
    /// Every event that did not fit, in applied order.
    anomalies: Vec<Anomaly>,
}

/// From this many disputes on, dropping the state frees their histories
/// on two threads.
const PARALLEL_DROP_FROM: usize = 10_000;

impl Drop for Disputes {
    /// A dispute's history is a few small allocations per event: at a
    /// million events, freeing them took 110 ms on one core, paid whenever
    /// the whole state has been in memory (a ledger closed after an import
    /// or a query of everything, the end of a full verify). From
    /// [`PARALLEL_DROP_FROM`] disputes on (whatever their histories'
    /// lengths), half are freed on a second thread, joined before
    /// returning. Not while a panic unwinds: a second panic there would
    /// abort.
    fn drop(&mut self) {
        if self.disputes.len() < PARALLEL_DROP_FROM || std::thread::panicking() {
            return;
        }
        let mut lower = self.disputes.take_values();
        let upper = lower.split_off(lower.len() / 2);
        std::thread::scope(|scope| {
            // Out of threads, the closure and the half it holds are
            // dropped here.
            let _ = std::thread::Builder::new()
                .name("docket-free".to_owned())
                .spawn_scoped(scope, move || drop(upper));
            drop(lower);
        });
    }
}

impl Disputes {
    /// An empty state: no disputes, no anomalies.
    pub fn new() -> Self {
        Self::default()
    }

    /// The dispute with this id, if it has been filed.
    pub fn get(&self, id: &str) -> Option<&Dispute> {
        self.disputes.get(id)
    }

    /// Every filed dispute, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &Dispute> {
        self.disputes.values()
    }

    /// Every dispute that is not in a terminal status (open, stayed or on
    /// appeal), sorted by id.
    pub fn active(&self) -> impl Iterator<Item = &Dispute> {
        self.iter().filter(|d| d.is_active())
    }

    /// The number of filed disputes.
    pub fn len(&self) -> usize {
        self.disputes.len()
    }

    /// Whether no dispute has been filed.
    pub fn is_empty(&self) -> bool {
        self.disputes.is_empty()
    }

    /// Whether the dispute is filed and not in a terminal status.
    pub fn is_active(&self, id: &str) -> bool {
        self.get(id).is_some_and(Dispute::is_active)
    }
}

/// The disputes read by [`Disputes::decode_first`].
pub struct FirstDisputes(SlugMap<Dispute>);

/// The disputes and anomalies read by [`Disputes::decode_later`].
pub struct LaterDisputes(Vec<(Slug, Dispute)>, Vec<Anomaly>);

/// The state's encoding in two parts, for a large snapshot that two threads
/// read at once: the bytes of the two parts, one after the other, are the
/// state's own encoding, so a reader of the whole stream reads them as it
/// always has.
impl Disputes {
    /// The first part is the number of disputes and the first `at` of them
    /// (by id); the second, the disputes after them and the anomalies.
    pub fn encode_in_two(&self, at: usize) -> (impl Encode + '_, impl Encode + '_) {
        let (first, later) = self.disputes.encode_in_two(at);
        (first, (later, &self.anomalies))
    }

    /// Reads the first part: the number of disputes, and as many as `at`
    /// says for that number. Returns them and how many are left for
    /// [`Disputes::decode_later`].
    pub fn decode_first<Ctx, D: Decoder<Context = Ctx>>(
        decoder: &mut D,
        at: impl FnOnce(usize) -> usize,
        histories: Histories,
    ) -> Result<(FirstDisputes, usize), DecodeError> {
        let (first, left) = match histories {
            Histories::Read => SlugMap::decode_first(decoder, at)?,
            Histories::Skip => {
                let (first, left) = SlugMap::<WithoutHistory>::decode_first(decoder, at)?;
                (first.map_values(|d| d.0), left)
            }
        };
        Ok((FirstDisputes(first), left))
    }

    /// Reads the second part: `count` disputes, then the anomalies.
    pub fn decode_later<Ctx, D: Decoder<Context = Ctx>>(
        decoder: &mut D,
        count: usize,
        histories: Histories,
    ) -> Result<LaterDisputes, DecodeError> {
        let later = match histories {
            Histories::Read => SlugMap::decode_later(decoder, count)?,
            Histories::Skip => SlugMap::<WithoutHistory>::decode_later(decoder, count)?
                .into_iter()
                .map(|(slug, d)| (slug, d.0))
                .collect(),
        };
        Ok(LaterDisputes(later, Vec::decode(decoder)?))
    }

    /// Reads what [`Disputes`] encodes, each history as `histories` says.
    pub fn decode_with<D: Decoder>(
        decoder: &mut D,
        histories: Histories,
    ) -> Result<Disputes, DecodeError> {
        let disputes = match histories {
            Histories::Read => SlugMap::decode(decoder)?,
            Histories::Skip => SlugMap::<WithoutHistory>::decode(decoder)?.map_values(|d| d.0),
        };
        Ok(Disputes {
            disputes,
            anomalies: Vec::decode(decoder)?,
        })
    }

    /// The state the two parts were read from.
    pub fn from_parts(first: FirstDisputes, later: LaterDisputes) -> Disputes {
        let FirstDisputes(mut disputes) = first;
        let LaterDisputes(rest, anomalies) = later;
        disputes.extend(rest);
        Disputes {
            disputes,
            anomalies,
        }
    }
}

impl<'a> IntoIterator for &'a Disputes {
    type Item = &'a Dispute;
    type IntoIter = docket_model::slug_map::Values<'a, Dispute>;

    fn into_iter(self) -> Self::IntoIter {
        self.disputes.values()
    }
}
