//! Tests of the whole crate through the public API and the tamper helpers.

mod adversarial;
mod format_doc;
mod merkle_props;
mod merkle_store;
mod merkle_vectors;
mod speed;
mod store;
mod tamper;

use std::path::PathBuf;

use crate::{Log, NewEntry};

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
