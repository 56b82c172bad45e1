//! Answering questions of time: the state of everything, of one dispute or
//! of one entity, for any [`TimeQuery`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;
use std::sync::Arc;

use docket_disputes::{Dispute, Histories};
use docket_holdings::Entity;
use docket_log::Head;
use docket_model::{Anomaly, Event, EventId, Slug};
use docket_relations::{Partnership, View};

use crate::index::{Family, slug_term};
use crate::replay::{Part, Projections, Replayed, Revision, replay, replay_parts};
use crate::{Ledger, ReadError, TimeQuery};

/// How a state was obtained; reported so that users and benchmarks can see
/// whether the snapshot was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateSource {
    /// The stored snapshot matched the head.
    Snapshot,
    /// The snapshot was behind and the new entries were applied to it.
    Incremental,
    /// Everything visible was replayed from the log.
    Replay,
}

/// The projections for one query, with what they are based on.
#[derive(Debug, Clone)]
pub struct State {
    /// The query answered.
    pub query: TimeQuery,
    /// How many entries (a prefix of the log) the query could see.
    pub visible: u64,
    /// The ledger's head when the query ran.
    pub head: Head,
    /// Disputes, holdings and relations (shared with the ledger's cache
    /// when the state is the current one).
    pub projections: Arc<Projections>,
    /// Corrections and retractions among the visible entries.
    pub revisions: Arc<Vec<Revision>>,
    /// Where the projections came from.
    pub source: StateSource,
    /// The latest effective instant applied (`i64::MIN` if none).
    pub max_instant: i64,
    /// [`Histories::Skip`] when every dispute's `history` was left out
    /// (see [`Ledger::state_without_histories`]); else
    /// [`Histories::Read`].
    pub histories: Histories,
}

impl State {
    /// Conflicts and countersuits, with entities grouped by their ultimate
    /// parent and disputes judged by their status.
    pub fn relations_view(&self) -> View {
        let p = &self.projections;
        p.relations.view(
            &|entity: &Slug| p.holdings.ultimate_parent(entity),
            &|dispute: &Slug| p.disputes.is_active(dispute.as_str()),
            &|dispute: &Slug| p.disputes.get(dispute.as_str()).and_then(|d| d.closed),
        )
    }

    /// Every anomaly (see [`Projections::anomalies`]).
    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.projections.anomalies()
    }
}

/// One dispute as of a query, with what it takes to read it.
#[derive(Debug, Clone)]
pub struct DisputeView {
    /// The dispute.
    pub dispute: Dispute,
    /// The projections built from this dispute's events and its parties'
    /// entity events (for names and groups).
    pub projections: Projections,
    /// Revisions that touched this dispute's events.
    pub revisions: Vec<Revision>,
    /// Entries read to answer (a measure of the index's work).
    pub entries_read: u64,
}

/// One entity as of a query.
#[derive(Debug, Clone)]
pub struct EntityView {
    /// The entity.
    pub entity: Entity,
    /// Its ultimate parent.
    pub ultimate_parent: Slug,
    /// Disputes in which it is a plaintiff or a defendant.
    pub disputes: Vec<Dispute>,
    /// Partnerships it is a party to.
    pub partnerships: Vec<Partnership>,
    /// The disputes and relations of the events about it, and the
    /// holdings its place was read from, which name everyone it names.
    /// Those are the whole current state's holdings, or as they stood at
    /// the query's date (then without anomalies: an anomaly does not say
    /// when its event was effective), unless [`EntityView::structure`] is
    /// [`StateSource::Replay`]: then they are its corporate family's.
    pub projections: Projections,
    /// Revisions of the events about it.
    pub revisions: Vec<Revision>,
    /// Entries read to answer: through the index, and those decoded to
    /// catch the stored holdings up (an entry may be counted in both).
    pub entries_read: u64,
    /// Where its place in corporate structure came from: the holdings of
    /// the state in memory or of the stored snapshot
    /// ([`StateSource::Snapshot`]), the stored holdings caught up over
    /// later structural events ([`StateSource::Incremental`]), or a replay
    /// of its corporate family ([`StateSource::Replay`]).
    pub structure: StateSource,
}

