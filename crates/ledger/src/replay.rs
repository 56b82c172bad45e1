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

use foldhash::{HashMap, HashMapExt};

use bincode::{Decode, Encode};
use docket_disputes::Disputes;
use docket_holdings::Holdings;
use docket_model::{Anomaly, Body, Event, EventId, Kind, Projection, Slug, Text};
use docket_relations::Relations;

use apply::{Handover, Ordered};
pub(crate) use part::Part;
use part::id_hash;

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
        let mut all: Vec<Anomaly> = self.own_anomalies().cloned().collect();
        all.extend(self.unregistered_references());
        all.sort_by_key(|a| a.seq);
        all
    }

    /// The three projections' own anomalies, unsorted.
    fn own_anomalies(&self) -> impl Iterator<Item = &Anomaly> {
        // A second filing of one dispute id upsets both docket-disputes and
        // docket-relations; report it once, from the former.
        let relations = self
            .relations
            .anomalies()
            .iter()
            .filter(|a| a.kind != Kind::DisputeFiled);
        self.disputes
            .anomalies()
            .iter()
            .chain(self.holdings.anomalies())
            .chain(relations)
    }

    /// The anomalies on entries `first` and later, given the events stored
    /// there: what a validated append dated after everything must not add.
    /// Costs the anomaly lists and the new events, not a walk of every
    /// dispute and partnership as [`Projections::anomalies`] does.
    pub(crate) fn anomalies_since<'a>(
        &self,
        first: u64,
        new: impl IntoIterator<Item = &'a Event>,
    ) -> Vec<Anomaly> {
        let mut found: Vec<Anomaly> = self
            .own_anomalies()
            .filter(|a| a.seq >= first)
            .cloned()
            .collect();
        let named: Vec<&Slug> = new
            .into_iter()
            .filter_map(|event| match &event.body {
                Body::DisputeFiled(d) => Some(&d.dispute),
                Body::PartnershipFormed(p) => Some(&p.partnership),
                _ => None,
            })
            .collect();
        found.extend(
            self.unregistered_references_among(Some(&named))
                .into_iter()
                .filter(|a| a.seq >= first),
        );
        found.sort_by_key(|a| a.seq);
        found
    }

    /// Parties of disputes and partnerships must be registered before the
    /// filing or forming names them (in replay order: effective, then seq).
    fn unregistered_references(&self) -> Vec<Anomaly> {
        self.unregistered_references_among(None)
    }

    /// [`Projections::unregistered_references`] of the disputes and
    /// partnerships with the given slugs only (`None`: of all).
    fn unregistered_references_among(&self, only: Option<&[&Slug]>) -> Vec<Anomaly> {
        let registered_before = |slug: &Slug, at: (i64, u64)| {
            self.holdings
                .get(slug.as_str())
                .is_some_and(|e| (e.registered.instant_micros(), e.registered_seq) < at)
        };
        let mut found = Vec::new();
        let disputes: Vec<&docket_disputes::Dispute> = match only {
            None => self.disputes.iter().collect(),
            Some(slugs) => slugs
                .iter()
                .filter_map(|s| self.disputes.get(s.as_str()))
                .collect(),
        };
        let partnerships: Vec<&docket_relations::Partnership> = match only {
            None => self.relations.partnerships().collect(),
            Some(slugs) => slugs
                .iter()
                .filter_map(|s| self.relations.partnership(s.as_str()))
                .collect(),
        };
        for dispute in disputes {
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
        for partnership in partnerships {
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
    /// What the revisions in force do, by target: `None` for a retracted
    /// event (a retraction wins over a correction), the latest correction's
    /// content otherwise. One map, so that replay hashes each event's id
    /// once rather than once per kind of revision.
    fn by_target(&self) -> HashMap<&EventId, Option<&Event>> {
        let mut map: HashMap<&EventId, Option<&Event>> = self
            .corrected
            .iter()
            .map(|(id, (_, replacement))| (id, Some(replacement)))
            .collect();
        map.extend(self.retracted.keys().map(|id| (id, None)));
        map
    }
}

/// The ids that revisions in force target, with a cheap filter in front of
/// the map: nearly every event is not revised, and the filter rules most
/// of them out from the [`id_hash`] noted when each event was decoded,
/// without the map's own (seeded, costlier) hash or reading the event.
struct Targets<'a> {
    map: HashMap<&'a EventId, Option<&'a Event>>,
    /// One bit per filter slot, set for each target's slot; about sixteen
    /// slots per target, so about one event in sixteen reaches the map.
    bits: Vec<u64>,
    /// A slot is the hash shifted right by this: its top log2(slots) bits.
    shift: u32,
}

impl<'a> Targets<'a> {
    fn new(map: HashMap<&'a EventId, Option<&'a Event>>) -> Targets<'a> {
        // Capped, so that the shift below stays in range whatever the count.
        let slots = map
            .len()
            .saturating_mul(16)
            .clamp(64, 1 << 26)
            .next_power_of_two();
        let shift = 64 - slots.trailing_zeros();
        let mut targets = Targets {
            map,
            bits: vec![0; slots / 64],
            shift,
        };
        let slots: Vec<usize> = targets
            .map
            .keys()
            .map(|id| targets.slot(id_hash(id)))
            .collect();
        for slot in slots {
            if let Some(word) = targets.bits.get_mut(slot / 64) {
                *word |= 1 << (slot % 64);
            }
        }
        targets
    }

    /// The filter slot of an id whose [`id_hash`] is `hash`: its top bits.
    fn slot(&self, hash: u64) -> usize {
        usize::try_from(hash.checked_shr(self.shift).unwrap_or(0)).unwrap_or(0)
    }

    /// Whether a revision may target an id whose [`id_hash`] is `hash`;
    /// `false` for nearly every id that none targets.
    fn may_target(&self, hash: u64) -> bool {
        if self.map.is_empty() {
            return false;
        }
        let slot = self.slot(hash);
        let word = self.bits.get(slot / 64).copied().unwrap_or(u64::MAX);
        word & (1 << (slot % 64)) != 0
    }

    fn get(&self, id: &EventId) -> Option<&Option<&'a Event>> {
        if !self.may_target(id_hash(id)) {
            return None;
        }
        self.map.get(id)
    }
}

