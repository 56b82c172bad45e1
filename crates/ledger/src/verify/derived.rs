//! Verify's check of the derived data, the index and the snapshot, from
//! the events the pass over the log decoded.
//!
//! Both checks read every event: the snapshot's through a replay, the
//! index's to work out what it must hold. Done in turn, the index check
//! kept one core busy for most of a second at a million entries while the
//! other waited, and the replay could only start after it. So the replay
//! runs on the calling thread and hands each event, once applied, to a
//! thread that works out the event's id hash and terms and then drops it:
//! the events are held no longer than the replay alone holds them, and
//! the index is compared with what it must hold while the snapshot is.

use std::sync::mpsc::sync_channel;

use foldhash::{HashMap, HashMapExt};

use docket_log::Head;
use docket_model::{Event, EventId};

use crate::index::{revision_chain, terms_for};
use crate::index_store::id_hash;
use crate::replay::{EventSink, Part};
use crate::{Ledger, ReadError};

/// Batches of handed-over events waiting for the index thread: enough
/// that the replay does not wait while the thread is busy with one, few
/// enough that events are not held long after they are applied.
const WAITING: usize = 8;

/// A finding: the entry, and what is wrong there.
type Finding = (u64, String);

/// What the index must hold, gathered from the events.
#[derive(Default)]
struct Expected {
    /// (id hash, seq) of every event.
    ids: Vec<(u64, u64)>,
    /// Each term's postings, in no particular order.
    postings: HashMap<Vec<u8>, Vec<u64>>,
    /// Events gathered.
    events: usize,
}

impl Expected {
    /// Starts from the postings of the revisions (see [`revision_postings`]).
    fn new(revisions: HashMap<Vec<u8>, Vec<u64>>) -> Expected {
        Expected {
            postings: revisions,
            ..Expected::default()
        }
    }

    /// Gathers the ids of `events`, and the terms of those that are not
    /// revisions.
    fn add(&mut self, events: Vec<(u64, Event)>) {
        self.events += events.len();
        for (seq, event) in events {
            if let Some(id) = &event.id {
                self.ids.push((id_hash(id), seq));
            }
            if event.body.target().is_none() {
                for term in terms_for(&event, &[]) {
                    self.postings.entry(term).or_default().push(seq);
                }
            }
        }
    }
}

/// The postings of the revisions among `events`. A revision is indexed
/// under the terms of every event its chain reaches (see
/// [`revision_chain`]), which replay may have dropped by the time the
/// revision reaches the index thread; so these are worked out first.
fn revision_postings(events: &[(u64, Option<Event>)]) -> HashMap<Vec<u8>, Vec<u64>> {
    let present = || {
        events
            .iter()
            .filter_map(|(seq, event)| Some((*seq, event.as_ref()?)))
    };
    let is_revision = |event: &Event| event.body.target().is_some();
    let mut postings: HashMap<Vec<u8>, Vec<u64>> = HashMap::new();
    if !present().any(|(_, event)| is_revision(event)) {
        return postings;
    }
    let mut by_id: HashMap<&EventId, &Event> = HashMap::with_capacity(events.len());
    for (_, event) in present() {
        if let Some(id) = &event.id {
            by_id.entry(id).or_insert(event);
        }
    }
    for (seq, event) in present().filter(|(_, event)| is_revision(event)) {
        let related = revision_chain(event, |id| by_id.get(id).map(|e| (*e).clone()));
        for term in terms_for(event, &related) {
            postings.entry(term).or_default().push(seq);
        }
    }
    postings
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
        with_snapshot: bool,
    ) -> (Option<Finding>, Option<Result<Option<bool>, ReadError>>) {
        let count = events.events().iter().filter(|(_, e)| e.is_some()).count();
        let below = events.events().last().map_or(0, |(seq, _)| seq + 1);
        let revisions = revision_postings(events.events());
        let check_snapshot = |events: Part, hand_over: EventSink<'_>| {
            if with_snapshot {
                Some(self.snapshot_matches_events(head, events, hand_over))
            } else {
                let events = events.into_events().into_iter();
                hand_over(
                    events
                        .filter_map(|(seq, event)| Some((seq, event?)))
                        .collect(),
                );
                None
            }
        };
        std::thread::scope(|scope| {
            let (to_index, handed_over) = sync_channel::<Vec<(u64, Event)>>(WAITING);
            let index = std::thread::Builder::new()
                .name("docket-verify-index".to_owned())
                .spawn_scoped(scope, move || {
                    let mut expected = Expected::new(revisions);
                    // Every event arrives before the replay returns, so the
                    // index is compared while the snapshot is. If one went
                    // missing, the channel's end stops this, and the index
                    // would be found to list an entry not gathered.
                    while expected.events < count {
                        let Ok(batch) = handed_over.recv() else { break };
                        expected.add(batch);
                    }
                    self.check_expected(expected, below)
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
                    let mut expected = Expected::new(revision_postings(events.events()));
                    let snapshot = check_snapshot(events, &mut |batch| expected.add(batch));
                    (self.check_expected(expected, below), snapshot)
                }
            }
        })
    }

    /// The id index must list every entry under its id, no two entries may
    /// hold the same id, and the term postings must be what the entries
    /// call for (entries from `below` on were appended since, and are not
    /// judged): the first entry (by seq) for which one fails, with the
    /// reason. An index that disagrees with the entries is discarded.
    fn check_expected(&self, expected: Expected, below: u64) -> Option<Finding> {
        let Expected { ids, postings, .. } = expected;
        let findings = match self.with_index(|index, log| index.check_ids(log, ids.clone())) {
            Ok(findings) => findings,
            Err(e) => return Some((0, format!("reading the id index: {e}"))),
        };
        if !findings.missing.is_empty() {
            // Derived data that disagrees with the log: reported, and
            // rebuilt from the entries on the next lookup.
            let _ = self.discard_index();
        }
        let missing = findings.missing.into_iter().filter_map(|seq| {
            let id = self.stored_id(seq)?;
            Some((seq, format!("id {id} is missing from the id index")))
        });
        let twice = findings
            .same_hash
            .into_iter()
            .filter_map(|(earlier, later)| {
                let id = self.stored_id(later)?;
                (self.stored_id(earlier).as_ref() == Some(&id))
                    .then(|| (later, format!("id {id} is also held by entry {earlier}")))
            });
        if let Some(finding) = missing.chain(twice).min_by_key(|(seq, _)| *seq) {
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
    /// (the events verify decoded are gone by then).
    fn stored_id(&self, seq: u64) -> Option<EventId> {
        let entry = self.log.get(seq).ok()??;
        Event::decode(&entry.payload).ok()?.id
    }
}