impl Ledger {
    /// How many entries a query can see: a prefix of the log.
    pub fn visible_size(&self, query: &TimeQuery) -> Result<u64, ReadError> {
        let mut size = self.head().size;
        if let Some(last) = query.at_seq {
            size = size.min(last.saturating_add(1));
        }
        if let Some(known_at) = query.known_at {
            // Recorded-at never decreases along the log: binary search for
            // the first entry recorded after `known_at`.
            let (mut low, mut high) = (0u64, size);
            while low < high {
                let middle = low + (high - low) / 2;
                let recorded = self
                    .log
                    .get(middle)?
                    .map(|e| e.header.recorded_at)
                    .unwrap_or(i64::MAX);
                if recorded <= known_at {
                    low = middle + 1;
                } else {
                    high = middle;
                }
            }
            size = low;
        }
        Ok(size)
    }

    /// The state of every dispute, entity and relationship for `query`.
    pub fn state(&self, query: &TimeQuery) -> Result<State, ReadError> {
        let head = self.head();
        let visible = self.visible_size(query)?;
        if visible == head.size && query.as_of.is_none() {
            return self.current_state(query, head, true);
        }
        let replayed = self.replay_prefix(visible, query.as_of)?;
        Ok(State {
            query: *query,
            visible,
            head,
            projections: Arc::new(replayed.projections),
            revisions: Arc::new(replayed.revisions),
            source: StateSource::Replay,
            max_instant: replayed.max_instant,
            histories: Histories::Read,
        })
    }

    /// Replays entries `0..visible` from the log.
    pub(crate) fn replay_prefix(
        &self,
        visible: u64,
        as_of: Option<i64>,
    ) -> Result<Replayed, ReadError> {
        Ok(replay_parts(self.decode_parts(0..visible)?, as_of))
    }

