//! Properties over generated event sequences: `apply` never panics, replay
//! is deterministic, a state survives a bincode round trip, the state's own
//! invariants hold, and plausible histories follow the status table.

use std::collections::BTreeMap;

use docket_model::{Body, DismissalReason, Event, Outcome, Projection};
use proptest::collection::vec;
use proptest::prelude::*;

use super::table::{COLUMNS, TABLE};
use super::*;
use crate::Status;

/// The disputes that plausible histories talk about.
const POOL: [&str; 4] = ["d0", "d1", "d2", "d3"];

/// One step of a plausible history: (operation, dispute, extra, days later).
type Op = (u8, usize, u8, u32);

fn date(day: u32) -> String {
    format!(
        "{}-{:02}-{:02}",
        2020 + day / 336,
        1 + (day % 336) / 28,
        1 + day % 28
    )
}

/// Turns operations into events over [`POOL`], dated in non-decreasing
/// order (several on the same day, as real dockets have).
fn history(ops: &[Op]) -> Vec<Event> {
    let mut day = 0;
    ops.iter()
        .map(|&(op, i, extra, step)| {
            day += step;
            let (id, on) = (POOL[i], date(day));
            match op {
                0 => {
                    let other = POOL[usize::from(extra) % POOL.len()];
                    let responds = (extra % 3 == 0 && other != id).then_some(other);
                    event(&on, Body::DisputeFiled(Box::new(filed_body(id, responds))))
                }
                1 => entry(id, &on, Some("7"), "Motion"),
                2 => ruling(id, &on, Outcome::Infringement, Some("nokia")),
                3 => stayed(id, &on, Some("pending IPR")),
                4 => resumed(id, &on),
                5 => appealed(id, &on, None),
                6 => judgment(id, &on, None),
                7 => dismissed(id, &on, Some(DismissalReason::Other)),
                _ => {
                    // A non-empty subset of the pool, starting at `id`.
                    let listed: Vec<&str> = (0..POOL.len())
                        .filter(|k| *k == i || extra & (1 << k) != 0)
                        .map(|k| POOL[k])
                        .collect();
                    settled(&listed, &on, Some("confidential"))
                }
            }
        })
        .collect()
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    // Half the steps are about `d0`, so long histories of one dispute
    // (stay during appeal, resume, settle...) are common.
    let dispute = prop_oneof![Just(0), 0..POOL.len()];
    vec((0u8..9, dispute, any::<u8>(), 0u32..3), 0..60)
}

/// A reference model driven by the hand-written status table: the expected
/// status of every dispute and the seqs of the expected anomalies.
fn reference(events: &[Event]) -> (BTreeMap<String, Status>, Vec<u64>) {
    let mut status: BTreeMap<String, Status> = BTreeMap::new();
    let mut before_stay: BTreeMap<String, Status> = BTreeMap::new();
    let mut anomalies = Vec::new();
    let row = |name: &str| TABLE.iter().find(|(r, _)| *r == name).map(|(_, c)| *c);
    for (seq, e) in (0u64..).zip(events) {
        let (name, id) = match &e.body {
            Body::DisputeFiled(b) => {
                let id = b.dispute.to_string();
                if status.contains_key(&id) {
                    anomalies.push(seq);
                    continue;
                }
                if b.responds_to
                    .as_ref()
                    .is_some_and(|r| !status.contains_key(r.as_str()))
                {
                    anomalies.push(seq);
                }
                status.insert(id, Status::Open);
                continue;
            }
            Body::DisputeSettled(b) => {
                for id in &b.disputes {
                    match status.get_mut(id.as_str()) {
                        Some(s) if !s.is_terminal() => *s = Status::Settled,
                        _ => anomalies.push(seq),
                    }
                }
                continue;
            }
            Body::DisputeEntry(b) => ("entry", &b.dispute),
            Body::DisputeRuling(b) => ("ruling", &b.dispute),
            Body::DisputeStayed(b) => ("stayed", &b.dispute),
            Body::DisputeResumed(b) => ("resumed", &b.dispute),
            Body::DisputeAppealed(b) => ("appealed", &b.dispute),
            Body::DisputeJudgment(b) => ("judgment", &b.dispute),
            Body::DisputeDismissed(b) => ("dismissed", &b.dispute),
            _ => continue,
        };
        let Some(current) = status.get(id.as_str()).copied() else {
            anomalies.push(seq);
            continue;
        };
        let column = COLUMNS.iter().position(|c| *c == current).unwrap_or(0);
        match row(name).and_then(|cells| cells[column]) {
            None => anomalies.push(seq),
            Some(next) => {
                let next = if name == "resumed" {
                    before_stay.remove(id.as_str()).unwrap_or(Status::Open)
                } else {
                    next
                };
                if name == "stayed" {
                    before_stay.insert(id.to_string(), current);
                }
                status.insert(id.to_string(), next);
            }
        }
    }
    (status, anomalies)
}

