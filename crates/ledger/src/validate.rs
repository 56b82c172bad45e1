//! Validation against the history (DESIGN.md section 5): an event is
//! accepted only if it fits the state at its effective date *and* leaves
//! every later event valid. Both are checked at once by comparing the
//! anomalies of the history with and without the new events: any anomaly
//! the new events add, on themselves or on an existing entry, refuses them.
//!
//! When every new event is dated at or after everything already applied and
//! none is a revision, the new events can only affect themselves, so they
//! are applied to a copy of the current state (from the snapshot). Otherwise
//! the whole history is replayed with them in place.
//!
//! Events that only move one dispute along (docket entries, rulings, stays,
//! resumptions, appeals, judgments, dismissals of the same dispute) can be
//! checked against that dispute's own history instead
//! ([`Ledger::validate_within_dispute`]): only docket-disputes reads them,
//! and it reads and changes nothing but that dispute's record, so the only
//! events whose fate they can change are the ones indexed under it.

use std::collections::HashMap;
use std::sync::Arc;

use docket_model::{Anomaly, Body, Event, EventId, Kind, Slug};

use crate::blocks::Blocks;
use crate::index::Family;
use crate::replay::{Part, Projections, Revision, replay, replay_parts};
use crate::{AppendError, Ledger, TimeQuery};

/// The state of everything recorded once the new events are in, worked out
/// while validating them: after the append it becomes the current state.
pub(crate) struct Validated {
    pub projections: Projections,
    pub max_instant: i64,
    pub revisions: Vec<Revision>,
    /// How far the stored snapshot is behind this state, if it can catch
    /// up (see `snapshot::Cached`).
    pub lag: Option<u64>,
}

/// Anomalies are compared by where they are and what kind of event they
/// are on, not by their wording: a valid correction may reword an anomaly
/// that was already there (a date in its reason), which is not a new one.
type AnomalyKey = (u64, Kind);

/// The anomalies of `after` that `before` does not have (as many of each
/// place and kind as `after` has more).
fn added(before: Vec<Anomaly>, after: Vec<Anomaly>) -> Vec<Anomaly> {
    let mut known: HashMap<AnomalyKey, usize> = HashMap::new();
    for a in before {
        *known.entry((a.seq, a.kind)).or_insert(0) += 1;
    }
    after
        .into_iter()
        .filter(
            |anomaly| match known.get_mut(&(anomaly.seq, anomaly.kind)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            },
        )
        .collect()
}

/// The dispute every one of `new` is about, if each is an event that only
/// moves an already filed dispute along and they all name the same one.
/// Filings (parties, countersuits, the relations projection) and
/// settlements (several disputes) are not such events.
fn sole_dispute(new: &[(u64, Event)]) -> Option<&Slug> {
    let mut sole: Option<&Slug> = None;
    for (_, event) in new {
        let dispute = match &event.body {
            Body::DisputeEntry(b) => &b.dispute,
            Body::DisputeRuling(b) => &b.dispute,
            Body::DisputeStayed(b) => &b.dispute,
            Body::DisputeResumed(b) => &b.dispute,
            Body::DisputeAppealed(b) => &b.dispute,
            Body::DisputeJudgment(b) => &b.dispute,
            Body::DisputeDismissed(b) => &b.dispute,
            _ => return None,
        };
        match sole {
            Some(first) if first != dispute => return None,
            _ => sole = Some(dispute),
        }
    }
    sole
}

