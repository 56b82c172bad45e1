//! The command line end to end on the founding example.

use std::collections::BTreeMap;

use crate::support::{example_ledger, head_of, new_ledger, repo_file, run, run_json, run_ok};

fn payloads_by_id(ledger: &std::path::Path) -> BTreeMap<String, String> {
    let log = run_json(ledger, &["log"]);
    let size = log["ledger"]["size"].as_u64().unwrap();
    (0..size)
        .map(|seq| {
            let shown = run_json(ledger, &["show", &seq.to_string()]);
            let id = shown["event"]["id"].as_str().unwrap().to_string();
            let payload = shown["payload_hex"].as_str().unwrap().to_string();
            (id, payload)
        })
        .collect()
}

#[test]
fn init_import_verify_export_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let example = repo_file("examples/amazon-nokia.ndjson");
    let example = example.to_str().unwrap();
    let first = new_ledger(dir.path(), "first.ledger");

    let imported: serde_json::Value = serde_json::from_str(
        run_ok(&first, &["--json", "import", example])
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    let events_in_file = std::fs::read_to_string(example)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(
        imported["imported"]["appended"].as_u64().unwrap() as usize,
        events_in_file
    );
    assert!(events_in_file >= 25);

    let verified = run_json(&first, &["verify"]);
    assert_eq!(verified["ok"], true);
    assert_eq!(
        verified["entries_checked"].as_u64().unwrap() as usize,
        events_in_file
    );

    // Importing the same file again changes nothing.
    let head_before = head_of(&first);
    run_ok(&first, &["import", example]);
    assert_eq!(head_of(&first).hash, head_before.hash);

    let events = dir.path().join("events.ndjson");
    let entries = dir.path().join("entries.ndjson");
    run_ok(&first, &["export", events.to_str().unwrap()]);
    run_ok(&first, &["export", "--entries", entries.to_str().unwrap()]);

    // The events re-import into a second ledger with the same ids and payloads.
    let second = new_ledger(dir.path(), "second.ledger");
    run_ok(&second, &["import", events.to_str().unwrap()]);
    assert_eq!(payloads_by_id(&first), payloads_by_id(&second));
    assert_ne!(
        head_of(&second).hash,
        head_before.hash,
        "recorded-at times differ, so do hashes"
    );

    // The verbatim entries restore a third ledger bit for bit.
    let third = new_ledger(dir.path(), "third.ledger");
    let restored = run_ok(&third, &["--json", "import", entries.to_str().unwrap()]);
    let restored: serde_json::Value =
        serde_json::from_str(restored.lines().last().unwrap()).unwrap();
    assert_eq!(restored["imported"]["verbatim"], true);
    assert_eq!(head_of(&third).hash, head_before.hash);
    assert_eq!(head_of(&third).size, head_before.size);
    assert_eq!(run_json(&third, &["verify"])["ok"], true);
    let exported_again = dir.path().join("entries-again.ndjson");
    run_ok(
        &third,
        &["export", "--entries", exported_again.to_str().unwrap()],
    );
    assert_eq!(
        std::fs::read(&entries).unwrap(),
        std::fs::read(&exported_again).unwrap()
    );
}

