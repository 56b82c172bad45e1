//! Nothing enters the ledger unless it fits the history: each rejection
//! exits with 4, names the conflicting event, and leaves head, size and
//! snapshot as they were.

use std::path::Path;

use crate::support::{head_of, new_ledger, run, run_ok};

const HISTORY: &str = r#"{"id":"reg-acme","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}
{"id":"reg-beta","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta"}
{"id":"reg-unit","kind":"entity.registered","effective":"2020-01-01","entity":"beta-unit","name":"Beta Unit","parent":"beta"}
{"id":"filed","kind":"dispute.filed","effective":"2022-01-01","dispute":"acme-v-beta","title":"Acme v. Beta","forum":{"court":"ded"},"nature":"patent","plaintiffs":["acme"],"defendants":["beta"]}
{"id":"ruling","kind":"dispute.ruling","effective":"2023-01-01","dispute":"acme-v-beta","outcome":"infringement","favor":"acme"}
{"id":"old-suit","kind":"dispute.filed","effective":"2021-01-01","dispute":"old-suit","title":"Old","forum":{"court":"ded"},"nature":"contract","plaintiffs":["beta"],"defendants":["acme"]}
{"id":"old-settled","kind":"dispute.settled","effective":"2021-06-01","disputes":["old-suit"]}
{"id":"formed","kind":"partnership.formed","effective":"2022-05-01","partnership":"acme-beta","parties":["acme","beta"]}
"#;

fn snapshot_of(path: &Path) -> Option<Vec<u8>> {
    let log = docket_log::Log::open(path).unwrap();
    log.derived_file("snapshot").unwrap()
}

#[test]
fn events_that_do_not_fit_the_history_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "checked.ledger");
    let history = dir.path().join("history.ndjson");
    std::fs::write(&history, HISTORY).unwrap();
    run_ok(&ledger, &["import", history.to_str().unwrap()]);
    run_ok(&ledger, &["state"]);

    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "a ruling before the dispute was filed",
            r#"{"id":"early-ruling","kind":"dispute.ruling","effective":"2021-06-01","dispute":"acme-v-beta","outcome":"valid"}"#,
            &["early-ruling", "acme-v-beta"],
        ),
        (
            "settling a closed dispute",
            r#"{"id":"again","kind":"dispute.settled","effective":"2022-01-01","disputes":["old-suit"]}"#,
            &["again", "old-suit"],
        ),
        (
            "a divestment by a seller that does not hold the asset",
            r#"{"id":"sale","kind":"divestment","effective":"2022-01-01","seller":"acme","asset":"beta-unit"}"#,
            &["sale", "does not hold"],
        ),
        (
            "a back-dated dismissal that makes a later ruling impossible",
            r#"{"id":"dismissal","kind":"dispute.dismissed","effective":"2022-06-01","dispute":"acme-v-beta","reason":"voluntary"}"#,
            &["dismissal", "entry 4", "ruling"],
        ),
        (
            "a partnership ended before it was formed",
            r#"{"id":"ended","kind":"partnership.ended","effective":"2022-01-01","partnership":"acme-beta"}"#,
            &["ended", "acme-beta"],
        ),
        (
            "a correction whose replacement breaks later events",
            r#"{"id":"fix","kind":"correction","effective":"2024-01-01","target":"reg-acme","reason":"renamed slug","replacement":{"kind":"entity.registered","effective":"2020-01-01","entity":"acme-corp","name":"Acme"}}"#,
            &["fix", "acme"],
        ),
    ];
    for (name, event, fragments) in cases {
        let before = (head_of(&ledger), snapshot_of(&ledger));
        let file = dir.path().join("event.json");
        std::fs::write(&file, event).unwrap();
        let output = run(&ledger, &["append", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{name}: {stderr}");
        for fragment in fragments {
            assert!(
                stderr.contains(fragment),
                "{name}: expected {fragment:?} in {stderr}"
            );
        }
        let after = (head_of(&ledger), snapshot_of(&ledger));
        assert_eq!(
            (after.0.size, after.0.hash),
            (before.0.size, before.0.hash),
            "{name}: head moved"
        );
        assert_eq!(after.1, before.1, "{name}: snapshot changed");

        // The same through the library: a Conflict naming the event.
        {
            let library = docket_ledger::Ledger::open(&ledger).unwrap();
            let error = library
                .append_json(event, &docket_ledger::AppendOptions::default())
                .unwrap_err();
            assert!(
                matches!(error, docket_ledger::AppendError::Conflict { .. }),
                "{name}: {error}"
            );
            assert!(error.to_string().contains(fragments[0]), "{name}: {error}");
            assert_eq!(
                library.head().hash,
                before.0.hash,
                "{name}: library append moved the head"
            );
        }
        assert_eq!(snapshot_of(&ledger), before.1, "{name}: snapshot changed");

        // The same event inside an import is refused before anything is written.
        let output = run(&ledger, &["import", file.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(4), "{name}: import");
        assert_eq!(
            head_of(&ledger).hash,
            before.0.hash,
            "{name}: import moved the head"
        );

        // Recorded anyway on request, it shows up as an anomaly.
        let output = run(
            &ledger,
            &[
                "--json",
                "append",
                "--allow-anomalies",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: --allow-anomalies");
        let state: serde_json::Value =
            serde_json::from_str(&run_ok(&ledger, &["--json", "state"])).unwrap();
        assert!(
            !state["anomalies"].as_array().unwrap().is_empty(),
            "{name}: no anomaly reported"
        );
        // Undo for the next case: a retraction that itself fits.
        let retraction = dir.path().join("undo.json");
        let id = serde_json::from_str::<serde_json::Value>(event).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        std::fs::write(&retraction, format!(r#"{{"kind":"retraction","effective":"2024-06-01","target":"{id}","reason":"test"}}"#)).unwrap();
        run_ok(&ledger, &["append", retraction.to_str().unwrap()]);
        let state: serde_json::Value =
            serde_json::from_str(&run_ok(&ledger, &["--json", "state"])).unwrap();
        assert!(
            state["anomalies"].as_array().unwrap().is_empty(),
            "{name}: {}",
            state["anomalies"]
        );
        run_ok(&ledger, &["state"]);
    }
}

#[test]
fn a_batch_may_depend_on_itself_and_fails_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "batch.ledger");
    let good = dir.path().join("good.ndjson");
    std::fs::write(&good, HISTORY).unwrap();
    let output = run_ok(&ledger, &["append", good.to_str().unwrap()]);
    assert!(output.contains("appended"), "{output}");
    assert_eq!(head_of(&ledger).size, 8);

    // A batch whose last event breaks its first: nothing is stored.
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        concat!(
            r#"{"id":"gamma","kind":"entity.registered","effective":"2020-01-01","entity":"gamma","name":"Gamma"}"#,
            "\n",
            r#"{"id":"g-suit","kind":"dispute.filed","effective":"2024-01-01","dispute":"g-suit","title":"G","forum":{"court":"ded"},"nature":"patent","plaintiffs":["gamma"],"defendants":["acme"]}"#,
            "\n",
            r#"{"id":"g-ruling","kind":"dispute.ruling","effective":"2023-01-01","dispute":"g-suit","outcome":"valid"}"#,
            "\n"
        ),
    )
    .unwrap();
    let output = run(&ledger, &["append", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&output.stderr).contains("g-ruling"));
    assert_eq!(head_of(&ledger).size, 8);
}
