//! Unit tests of the facade through its public API.

use std::sync::Arc;

use docket_model::{Event, testing};
use proptest::prelude::*;

use crate::{AppendError, AppendOptions, EventStatus, ImportOptions, Ledger};

fn entity(slug: &str, name: &str) -> String {
    format!(
        r#"{{"kind":"entity.registered","effective":"2020-01-01","entity":"{slug}","name":"{name}"}}"#
    )
}

/// [`entity`] with an explicit id.
fn entity_with_id(id: &str, slug: &str, name: &str) -> String {
    entity(slug, name).replacen('{', &format!(r#"{{"id":"{id}","#), 1)
}

/// A filing naming a defendant nobody registered: an anomaly only
/// validation against the history finds.
const UNREGISTERED_DEFENDANT: &str = r#"{"kind":"dispute.filed","effective":"2021-01-01","dispute":"d","title":"D","forum":{"court":"ded"},"nature":"patent","plaintiffs":["e1"],"defendants":["nobody"]}"#;

/// Writes `lines` as an events file in `dir` and imports it in durable
/// batches of 7.
fn import_in_sevens(
    ledger: &Ledger,
    dir: &std::path::Path,
    lines: &[String],
    progress: &mut dyn FnMut(crate::ImportProgress),
) -> Result<crate::ImportReport, crate::ImportError> {
    let file = dir.join("events.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let options = ImportOptions {
        batch_size: 7,
        ..ImportOptions::default()
    };
    ledger.import(&file, &options, progress)
}

/// A new ledger of `n` entity registrations, appended in one batch (the
/// directory must outlive it).
pub(crate) fn ledger_of(n: usize) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&dir.path().join("l")).unwrap();
    let events: String = (0..n)
        .map(|i| {
            format!(
                "{{\"kind\":\"entity.registered\",\"effective\":\"2020-01-01\",\"entity\":\"e{i}\",\"name\":\"E {i}\"}}\n"
            )
        })
        .collect();
    ledger
        .append_json(&events, &AppendOptions::default())
        .unwrap();
    (dir, ledger)
}

fn fresh() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&dir.path().join("t.ledger")).unwrap();
    (dir, ledger)
}

#[test]
fn derived_ids_make_appends_idempotent() {
    let (_dir, ledger) = fresh();
    let first = ledger
        .append_json(&entity("acme", "Acme"), &AppendOptions::default())
        .unwrap();
    let again = ledger
        .append_json(&entity("acme", "Acme"), &AppendOptions::default())
        .unwrap();
    assert_eq!(first.appended(), 1);
    assert_eq!(again.appended(), 0);
    assert_eq!(again.events[0].1, EventStatus::Unchanged { seq: 0 });
    assert_eq!(first.events[0].0, again.events[0].0);
    assert!(first.events[0].0.as_str().starts_with("d:"));
    assert_eq!(ledger.head().size, 1);
}

#[test]
fn a_batch_is_all_or_nothing() {
    let (_dir, ledger) = fresh();
    let good = entity("acme", "Acme");
    let conflicting = format!(
        "{}\n{}\n",
        r#"{"id":"x","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta"}"#,
        r#"{"id":"x","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta AG"}"#
    );
    let error = ledger
        .append_json(&format!("{good}\n{conflicting}"), &AppendOptions::default())
        .unwrap_err();
    match &error {
        AppendError::AtLine { line: 3, error } => {
            assert!(matches!(**error, AppendError::IdConflict { .. }), "{error}")
        }
        other => panic!("expected an id conflict on line 3, got {other}"),
    }
    assert!(
        error.to_string().contains("earlier event of this batch"),
        "{error}"
    );
    assert_eq!(ledger.head().size, 0);
}

#[test]
fn a_batch_may_refer_to_its_own_events() {
    let (_dir, ledger) = fresh();
    let text = format!(
        "{}\n{}\n",
        r#"{"id":"reg","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}"#,
        r#"{"kind":"retraction","effective":"2020-02-01","target":"reg","reason":"duplicate"}"#
    );
    let outcome = ledger
        .append_json(&text, &AppendOptions::default())
        .unwrap();
    assert_eq!(outcome.appended(), 2);
    let stored = ledger.get(1).unwrap().unwrap();
    assert_eq!(stored.event.kind().as_str(), "retraction");
    assert_eq!(ledger.seq_of(&outcome.events[1].0).unwrap(), Some(1));
}