#[test]
fn an_altered_verbatim_export_is_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let first = example_ledger(dir.path(), "first.ledger");
    let entries = dir.path().join("entries.ndjson");
    run_ok(&first, &["export", "--entries", entries.to_str().unwrap()]);

    // Change one byte of entry 7's payload: flip a base64 digit.
    let text = std::fs::read_to_string(&entries).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let line = &mut lines[8];
    let at = line.find("\"payload\":\"").unwrap() + 20;
    let mut bytes = line.clone().into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    *line = String::from_utf8(bytes).unwrap();
    let tampered = dir.path().join("tampered.ndjson");
    std::fs::write(&tampered, lines.join("\n") + "\n").unwrap();

    let target = new_ledger(dir.path(), "target.ledger");
    let output = run(&target, &["import", tampered.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("entry 7"), "{stderr}");
    assert_eq!(head_of(&target).size, 0, "nothing was restored");

    // A truncated export (no end line) is refused too.
    let truncated = dir.path().join("truncated.ndjson");
    std::fs::write(
        &truncated,
        text.lines().take(10).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let output = run(&target, &["import", truncated.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("truncated"));
    assert_eq!(head_of(&target).size, 0);
}

#[test]
fn show_finds_entries_by_seq_and_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "l.ledger");
    let by_id = run_json(&ledger, &["show", "nokia-amazon-settlement"]);
    let seq = by_id["seq"].as_u64().unwrap();
    let by_seq = run_json(&ledger, &["show", &seq.to_string()]);
    assert_eq!(by_id, by_seq);
    assert_eq!(by_id["event"]["kind"], "dispute.settled");
    let missing = run(&ledger, &["show", "no-such-event"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn demo_runs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo.ledger");
    let out = run_json(&kept, &["demo"]);
    assert_eq!(out["verified"], true);
    assert!(out["ledger"]["size"].as_u64().unwrap() >= 25);
    assert_eq!(run_json(&kept, &["verify"])["ok"], true);
    // A second demo refuses to overwrite the kept ledger.
    assert_eq!(run(&kept, &["demo"]).status.code(), Some(2));
}

#[test]
fn a_second_process_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_ledger(dir.path(), "busy.ledger");
    let held = docket_ledger::Ledger::open(&path).unwrap();
    let output = run(&path, &["verify"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in use by another process"), "{stderr}");
    drop(held);
    run_ok(&path, &["verify"]);
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_ledger(dir.path(), "l.ledger");
    assert_eq!(run(&path, &["no-such-command"]).status.code(), Some(2));
    assert_eq!(
        run(&path, &["append", "--expect-head", "xyz"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&path, &["log", "--limit", "-3"]).status.code(), Some(2));
}

/// Flips the bits of `mask` in byte `at` of entry `seq` as stored, past
/// the ledger's back.
fn flip_bits(ledger: &std::path::Path, seq: u64, at: usize, mask: u8) {
    let log = docket_log::Log::open(ledger).unwrap();
    docket_log::testing::xor_byte(&log, seq, at, mask).unwrap();
    log.flush().unwrap();
}

#[test]
fn verify_names_the_damaged_entry_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = example_ledger(dir.path(), "tampered.ledger");
    // Flip one byte in the payload of entry 12 (past its 56-byte header).
    flip_bits(&path, 12, 70, 0x01);
    let output = run(&path, &["--json", "verify"]);
    assert_eq!(output.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["failure"]["seq"], 12);
    assert_eq!(report["failure"]["kind"], "entry-altered");
    let output = run(&path, &["verify"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("12"));
}

#[test]
fn a_snapshot_that_disagrees_with_the_log_fails_verify_and_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo_file("examples/amazon-nokia.ndjson")).unwrap();
    let all_but_settlement: String = example
        .lines()
        .filter(|l| !l.contains("dispute.settled"))
        .map(|l| format!("{l}\n"))
        .collect();
    let partial_file = dir.path().join("partial.ndjson");
    std::fs::write(&partial_file, all_but_settlement).unwrap();

    let path = example_ledger(dir.path(), "full.ledger");
    let honest = run_json(&path, &["state"]);
    let partial = new_ledger(dir.path(), "partial.ledger");
    run_ok(&partial, &["import", partial_file.to_str().unwrap()]);
    run_ok(&partial, &["state"]);

    // Forge: the unsettled state's snapshot, re-tied to the full ledger's
    // head. The tie is the size (one byte here) just before the head hash.
    // The snapshot file is zstd-compressed.
    let read = |p: &std::path::Path| {
        let log = docket_log::Log::open(p).unwrap();
        let compressed = log.derived_file("snapshot").unwrap().unwrap();
        zstd::decode_all(&compressed[..]).unwrap()
    };
    let head_bytes = |p: &std::path::Path| head_of(p).hash;
    let find = |haystack: &[u8], needle: &[u8]| {
        haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    let (full_snapshot, mut forged) = (read(&path), read(&partial));
    let (full_at, forged_at) = (
        find(&full_snapshot, &head_bytes(&path)),
        find(&forged, &head_bytes(&partial)),
    );
    forged[forged_at - 1..forged_at + 32]
        .copy_from_slice(&full_snapshot[full_at - 1..full_at + 32]);
    {
        let log = docket_log::Log::open(&path).unwrap();
        let compressed = zstd::encode_all(&forged[..], 1).unwrap();
        log.put_derived_file("snapshot", &compressed).unwrap();
        log.flush().unwrap();
    }
    let fooled = run_json(&path, &["state"]);
    assert_ne!(
        fooled["disputes"], honest["disputes"],
        "the forgery took: the test is meaningful"
    );

    let output = run(&path, &["--json", "verify"]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failure"]["kind"], "snapshot-mismatch");
    // verify discarded it; the next query rebuilds the honest state.
    assert_eq!(run_json(&path, &["state"])["disputes"], honest["disputes"]);
    run_ok(&path, &["verify"]);
}

#[test]
fn a_log_longer_than_the_aligned_rows_is_printed_whole() {
    // More entries than the text table holds back to find its widths
    // (4 096), with longer ids after them.
    let dir = tempfile::tempdir().unwrap();
    let path = new_ledger(dir.path(), "long.ledger");
    let events = dir.path().join("events.ndjson");
    let count = 4_200;
    let lines: Vec<String> = (0..count)
        .map(|i| {
            let id = if i < 4_096 { format!("e{i}") } else { format!("event-{i}") };
            format!(
                r#"{{"id":"{id}","kind":"entity.registered","effective":"2020-01-01","entity":"e-{i}","name":"E {i}"}}"#
            )
        })
        .collect();
    std::fs::write(&events, lines.join("\n")).unwrap();
    run_ok(&path, &["import", events.to_str().unwrap()]);

    let text = run_ok(&path, &["log"]);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), count + 1);
    assert!(rows[0].starts_with("SEQ   RECORDED"), "{}", rows[0]);
    let id_at = rows[0].find("ID").unwrap();
    let what_at = rows[0].find("WHAT").unwrap();
    for (seq, row) in rows[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], seq.to_string());
        let id = if seq < 4_096 {
            format!("e{seq}")
        } else {
            format!("event-{seq}")
        };
        assert_eq!(cells[4], id);
        assert_eq!(&row[id_at..id_at + id.len()], id, "row {seq}");
        // The summaries line up under their heading until the longer ids
        // widen the id column, and from there on with each other.
        let expected = if seq < 4_096 {
            what_at
        } else {
            id_at + "event-4199".len() + 2
        };
        assert_eq!(
            row.rfind("  ").map(|at| at + 2),
            Some(expected),
            "row {seq}: {row}"
        );
    }
    // The sequence column is as wide as the last seq from the start, so
    // the recorded-at times line up under their heading in every row.
    let at = rows[0].find("RECORDED").unwrap();
    assert!(
        rows.iter()
            .skip(1)
            .all(|row| row.as_bytes()[at].is_ascii_digit() && row.as_bytes()[at - 1] == b' ')
    );

    let json = run_json(&path, &["log"]);
    assert_eq!(json["ledger"]["size"], count);
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), count);
    assert!(entries.iter().enumerate().all(|(seq, e)| e["seq"] == seq));
    assert_eq!(
        run_ok(&path, &["log", "--from", "4100", "--limit", "5"])
            .lines()
            .count(),
        6
    );

    // The timeline of the same events, in text and JSON.
    let timeline = run_ok(&path, &["timeline"]);
    assert_eq!(timeline.lines().count(), count + 1);
    assert!(
        timeline
            .lines()
            .nth(count)
            .unwrap()
            .contains("E 4199 registered")
    );
    let json = run_json(&path, &["timeline"]);
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), count);
    assert_eq!(events[count - 1]["id"], "event-4199");

    // A reader that goes away early (`| head`) ends the list quietly, in
    // text and in JSON alike.
    for args in [&["log"][..], &["--json", "log"]] {
        let mut child = crate::support::docket(&path)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{args:?}: {:?}", output.status);
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    }
}

#[test]
fn a_log_stops_at_an_unreadable_entry_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = example_ledger(dir.path(), "damaged.ledger");
    // The first payload byte of entry 20 (past its 56-byte header) is the
    // payload's format version: 0x01 becomes 0x03, which no release reads.
    flip_bits(&path, 20, 56, 0x02);
    let text = run(&path, &["log"]);
    assert!(!text.status.success());
    assert!(String::from_utf8_lossy(&text.stderr).contains("20"));
    // A short list is held back to be aligned: nothing of it was printed.
    assert!(text.stdout.is_empty());
    let json = run(&path, &["--json", "log"]);
    assert!(!json.status.success());
    assert!(String::from_utf8_lossy(&json.stderr).contains("20"));
    // JSON is written as it is read: the entries before the damaged one,
    // in an object that is never finished.
    let printed = String::from_utf8_lossy(&json.stdout);
    assert!(printed.starts_with(r#"{"ledger":{"size":45,"#), "{printed}");
    assert!(printed.contains(r#""seq":19,"#) && !printed.contains(r#""seq":20,"#));
    assert!(serde_json::from_str::<serde_json::Value>(&printed).is_err());
}