impl Ledger {
    /// Checks that `new` (events with the seqs they will get, in seq order)
    /// fit the whole history. The caller holds the write lock.
    pub(crate) fn validate(&self, new: Blocks<(u64, Event)>) -> Result<Validated, AppendError> {
        // The events move into the replay; errors need only their ids.
        let ids: Vec<(u64, Option<EventId>)> =
            new.iter().map(|(seq, e)| (*seq, e.id.clone())).collect();
        let current = self.current_state(&TimeQuery::default(), self.head(), false)?;
        let all_later = new.iter().all(|(_, e)| {
            e.kind().is_key()
                || (!e.kind().is_meta() && e.effective.instant_micros() >= current.max_instant)
        });
        let added: Vec<Anomaly>;
        let validated = if all_later {
            // Applied after everything already there, the new events cannot
            // change how an existing entry applies: only anomalies on the
            // new entries can be new. The cached state is dropped so that
            // it is extended in place, not copied; it is cached again once
            // the append lands (a refused append costs the next query a
            // catch-up from the stored snapshot).
            let lag = self.cached_lag().map(|lag| lag + new.len() as u64);
            self.forget_cached_state();
            let mut projections = Arc::unwrap_or_clone(current.projections);
            let mut max_instant = current.max_instant;
            let mut ordered: Vec<&(u64, Event)> =
                new.iter().filter(|(_, e)| !e.kind().is_key()).collect();
            ordered.sort_by_key(|(seq, e)| (e.effective.instant_micros(), *seq));
            for (seq, event) in ordered {
                projections.apply(*seq, event);
                max_instant = max_instant.max(event.effective.instant_micros());
            }
            let first_new = new.iter().next().map_or(u64::MAX, |(seq, _)| *seq);
            added = projections.anomalies_since(first_new, new.iter().map(|(_, e)| e));
            Validated {
                projections,
                max_instant,
                revisions: Arc::unwrap_or_clone(current.revisions),
                lag,
            }
        } else {
            let before = current.anomalies();
            let mut parts = self.decode_parts(0..current.head.size)?;
            parts.push(Part::from_entries(new));
            let replayed = replay_parts(parts, None);
            added = self::added(before, replayed.projections.anomalies());
            Validated {
                projections: replayed.projections,
                max_instant: replayed.max_instant,
                revisions: replayed.revisions,
                lag: None,
            }
        };
        match added.into_iter().min_by_key(|a| a.seq) {
            None => Ok(validated),
            Some(first) => Err(self.conflict(&ids, first)),
        }
    }

    /// Checks `new` (as for [`Ledger::validate`]) against the history of
    /// the one dispute they are all about, read through the index, when
    /// they are events that can only change that dispute (see
    /// [`sole_dispute`]). Returns `Ok(false)`, having checked nothing, for
    /// any other events.
    ///
    /// The verdict is the one a replay of the whole history would give:
    /// the events the new ones can affect are those applied to the same
    /// dispute record, all indexed under the dispute (with the revisions
    /// that reach them and what those revise). Anomalies the narrow replay
    /// adds elsewhere (another dispute of a settlement, parties not
    /// registered in it) are the same with and without the new events, so
    /// comparing before and after cancels them out. This costs a few dozen
    /// entries where loading the whole state costs seconds at millions of
    /// events, and a backdated docket entry no longer replays everything.
    pub(crate) fn validate_within_dispute(
        &self,
        new: &[(u64, Event)],
    ) -> Result<bool, AppendError> {
        let Some(dispute) = sole_dispute(new) else {
            return Ok(false);
        };
        let history = self.indexed_events(Family::Dispute, dispute.as_str(), self.head().size)?;
        let before = replay(history.iter().cloned(), None)
            .projections
            .anomalies();
        let after = replay(history.into_iter().chain(new.iter().cloned()), None)
            .projections
            .anomalies();
        match added(before, after).into_iter().min_by_key(|a| a.seq) {
            None => Ok(true),
            Some(first) => {
                let ids: Vec<(u64, Option<EventId>)> =
                    new.iter().map(|(seq, e)| (*seq, e.id.clone())).collect();
                Err(self.conflict(&ids, first))
            }
        }
    }

    /// The error for the first anomaly the new events would cause.
    fn conflict(&self, new: &[(u64, Option<EventId>)], anomaly: Anomaly) -> AppendError {
        let id_at = |seq: u64| -> Option<EventId> {
            match new.iter().find(|(s, _)| *s == seq) {
                Some((_, id)) => id.clone(),
                None => self
                    .get(seq)
                    .ok()
                    .flatten()
                    .and_then(|stored| stored.event.id),
            }
        };
        let offender = new.first().and_then(|(_, id)| id.clone());
        let is_new = new.iter().any(|(s, _)| *s == anomaly.seq);
        let subject = id_at(anomaly.seq)
            .map(|id| id.to_string())
            .unwrap_or_else(|| format!("entry {}", anomaly.seq));
        let message = if is_new {
            format!(
                "event {subject} does not fit the history: {}",
                anomaly.reason
            )
        } else {
            let who = match (&offender, new.len()) {
                (Some(id), 1) => format!("event {id}"),
                _ => "this batch".to_string(),
            };
            format!(
                "{who} would make entry {} ({} {subject}) invalid: {}",
                anomaly.seq,
                anomaly.kind.as_str(),
                anomaly.reason
            )
        };
        AppendError::Conflict {
            message,
            seq: anomaly.seq,
        }
    }
}