#[test]
fn expectations_are_checked_before_anything_is_written() {
    let (_dir, ledger) = fresh();
    let options = AppendOptions {
        expect_size: Some(1),
        ..AppendOptions::default()
    };
    let error = ledger
        .append_json(&entity("acme", "Acme"), &options)
        .unwrap_err();
    assert!(
        matches!(error, AppendError::HeadMoved { size: 0, .. }),
        "{error}"
    );
    let head = ledger.head();
    let options = AppendOptions {
        expect_head: Some(head.hash),
        expect_size: Some(0),
        ..AppendOptions::default()
    };
    ledger
        .append_json(&entity("acme", "Acme"), &options)
        .unwrap();
    assert_eq!(ledger.head().size, 1);
}

#[test]
fn threads_appending_through_one_ledger_are_serialised() {
    let (_dir, ledger) = fresh();
    let ledger = Arc::new(ledger);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                for i in 0..50 {
                    let text = entity(&format!("t{t}-n{i}"), "Company");
                    ledger
                        .append_json(&text, &AppendOptions::default())
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(ledger.head().size, 200);
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Export the events, import them into a second ledger: the same ids and
    /// the same payload bytes, whatever the events.
    #[test]
    fn events_survive_export_and_reimport(events in proptest::collection::vec(testing::plain_event(), 1..20)) {
        let (dir, first) = fresh();
        // Give every event a distinct explicit id so none is a duplicate.
        let events: Vec<Event> = events
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| { e.id = Some(docket_model::EventId::new(format!("e{i}")).unwrap()); e })
            .collect();
        // Random events rarely fit together; this property is about bytes.
        let anything = AppendOptions { allow_anomalies: true, ..AppendOptions::default() };
        first.append_events(events, &anything).unwrap();
        let mut exported = Vec::new();
        first.export_events(&mut exported).unwrap();
        let file = dir.path().join("events.ndjson");
        std::fs::write(&file, &exported).unwrap();

        let second = Ledger::init(&dir.path().join("second.ledger")).unwrap();
        let options = ImportOptions { allow_anomalies: true, ..ImportOptions::default() };
        second.import(&file, &options, &mut |_| {}).unwrap();
        prop_assert_eq!(first.head().size, second.head().size);
        for (a, b) in first.events(0..u64::MAX).zip(second.events(0..u64::MAX)) {
            let (a, b) = (a.unwrap(), b.unwrap());
            prop_assert_eq!(a.entry.payload, b.entry.payload);
        }
        let mut again = Vec::new();
        second.export_events(&mut again).unwrap();
        prop_assert_eq!(exported, again);
    }
}

#[test]
fn a_later_filing_naming_an_unregistered_party_is_refused() {
    let (_dir, ledger) = fresh();
    ledger
        .append_json(&entity("acme", "Acme"), &AppendOptions::default())
        .unwrap();
    // Dated after everything: validated against the cached state, by the
    // new entries' anomalies only.
    let filing = r#"{"id":"suit","kind":"dispute.filed","effective":"2021-01-01","dispute":"acme-v-nobody","title":"Acme v. Nobody","forum":{"court":"ded"},"nature":"patent","plaintiffs":["acme"],"defendants":["nobody"]}"#;
    let error = ledger
        .append_json(filing, &AppendOptions::default())
        .unwrap_err();
    assert!(error.to_string().contains("nobody"), "{error}");
    assert_eq!(ledger.head().size, 1);
    // Registered first, the same filing fits.
    ledger
        .append_json(&entity("nobody", "Nobody"), &AppendOptions::default())
        .unwrap();
    ledger
        .append_json(filing, &AppendOptions::default())
        .unwrap();
    assert_eq!(ledger.head().size, 3);
}

