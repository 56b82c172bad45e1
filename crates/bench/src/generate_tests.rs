use docket_ledger::{ImportOptions, Ledger};

use super::{date_of_day, generate};

fn generated(events: u64, seed: u64) -> (Vec<u8>, super::Summary) {
    let mut bytes = Vec::new();
    let summary = generate(events, seed, &mut bytes).unwrap();
    (bytes, summary)
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let (a, summary) = generated(3000, 42);
    let (b, _) = generated(3000, 42);
    let (c, _) = generated(3000, 43);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 3000);
    assert_eq!(summary.bytes, a.len() as u64);
    assert!(
        summary.disputes > 50 && summary.entities > 20,
        "{summary:?}"
    );
    assert!(
        summary.revisions > 0 && summary.backdated > 0,
        "{summary:?}"
    );
}

#[test]
fn dates_are_civil_dates() {
    assert_eq!(date_of_day(0), "1970-01-01");
    assert_eq!(date_of_day(super::START_DAY), "1995-01-01");
    assert_eq!(date_of_day(19_782), "2024-02-29");
}

#[test]
fn every_generated_event_is_accepted_with_validation_on() {
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("events.ndjson");
        let (bytes, summary) = generated(2000, seed);
        std::fs::write(&file, &bytes).unwrap();
        let ledger = Ledger::init(&dir.path().join("ledger")).unwrap();
        let report = ledger
            .import(&file, &ImportOptions::default(), &mut |_| {})
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(report.appended, 2000, "seed {seed}");
        assert_eq!(report.head.size, 2000);
        let state = ledger.state(&Default::default()).unwrap();
        assert!(state.anomalies().is_empty(), "{:?}", state.anomalies());
        assert_eq!(
            state.projections.disputes.iter().count() as u64,
            summary.disputes
        );
    }
}
