//! Tests of verification: damage to the log, the index and the snapshot,
//! and what each finding names.

use docket_log::{Damage, NewEntry};

use super::LedgerVerifyReport;
use crate::tests::ledger_of;
use crate::{AppendOptions, Ledger};

fn verify(ledger: &Ledger) -> LedgerVerifyReport {
    let mut last = 0;
    ledger.verify(&mut |done, _| {
        assert!(done >= last, "progress goes forward");
        last = done;
    })
}

#[test]
fn a_healthy_ledger_verifies() {
    let (_dir, ledger) = ledger_of(150);
    let report = verify(&ledger);
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.payloads_checked, 150);
    assert_eq!(report.signatures_checked, 0);
}

/// Appends an entry that chains correctly but holds no event.
fn append_no_event(ledger: &Ledger) {
    let garbage = NewEntry {
        payload: b"not an event".to_vec(),
        index_keys: vec![],
    };
    ledger.log.append(vec![garbage]).unwrap();
}

#[test]
fn chain_damage_comes_first_and_hides_payload_findings() {
    let (_dir, ledger) = ledger_of(150);
    // Entry 150 chains correctly but holds no event.
    append_no_event(&ledger);
    docket_log::testing::xor_byte(&ledger.log, 70, 60, 1).unwrap();
    let report = verify(&ledger);
    assert_eq!(report.chain.damage, Some(Damage::EntryAltered { seq: 70 }));
    assert_eq!(report.payload_failure, None);
    assert_eq!(report.payloads_checked, 0);
    assert_eq!(report.signature_failure, None);
}

#[test]
fn a_stored_entry_that_is_no_event_is_named() {
    let (_dir, ledger) = ledger_of(150);
    append_no_event(&ledger);
    let report = verify(&ledger);
    assert!(report.chain.is_ok());
    let (seq, reason) = report.payload_failure.unwrap();
    assert_eq!(seq, 150, "{reason}");
    assert!(
        reason.starts_with("payload is not a valid event"),
        "{reason}"
    );
    assert_eq!(report.payloads_checked, 150);
}

#[test]
fn an_id_stored_twice_is_named_at_its_second_entry() {
    let (_dir, ledger) = ledger_of(150);
    // Written past the ledger's checks: the same event again.
    let again = NewEntry {
        payload: ledger.log.get(3).unwrap().unwrap().payload,
        index_keys: vec![],
    };
    ledger.log.append(vec![again]).unwrap();
    let report = verify(&ledger);
    assert!(report.chain.is_ok());
    let (seq, reason) = report.payload_failure.unwrap();
    assert_eq!(seq, 150, "{reason}");
    assert!(reason.ends_with("is also held by entry 3"), "{reason}");
}

#[test]
fn a_damaged_or_lost_index_is_rebuilt_not_trusted() {
    // Every id bucket emptied, as damage to derived data might; then
    // every id bucket removed, as records lost would be (read as empty
    // buckets, no id would be found).
    for damage in [Some(Vec::new()), None] {
        let (dir, ledger) = ledger_of(150);
        ledger.with_index(|_, _| Ok(())).unwrap();
        let names = ledger.log.derived_names(b"ix/i").unwrap();
        assert!(!names.is_empty());
        let damaged = names.into_iter().map(|n| (n, damage.clone())).collect();
        ledger.log.derived_apply(damaged).unwrap();
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        let id = ledger.get(7).unwrap().unwrap().event.id.unwrap();
        assert_eq!(
            ledger.seq_of(&id).unwrap(),
            Some(7),
            "found after a rebuild ({damage:?})"
        );
        assert!(verify(&ledger).is_ok());
    }
}

#[test]
fn buckets_written_past_the_meta_record_are_not_read_twice() {
    use crate::index_codec::{encode_meta, parse_meta};
    let (dir, ledger) = ledger_of(160);
    ledger.with_index(|_, _| Ok(())).unwrap();
    // As a flush that stopped before its last batch leaves the index: its
    // buckets list entries 150 to 159, its meta record covers 150.
    let stored = ledger.log.derived_get(b"ix/meta").unwrap().unwrap();
    let mut meta = parse_meta(&stored).unwrap();
    assert_eq!(meta.covered, 160);
    meta.covered = 150;
    meta.tie = ledger.log.get(149).unwrap().unwrap().hash();
    let meta = encode_meta(&meta);
    // A record a rebuild would remove with the rest of the index: read
    // right, the index is caught up, not rebuilt (a bucket that listed an
    // entry twice would be damage, and rebuilt).
    let marker = b"ix/not-rebuilt".to_vec();
    ledger
        .log
        .derived_apply(vec![
            (b"ix/meta".to_vec(), Some(meta)),
            (marker.clone(), Some(Vec::new())),
        ])
        .unwrap();
    drop(ledger);
    for round in 0..2 {
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        // Entries 150 to 159 indexed again from the log, and listed once.
        let postings = ledger
            .with_index(|index, log| index.postings(log, b"e:e155"))
            .unwrap();
        assert_eq!(postings, [155], "round {round}");
        let id = ledger.get(157).unwrap().unwrap().event.id.unwrap();
        assert_eq!(ledger.seq_of(&id).unwrap(), Some(157));
        let report = verify(&ledger);
        assert!(report.is_ok(), "round {round}: {report:?}");
        assert!(ledger.log.derived_get(&marker).unwrap().is_some());
        // The second round reads the index as the first flushed it.
        ledger.flush_index();
    }
}