#[test]
fn postings_that_cannot_be_written_are_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let ledger = Ledger::init(&path).unwrap();
    ledger
        .append_json(&entity("acme", "Acme"), &AppendOptions::default())
        .unwrap();
    // Every term bucket unreadable: each flush that touches one fails.
    let names = ledger.log.derived_names(b"ix/t").unwrap();
    assert!(!names.is_empty());
    let garbage = names
        .into_iter()
        .map(|n| (n, Some(b"x".to_vec())))
        .collect();
    ledger.log.derived_apply(garbage).unwrap();
    let outcome = ledger
        .append_json(&entity("beta", "Beta"), &AppendOptions::default())
        .unwrap();
    let beta = outcome.events[0].0.clone();
    assert_eq!(ledger.seq_of(&beta).unwrap(), Some(1));
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.seq_of(&beta).unwrap(), Some(1));
    let view = ledger
        .entity("beta", &crate::TimeQuery::default())
        .unwrap()
        .unwrap();
    assert_eq!(view.entity.name.as_str(), "Beta");
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}

#[test]
fn verify_beside_appending_threads_finds_nothing_wrong() {
    let (_dir, ledger) = fresh();
    let ledger = Arc::new(ledger);
    let writer = {
        let ledger = Arc::clone(&ledger);
        std::thread::spawn(move || {
            for i in 0..150 {
                let event = entity(&format!("e{i}"), &format!("E {i}"));
                ledger
                    .append_json(&event, &AppendOptions::default())
                    .unwrap();
            }
        })
    };
    for _ in 0..20 {
        let report = ledger.verify(&mut |_, _| {});
        assert!(report.is_ok(), "{report:?}");
    }
    writer.join().unwrap();
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}

/// A ledger of two registrations whose stored snapshot is tied to its
/// head but holds the state of its first `holding` entries.
fn two_entities_with_snapshot_of(holding: u64) -> (tempfile::TempDir, Ledger) {
    let (dir, ledger) = fresh();
    for (slug, name) in [("acme", "Acme"), ("beta", "Beta")] {
        ledger
            .append_json(&entity(slug, name), &AppendOptions::default())
            .unwrap();
    }
    let state = ledger.replay_prefix(holding, None).unwrap();
    ledger.forget_cached_state();
    ledger.remember_state(
        ledger.head(),
        state.max_instant,
        state.projections,
        state.revisions,
        None,
    );
    ledger.store_cached_snapshot();
    (dir, ledger)
}

#[test]
fn a_forged_snapshot_behind_the_head_still_fails_verify() {
    // A snapshot tied to the head but holding only the first event.
    let (dir, ledger) = two_entities_with_snapshot_of(1);
    let path = dir.path().join("t.ledger");
    // One more entry: the stored snapshot is now behind, and would be
    // caught up rather than rewritten.
    let later =
        r#"{"kind":"entity.registered","effective":"2021-01-01","entity":"gamma","name":"Gamma"}"#;
    ledger
        .append_json(later, &AppendOptions::default())
        .unwrap();
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    let report = ledger.verify(&mut |_, _| {});
    assert_eq!(report.snapshot_matches, Some(false), "{report:?}");
    // Discarded: rebuilt honestly by the next query.
    assert_eq!(
        ledger
            .state(&crate::TimeQuery::default())
            .unwrap()
            .projections
            .holdings
            .len(),
        3
    );
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}

#[test]
fn an_import_stores_the_snapshot_of_what_it_stored() {
    let (dir, ledger) = fresh();
    let path = dir.path().join("t.ledger");
    let file = dir.path().join("events.ndjson");
    let lines = [entity("acme", "Acme"), entity("beta", "Beta")];
    std::fs::write(&file, lines.join("\n")).unwrap();
    ledger
        .import(&file, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    // Written by the import itself (encoded on the second thread), not
    // left for the drop, and tied to the head the entries made.
    assert!(ledger.log.derived_file("snapshot").unwrap().is_some());
    assert_eq!(ledger.snapshot_matches_log().unwrap(), Some(true));
    ledger.forget_cached_state();
    let state = ledger.state(&crate::TimeQuery::default()).unwrap();
    assert_eq!(state.source, crate::StateSource::Snapshot);
    assert_eq!(state.projections.holdings.len(), 2);
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.verify(&mut |_, _| {}).snapshot_matches, Some(true));
}