/// What the revisions do to `event`: `None` if it is dropped (retracted, or
/// without an id), `Some(None)` if it stands as it is, and
/// `Some(Some(corrected))` if a correction replaces its content (under the
/// event's own id). Borrowing lets replay keep unrevised events where they
/// are (nearly all of them) instead of moving each one.
fn revise(targets: &Targets<'_>, event: &Event) -> Option<Option<Event>> {
    let id = event.id.as_ref()?;
    match targets.get(id) {
        None => Some(None),
        Some(None) => None,
        Some(Some(replacement)) => {
            let mut corrected = (*replacement).clone();
            corrected.id = Some(id.clone());
            Some(Some(corrected))
        }
    }
}

/// Resolves the revisions among `meta` (correction and retraction events
/// with their seqs, in seq order).
pub(crate) fn resolve(meta: &[(u64, Event)]) -> Resolution {
    let meta: Vec<(u64, &Event)> = meta.iter().map(|(seq, event)| (*seq, event)).collect();
    resolve_refs(&meta)
}

/// [`resolve`] over borrowed events, so that replay need not move or copy
/// the revisions out of the entries it holds.
fn resolve_refs(meta: &[(u64, &Event)]) -> Resolution {
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
    for &(seq, event) in meta {
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
            seq,
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
                    .insert(c.target.clone(), (seq, (*c.replacement).clone()));
            }
            Body::Retraction(r) => {
                resolution.retracted.insert(r.target.clone(), seq);
            }
            _ => {}
        }
    }
    resolution
}

/// Where replay hands over the events it is done with, in batches of
/// `(seq, event)` (see [`replay_handing_over`]).
pub(crate) type EventSink<'a> = &'a mut dyn FnMut(Vec<(u64, Event)>);

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
    let part = entries
        .into_iter()
        .map(|(seq, event)| (seq, Some(event)))
        .collect();
    replay_parts(vec![part], as_of)
}