#[test]
fn an_index_that_disagrees_with_the_entries_fails_verify_once() {
    use crate::index_codec::{decode_ids, decode_terms, encode_ids, encode_terms, seal, unseal};
    let (dir, ledger) = ledger_of(150);
    ledger.with_index(|_, _| Ok(())).unwrap();
    // Well-formed buckets with a posting left out, as a bug might
    // write them: one id bucket, then one term bucket.
    let first = |prefix: &[u8]| ledger.log.derived_names(prefix).unwrap()[0].clone();
    let ids = first(b"ix/i");
    let read = |name: &Vec<u8>| {
        let sealed = ledger.log.derived_get(name).unwrap().unwrap();
        unseal(name, &sealed).unwrap().to_vec()
    };
    let mut id_list = decode_ids(&read(&ids)).unwrap();
    let dropped_id = id_list.remove(0).1;
    let write = |name: &Vec<u8>, payload: Vec<u8>| {
        let sealed = seal(name, payload);
        ledger
            .log
            .derived_apply(vec![(name.clone(), Some(sealed))])
            .unwrap();
    };
    write(&ids, encode_ids(&id_list));
    drop(ledger);
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    let (seq, reason) = verify(&ledger).payload_failure.unwrap();
    assert_eq!(seq, dropped_id);
    assert!(reason.contains("missing from the id index"), "{reason}");
    // Discarded by that verify, rebuilt by the next.
    assert!(verify(&ledger).is_ok());

    ledger.with_index(|_, _| Ok(())).unwrap();
    let terms_name = ledger.log.derived_names(b"ix/t").unwrap()[0].clone();
    let sealed = ledger.log.derived_get(&terms_name).unwrap().unwrap();
    let mut term_map = decode_terms(unseal(&terms_name, &sealed).unwrap()).unwrap();
    let (term, seqs) = term_map.iter_mut().next().unwrap();
    let term = String::from_utf8_lossy(term).into_owned();
    let dropped_seq = seqs.remove(0);
    let sealed = seal(&terms_name, encode_terms(&term_map));
    ledger
        .log
        .derived_apply(vec![(terms_name.clone(), Some(sealed))])
        .unwrap();
    let (seq, reason) = verify(&ledger).payload_failure.unwrap();
    assert_eq!(seq, dropped_seq);
    assert!(reason.contains(&term), "{reason}");
    assert!(verify(&ledger).is_ok());
}

/// Rewrites the stored index record `name` (decoded and encoded by
/// `decode` and `encode`) as `change` makes it, well formed and sealed,
/// as a bug in the index might; `change` says whether it changed it.
fn rewrite_record<T>(
    ledger: &Ledger,
    name: Vec<u8>,
    decode: impl FnOnce(&[u8]) -> Option<T>,
    encode: impl FnOnce(&T) -> Vec<u8>,
    change: impl FnOnce(&mut T) -> bool,
) {
    use crate::index_codec::{seal, unseal};
    let sealed = ledger.log.derived_get(&name).unwrap().unwrap();
    let mut record = decode(unseal(&name, &sealed).unwrap()).unwrap();
    if change(&mut record) {
        let sealed = seal(&name, encode(&record));
        ledger
            .log
            .derived_apply(vec![(name, Some(sealed))])
            .unwrap();
    }
}

/// Rewrites the stored term bucket `name` as `change` makes it.
fn rewrite_terms(
    ledger: &Ledger,
    name: Vec<u8>,
    change: impl FnOnce(&mut std::collections::BTreeMap<Vec<u8>, Vec<u64>>),
) {
    use crate::index_codec::{decode_terms, encode_terms};
    rewrite_record(ledger, name, decode_terms, encode_terms, |terms| {
        change(terms);
        true
    });
}

#[test]
fn a_snapshot_is_only_judged_once_the_index_checks_out() {
    let (dir, ledger) = ledger_of(150);
    // A snapshot tied to the head that holds only the first event.
    let state = ledger.replay_prefix(1, None).unwrap();
    ledger.forget_cached_state();
    let head = ledger.head();
    ledger.remember_state(
        head,
        state.max_instant,
        state.projections,
        state.revisions,
        None,
    );
    ledger.store_cached_snapshot();
    // And a term bucket with a posting left out.
    ledger.with_index(|_, _| Ok(())).unwrap();
    let name = ledger.log.derived_names(b"ix/t").unwrap()[0].clone();
    rewrite_terms(&ledger, name, |terms| {
        terms.values_mut().next().unwrap().remove(0);
    });
    drop(ledger);
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    // The index is reported; the snapshot, checked alongside, is
    // neither judged nor discarded.
    let report = verify(&ledger);
    assert!(report.payload_failure.unwrap().1.contains("index"));
    assert_eq!(report.snapshot_matches, None);
    // The index rebuilt, the snapshot is judged, and discarded.
    assert_eq!(verify(&ledger).snapshot_matches, Some(false));
    assert!(verify(&ledger).is_ok());
}