#[test]
fn a_state_without_histories_is_read_only_from_a_snapshot_of_the_head() {
    use crate::StateSource::Snapshot;
    use docket_disputes::Histories::{Read, Skip};
    let (dir, ledger) = fresh();
    let lines = [
        entity("e1", "One"),
        entity("e2", "Two"),
        UNREGISTERED_DEFENDANT.replace("nobody", "e2"),
        r#"{"kind":"dispute.entry","effective":"2021-02-01","dispute":"d","description":"Answer"}"#
            .to_owned(),
    ];
    import_in_sevens(&ledger, dir.path(), &lines, &mut |_| {}).unwrap();
    let now = crate::TimeQuery::default();
    let full = ledger.state(&now).unwrap();
    assert_eq!(full.projections.disputes.get("d").unwrap().history.len(), 2);
    // The state in memory is answered as it is, histories and all.
    let cached = ledger.state_without_histories(&now).unwrap();
    assert_eq!(cached.histories, Read);
    assert_eq!(cached.projections, full.projections);
    // The stored snapshot is read without them, and not kept.
    ledger.forget_cached_state();
    let without = ledger.state_without_histories(&now).unwrap();
    assert_eq!((without.histories, without.source), (Skip, Snapshot));
    assert!(!ledger.has_cached_state());
    let (p, q) = (&without.projections, &full.projections);
    assert_eq!((&p.holdings, &p.relations), (&q.holdings, &q.relations));
    let dispute = p.disputes.get("d").unwrap();
    assert!(dispute.history.is_empty());
    assert_eq!(dispute.status, q.disputes.get("d").unwrap().status);
    assert_eq!(ledger.state(&now).unwrap().projections, full.projections);
    // A query that hides an entry, and a snapshot behind the head, are
    // answered by `Ledger::state`, histories and all.
    let hiding = crate::TimeQuery {
        at_seq: Some(2),
        ..now
    };
    assert_eq!(
        ledger.state_without_histories(&hiding).unwrap().histories,
        Read
    );
    ledger
        .append_json(&entity("e3", "Three"), &AppendOptions::default())
        .unwrap();
    ledger.forget_cached_state();
    let behind = ledger.state_without_histories(&now).unwrap();
    assert_eq!(behind.histories, Read);
    assert_ne!(behind.source, Snapshot);
    assert_eq!(
        behind.projections.disputes.get("d").unwrap().history.len(),
        2
    );
}

#[test]
fn a_snapshot_file_damaged_at_its_end_is_rebuilt_and_its_holdings_compared() {
    // A snapshot of this very head, so that verify compares it as bytes.
    let (dir, ledger) = two_entities_with_snapshot_of(2);
    let path = dir.path().join("t.ledger");
    assert_eq!(ledger.verify(&mut |_, _| {}).snapshot_matches, Some(true));
    drop(ledger);
    let snapshot = path.join("derived").join("snapshot");
    let stored = std::fs::read(&snapshot).unwrap();
    // Cut inside the state's frame, after the tie's: the tie still reads.
    std::fs::write(&snapshot, &stored[..stored.len() - 3]).unwrap();
    let ledger = Ledger::open(&path).unwrap();
    let report = ledger.verify(&mut |_, _| {});
    assert!(report.is_ok(), "{report:?}");
    // No state to compare, but the holdings at its start, which views of
    // one entity still read, are compared (and match).
    assert_eq!(report.snapshot_matches, Some(true));
    let state = ledger.state(&crate::TimeQuery::default()).unwrap();
    assert_eq!(state.source, crate::StateSource::Replay);
    assert_eq!(state.projections.holdings.len(), 2);
    // Cut inside the tie's frame: nothing to compare at all.
    drop(ledger);
    std::fs::write(&snapshot, &stored[..10]).unwrap();
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.verify(&mut |_, _| {}).snapshot_matches, None);
}