    /// The events of entries `seqs`, in seq order, in consecutive parts. A
    /// long range is read and decoded in parts on several threads: decoding
    /// is a third of a replay, and the parts need nothing from each other.
    pub(crate) fn decode_parts(&self, seqs: Range<u64>) -> Result<Vec<Part>, ReadError> {
        const PARALLEL_FROM: u64 = 65_536;
        let end = seqs.end.min(self.head().size);
        let len = end.saturating_sub(seqs.start);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8) as u64;
        let decode_part = |part: Range<u64>| -> Result<Part, ReadError> {
            let mut events = Part::with_capacity((part.end - part.start) as usize);
            let mut entries = self.log.range(part);
            while let Some(entry) = entries.next_borrowed() {
                let (header, payload) = entry?;
                let seq = header.seq;
                let event = Event::decode(payload).map_err(|e| ReadError::Payload {
                    seq,
                    message: e.to_string(),
                })?;
                events.push(seq, Some(event));
            }
            Ok(events)
        };
        if threads < 2 || len < PARALLEL_FROM {
            return Ok(vec![decode_part(seqs.start..end)?]);
        }
        // Parts end on chunk boundaries (64 entries), so no chunk is read twice.
        let step = (len / threads).div_ceil(64) * 64;
        let parts: Vec<Range<u64>> = (0..threads)
            .map(|i| (seqs.start + i * step).min(end)..(seqs.start + (i + 1) * step).min(end))
            .filter(|part| !part.is_empty())
            .collect();
        let decoded: Vec<Result<Part, ReadError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .iter()
                .map(|part| scope.spawn(|| decode_part(part.clone())))
                .collect();
            handles
                .into_iter()
                // A part that panicked is read again here, on this thread.
                .zip(&parts)
                .map(|(handle, part)| handle.join().unwrap_or_else(|_| decode_part(part.clone())))
                .collect()
        });
        decoded.into_iter().collect()
    }

    /// Adds to `seqs` the targets of the revisions among them, recursively,
    /// and every other revision of those targets: a correction that moved
    /// an event into a dispute is indexed under that dispute, but neither
    /// the event it corrects nor a later correction that moved it on
    /// elsewhere is.
    ///
    /// `read` holds events already read, by seq, and receives every event
    /// of `seqs` this reads: a caller that grows the set in rounds reads
    /// each entry once, and finds the events of `seqs` there afterwards.
    pub(crate) fn close_over_targets(
        &self,
        seqs: &mut BTreeSet<u64>,
        visible: u64,
        read: &mut BTreeMap<u64, Event>,
    ) -> Result<(), ReadError> {
        let mut pending: Vec<u64> = seqs.iter().copied().collect();
        let mut targets: HashSet<u64> = HashSet::new();
        // The events at the bottom of the revision chains reached, and the
        // ids of every event in the set.
        let mut roots: Vec<Event> = Vec::new();
        let mut ids: HashSet<EventId> = HashSet::new();
        while let Some(seq) = pending.pop() {
            let event = match read.entry(seq) {
                std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::btree_map::Entry::Vacant(slot) => match self.get(seq)? {
                    Some(stored) => slot.insert(stored.event),
                    None => continue,
                },
            };
            ids.extend(event.id.clone());
            let Some(target) = event.body.target() else {
                if targets.contains(&seq) {
                    roots.push(event.clone());
                }
                continue;
            };
            if let Some(target_seq) = self.seq_of(target)?
                && target_seq < visible
                && seqs.insert(target_seq)
            {
                targets.insert(target_seq);
                pending.push(target_seq);
            }
        }
        for root in roots {
            self.add_revisions_of(&root, seqs, &mut ids, visible, read)?;
        }
        Ok(())
    }

    /// Adds to `seqs` every visible revision whose chain ends at `root`
    /// (`ids`: those of the events in `seqs`). Each is indexed under every
    /// term of `root` (format.md §4.6), so one term's postings hold them
    /// all: the narrowest is read, and only its entries not in `seqs`.
    fn add_revisions_of(
        &self,
        root: &Event,
        seqs: &mut BTreeSet<u64>,
        ids: &mut HashSet<EventId>,
        visible: u64,
        read: &mut BTreeMap<u64, Event>,
    ) -> Result<(), ReadError> {
        let rank = |term: &&[u8]| match term.get(..2) {
            Some(b"d:") => 0,
            Some(b"p:") => 1,
            Some(b"s:") => 2,
            _ => 3,
        };
        let terms = crate::index::terms_for(root, &[]);
        let Some(term) = terms.iter().min_by_key(rank) else {
            return Ok(());
        };
        let postings = self.with_index(|index, log| index.postings(log, term))?;
        // Targets come before their revisions, so one pass in seq order
        // meets every revision after what it revises.
        for seq in postings.into_iter().filter(|&seq| seq < visible) {
            if seqs.contains(&seq) {
                continue;
            }
            let Some(stored) = self.get(seq)? else {
                continue;
            };
            let event = stored.event;
            if let (Some(target), Some(id)) = (event.body.target(), event.id.clone())
                && ids.contains(target)
            {
                ids.insert(id);
                seqs.insert(seq);
                read.insert(seq, event);
            }
        }
        Ok(())
    }

    /// The visible entries indexed under `slug`, in seq order.
    pub(crate) fn indexed_events(
        &self,
        family: Family,
        slug: &str,
        visible: u64,
    ) -> Result<Vec<(u64, Event)>, ReadError> {
        let mut seqs = BTreeSet::new();
        self.collect_indexed(family, slug, visible, &mut seqs)?;
        let mut read = BTreeMap::new();
        self.close_over_targets(&mut seqs, visible, &mut read)?;
        Ok(read.into_iter().collect())
    }

    /// Adds to `seqs` every visible entry indexed under `slug`.
    pub(crate) fn collect_indexed(
        &self,
        family: Family,
        slug: &str,
        visible: u64,
        seqs: &mut BTreeSet<u64>,
    ) -> Result<(), ReadError> {
        let term = slug_term(family, slug);
        let postings = self.with_index(|index, log| index.postings(log, &term))?;
        seqs.extend(postings.into_iter().filter(|&seq| seq < visible));
        Ok(())
    }

    /// Replays only the events indexed under the given slugs, growing the
    /// set with `expand` (which names more slugs given the events read in
    /// the last round: a dispute's parties, an entity's parents) until
    /// nothing new is asked for.
    fn replay_around(
        &self,
        query: &TimeQuery,
        start: Vec<(Family, String)>,
        expand: impl Fn(&[&Event]) -> Vec<(Family, String)>,
    ) -> Result<(Replayed, u64), ReadError> {
        let visible = self.visible_size(query)?;
        let mut asked: HashSet<(Family, String)> = HashSet::new();
        let mut seqs = BTreeSet::new();
        let mut pending = start;
        // Every event of `seqs`, each read once however many rounds there
        // are.
        let mut events = BTreeMap::new();
        // Each event is expanded once: an entity's corporate family took
        // eighteen rounds, and naming every slug of every event read so far
        // in each was a fifth of the view.
        let mut expanded: HashSet<u64> = HashSet::new();
        loop {
            let mut grew = false;
            for (family, slug) in pending.drain(..) {
                if asked.insert((family, slug.clone())) {
                    self.collect_indexed(family, &slug, visible, &mut seqs)?;
                    grew = true;
                }
            }
            if !grew {
                break;
            }
            // Every round asks for at least one new slug, and there are
            // finitely many, so this ends.
            self.close_over_targets(&mut seqs, visible, &mut events)?;
            let new: Vec<&Event> = events
                .iter()
                .filter(|(seq, _)| expanded.insert(**seq))
                .map(|(_, event)| event)
                .collect();
            pending = expand(&new);
        }
        let read = events.len() as u64;
        Ok((
            replay(events.into_iter().collect::<Vec<_>>(), query.as_of),
            read,
        ))
    }

    /// One dispute as of `query`, read through the index: its own events,
    /// and the structural events of its parties (for their names), never
    /// the parties' other disputes nor their groups: a view of one dispute
    /// shows no ultimate parents, and following acquirers and buyers from
    /// party to party reached most of a large corporate graph.
    pub fn dispute(&self, id: &str, query: &TimeQuery) -> Result<Option<DisputeView>, ReadError> {
        self.dispute_reading(id, query, |events| {
            let own = events.iter().filter(|event| !is_structural(event));
            own.flat_map(|event| event.entities())
                .map(|slug| (Family::Structure, slug.to_string()))
                .collect()
        })
    }

    /// One dispute with its parties' whole corporate families (the old
    /// breadth of [`Ledger::dispute`]): what an evidence bundle carries so
    /// that its reader can place every party in its group.
    pub(crate) fn dispute_in_families(
        &self,
        id: &str,
        query: &TimeQuery,
    ) -> Result<Option<DisputeView>, ReadError> {
        self.dispute_reading(id, query, structure_of_those_named)
    }

    /// One dispute, reading what `expand` asks for around its entries.
    fn dispute_reading(
        &self,
        id: &str,
        query: &TimeQuery,
        expand: impl Fn(&[&Event]) -> Vec<(Family, String)>,
    ) -> Result<Option<DisputeView>, ReadError> {
        let start = vec![(Family::Dispute, id.to_string())];
        let (replayed, entries_read) = self.replay_around(query, start, expand)?;
        let Some(dispute) = replayed.projections.disputes.get(id).cloned() else {
            return Ok(None);
        };
        Ok(Some(DisputeView {
            dispute,
            projections: replayed.projections,
            revisions: replayed.revisions,
            entries_read,
        }))
    }

    /// One entity as of `query`.
    ///
    /// Its disputes, partnerships and revisions come from the events about
    /// it, read through the index: those naming it, its structural events,
    /// and the events of the disputes and partnerships they name it in.
    ///
    /// Its place in corporate structure (its names, parents, children and
    /// group) and everyone's names come from the holdings of the whole
    /// current state, read from the snapshot without its disputes, as they
    /// stood at the query's date
    /// ([`docket_holdings::Holdings::entities_as_of`]), when the query
    /// sees every entry. Otherwise (or without a snapshot that can catch
    /// up), they come from a replay of every structural event its
    /// corporate family ever reached: whether an acquisition or a
    /// divestment took effect depends on the ancestors, at the time, of
    /// the entities it moves, and following them reaches most of a large
    /// corporate graph.
    pub fn entity(&self, id: &str, query: &TimeQuery) -> Result<Option<EntityView>, ReadError> {
        let head = self.head();
        let visible = self.visible_size(query)?;
        // Every read below stops at the entries visible now, whatever is
        // appended meanwhile.
        let Some(last) = visible.checked_sub(1) else {
            return Ok(None);
        };
        let pinned = TimeQuery {
            at_seq: Some(last),
            ..*query
        };
        let current = match visible == head.size {
            true => self.current_holdings(head, query.as_of),
            false => None,
        };
        let start = || {
            vec![
                (Family::Entity, id.to_string()),
                (Family::Structure, id.to_string()),
            ]
        };
        let naming_it = |events: &[&Event]| disputes_and_partnerships_naming(id, events);
        let structure = match current {
            Some((_, 0)) => StateSource::Snapshot,
            Some(_) => StateSource::Incremental,
            None => StateSource::Replay,
        };
        let (holdings, structure_read) = match current {
            Some(current) => current,
            None => {
                let (family, read) = self.replay_around(&pinned, start(), |events| {
                    let mut more = structure_of_those_named(events);
                    more.extend(naming_it(events));
                    more
                })?;
                // The family's replay read every event about the entity
                // too, but its revisions are those of everything it read:
                // the events about it are replayed again, below.
                (family.projections.holdings, read)
            }
        };
        let Some(entity) = holdings.get(id).cloned() else {
            return Ok(None);
        };
        let (about, read) = self.replay_around(&pinned, start(), naming_it)?;
        let entries_read = match structure {
            StateSource::Replay => structure_read,
            _ => read + structure_read,
        };
        let Projections {
            disputes,
            relations,
            ..
        } = about.projections;
        let names_it = |slugs: &[Slug]| slugs.iter().any(|s| s.as_str() == id);
        let own_disputes = disputes
            .iter()
            .filter(|d| names_it(&d.plaintiffs) || names_it(&d.defendants))
            .cloned()
            .collect();
        let partnerships = relations
            .partnerships()
            .filter(|x| names_it(&x.parties))
            .cloned()
            .collect();
        Ok(Some(EntityView {
            ultimate_parent: holdings.ultimate_parent(&entity.id),
            entity,
            disputes: own_disputes,
            partnerships,
            revisions: about.revisions,
            projections: Projections {
                disputes,
                holdings,
                relations,
            },
            entries_read,
            structure,
        }))
    }
}

