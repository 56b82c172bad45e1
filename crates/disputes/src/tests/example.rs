//! The founding example: `examples/amazon-nokia.ndjson`, replayed the way
//! the ledger replays it.

use docket_model::{Event, Projection};

use super::at;
use crate::{Disputes, Status};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/amazon-nokia.ndjson"
);

/// Every event of the file with its line index as seq, sorted by
/// `(effective instant, seq)` like the ledger's replay.
fn events() -> Vec<(u64, Event)> {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let mut events: Vec<(u64, Event)> = (0u64..)
        .zip(text.lines())
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(seq, line)| (seq, Event::from_json(line).unwrap()))
        .collect();
    events.sort_by_key(|(seq, e)| (e.effective.instant_micros(), *seq));
    events
}

/// The state after the events effective on or before `until` (all if None).
fn replay(until: Option<&str>) -> Disputes {
    let limit = until.map(|d| at(d).date());
    let mut state = Disputes::new();
    for (seq, e) in events() {
        if limit.is_none_or(|l| e.effective.date() <= l) {
            state.apply(seq, &e);
        }
    }
    state
}

/// The eleven disputes of the story, by id.
const ALL: [&str; 11] = [
    "amazon-v-nokia-ded",
    "nokia-v-amazon-ded",
    "nokia-v-amazon-delhi-hc",
    "nokia-v-amazon-ewhc",
    "nokia-v-amazon-itc-1379",
    "nokia-v-amazon-itc-1380",
    "nokia-v-amazon-lg-duesseldorf-1",
    "nokia-v-amazon-lg-duesseldorf-2",
    "nokia-v-amazon-lg-mannheim",
    "nokia-v-amazon-lg-munich",
    "nokia-v-amazon-upc-munich",
];

#[test]
fn at_the_end_of_july_2024_every_dispute_is_open() {
    let state = replay(Some("2024-07-31"));
    assert!(state.anomalies().is_empty(), "{:?}", state.anomalies());
    let got: Vec<(&str, Status)> = state.iter().map(|d| (d.id.as_str(), d.status)).collect();
    let expected: Vec<(&str, Status)> = ALL.iter().map(|id| (*id, Status::Open)).collect();
    assert_eq!(got, expected);
    assert!(
        state
            .iter()
            .all(|d| d.closed.is_none() && d.rulings.is_empty())
    );
    let counter = state.get("amazon-v-nokia-ded").unwrap();
    assert_eq!(counter.filed, at("2024-07-30"));
    assert_eq!(
        counter.responds_to.as_ref().map(|s| s.as_str()),
        Some("nokia-v-amazon-ded")
    );
    assert_eq!(state.active().count(), 11);
}

#[test]
fn before_the_countersuit_there_are_ten_disputes() {
    let state = replay(Some("2024-07-29"));
    assert_eq!(state.len(), 10);
    assert!(state.get("amazon-v-nokia-ded").is_none());
    assert!(state.anomalies().is_empty());
}

#[test]
fn after_everything_every_dispute_is_settled_on_2025_03_31() {
    let state = replay(None);
    assert!(state.anomalies().is_empty(), "{:?}", state.anomalies());
    let ids: Vec<&str> = state.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ALL);
    for d in state.iter() {
        assert_eq!(d.status, Status::Settled, "{}", d.id);
        assert_eq!(d.closed, Some(at("2025-03-31")), "{}", d.id);
        let last = d.history.last().unwrap();
        assert_eq!(
            last.summary(),
            "settled together with 10 other disputes (terms: patent agreement, confidential)"
        );
        assert_eq!(
            last.event.as_ref().map(|e| e.as_str()),
            Some("nokia-amazon-settlement")
        );
    }
    let munich = state.get("nokia-v-amazon-lg-munich").unwrap();
    assert_eq!(
        munich.history[1].summary(),
        "ruling: injunction for nokia-technologies"
    );
    let rulings: usize = state.iter().map(|d| d.rulings.len()).sum();
    assert_eq!(rulings, 5);
    assert!(!state.is_active("nokia-v-amazon-ded"));
}