#[test]
fn an_import_skips_repeated_lines_and_refuses_other_events_under_one_id() {
    let (dir, ledger) = fresh();
    let with_id = entity_with_id;
    ledger
        .append_json(
            &with_id("reg-acme", "acme", "Acme"),
            &AppendOptions::default(),
        )
        .unwrap();
    let import = |lines: &[String]| {
        let file = dir.path().join("events.ndjson");
        std::fs::write(&file, lines.join("\n")).unwrap();
        ledger.import(&file, &ImportOptions::default(), &mut |_| {})
    };
    let acme = with_id("reg-acme", "acme", "Acme");
    let beta = with_id("reg-beta", "beta", "Beta");
    // A stored event, a new one, and each again: one entry added.
    let report = import(&[acme.clone(), beta.clone(), beta.clone(), acme.clone()]).unwrap();
    assert_eq!((report.read, report.appended, report.unchanged), (4, 1, 3));
    // Another event under an id the file used before, whether the ledger
    // held it or not, is refused at its line, naming the earlier one.
    let gamma = with_id("reg-gamma", "gamma", "Gamma");
    for (lines, earlier) in [
        (
            vec![gamma.clone(), with_id("reg-gamma", "gamma", "Gamma AG")],
            1,
        ),
        (
            vec![
                gamma.clone(),
                acme.clone(),
                with_id("reg-acme", "acme", "Acme AG"),
            ],
            2,
        ),
        (
            vec![beta.clone(), gamma, with_id("reg-beta", "beta", "Beta AG")],
            1,
        ),
    ] {
        let refused = lines.len();
        let error = import(&lines).unwrap_err();
        match &error {
            crate::ImportError::Rejected { line, error, .. } => {
                assert_eq!(*line, refused, "{error}");
                assert!(
                    matches!(error, AppendError::IdConflict { existing, .. } if *existing == format!("line {earlier}")),
                    "{error}"
                );
            }
            other => panic!("expected a refusal, got {other}"),
        }
        assert_eq!(ledger.head().size, 2, "nothing written");
    }
}

#[test]
fn an_import_in_many_batches_stores_indexes_and_reports_each() {
    let (dir, ledger) = fresh();
    let lines: Vec<String> = (0..50)
        .map(|i| entity_with_id(&format!("r{i}"), &format!("e{i}"), &format!("E {i}")))
        .collect();
    let mut committed = Vec::new();
    let report = import_in_sevens(&ledger, dir.path(), &lines, &mut |p| {
        if p.storing {
            committed.push(p.committed_size);
        }
    })
    .unwrap();
    assert_eq!(report.appended, 50);
    // One report per batch, each after that batch is durable.
    let expected: Vec<u64> = (1..=8).map(|b| (b * 7).min(50)).collect();
    assert_eq!(committed, expected);
    for i in 0..50u64 {
        let id = docket_model::EventId::new(format!("r{i}")).unwrap();
        assert_eq!(ledger.seq_of(&id).unwrap(), Some(i), "r{i}");
    }
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}

#[test]
fn an_import_refused_by_validation_writes_nothing_it_prepared() {
    let (dir, ledger) = fresh();
    let mut lines: Vec<String> = (0..300).map(|i| entity(&format!("e{i}"), "E")).collect();
    // Line 301 names a party nobody registered: an anomaly, found only by
    // validation, after storing has begun to prepare the batches.
    lines.push(UNREGISTERED_DEFENDANT.to_owned());
    let mut stored = false;
    let error =
        import_in_sevens(&ledger, dir.path(), &lines, &mut |p| stored |= p.storing).unwrap_err();
    assert!(
        matches!(&error, crate::ImportError::Rejected { line: 301, .. }),
        "{error}"
    );
    assert!(!stored, "no batch was reported stored");
    assert_eq!(ledger.head().size, 0);
    // Without the bad line the same file imports whole.
    lines.pop();
    let report = import_in_sevens(&ledger, dir.path(), &lines, &mut |_| {}).unwrap();
    assert_eq!((report.appended, ledger.head().size), (300, 300));
    assert!(ledger.verify(&mut |_, _| {}).is_ok());
}

#[test]
fn an_import_refused_for_want_of_signatures_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let admin = crate::SecretKey::generate().unwrap();
    let ledger =
        Ledger::init_requiring_signatures(&dir.path().join("s.ledger"), &admin.public()).unwrap();
    let mut lines: Vec<String> = (0..300).map(|i| entity(&format!("e{i}"), "E")).collect();
    let error = import_in_sevens(&ledger, dir.path(), &lines, &mut |_| {}).unwrap_err();
    // Unsigned: refused at the first line, after validation passed.
    assert!(
        matches!(
            &error,
            crate::ImportError::Rejected {
                line: 1,
                error: AppendError::Unauthorised { .. },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(ledger.head().size, 1, "only the ledger's root key");
    // With an anomaly as well, validation's refusal is the one reported.
    lines.push(UNREGISTERED_DEFENDANT.to_owned());
    let error = import_in_sevens(&ledger, dir.path(), &lines, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            &error,
            crate::ImportError::Rejected {
                line: 301,
                error: AppendError::Conflict { .. },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(ledger.head().size, 1);
}
