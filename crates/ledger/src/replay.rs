//! Replay: from visible entries to projections (DESIGN.md section 4).
//!
//! 1. The visible entries are a prefix of the log (`--at-seq`,
//!    `--known-at`).
//! 2. Corrections and retractions among them are resolved: a revision is
//!    *in force* unless an in-force retraction targets it (so retracting a
//!    correction undoes it, and retracting a retraction restores the event).
//!    A retracted event is dropped; a corrected event takes the content of
//!    its latest in-force correction, keeping its id and seq.
//! 3. The remaining events are filtered by `--as-of` on their (corrected)
//!    effective time and applied in `(effective, seq)` order, so an event
//!    recorded late about the past lands where it belongs.
//!
//! This module is pure: it never reads storage.

use std::collections::HashMap;

use bincode::{Decode, Encode};
use docket_disputes::Disputes;
use docket_holdings::Holdings;
use docket_model::{Anomaly, Body, Event, EventId, Kind, Projection, Slug, Text};
use docket_relations::Relations;

/// The three projections, folded together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct Projections {
    /// Each dispute's parties, status and history.
    pub disputes: Disputes,
    /// Entities, names and parents over time.
    pub holdings: Holdings,
    /// Sides of disputes and partnerships.
    pub relations: Relations,
}

impl Projections {
    /// Folds one event into all three projections.
    pub fn apply(&mut self, seq: u64, event: &Event) {
        self.disputes.apply(seq, event);
        self.holdings.apply(seq, event);
        self.relations.apply(seq, event);
    }

    /// Every anomaly, in seq order: the projections' own, and references
    /// to entities that were not registered when they were named.
    pub fn anomalies(&self) -> Vec<Anomaly> {
        // A second filing of one dispute id upsets both docket-disputes and
        // docket-relations; report it once, from the former.
        let relations = self
            .relations
            .anomalies()
            .iter()
            .filter(|a| a.kind != Kind::DisputeFiled);
        let mut all: Vec<Anomaly> = self
            .disputes
            .anomalies()
            .iter()
            .chain(self.holdings.anomalies())
            .chain(relations)
            .cloned()
            .collect();
        all.extend(self.unregistered_references());
        all.sort_by_key(|a| a.seq);
        all
    }

    /// Parties of disputes and partnerships must be registered before the
    /// filing or forming names them (in replay order: effective, then seq).
    fn unregistered_references(&self) -> Vec<Anomaly> {
        let registered_before = |slug: &Slug, at: (i64, u64)| {
            self.holdings
                .get(slug.as_str())
                .is_some_and(|e| (e.registered.instant_micros(), e.registered_seq) < at)
        };
        let mut found = Vec::new();
        for dispute in self.disputes.iter() {
            let at = (dispute.filed.instant_micros(), dispute.filed_seq);
            for party in dispute.plaintiffs.iter().chain(&dispute.defendants) {
                if !registered_before(party, at) {
                    found.push(Anomaly {
                        seq: dispute.filed_seq,
                        kind: Kind::DisputeFiled,
                        reason: format!(
                            "dispute {} names {party}, which is not registered by then",
                            dispute.id
                        ),
                    });
                }
            }
        }
        for partnership in self.relations.partnerships() {
            let at = (partnership.formed.instant_micros(), partnership.formed_seq);
            for party in partnership.parties.iter().chain(&partnership.customer) {
                if !registered_before(party, at) {
                    found.push(Anomaly {
                        seq: partnership.formed_seq,
                        kind: Kind::PartnershipFormed,
                        reason: format!(
                            "partnership {} names {party}, which is not registered by then",
                            partnership.id
                        ),
                    });
                }
            }
        }
        found
    }
}

/// A correction or retraction among the visible entries.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Revision {
    /// Where the revision is stored.
    pub seq: u64,
    /// Its id.
    pub id: EventId,
    /// `Correction` or `Retraction`.
    pub kind: Kind,
    /// The event it revises.
    pub target: EventId,
    /// Why, as recorded.
    pub reason: Text,
    /// Whether it is in force (no in-force retraction undoes it).
    pub in_force: bool,
}

