//! Golden files lock the stored format: the exact bytes of every entry
//! (header, payload encoding, hash chain) for a small fixed ledger. A change
//! that alters stored bytes fails here and must bump the format version and
//! keep reading the old one (docs/format.md).
//!
//! To regenerate after a deliberate, versioned format change:
//! `DOCKET_BLESS=1 cargo test --test integration golden`.

use docket_ledger::{ImportOptions, Ledger, hex};

use crate::support::{head_of, new_ledger, repo_file, run_ok};

/// 2024-01-02T03:04:05.678901Z, the recorded-at time of every golden entry.
const RECORDED_AT: i64 = 1_704_164_645_678_901;

/// The head hash of the golden ledger. Never edit by hand.
const EXPECTED_HEAD: &str = "5b803d1772d667d455b8f4159388a02a9ffeef263254e71b6b31699f7f018752";

fn build_export() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&dir.path().join("golden.ledger")).unwrap();
    let options = ImportOptions {
        batch_size: 3,
        recorded_at: Some(RECORDED_AT),
        allow_anomalies: false,
        signer: None,
    };
    ledger
        .import(
            &repo_file("tests/golden/events.ndjson"),
            &options,
            &mut |_| {},
        )
        .unwrap();
    let mut out = Vec::new();
    ledger.export_entries(&mut out).unwrap();
    out
}

#[test]
fn the_stored_bytes_have_not_changed() {
    let golden = repo_file("tests/golden/entries.ndjson");
    let built = build_export();
    if std::env::var_os("DOCKET_BLESS").is_some() {
        std::fs::write(&golden, &built).unwrap();
    }
    let expected = std::fs::read(&golden).unwrap();
    assert!(
        built == expected,
        "the entries built from tests/golden/events.ndjson differ from tests/golden/entries.ndjson: \
         the stored format changed"
    );
}

#[test]
fn the_golden_export_restores_to_the_golden_head() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "restored.ledger");
    run_ok(
        &ledger,
        &[
            "import",
            repo_file("tests/golden/entries.ndjson").to_str().unwrap(),
        ],
    );
    let head = head_of(&ledger);
    if std::env::var_os("DOCKET_BLESS").is_some() {
        println!("golden head: {}", hex(&head.hash));
        return;
    }
    assert_eq!(hex(&head.hash), EXPECTED_HEAD);
    run_ok(&ledger, &["verify"]);
}

/// A ledger in storage layout 1 (chunks as they are, under sled's
/// compression), as builds before layout 2 made them, takes the golden
/// entries to the same head, verifies, answers queries and stays layout 1.
#[test]
fn a_layout_1_ledger_holds_the_same_golden_entries() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("layout-1.ledger");
    drop(docket_log::testing::create_layout_1(&ledger).unwrap());
    run_ok(
        &ledger,
        &[
            "import",
            repo_file("tests/golden/entries.ndjson").to_str().unwrap(),
        ],
    );
    if std::env::var_os("DOCKET_BLESS").is_some() {
        return;
    }
    assert_eq!(hex(&head_of(&ledger).hash), EXPECTED_HEAD);
    run_ok(&ledger, &["verify"]);
    let state = run_ok(&ledger, &["state"]);
    assert!(!state.is_empty());
    let log = docket_log::Log::open(&ledger).unwrap();
    assert_eq!(docket_log::testing::layout_of(&log), 1);
    // Stored as they are: each value is its entries, no zstd frame.
    let values = docket_log::testing::raw_chunk_values(&log).unwrap();
    assert!(!values.is_empty());
    for (_, value) in &values {
        assert!(!value.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]));
        assert_eq!(value[..2], [0, 1], "an entry header (format version 1)");
    }
}
