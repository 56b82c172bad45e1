//! Bad input gets a specific error, exit code 4, and changes nothing.

use crate::support::{head_of, new_ledger, run, run_ok};

const SETUP: &str = r#"{"id":"reg-acme","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme Corp."}
{"id":"reg-beta","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta GmbH"}
{"id":"acme-v-beta","kind":"dispute.filed","effective":"2021-03-04","dispute":"acme-v-beta","title":"Acme v. Beta","forum":{"court":"ded","case_number":"1:21-cv-1"},"nature":"patent","plaintiffs":["acme"],"defendants":["beta"]}
"#;

fn entity(extra: &str) -> String {
    format!(
        r#"{{"kind":"entity.registered","effective":"2022-01-01","entity":"gamma","name":"Gamma"{extra}}}"#
    )
}

fn filed(plaintiffs: &str, defendants: &str) -> String {
    format!(
        r#"{{"kind":"dispute.filed","effective":"2022-01-01","dispute":"x","title":"X","forum":{{"court":"ded"}},"nature":"patent","plaintiffs":{plaintiffs},"defendants":{defendants}}}"#
    )
}

/// (case name, input bytes, fragment the error must contain)
fn cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let s = |text: &str| text.as_bytes().to_vec();
    let long = "x".repeat(100_000);
    vec![
        ("malformed json", s(r#"{"kind": "entity.registered","#), "line 1"),
        ("not an object", s("[1, 2]"), "object"),
        ("missing kind", s(r#"{"effective":"2022-01-01","entity":"gamma","name":"G"}"#), "$.kind"),
        ("unknown kind", s(r#"{"kind":"dispute.won","effective":"2022-01-01"}"#), "dispute.won"),
        ("unknown field", s(&entity(r#","colour":"red""#)), "$.colour"),
        ("wrong type", s(r#"{"kind":"entity.registered","effective":"2022-01-01","entity":"gamma","name":42}"#), "$.name"),
        ("impossible date", s(r#"{"kind":"entity.registered","effective":"2024-02-30","entity":"gamma","name":"G"}"#), "$.effective"),
        ("timestamp without offset", s(r#"{"kind":"entity.registered","effective":"2024-01-01T10:00:00","entity":"gamma","name":"G"}"#), "$.effective"),
        ("date as a number", s(r#"{"kind":"entity.registered","effective":20240101,"entity":"gamma","name":"G"}"#), "$.effective"),
        ("missing effective", s(r#"{"kind":"entity.registered","entity":"gamma","name":"G"}"#), "$.effective"),
        ("empty plaintiffs", s(&filed("[]", r#"["beta"]"#)), "$.plaintiffs"),
        ("bad slug", s(r#"{"kind":"entity.registered","effective":"2022-01-01","entity":"Nokia","name":"G"}"#), "$.entity"),
        ("bad slug in a list", s(&filed(r#"["acme"]"#, r#"["beta","Bad Slug"]"#)), "$.defendants[1]"),
        ("same party on both sides", s(&filed(r#"["acme"]"#, r#"["beta","acme"]"#)), "$.defendants"),
        ("oversize string", s(&entity(&format!(r#","aliases":["{long}"]"#))), "$.aliases[0]"),
        ("invalid utf-8", b"{\"kind\":\"entity.registered\",\"effective\":\"2022-01-01\",\"entity\":\"gamma\",\"name\":\"\xff\xfe\"}".to_vec(), "UTF-8"),
        ("duplicate key", s(r#"{"kind":"entity.registered","effective":"2022-01-01","entity":"gamma","entity":"delta","name":"G"}"#), "duplicate"),
        ("bad event id", s(r#"{"id":"has space","kind":"entity.registered","effective":"2022-01-01","entity":"gamma","name":"G"}"#), "$.id"),
        ("duplicate id, other content", s(r#"{"id":"reg-acme","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme Inc."}"#), "already used by entry 0"),
        ("bad digest", s(&entity(r#","sources":[{"title":"t","digest":"sha1:abc"}]"#)), "$.sources[0].digest"),
        ("empty source", s(&entity(r#","sources":[{}]"#)), "$.sources[0]"),
        ("bad nature", s(r#"{"kind":"dispute.filed","effective":"2022-01-01","dispute":"x","title":"X","forum":{"court":"ded"},"nature":"copyright","plaintiffs":["acme"],"defendants":["beta"]}"#), "$.nature"),
        ("bad outcome", s(r#"{"kind":"dispute.ruling","effective":"2022-01-01","dispute":"acme-v-beta","outcome":"won"}"#), "$.outcome"),
        ("forum without court", s(r#"{"kind":"dispute.filed","effective":"2022-01-01","dispute":"x","title":"X","forum":{"name":"D. Del."},"nature":"patent","plaintiffs":["acme"],"defendants":["beta"]}"#), "$.forum.court"),
        ("bad category", s(&entity(r#","category":"galaxy""#)), "$.category"),
        ("note of the wrong type", s(&entity(r#","note":["a"]"#)), "$.note"),
        ("settlement of nothing", s(r#"{"kind":"dispute.settled","effective":"2022-01-01","disputes":[]}"#), "$.disputes"),
        ("partnership of one", s(r#"{"kind":"partnership.formed","effective":"2022-01-01","partnership":"p","parties":["acme"]}"#), "$.parties"),
        ("acquiring itself", s(r#"{"kind":"acquisition","effective":"2022-01-01","acquirer":"acme","target":"acme"}"#), "$.target"),
        ("id inside a replacement", s(r#"{"kind":"correction","effective":"2022-01-01","target":"reg-acme","reason":"typo","replacement":{"id":"r","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}}"#), "$.replacement.id"),
        ("correction of an unknown event", s(r#"{"kind":"correction","effective":"2022-01-01","target":"nope","reason":"typo","replacement":{"kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}}"#), "not in the ledger"),
        ("correction changing the kind", s(r#"{"kind":"correction","effective":"2022-01-01","target":"reg-acme","reason":"typo","replacement":{"kind":"entity.renamed","effective":"2020-01-01","entity":"acme","name":"Acme"}}"#), "must replace it with a entity.registered"),
        ("retraction of an unknown event", s(r#"{"kind":"retraction","effective":"2022-01-01","target":"nope","reason":"wrong"}"#), "not in the ledger"),
        ("empty input", s("\n  \n"), "no event"),
        ("good line then bad line", s(&format!("{}\n{}\n", entity(""), entity(r#","colour":"red""#))), "line 2"),
    ]
}

#[test]
fn every_bad_input_is_rejected_specifically_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "bad.ledger");
    let setup = dir.path().join("setup.ndjson");
    std::fs::write(&setup, SETUP).unwrap();
    run_ok(&ledger, &["import", setup.to_str().unwrap()]);
    let before = head_of(&ledger);
    assert_eq!(before.size, 3);

    let cases = cases();
    assert!(cases.len() >= 25);
    for (name, input, fragment) in cases {
        let file = dir.path().join("input.json");
        std::fs::write(&file, &input).unwrap();
        let output = run(&ledger, &["append", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(4),
            "{name}: exit code; stderr: {stderr}"
        );
        assert!(
            stderr.contains(fragment),
            "{name}: expected {fragment:?} in: {stderr}"
        );
        let after = head_of(&ledger);
        assert_eq!(
            (after.size, after.hash),
            (before.size, before.hash),
            "{name}: ledger changed"
        );

        // The same input through import is refused the same way.
        let output = run(&ledger, &["import", file.to_str().unwrap()]);
        if name != "empty input" {
            assert_eq!(output.status.code(), Some(4), "{name}: import exit code");
        }
        assert_eq!(
            head_of(&ledger).hash,
            before.hash,
            "{name}: import changed the ledger"
        );
    }
}

#[test]
fn expect_head_and_size_guard_against_a_moved_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l.ledger");
    let file = dir.path().join("e.json");
    std::fs::write(&file, entity("")).unwrap();
    let stale = "0".repeat(64);
    let output = run(
        &ledger,
        &["append", "--expect-size", "5", file.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&output.stderr).contains("moved on"));
    let output = run(
        &ledger,
        &[
            "append",
            "--expect-head",
            "11".repeat(32).as_str(),
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(4));
    // The empty ledger's head is all zeros.
    run_ok(
        &ledger,
        &[
            "append",
            "--expect-head",
            &stale,
            "--expect-size",
            "0",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(head_of(&ledger).size, 1);
    // Appending the same event again is a reported no-op.
    let again = run_ok(&ledger, &["append", file.to_str().unwrap()]);
    assert!(again.contains("unchanged"), "{again}");
    assert_eq!(head_of(&ledger).size, 1);
}