/// What the revisions in force do to the events they target.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    /// Targets of in-force retractions.
    pub retracted: HashMap<EventId, u64>,
    /// Latest in-force correction of each target: its seq and the content.
    pub corrected: HashMap<EventId, (u64, Event)>,
    /// Every revision, in seq order.
    pub revisions: Vec<Revision>,
}

impl Resolution {
    /// The event as projections should see it, or `None` if retracted.
    pub fn effective_event(&self, event: Event) -> Option<Event> {
        let id = event.id.clone()?;
        if self.retracted.contains_key(&id) {
            return None;
        }
        match self.corrected.get(&id) {
            Some((_, replacement)) => {
                let mut corrected = replacement.clone();
                corrected.id = Some(id);
                Some(corrected)
            }
            None => Some(event),
        }
    }
}

/// Resolves the revisions among `meta` (correction and retraction events
/// with their seqs, in seq order).
pub(crate) fn resolve(meta: &[(u64, Event)]) -> Resolution {
    let mut in_force: HashMap<&EventId, bool> = HashMap::new();
    // A retraction always comes after its target (targets must exist when a
    // revision is appended), so walking backwards settles every retraction
    // before the revisions it may undo.
    let mut undone: HashMap<&EventId, bool> = HashMap::new();
    for (_, event) in meta.iter().rev() {
        let Some(id) = event.id.as_ref() else {
            continue;
        };
        let force = !undone.get(id).copied().unwrap_or(false);
        in_force.insert(id, force);
        if let (true, Body::Retraction(retraction)) = (force, &event.body) {
            undone.insert(&retraction.target, true);
        }
    }
    let mut resolution = Resolution::default();
    for (seq, event) in meta {
        let Some(id) = event.id.as_ref() else {
            continue;
        };
        let force = in_force.get(id).copied().unwrap_or(false);
        let (target, reason) = match &event.body {
            Body::Correction(c) => (&c.target, &c.reason),
            Body::Retraction(r) => (&r.target, &r.reason),
            _ => continue,
        };
        resolution.revisions.push(Revision {
            seq: *seq,
            id: id.clone(),
            kind: event.kind(),
            target: target.clone(),
            reason: reason.clone(),
            in_force: force,
        });
        if !force {
            continue;
        }
        match &event.body {
            Body::Correction(c) => {
                resolution
                    .corrected
                    .insert(c.target.clone(), (*seq, (*c.replacement).clone()));
            }
            Body::Retraction(r) => {
                resolution.retracted.insert(r.target.clone(), *seq);
            }
            _ => {}
        }
    }
    resolution
}

/// The outcome of folding a set of visible entries.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    pub projections: Projections,
    pub revisions: Vec<Revision>,
    /// The latest effective instant applied (`i64::MIN` if none).
    pub max_instant: i64,
}

/// Folds `entries` (seq order, all visible) into projections as of `as_of`.
pub(crate) fn replay(
    entries: impl IntoIterator<Item = (u64, Event)>,
    as_of: Option<i64>,
) -> Replayed {
    let mut plain = Vec::new();
    let mut meta = Vec::new();
    for (seq, event) in entries {
        let kind = event.kind();
        if kind.is_meta() {
            meta.push((seq, event));
        } else if !kind.is_key() {
            // Key events are about who may write, not about the world:
            // projections ignore them, and they must not move the latest
            // valid time (the root key is dated the day a ledger is made).
            plain.push((seq, event));
        }
    }
    let resolution = resolve(&meta);
    let mut ordered: Vec<(i64, u64, Event)> = plain
        .into_iter()
        .filter_map(|(seq, event)| {
            let event = resolution.effective_event(event)?;
            let instant = event.effective.instant_micros();
            as_of
                .is_none_or(|limit| instant <= limit)
                .then_some((instant, seq, event))
        })
        .collect();
    ordered.sort_by_key(|(instant, seq, _)| (*instant, *seq));
    let mut replayed = Replayed {
        max_instant: i64::MIN,
        ..Replayed::default()
    };
    for (instant, seq, event) in &ordered {
        replayed.projections.apply(*seq, event);
        replayed.max_instant = replayed.max_instant.max(*instant);
    }
    replayed.revisions = resolution.revisions;
    replayed
}

/// Folds events that are already in hand (from a bundle, say) into
/// projections, with the same rules as a ledger's replay.
pub fn project(events: Vec<(u64, Event)>) -> Projections {
    replay(events, None).projections
}
