//! Tests of the whole crate through the public API and the tamper helpers.

mod adversarial;
mod format_doc;
mod layouts;
mod merkle_props;
mod merkle_store;
mod merkle_vectors;
mod prepare;
mod speed;
mod store;
mod tamper;

use std::path::PathBuf;

use crate::{Log, NewEntry, VerifyReport};

/// A fresh log in a temporary directory (kept alive by the returned guard).
pub(crate) fn new_log() -> (tempfile::TempDir, PathBuf, Log) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger");
    let log = Log::create(&path).unwrap();
    (dir, path, log)
}

/// A payload that identifies entry `seq` (distinct length and content).
pub(crate) fn payload(seq: u64) -> Vec<u8> {
    let mut p = format!("entry {seq}:").into_bytes();
    p.extend(std::iter::repeat_n(b'x', (seq % 17) as usize));
    p
}

pub(crate) fn new_entry(seq: u64) -> NewEntry {
    NewEntry {
        payload: payload(seq),
        index_keys: vec![format!("id:{seq:05}").into_bytes()],
    }
}

/// Verifies `log` on the calling thread and on 1, 2 and 3 worker threads,
/// checks that every way gives the same report, that payloads reach
/// `accept` exactly for the entries that passed, in seq order, and that
/// progress never goes back; returns the report.
pub(crate) fn verified(log: &Log) -> VerifyReport {
    let reports: Vec<VerifyReport> = [0, 1, 2, 3]
        .into_iter()
        .map(|workers| {
            let mut accepted = Vec::new();
            let mut last = 0;
            let report = log.verify_on(
                workers,
                &mut |done, _| {
                    assert!(done >= last, "progress went back from {last} to {done}");
                    last = done;
                },
                &|seq, payload| (seq, payload.to_vec()),
                &mut |seq, inspected| accepted.push((seq, std::mem::take(inspected))),
            );
            assert_eq!(accepted.len() as u64, report.entries_checked);
            for (i, (seq, (field, payload))) in accepted.iter().enumerate() {
                assert_eq!((*seq, *field), (i as u64, i as u64));
                // (Entries stored beyond the head record pass the walk but
                // cannot be read.)
                if let Ok(Some(entry)) = log.get(*seq) {
                    assert_eq!(&entry.payload, payload);
                }
            }
            report
        })
        .collect();
    for other in &reports[1..] {
        assert_eq!(other, &reports[0]);
    }
    reports[0].clone()
}