/// [`replay`] of entries that come in parts (each in seq order, the parts
/// one after another), as several decoding threads return them. The parts
/// are never joined into one vector: events are large, and moving a
/// million of them into fresh memory costs a fifth of a replay. Events are
/// dropped in batches as soon as every projection has applied them, so the
/// memory they held can be reused by the projections they are folded into.
pub(crate) fn replay_parts(parts: Vec<Part>, as_of: Option<i64>) -> Replayed {
    replay_handing_over(parts, as_of, None)
}

/// [`replay_parts`] that hands every event of `parts` over to `applied`
/// once it is done with it, in batches and in no particular order, instead
/// of dropping it: those it applied as it goes, the rest (revisions, key
/// events, events revised away or past `as_of`) at the end. A caller that
/// must also read every event (verify, checking the index) does so on
/// another thread as the replay goes, without the events being held longer
/// than the replay holds them.
pub(crate) fn replay_handing_over(
    mut parts: Vec<Part>,
    as_of: Option<i64>,
    applied: Option<EventSink<'_>>,
) -> Replayed {
    // Sort small keys, not events. A key is (instant, seq, part, position
    // in the part, slot), where the slot is `PLAIN` or the index of a
    // corrected copy in `corrected`. The part and position make keys
    // unique even if seqs repeat (`project` takes seqs from its caller),
    // so the order is fixed and each event is applied once.
    const PLAIN: usize = usize::MAX;
    let mut corrected: Vec<Event> = Vec::new();
    let mut order: Vec<(i64, u64, usize, usize, usize)> =
        Vec::with_capacity(parts.iter().map(|part| part.keys().len()).sum());
    let revisions = {
        let meta: Vec<(u64, &Event)> = parts.iter().flat_map(Part::revisions).collect();
        let resolution = resolve_refs(&meta);
        let targets = Targets::new(resolution.by_target());
        for (p, part) in parts.iter().enumerate() {
            // Revisions and key events have no key: revisions were resolved
            // above, and key events are about who may write, not about the
            // world (projections ignore them, and they must not move the
            // latest valid time: the root key is dated the day a ledger is
            // made).
            for key in part.keys() {
                // An event without an id is dropped, as `revise` would.
                let Some(hash) = key.id_hash else { continue };
                let (instant, slot) = if targets.may_target(hash) {
                    let Some(event) = part.get(key.position) else {
                        continue;
                    };
                    match revise(&targets, event) {
                        None => continue,
                        Some(None) => (key.instant, PLAIN),
                        Some(Some(c)) => {
                            let instant = c.effective.instant_micros();
                            corrected.push(c);
                            (instant, corrected.len() - 1)
                        }
                    }
                } else {
                    (key.instant, PLAIN)
                };
                if as_of.is_none_or(|limit| instant <= limit) {
                    order.push((instant, key.seq, p, key.position, slot));
                }
            }
        }
        drop(targets);
        resolution.revisions
    };
    // The keys are in `order` now; the parts need only their events, and
    // each frees a block once it has given up every event of it that is
    // applied. What is not applied is kept only if it is to be handed
    // over.
    for part in &mut parts {
        part.forget_keys();
        part.keep_untaken(applied.is_some());
    }
    for &(_, _, p, position, slot) in &order {
        if slot == PLAIN
            && let Some(part) = parts.get_mut(p)
        {
            part.expect_take(position);
        }
    }
    order.sort_unstable();
    // Each event in order: taken out of its part, or a corrected copy.
    let mut events = order.iter().filter_map(|&(instant, seq, p, j, slot)| {
        let event = if slot == PLAIN {
            Ordered::Taken(parts.get_mut(p)?.take(j)?)
        } else {
            Ordered::Corrected(corrected.get(slot)?)
        };
        Some((instant, seq, event))
    });
    let mut handover = Handover::new(applied);
    let (projections, max_instant) = apply::apply(order.len(), &mut events, &mut handover);
    let untaken = parts.into_iter().flat_map(Part::into_events);
    handover.finish(untaken.filter_map(|(seq, event)| Some((seq, event?))));
    Replayed {
        projections,
        revisions,
        max_instant,
    }
}

/// Folds events that are already in hand (from a bundle, say) into
/// projections, with the same rules as a ledger's replay.
pub fn project(events: Vec<(u64, Event)>) -> Projections {
    replay(events, None).projections
}

mod apply;
mod part;
#[cfg(test)]
mod tests;
