//! One writer at a time: threads are serialised, processes are refused or
//! told the head moved.

use std::process::Stdio;
use std::sync::Arc;

use docket_ledger::{AppendOptions, Ledger, hex};

use crate::support::{docket, head_of, new_ledger, run_json};

#[test]
fn four_threads_append_four_thousand_events_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::init(&dir.path().join("threads.ledger")).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let event = format!(
                        r#"{{"kind":"entity.registered","effective":"2020-01-01","entity":"t{t}-e{i}","name":"Thread {t} entity {i}"}}"#
                    );
                    ledger.append_json(&event, &AppendOptions::default()).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(ledger.head().size, 4000);
    let report = ledger.verify(&mut |_, _| {});
    assert!(report.is_ok(), "{report:?}");
    let state = ledger.state(&docket_ledger::TimeQuery::default()).unwrap();
    assert_eq!(
        state.projections.holdings.len(),
        4000,
        "no event lost or duplicated"
    );
}

#[test]
fn two_processes_racing_on_one_head_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_ledger(dir.path(), "race.ledger");
    for round in 0..3 {
        let head = hex(&head_of(&path).hash);
        let children: Vec<_> = (0..2)
            .map(|racer| {
                let file = dir.path().join(format!("r{round}-{racer}.json"));
                let event = format!(
                    r#"{{"kind":"entity.registered","effective":"2020-01-01","entity":"round{round}-racer{racer}","name":"R"}}"#
                );
                std::fs::write(&file, event).unwrap();
                docket(&path)
                    .args(["append", "--expect-head", &head, file.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outcomes: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let winners = outcomes.iter().filter(|o| o.status.success()).count();
        assert_eq!(winners, 1, "round {round}: {outcomes:?}");
        let loser = outcomes.iter().find(|o| !o.status.success()).unwrap();
        let stderr = String::from_utf8_lossy(&loser.stderr);
        assert!(
            stderr.contains("moved on") || stderr.contains("in use by another process"),
            "round {round}: {stderr}"
        );
        assert_eq!(head_of(&path).size, round + 1);
    }
    assert_eq!(run_json(&path, &["verify"])["ok"], true);
}
