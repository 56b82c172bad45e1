//! Verify's check of the derived data, the index and the snapshot, from
//! the events the pass over the log decoded.
//!
//! Both checks read every event: the snapshot's through a replay, the
//! index's to work out what it must hold. Done in turn, the index check
//! kept one core busy for most of a second at a million entries while the
//! other waited, and the replay could only start after it. So the replay
//! runs on the calling thread and hands each event, once applied, to a
//! thread that works out the event's id hash and terms and then drops it
//! (all but the revisions and the events they target, a few percent, kept
//! for the revisions' terms): the events are held no longer than the
//! replay alone holds them, and the index is compared with what it must
//! hold while the snapshot is.

use std::sync::mpsc::sync_channel;

use foldhash::{HashMap, HashMapExt, HashSet};

use docket_log::Head;
use docket_model::{Event, EventId};

use crate::index::{Terms, revision_chain, terms_for};
use crate::index_store::id_hash;
use crate::replay::{EventSink, Part};
use crate::{Ledger, ReadError};

/// Batches of handed-over events waiting for the index thread: enough
/// that the replay does not wait while the thread is busy with one, few
/// enough that events are not held long after they are applied.
const WAITING: usize = 8;

/// Each term, and the seqs indexed under it.
type Postings = HashMap<Vec<u8>, Vec<u64>>;

/// A finding: the entry, and what is wrong there.
type Finding = (u64, String);

/// What the index must hold, gathered from the events as they are handed
/// over, in any order.
///
/// A revision is indexed under the terms of every event its chain reaches
/// (see [`revision_chain`]). Those events may come before or after it, so
/// the revisions, and the events they target (named up front, as the walk
/// over the log met the revisions), are kept until every event is in.
struct Expected<'t> {
    /// (id hash, seq) of every event.
    ids: Vec<(u64, u64)>,
    /// Each term's postings, in no particular order.
    postings: Postings,
    /// The ids revisions target, and the events found under them (the one
    /// with the lowest seq, should an id be held twice).
    targets: &'t HashSet<EventId>,
    targeted: HashMap<EventId, (u64, Event)>,
    revisions: Vec<(u64, Event)>,
    /// Events gathered.
    events: usize,
}

impl<'t> Expected<'t> {
    fn new(targets: &'t HashSet<EventId>) -> Self {
        Expected {
            ids: Vec::new(),
            postings: HashMap::new(),
            targets,
            targeted: HashMap::new(),
            revisions: Vec::new(),
            events: 0,
        }
    }

    /// Gathers the ids of `events` and the terms of those that are not
    /// revisions; keeps the revisions and their targets.
    fn add(&mut self, events: Vec<(u64, Event)>) {
        self.events += events.len();
        for (seq, event) in events {
            let Some(id) = &event.id else { continue };
            self.ids.push((id_hash(id), seq));
            if event.body.target().is_none() {
                add_postings(&mut self.postings, &terms_for(&event, &[]), seq);
            }
            let targeted = self.targets.contains(id)
                && self.targeted.get(id).is_none_or(|(kept, _)| seq < *kept);
            match (event.body.target().is_some(), targeted) {
                // A revision that is itself revised: kept twice.
                (true, true) => {
                    self.revisions.push((seq, event.clone()));
                    self.targeted.insert(id.clone(), (seq, event));
                }
                (true, false) => self.revisions.push((seq, event)),
                (false, true) => {
                    self.targeted.insert(id.clone(), (seq, event));
                }
                (false, false) => {}
            }
        }
    }

    /// Adds the revisions' postings, once every event is gathered.
    fn finish(mut self) -> (Vec<(u64, u64)>, Postings) {
        let targeted = &self.targeted;
        for (seq, event) in &self.revisions {
            let related = revision_chain(event, |id| targeted.get(id).map(|(_, e)| e));
            add_postings(&mut self.postings, &terms_for(event, related), *seq);
        }
        (self.ids, self.postings)
    }
}

/// Notes that entry `seq` is indexed under each of `terms`.
fn add_postings(postings: &mut Postings, terms: &Terms, seq: u64) {
    for term in terms.iter() {
        match postings.get_mut(term) {
            Some(seqs) => seqs.push(seq),
            None => {
                postings.insert(term.to_vec(), vec![seq]);
            }
        }
    }
}

