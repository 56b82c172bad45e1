//! Crash safety: kill `docket import` with SIGKILL at several points; the
//! ledger still verifies, keeps every batch the import reported committed,
//! and re-running the import completes it without duplicates.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

use docket_ledger::Ledger;

use crate::support::{docket, new_ledger, run_json, run_ok};

const EVENTS: usize = 50_000;

fn write_events(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..EVENTS {
        writeln!(
            out,
            r#"{{"kind":"entity.registered","effective":"2020-01-01","entity":"company-{i}","name":"Company number {i}"}}"#
        )
        .unwrap();
    }
}

/// Starts an import, waits until it has reported `commits` durable batches
/// (or has not started storing, for 0), kills it, and returns the largest
/// committed size it reported.
fn import_and_kill(ledger: &Path, file: &Path, commits: usize) -> u64 {
    let mut child = docket(ledger)
        .args([
            "--json",
            "import",
            "--batch-size",
            "500",
            file.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut committed = 0;
    let mut seen = 0;
    if commits == 0 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    } else {
        for line in BufReader::new(stdout).lines() {
            let record: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            if let Some(size) = record["committed"]["size"].as_u64() {
                committed = size;
                seen += 1;
                if seen == commits {
                    break;
                }
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    committed
}

#[test]
fn killed_imports_lose_nothing_committed_and_resume_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    write_events(&file);
    let ledger = new_ledger(dir.path(), "crash.ledger");

    let mut last_size = 0;
    for commits in [0, 1, 7, 30, 60] {
        let reported = import_and_kill(&ledger, &file, commits);
        let opened = Ledger::open(&ledger).unwrap();
        let size = opened.head().size;
        assert!(
            size >= reported,
            "after {commits} commits: size {size} < reported {reported}"
        );
        assert!(size >= last_size, "the ledger shrank");
        assert_eq!(size % 500, 0, "a batch was half-applied: size {size}");
        let report = opened.verify(&mut |_, _| {});
        assert!(report.is_ok(), "after {commits} commits: {report:?}");
        last_size = size;
    }

    run_ok(&ledger, &["import", file.to_str().unwrap()]);
    let verified = run_json(&ledger, &["verify"]);
    assert_eq!(verified["ok"], true);
    assert_eq!(
        verified["ledger"]["size"].as_u64().unwrap() as usize,
        EVENTS
    );

    // No duplicates: every entity appears exactly once.
    let export = dir.path().join("export.ndjson");
    run_ok(&ledger, &["export", export.to_str().unwrap()]);
    let mut entities: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["entity"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    entities.sort();
    entities.dedup();
    assert_eq!(entities.len(), EVENTS);
}
