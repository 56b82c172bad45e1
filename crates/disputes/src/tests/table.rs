//! The crate documentation's status table, cell by cell: every event kind
//! applied to a dispute in every status.

use docket_model::{Event, Kind, Outcome, Projection};

use super::*;
use crate::Status::{self, Decided, Dismissed, OnAppeal, Open, Settled, Stayed};

/// The columns of the table, in order.
pub(super) const COLUMNS: [Status; 6] = [Open, Stayed, OnAppeal, Settled, Dismissed, Decided];

/// Rows: the event, then the status after it for each column (`None`: the
/// event is an anomaly). Written out independently of the code under test.
pub(super) const TABLE: [(&str, [Option<Status>; 6]); 8] = [
    (
        "stayed",
        [Some(Stayed), None, Some(Stayed), None, None, None],
    ),
    ("resumed", [None, Some(Open), None, None, None, None]),
    (
        "appealed",
        [
            Some(OnAppeal),
            None,
            None,
            None,
            Some(OnAppeal),
            Some(OnAppeal),
        ],
    ),
    (
        "judgment",
        [Some(Decided), None, Some(Decided), None, None, None],
    ),
    (
        "dismissed",
        [
            Some(Dismissed),
            Some(Dismissed),
            Some(Dismissed),
            None,
            None,
            None,
        ],
    ),
    (
        "settled",
        [
            Some(Settled),
            Some(Settled),
            Some(Settled),
            None,
            None,
            None,
        ],
    ),
    (
        "ruling",
        [Some(Open), Some(Stayed), Some(OnAppeal), None, None, None],
    ),
    (
        "entry",
        [
            Some(Open),
            Some(Stayed),
            Some(OnAppeal),
            Some(Settled),
            Some(Dismissed),
            Some(Decided),
        ],
    ),
];

const SETUP_DAY: &str = "2024-01-02";
const EVENT_DAY: &str = "2024-02-01";

/// Events that bring dispute `d` into `status`.
fn reach(status: Status) -> Vec<Event> {
    let mut events = vec![filed("d", "2024-01-01")];
    events.extend(match status {
        Open => None,
        Stayed => Some(stayed("d", SETUP_DAY, None)),
        OnAppeal => Some(appealed("d", SETUP_DAY, None)),
        Settled => Some(settled(&["d"], SETUP_DAY, None)),
        Dismissed => Some(dismissed("d", SETUP_DAY, None)),
        Decided => Some(judgment("d", SETUP_DAY, None)),
    });
    events
}

fn row_event(row: &str) -> Event {
    match row {
        "stayed" => stayed("d", EVENT_DAY, None),
        "resumed" => resumed("d", EVENT_DAY),
        "appealed" => appealed("d", EVENT_DAY, None),
        "judgment" => judgment("d", EVENT_DAY, None),
        "dismissed" => dismissed("d", EVENT_DAY, None),
        "settled" => settled(&["d"], EVENT_DAY, None),
        "ruling" => ruling("d", EVENT_DAY, Outcome::Other, None),
        _ => entry("d", EVENT_DAY, None, "Order"),
    }
}

#[test]
fn setups_reach_their_status() {
    for status in COLUMNS {
        let state = run(&reach(status));
        assert_eq!(state.get("d").unwrap().status, status);
        assert!(state.anomalies().is_empty());
    }
}

#[test]
fn every_cell_of_the_status_table() {
    for (row, cells) in TABLE {
        for (from, expected) in COLUMNS.into_iter().zip(cells) {
            let cell = format!("{row} from {from}");
            let mut state = run(&reach(from));
            let before = state.clone();
            let old = before.get("d").unwrap();
            let e = row_event(row);
            state.apply(100, &e);
            let d = state.get("d").unwrap();
            match expected {
                Some(after) => {
                    assert!(
                        state.anomalies().is_empty(),
                        "{cell}: {:?}",
                        state.anomalies()
                    );
                    assert_eq!(d.status, after, "{cell}");
                    assert_eq!(d.history.len(), old.history.len() + 1, "{cell}");
                    let last = d.history.last().unwrap();
                    assert_eq!(
                        (last.seq, last.kind, last.status_after),
                        (100, e.kind(), after)
                    );
                    let closed = if !after.is_terminal() {
                        None
                    } else if from.is_terminal() {
                        old.closed // an entry after closure keeps the closing date
                    } else {
                        Some(at(EVENT_DAY))
                    };
                    assert_eq!(d.closed, closed, "{cell}");
                    assert_eq!(state.is_active("d"), !after.is_terminal(), "{cell}");
                }
                None => {
                    assert_eq!(d, old, "{cell}: the dispute must be untouched");
                    let [anomaly] = state.anomalies() else {
                        panic!("{cell}: expected one anomaly, got {:?}", state.anomalies());
                    };
                    assert_eq!((anomaly.seq, anomaly.kind), (100, e.kind()), "{cell}");
                    assert!(
                        anomaly.reason.contains("\"d\""),
                        "{cell}: {}",
                        anomaly.reason
                    );
                    assert!(
                        anomaly.reason.contains(from.as_str()),
                        "{cell}: {}",
                        anomaly.reason
                    );
                }
            }
        }
    }
}

#[test]
fn the_table_covers_every_dispute_kind_but_filing() {
    let rows: Vec<Kind> = TABLE.iter().map(|(row, _)| row_event(row).kind()).collect();
    for kind in Kind::ALL {
        let is_dispute = kind.as_str().starts_with("dispute.");
        let expected = is_dispute && kind != Kind::DisputeFiled;
        assert_eq!(rows.contains(&kind), expected, "{kind}");
    }
}
