//! [`Dispute`] and the records it keeps of what happened to it.
//!
//! Every record carries the event's effective time, its seq and its id (when
//! the event has one), so a reader can always go back to the source event;
//! a docket entry carries them through the [`HistoryItem`] that holds it.

use std::borrow::Cow;

use bincode::{Decode, Encode};
use docket_model::{
    Claim, DismissalReason, Effective, EventId, Forum, Kind, Nature, Outcome, Slug, Text,
};

use crate::status::Status;
use crate::summary;

/// One dispute as the events so far describe it. Its bincode encoding is
/// written by hand (`codec.rs`), so that its history can be skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
    /// Its slug.
    pub id: Slug,
    /// Its title, such as `Nokia v. Amazon`.
    pub title: Text,
    /// Where it was filed. An appeal's forum is in [`Dispute::appeals`].
    pub forum: Forum,
    /// What it is about.
    pub nature: Nature,
    /// Who brings it.
    pub plaintiffs: Vec<Slug>,
    /// Against whom.
    pub defendants: Vec<Slug>,
    /// What is asserted.
    pub claims: Vec<Claim>,
    /// Accused product names.
    pub accused: Vec<Text>,
    /// The dispute this one answers (a countersuit), as filed; it may name a
    /// dispute that is not filed, which is also reported as an anomaly.
    pub responds_to: Option<Slug>,
    /// Where it stands now.
    pub status: Status,
    /// While [`Status::Stayed`]: the status a `dispute.resumed` returns to
    /// (open or on-appeal). `None` in every other status.
    pub stayed_from: Option<Status>,
    /// When it was filed.
    pub filed: Effective,
    /// When it last entered a terminal status; `None` while active (an
    /// appeal reopens a dispute and clears this).
    pub closed: Option<Effective>,
    /// The seq of the filing event.
    pub filed_seq: u64,
    /// The id of the filing event.
    pub filed_event: Option<EventId>,
    /// Interim rulings, in applied order.
    pub rulings: Vec<Ruling>,
    /// Final judgments, in applied order (more than one after an appeal).
    pub judgments: Vec<Judgment>,
    /// Dismissals, in applied order (more than one after an appeal).
    pub dismissals: Vec<Dismissal>,
    /// Appeals, in applied order.
    pub appeals: Vec<Appeal>,
    /// The settlement that closed it, if any.
    pub settlement: Option<Settlement>,
    /// Every event about this dispute that was applied (anomalies are not),
    /// in applied order. Docket entries are kept here only (see
    /// [`Dispute::entries`]): they are most of a dispute's events, and
    /// each is kept once, with its summary made when asked.
    pub history: Vec<HistoryItem>,
}

impl Dispute {
    /// Whether it is not in a terminal status (open, stayed or on appeal).
    pub fn is_active(&self) -> bool {
        !self.status.is_terminal()
    }

    /// The docket entries, in applied order, each with the history item
    /// that holds it (its seq, time and event id).
    pub fn entries(&self) -> impl Iterator<Item = (&HistoryItem, &DocketEntry)> {
        self.history
            .iter()
            .filter_map(|item| Some((item, item.docket_entry()?)))
    }

    /// Whether `entity` is a plaintiff or a defendant.
    pub fn is_party(&self, entity: &str) -> bool {
        self.plaintiffs
            .iter()
            .chain(&self.defendants)
            .any(|p| p.as_str() == entity)
    }
}

/// A `dispute.ruling`: an interim decision that does not close the dispute.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Ruling {
    /// What was decided.
    pub outcome: Outcome,
    /// The party it favours.
    pub favor: Option<Slug>,
    /// A summary.
    pub summary: Option<Text>,
    /// When.
    pub effective: Effective,
    /// The seq of the event.
    pub seq: u64,
    /// The id of the event.
    pub event: Option<EventId>,
}

/// A `dispute.judgment`: a final judgment (status `decided`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Judgment {
    /// The party it favours.
    pub favor: Option<Slug>,
    /// A summary.
    pub summary: Option<Text>,
    /// When.
    pub effective: Effective,
    /// The seq of the event.
    pub seq: u64,
    /// The id of the event.
    pub event: Option<EventId>,
}

/// A `dispute.dismissed` (status `dismissed`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Dismissal {
    /// Why, if known.
    pub reason: Option<DismissalReason>,
    /// When.
    pub effective: Effective,
    /// The seq of the event.
    pub seq: u64,
    /// The id of the event.
    pub event: Option<EventId>,
}

/// A `dispute.appealed` (status `on-appeal`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Appeal {
    /// The appellant.
    pub by: Option<Slug>,
    /// The appeal forum.
    pub forum: Option<Forum>,
    /// When.
    pub effective: Effective,
    /// The seq of the event.
    pub seq: u64,
    /// The id of the event.
    pub event: Option<EventId>,
}

/// The `dispute.settled` that closed a dispute (status `settled`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Settlement {
    /// The other disputes the same event settled (those it listed and that
    /// could settle), in listed order.
    pub together_with: Vec<Slug>,
    /// The terms, as far as they are public.
    pub terms: Option<Text>,
    /// When.
    pub effective: Effective,
    /// The seq of the event.
    pub seq: u64,
    /// The id of the event.
    pub event: Option<EventId>,
}

/// A `dispute.entry`: one entry of the court's docket. Its time, seq and
/// event id are those of the [`HistoryItem`] that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct DocketEntry {
    /// The docket entry number, if given.
    pub number: Option<Text>,
    /// What was filed or ordered (may span lines).
    pub description: Text,
    /// Who filed it.
    pub filed_by: Option<Slug>,
}

/// One event applied to a dispute, as a line of its history.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct HistoryItem {
    /// The seq of the event.
    pub seq: u64,
    /// When it happened.
    pub effective: Effective,
    /// Its kind.
    pub kind: Kind,
    /// The id of the event.
    pub event: Option<EventId>,
    /// The dispute's status right after it.
    pub status_after: Status,
    /// What it did: the docket entry, or a one-line summary.
    pub detail: Detail,
}

impl HistoryItem {
    /// One line, such as `docket entry 12: Answer filed`,
    /// `ruling: injunction for nokia-technologies`, `stayed: pending IPR` or
    /// `settled together with 3 other disputes (terms: confidential)`.
    pub fn summary(&self) -> Cow<'_, str> {
        match &self.detail {
            Detail::Entry(entry) => {
                Cow::Owned(summary::entry(entry.number.as_ref(), &entry.description))
            }
            Detail::Summary(line) => Cow::Borrowed(line),
        }
    }

    /// The docket entry, if this is a `dispute.entry`.
    pub fn docket_entry(&self) -> Option<&DocketEntry> {
        match &self.detail {
            Detail::Entry(entry) => Some(entry),
            Detail::Summary(_) => None,
        }
    }
}

/// What a [`HistoryItem`] did.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Detail {
    /// A `dispute.entry`: the docket entry, whose summary is made from it
    /// when asked.
    Entry(DocketEntry),
    /// Any other event: its one-line summary.
    Summary(String),
}