/// The disputes and partnerships that the given events name the entity
/// `id` in.
fn disputes_and_partnerships_naming(id: &str, events: &[&Event]) -> Vec<(Family, String)> {
    let mut more = Vec::new();
    for event in events {
        if !is_structural(event) && event.entities().iter().any(|e| e.as_str() == id) {
            more.extend(
                event
                    .disputes()
                    .into_iter()
                    .map(|s| (Family::Dispute, s.to_string())),
            );
            more.extend(
                event
                    .partnerships()
                    .into_iter()
                    .map(|s| (Family::Partnership, s.to_string())),
            );
        }
    }
    more
}

/// The structural events of every entity the given events name: enough to
/// name them and find their groups. Following structural events only keeps
/// the expansion within corporate families.
fn structure_of_those_named(events: &[&Event]) -> Vec<(Family, String)> {
    events
        .iter()
        .flat_map(|event| event.entities())
        .map(|slug| (Family::Structure, slug.to_string()))
        .collect()
}

/// Events that shape corporate structure: following the entities they
/// name reaches a whole corporate family, and no further.
pub(crate) fn is_structural(event: &Event) -> bool {
    structural_subject(event).is_some()
}

/// The entity whose name or parent a structural event changes: the one it
/// is indexed under in the `s:` family. (An acquisition is about its
/// target, not its acquirer, so reading up a parent chain never pulls in
/// everything a large group ever bought.)
pub(crate) fn structural_subject(event: &Event) -> Option<&Slug> {
    match &event.body {
        docket_model::Body::EntityRegistered(e) => Some(&e.entity),
        docket_model::Body::EntityRenamed(e) => Some(&e.entity),
        docket_model::Body::Acquisition(a) => Some(&a.target),
        docket_model::Body::Divestment(d) => Some(&d.asset),
        _ => None,
    }
}
