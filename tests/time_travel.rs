//! Questions of time through the command line, on the founding example.

use serde_json::Value;

use crate::support::{example_ledger, new_ledger, run, run_json, run_ok};

fn statuses(state: &Value) -> Vec<(String, String)> {
    state["disputes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const NOKIA_SUITS: [&str; 10] = [
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

fn all(ids: &[&str], status: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = ids
        .iter()
        .map(|id| (id.to_string(), status.to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_founding_example_at_four_dates() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "example.ledger");

    // Before the first suit: a corporate history, no disputes.
    let before = run_json(&ledger, &["state", "--as-of", "2023-10-30"]);
    assert!(before["disputes"].as_array().unwrap().is_empty());
    assert!(before["partnerships"].as_array().unwrap().is_empty());
    assert!(before["conflicts"].as_array().unwrap().is_empty());
    let group = |state: &Value, id: &str| {
        state["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["ultimate_parent"]
            .clone()
    };
    assert_eq!(group(&before, "nokia-solutions-networks"), "nokia");
    assert_eq!(group(&before, "alcatel-lucent-sas"), "nokia");
    assert_eq!(group(&before, "nokia-devices-services"), "microsoft");
    assert_eq!(group(&before, "nokia-cbis"), "red-hat");
    assert!(
        before["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != "aws"),
        "registered on 2023-10-31"
    );
    assert_eq!(before["as_of"], "2023-10-30T23:59:59.999999Z");

    // The day before the partnership: Nokia's ten actions, no conflict yet.
    let spring = run_json(&ledger, &["state", "--as-of", "2024-05-07"]);
    assert_eq!(statuses(&spring), all(&NOKIA_SUITS, "open"));
    assert!(spring["conflicts"].as_array().unwrap().is_empty());

    // 31 July 2024: both Delaware suits open, partners while adversaries.
    let july = run_json(&ledger, &["state", "--as-of", "2024-07-31"]);
    let mut open: Vec<&str> = NOKIA_SUITS.to_vec();
    open.push("amazon-v-nokia-ded");
    assert_eq!(statuses(&july), all(&open, "open"));
    let partnerships = july["partnerships"].as_array().unwrap();
    assert_eq!(partnerships.len(), 1);
    assert_eq!(partnerships[0]["active"], true);
    let conflicts = july["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0]["parties"],
        serde_json::json!(["amazon", "nokia"])
    );
    assert_eq!(conflicts[0]["disputes"].as_array().unwrap().len(), 11);
    assert_eq!(
        conflicts[0]["partnerships"],
        serde_json::json!(["aws-nokia-telefonica-germany-5g-core"])
    );
    assert_eq!(
        july["countersuits"],
        serde_json::json!([{"dispute": "amazon-v-nokia-ded", "answers": "nokia-v-amazon-ded", "declared": true}])
    );
    assert!(july["anomalies"].as_array().unwrap().is_empty());
    assert_eq!(group(&july, "aws"), "amazon");

    // After the settlement: everything closed on 31 March 2025, no conflict.
    let after = run_json(&ledger, &["state", "--as-of", "2025-04-01"]);
    assert_eq!(statuses(&after), all(&open, "settled"));
    for dispute in after["disputes"].as_array().unwrap() {
        assert_eq!(dispute["closed"], "2025-03-31");
    }
    assert!(after["conflicts"].as_array().unwrap().is_empty());
    assert_eq!(
        after,
        run_json(&ledger, &["state", "--as-of", "2030-01-01"]).tap_as_of(&after)
    );
}

trait TapAsOf {
    fn tap_as_of(self, like: &Value) -> Value;
}

impl TapAsOf for Value {
    /// The same state with `as_of` taken from `like`, to compare the rest.
    fn tap_as_of(mut self, like: &Value) -> Value {
        self["as_of"] = like["as_of"].clone();
        self
    }
}

#[test]
fn a_retraction_is_invisible_after_and_visible_before_it_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "example.ledger");
    let before = run_json(&ledger, &["log"]);
    let last_recorded = before["entries"].as_array().unwrap().last().unwrap()["recorded_at"]
        .as_str()
        .unwrap()
        .to_string();

    let retraction = dir.path().join("retract.json");
    std::fs::write(
        &retraction,
        r#"{"kind":"retraction","effective":"2025-06-01","target":"aws-nokia-telefonica-germany-formed","reason":"demo: suppose the partnership report was wrong"}"#,
    )
    .unwrap();
    run_ok(&ledger, &["append", retraction.to_str().unwrap()]);

    // Known now: no partnership, so no conflict, at any date.
    let now = run_json(&ledger, &["state", "--as-of", "2024-07-31"]);
    assert!(now["partnerships"].as_array().unwrap().is_empty());
    assert!(now["conflicts"].as_array().unwrap().is_empty());
    // Known before the retraction was recorded: the partnership and the conflict.
    let then = run_json(
        &ledger,
        &[
            "state",
            "--as-of",
            "2024-07-31",
            "--known-at",
            &last_recorded,
        ],
    );
    assert_eq!(then["partnerships"].as_array().unwrap().len(), 1);
    assert_eq!(then["conflicts"].as_array().unwrap().len(), 1);
    // The same through --at-seq.
    let size = before["ledger"]["size"].as_u64().unwrap();
    let by_seq = run_json(
        &ledger,
        &[
            "state",
            "--as-of",
            "2024-07-31",
            "--at-seq",
            &(size - 1).to_string(),
        ],
    );
    assert_eq!(by_seq["conflicts"], then["conflicts"]);

    // The timeline still shows the event, marked, with the reason.
    let timeline = run_json(&ledger, &["timeline", "--entity", "aws"]);
    let formed = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "partnership.formed")
        .unwrap();
    assert_eq!(
        formed["retracted"]["reason"],
        "demo: suppose the partnership report was wrong"
    );
}

#[test]
fn one_dispute_and_one_entity_through_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "example.ledger");
    let dispute = run_json(
        &ledger,
        &["dispute", "amazon-v-nokia-ded", "--as-of", "2024-12-31"],
    );
    assert_eq!(dispute["status"], "open");
    assert_eq!(dispute["names"]["nokia"], "Nokia Corporation");
    let size = run_json(&ledger, &["log"])["ledger"]["size"]
        .as_u64()
        .unwrap();
    assert!(
        dispute["entries_read"].as_u64().unwrap() < size,
        "the index limits what is read"
    );
    let settled = run_json(&ledger, &["dispute", "amazon-v-nokia-ded"]);
    assert_eq!(settled["status"], "settled");
    assert_eq!(settled["history"].as_array().unwrap().len(), 2);

    let nsn = run_json(&ledger, &["entity", "nokia-solutions-networks"]);
    assert_eq!(nsn["ultimate_parent"], "nokia");
    assert_eq!(nsn["name"], "Nokia Solutions and Networks Oy");
    let nsn_2010 = run_json(
        &ledger,
        &[
            "entity",
            "nokia-solutions-networks",
            "--as-of",
            "2010-01-01",
        ],
    );
    assert_eq!(nsn_2010["ultimate_parent"], "nokia-solutions-networks");
    assert_eq!(nsn_2010["name"], "Nokia Siemens Networks");

    let unknown = run(&ledger, &["dispute", "no-such-dispute"]);
    assert_eq!(unknown.status.code(), Some(2));
    let bad_date = run(&ledger, &["state", "--as-of", "2024-13-01"]);
    assert_eq!(bad_date.status.code(), Some(2));
}