/// What must hold of any state, whatever it was fed.
fn check_invariants(state: &Disputes) -> Result<(), TestCaseError> {
    for d in state.iter() {
        prop_assert_eq!(d.closed.is_some(), d.status.is_terminal(), "{}", d.id);
        prop_assert_eq!(
            d.stayed_from.is_some(),
            d.status == Status::Stayed,
            "{}",
            d.id
        );
        prop_assert_eq!(
            d.settlement.is_some(),
            d.status == Status::Settled,
            "{}",
            d.id
        );
        prop_assert_eq!(state.is_active(d.id.as_str()), !d.status.is_terminal());
        let first = d.history.first().map(|h| (h.seq, h.kind));
        prop_assert_eq!(first, Some((d.filed_seq, docket_model::Kind::DisputeFiled)));
        prop_assert_eq!(d.history.last().map(|h| h.status_after), Some(d.status));
        prop_assert!(d.history.windows(2).all(|w| w[0].seq < w[1].seq));
        prop_assert!(d.history.iter().all(|h| !h.summary().contains('\n')));
    }
    Ok(())
}

/// Replays twice (equal states, equal bytes) and round-trips through bincode.
fn check_replay(events: &[Event]) -> Result<Disputes, TestCaseError> {
    let config = bincode::config::standard();
    let state = run(events);
    let again = run(events);
    prop_assert_eq!(&state, &again);
    let bytes = bincode::encode_to_vec(&state, config).unwrap();
    prop_assert_eq!(&bytes, &bincode::encode_to_vec(&again, config).unwrap());
    let (decoded, read): (Disputes, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
    prop_assert_eq!(read, bytes.len());
    prop_assert_eq!(&decoded, &state);
    // Without the histories: the same bytes read to their end, and every
    // dispute as it was but for its history.
    let mut reader = bincode::de::read::SliceReader::new(&bytes);
    let mut decoder = bincode::de::DecoderImpl::new(&mut reader, config, ());
    let summary = Disputes::decode_with(&mut decoder, crate::Histories::Skip).unwrap();
    prop_assert!(bincode::de::read::Reader::peek_read(&mut reader, 1).is_none());
    prop_assert_eq!(summary.len(), state.len());
    for (without, with) in summary.iter().zip(state.iter()) {
        let cleared = crate::Dispute {
            history: Vec::new(),
            ..with.clone()
        };
        prop_assert_eq!(without, &cleared);
    }
    prop_assert_eq!(summary.anomalies(), state.anomalies());
    check_invariants(&state)?;
    Ok(state)
}

proptest! {
    #[test]
    fn plausible_histories_follow_the_status_table(ops in ops()) {
        let events = history(&ops);
        let state = check_replay(&events)?;
        let (expected, anomaly_seqs) = reference(&events);
        let got: BTreeMap<String, Status> =
            state.iter().map(|d| (d.id.to_string(), d.status)).collect();
        prop_assert_eq!(got, expected);
        let seqs: Vec<u64> = state.anomalies().iter().map(|a| a.seq).collect();
        prop_assert_eq!(seqs, anomaly_seqs);
    }

    #[test]
    fn arbitrary_events_in_any_order_never_break_apply(
        plausible in ops(),
        arbitrary in vec(docket_model::testing::event(), 0..16),
        seed in any::<u64>(),
    ) {
        let mut events = history(&plausible);
        events.extend(arbitrary);
        // A deterministic shuffle: dates out of order, unknown disputes,
        // corrections and retractions fed directly.
        let mut x = seed | 1;
        for i in (1..events.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = usize::try_from(x % (i as u64 + 1)).unwrap();
            events.swap(i, j);
        }
        check_replay(&events)?;
    }
}