/// Of `runs` of entries whose ids hash alike (each in seq order), the first
/// entry, below `bound`, that holds an id an earlier entry of its run holds:
/// the finding, with the ids read by `id_of`. Ids that only hash alike are
/// no finding; an entry whose id cannot be read is one.
fn first_held_twice(
    mut runs: Vec<Vec<u64>>,
    bound: Option<u64>,
    id_of: impl Fn(u64) -> Result<EventId, String>,
) -> Option<Finding> {
    // By each run's second entry, the earliest it could name.
    runs.sort_unstable_by_key(|run| run.get(1).copied());
    let mut first: Option<Finding> = None;
    for run in runs {
        let below = |seq: u64| {
            bound.is_none_or(|bound| seq < bound)
                && first.as_ref().is_none_or(|(found, _)| seq < *found)
        };
        if !run.get(1).is_some_and(|&second| below(second)) {
            // Sorted by second entry: no later run can name an earlier one.
            break;
        }
        let mut held: Vec<(EventId, u64)> = Vec::new();
        let mut found = None;
        for (at, &seq) in run.iter().enumerate() {
            if at > 0 && !below(seq) {
                break;
            }
            match id_of(seq) {
                Ok(id) => match held.iter().find(|(earlier, _)| *earlier == id) {
                    Some((_, earlier)) => {
                        found = Some((seq, format!("id {id} is also held by entry {earlier}")));
                        break;
                    }
                    None => held.push((id, seq)),
                },
                Err(reason) => {
                    let (named, other) = match at {
                        0 => (run.get(1).copied().unwrap_or(seq), seq),
                        _ => (seq, run[0]),
                    };
                    found = Some((
                        named,
                        format!("its id hashes like entry {other}'s, and {reason}"),
                    ));
                    break;
                }
            }
        }
        if found.is_some() {
            first = found;
        }
    }
    first
}