#[test]
fn indexed_views_follow_revision_chains() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "chains.ledger");
    let history = dir.path().join("history.ndjson");
    std::fs::write(
        &history,
        [
            r#"{"id":"a","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}"#,
            r#"{"id":"b","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta"}"#,
            r#"{"id":"d1","kind":"dispute.filed","effective":"2021-01-01","dispute":"d1","title":"One","forum":{"court":"ded"},"nature":"patent","plaintiffs":["acme"],"defendants":["beta"]}"#,
            r#"{"id":"d2","kind":"dispute.filed","effective":"2021-01-01","dispute":"d2","title":"Two","forum":{"court":"ded"},"nature":"patent","plaintiffs":["beta"],"defendants":["acme"]}"#,
            r#"{"id":"rul","kind":"dispute.ruling","effective":"2021-06-01","dispute":"d1","outcome":"valid"}"#,
            r#"{"id":"r1","kind":"retraction","effective":"2021-07-01","target":"rul","reason":"wrong case"}"#,
            r#"{"id":"r2","kind":"retraction","effective":"2021-08-01","target":"r1","reason":"it was the right case after all"}"#,
            r#"{"id":"stay","kind":"dispute.stayed","effective":"2021-09-01","dispute":"d1"}"#,
            r#"{"id":"move","kind":"correction","effective":"2021-10-01","target":"stay","reason":"stayed the other case","replacement":{"kind":"dispute.stayed","effective":"2021-09-01","dispute":"d2"}}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    run_ok(&ledger, &["import", history.to_str().unwrap()]);
    let state = run_json(&ledger, &["state"]);
    for id in ["d1", "d2"] {
        let everything = state["disputes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()
            .clone();
        let alone = run_json(&ledger, &["dispute", id]);
        assert_eq!(alone["status"], everything["status"], "{id}");
        let timeline = run_json(&ledger, &["timeline", "--dispute", id]);
        let ruling = timeline["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "dispute.ruling");
        if id == "d1" {
            assert_eq!(
                alone["history"].as_array().unwrap().len(),
                2,
                "filed and the reinstated ruling: {alone}"
            );
            assert!(
                ruling.is_some_and(|r| r.get("retracted").is_none()),
                "the ruling stands: {timeline}"
            );
        }
    }
    assert_eq!(run_json(&ledger, &["dispute", "d2"])["status"], "stayed");
    assert_eq!(run_json(&ledger, &["dispute", "d1"])["status"], "open");
}