#[test]
fn revisions_are_checked_under_the_terms_their_chains_reach() {
    use crate::index_codec::{decode_terms, unseal};
    let (dir, ledger) = ledger_of(150);
    // A correction of e7 that moves it to e-moved, retracted, and the
    // retraction retracted: the last is indexed under e:e7 only
    // through its chain.
    let revisions = [
        r#"{"id":"fix","kind":"correction","effective":"2020-01-02","target":"TARGET","reason":"typo","replacement":{"kind":"entity.registered","effective":"2020-01-01","entity":"e-moved","name":"Moved"}}"#,
        r#"{"id":"undo","kind":"retraction","effective":"2020-01-03","target":"fix","reason":"wrong"}"#,
        r#"{"id":"redo","kind":"retraction","effective":"2020-01-04","target":"undo","reason":"wrong again"}"#,
    ];
    let target = ledger
        .events(0..150)
        .map(Result::unwrap)
        .find(|stored| stored.event.entities()[0].as_str() == "e7")
        .and_then(|stored| stored.event.id)
        .unwrap()
        .to_string();
    for json in revisions {
        ledger
            .append_json(&json.replace("TARGET", &target), &AppendOptions::default())
            .unwrap();
    }
    let last = ledger.head().size - 1;
    assert!(verify(&ledger).is_ok());
    // The index without that posting is found out.
    let term = b"e:e7".to_vec();
    let name = ledger
        .log
        .derived_names(b"ix/t")
        .unwrap()
        .into_iter()
        .find(|name| {
            let sealed = ledger.log.derived_get(name).unwrap().unwrap();
            decode_terms(unseal(name, &sealed).unwrap())
                .unwrap()
                .contains_key(&term)
        })
        .unwrap();
    rewrite_terms(&ledger, name, |terms| {
        terms.get_mut(&term).unwrap().retain(|&seq| seq != last);
    });
    drop(ledger);
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    let (seq, reason) = verify(&ledger).payload_failure.unwrap();
    assert_eq!(seq, last);
    assert!(reason.contains("e:e7"), "{reason}");
}

#[test]
fn an_absurd_head_is_reported_not_a_crash() {
    let (dir, ledger) = ledger_of(150);
    let head = docket_log::Head {
        size: 1 << 50,
        ..ledger.head()
    };
    docket_log::testing::put_head(&ledger.log, &head).unwrap();
    drop(ledger);
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    let report = verify(&ledger);
    assert!(!report.chain.is_ok(), "{report:?}");
    assert!(!report.is_ok());
}

#[test]
fn a_ledger_long_enough_for_the_two_thread_replay_verifies() {
    let (_dir, ledger) = ledger_of(25_000);
    ledger.state(&crate::TimeQuery::default()).unwrap();
    ledger.store_cached_snapshot();
    let report = verify(&ledger);
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.snapshot_matches, Some(true));
    assert_eq!(report.payloads_checked, 25_000);
}

/// Drops entry `seq` from whichever stored id bucket lists it.
fn drop_from_id_index(ledger: &Ledger, seq: u64) {
    use crate::index_codec::{decode_ids, encode_ids};
    ledger.flush_index();
    for name in ledger.log.derived_names(b"ix/i").unwrap() {
        let encode = |ids: &Vec<(u64, u64)>| encode_ids(ids);
        rewrite_record(ledger, name, decode_ids, encode, |ids| {
            let before = ids.len();
            ids.retain(|(_, listed)| *listed != seq);
            ids.len() != before
        });
    }
}

#[test]
fn of_an_id_missing_and_an_id_held_twice_the_first_is_named() {
    for missing in [7, 155] {
        let (dir, ledger) = ledger_of(150);
        // Entry 150 holds entry 3's event again, past the ledger's
        // checks; ten more events follow it.
        let again = NewEntry {
            payload: ledger.log.get(3).unwrap().unwrap().payload,
            index_keys: vec![],
        };
        ledger.log.append(vec![again]).unwrap();
        let more: String = (0..10)
            .map(|i| {
                format!(
                    "{{\"kind\":\"entity.registered\",\"effective\":\"2020-01-01\",\"entity\":\"more{i}\",\"name\":\"More {i}\"}}\n"
                )
            })
            .collect();
        ledger
            .append_json(&more, &AppendOptions::default())
            .unwrap();
        drop_from_id_index(&ledger, missing);
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        let (seq, reason) = verify(&ledger).payload_failure.unwrap();
        if missing < 150 {
            assert_eq!(seq, missing, "{reason}");
            assert!(reason.ends_with("is missing from the id index"), "{reason}");
        } else {
            assert_eq!(seq, 150, "{reason}");
            assert!(reason.ends_with("is also held by entry 3"), "{reason}");
        }
    }
}