impl Ledger {
    /// Checks the index against `events` (every entry's, in seq order up to
    /// `head`) and, if `with_snapshot`, the snapshot against their replay:
    /// the index's first finding, and the snapshot's verdict (`None` when
    /// not judged).
    pub(super) fn check_derived(
        &self,
        head: Head,
        events: Part,
        targets: &HashSet<EventId>,
        with_snapshot: bool,
    ) -> (Option<Finding>, Option<Result<Option<bool>, ReadError>>) {
        let (count, below) = events.count_and_end();
        let check_snapshot = |events: Part, hand_over: EventSink<'_>| {
            if with_snapshot {
                Some(self.snapshot_matches_events(head, events, hand_over))
            } else {
                hand_over(events.into_present());
                None
            }
        };
        std::thread::scope(|scope| {
            let (to_index, handed_over) = sync_channel::<Vec<(u64, Event)>>(WAITING);
            let index = std::thread::Builder::new()
                .name("docket-verify-index".to_owned())
                .spawn_scoped(scope, move || {
                    let mut expected = Expected::new(targets);
                    // Every event arrives before the replay returns, so the
                    // index is compared while the snapshot is.
                    while expected.events < count {
                        let Ok(batch) = handed_over.recv() else { break };
                        expected.add(batch);
                    }
                    self.check_gathered(expected, count, below)
                });
            match index {
                Ok(index) => {
                    let snapshot = check_snapshot(events, &mut |batch| {
                        // The thread only hangs up by panicking, which the
                        // join passes on.
                        let _ = to_index.send(batch);
                    });
                    drop(to_index);
                    let finding = index
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (finding, snapshot)
                }
                // Out of threads: in turn, here.
                Err(_) => {
                    let mut expected = Expected::new(targets);
                    let snapshot = check_snapshot(events, &mut |batch| expected.add(batch));
                    (self.check_gathered(expected, count, below), snapshot)
                }
            }
        })
    }

    /// [`Ledger::check_expected`] once `count` events are gathered. Fewer
    /// means the replay stopped (it panicked, and the panic is passed on)
    /// or lost some: either way the index is not judged, let alone
    /// discarded, on part of the entries.
    fn check_gathered(&self, expected: Expected<'_>, count: usize, below: u64) -> Option<Finding> {
        if expected.events != count {
            let gathered = expected.events;
            return Some((
                0,
                format!(
                    "the index was not checked: {gathered} of {count} events reached the check"
                ),
            ));
        }
        self.check_expected(expected, below)
    }

    /// The id index must list every entry under its id, no two entries may
    /// hold the same id, and the term postings must be what the entries
    /// call for (entries from `below` on were appended since, and are not
    /// judged): the first entry (by seq) for which one fails, with the
    /// reason. An index that disagrees with the entries is discarded.
    fn check_expected(&self, expected: Expected<'_>, below: u64) -> Option<Finding> {
        let (mut ids, postings) = expected.finish();
        let findings = match self.with_index(|index, log| index.check_ids(log, &mut ids)) {
            Ok(findings) => findings,
            Err(e) => return Some((0, format!("reading the id index: {e}"))),
        };
        if !findings.missing.is_empty() {
            // Derived data that disagrees with the log: reported, and
            // rebuilt from the entries on the next lookup.
            let _ = self.discard_index();
        }
        // Only the first finding is reported, so only the entries that can
        // make it are read back to word it (every one of a million missing
        // ids read back took seconds).
        let first_missing = findings.missing.iter().min().copied();
        let missing = first_missing.map(|seq| match self.stored_id(seq) {
            Ok(id) => (seq, format!("id {id} is missing from the id index")),
            Err(reason) => (
                seq,
                format!("its id is missing from the id index ({reason})"),
            ),
        });
        let twice = first_held_twice(findings.same_hash, first_missing, |seq| self.stored_id(seq));
        if let Some(finding) = twice.or(missing) {
            return Some(finding);
        }
        match self.with_index(|index, log| index.check_terms(log, &postings, below)) {
            Ok(None) => None,
            Ok(Some((seq, term))) => {
                let _ = self.discard_index();
                Some((
                    seq,
                    format!("the index of {term} disagrees with the entries here"),
                ))
            }
            Err(e) => Some((0, format!("reading the index: {e}"))),
        }
    }

    /// The id of the event stored at `seq`, read back to word a finding
    /// (the events verify decoded are gone by then); why it cannot be.
    fn stored_id(&self, seq: u64) -> Result<EventId, String> {
        let unreadable = |reason: String| format!("entry {seq} could not be read back: {reason}");
        let entry = match self.log.get(seq) {
            Ok(Some(entry)) => entry,
            Ok(None) => return Err(unreadable("it is beyond the head".to_owned())),
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let event = Event::decode(&entry.payload).map_err(|e| unreadable(e.to_string()))?;
        event
            .id
            .ok_or_else(|| unreadable("its event has no id".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use docket_model::EventId;

    use super::first_held_twice;

    /// Reads ids from `named`; any other entry cannot be read.
    fn ids(named: &[(u64, &str)]) -> impl Fn(u64) -> Result<EventId, String> {
        let named: Vec<(u64, EventId)> = named
            .iter()
            .map(|(seq, id)| (*seq, EventId::new(*id).unwrap()))
            .collect();
        move |seq| {
            let found = named.iter().find(|(s, _)| *s == seq);
            found
                .map(|(_, id)| id.clone())
                .ok_or_else(|| format!("entry {seq} is unreadable"))
        }
    }

    #[test]
    fn an_id_held_twice_is_found_anywhere_in_its_run() {
        // X, Y, X: neighbours differ, the run does not.
        let id_of = ids(&[(1, "x"), (2, "y"), (3, "x"), (10, "p"), (11, "q")]);
        let found = first_held_twice(vec![vec![10, 11], vec![1, 2, 3]], None, &id_of);
        assert_eq!(found, Some((3, "id x is also held by entry 1".to_owned())));
        // Ids that only hash alike are no finding; a bound cuts the search.
        assert_eq!(first_held_twice(vec![vec![10, 11]], None, &id_of), None);
        assert_eq!(first_held_twice(vec![vec![1, 2, 3]], Some(3), &id_of), None);
        // Of two runs, the one whose repeat comes first.
        let id_of = ids(&[(1, "a"), (9, "a"), (4, "b"), (5, "b")]);
        let found = first_held_twice(vec![vec![1, 9], vec![4, 5]], None, &id_of);
        assert_eq!(found.map(|(seq, _)| seq), Some(5));
        // An entry that cannot be read back is a finding, not a pass.
        let found = first_held_twice(vec![vec![1, 2]], None, ids(&[(1, "a")])).unwrap();
        assert_eq!(found.0, 2);
        assert!(found.1.contains("unreadable"), "{}", found.1);
    }
}
