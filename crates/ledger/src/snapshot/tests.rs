//! The comparison of a fresh state with a stored snapshot, as encoded.

use super::compare::{COMPARE_BLOCK, Comparison, compare_rest, encodes_as};
use super::{config, stored_reader};

#[test]
fn the_comparison_as_encoded_sees_any_difference() {
    let value = (7i64, vec![1u32, 300, 70_000], String::from("state"));
    let bytes = bincode::encode_to_vec(&value, config()).unwrap();
    // A reader that hands out one byte at a time crosses buffer ends
    // inside every value written.
    let one_by_one =
        |b: &[u8]| std::io::BufReader::with_capacity(1, std::io::Cursor::new(b.to_vec()));
    assert!(encodes_as(&value, &bytes[..]));
    assert!(encodes_as(&value, one_by_one(&bytes)));
    assert!(!encodes_as(&value, &bytes[..bytes.len() - 1]));
    assert!(!encodes_as(&value, one_by_one(&bytes[..bytes.len() - 1])));
    for at in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[at] ^= 1;
        assert!(!encodes_as(&value, &changed[..]), "byte {at}");
    }

    // The rest of a stored file: the same, longer, different, or not
    // a whole zstd stream (damaged, so ignored rather than a mismatch).
    let compare = |stored: &[u8]| {
        let compressed = zstd::encode_all(stored, 1).unwrap();
        compare_rest(&value, stored_reader(&compressed).unwrap())
    };
    assert_eq!(compare(&bytes), Comparison::Same);
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(compare(&longer), Comparison::Differs);
    assert_eq!(compare(&bytes[1..]), Comparison::Differs);
    let compressed = zstd::encode_all(&bytes[..], 1).unwrap();
    let truncated = &compressed[..compressed.len() - 3];
    assert_eq!(
        compare_rest(&value, stored_reader(truncated).unwrap()),
        Comparison::Unreadable
    );
}

#[test]
fn a_long_encoding_is_compared_block_by_block_to_its_end() {
    // About four and a half blocks: a difference before, at and after
    // each block's end is seen, and so is one in the last, partial block.
    let value: Vec<u32> = (0..100_000u32).map(|i| 300 + i % 7).collect();
    let bytes = bincode::encode_to_vec(&value, config()).unwrap();
    assert!(bytes.len() > 2 * COMPARE_BLOCK + 1000, "{}", bytes.len());
    assert!(encodes_as(&value, &bytes[..]));
    let edges = (1..=bytes.len() / COMPARE_BLOCK).map(|n| n * COMPARE_BLOCK);
    let mut places = vec![0, bytes.len() / 2, bytes.len() - 1];
    for edge in edges.filter(|&edge| edge + 1 < bytes.len()) {
        places.extend([edge - 1, edge, edge + 1]);
    }
    for at in places {
        let mut changed = bytes.clone();
        changed[at] ^= 1;
        assert!(!encodes_as(&value, &changed[..]), "byte {at}");
    }
    // Stored bytes that end early, or go on, are no match either.
    assert!(!encodes_as(&value, &bytes[..bytes.len() - 1]));
    let compressed = zstd::encode_all(&[&bytes[..], &[0]].concat()[..], 1).unwrap();
    assert_eq!(
        compare_rest(&value, stored_reader(&compressed).unwrap()),
        Comparison::Differs
    );
}

/// A stored snapshot that only its holdings can catch up from (a docket
/// entry recorded late stops the whole state) still has its holdings
/// compared by `verify`: views of one entity read them.
#[test]
fn holdings_that_alone_catch_up_are_compared() {
    use crate::{AppendOptions, Ledger, TimeQuery};
    let lines = [
        r#"{"id":"ra","kind":"entity.registered","effective":"2020-01-01","entity":"a","name":"A"}"#,
        r#"{"id":"rb","kind":"entity.registered","effective":"2020-01-01","entity":"b","name":"B"}"#,
        r#"{"id":"f","kind":"dispute.filed","effective":"2021-01-01","dispute":"x","title":"A v B","forum":{"court":"ded"},"nature":"patent","plaintiffs":["a"],"defendants":["b"]}"#,
        r#"{"id":"e1","kind":"dispute.entry","effective":"2022-01-01","dispute":"x","description":"Order"}"#,
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let ledger = Ledger::init(&path).unwrap();
    for line in lines {
        ledger.append_json(line, &AppendOptions::default()).unwrap();
    }
    let state = ledger.state(&TimeQuery::default()).unwrap();
    let head = ledger.head();
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    let late = r#"{"id":"e0","kind":"dispute.entry","effective":"2021-06-01","dispute":"x","description":"Answer"}"#;
    ledger.append_json(late, &AppendOptions::default()).unwrap();
    assert_eq!(ledger.snapshot_matches_log().unwrap(), Some(true));

    // The same snapshot with other holdings (`b` renamed), still tied to
    // the head before the late entry.
    let mut projections = (*state.projections).clone();
    let mut other = crate::replay::Projections::default();
    let rename =
        r#"{"id":"n","kind":"entity.renamed","effective":"2020-06-01","entity":"b","name":"Bee"}"#;
    for (seq, line) in lines.iter().take(2).chain([&rename]).enumerate() {
        let event = docket_model::Event::from_json(line).unwrap();
        other.apply(seq as u64, &event);
    }
    projections.holdings = other.holdings;
    let encoded =
        super::EncodedState::new(state.max_instant, &projections, &state.revisions).unwrap();
    assert!(ledger.write_snapshot(head.size, head.hash, &encoded));
    assert_eq!(ledger.snapshot_matches_log().unwrap(), Some(false));
}

/// A stored snapshot of the head whose end is damaged is no state to
/// compare, but its holdings, which entity views read, still are.
#[test]
fn holdings_before_a_damaged_end_are_compared() {
    use crate::{AppendOptions, Ledger, TimeQuery};
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&dir.path().join("l")).unwrap();
    for (id, slug) in [("ra", "a"), ("rb", "b")] {
        let line = format!(
            r#"{{"id":"{id}","kind":"entity.registered","effective":"2020-01-01","entity":"{slug}","name":"{slug}"}}"#
        );
        ledger
            .append_json(&line, &AppendOptions::default())
            .unwrap();
    }
    let state = ledger.state(&TimeQuery::default()).unwrap();
    let head = ledger.head();
    let write_damaged = |projections: &crate::replay::Projections| {
        let encoded =
            super::EncodedState::new(state.max_instant, projections, &state.revisions).unwrap();
        let mut file = super::snapshot_file(head.size, head.hash, &encoded).unwrap();
        file.truncate(file.len() - 4);
        ledger
            .log
            .put_derived_file(super::SNAPSHOT_NAME, &file)
            .unwrap();
        ledger.forget_cached_state();
    };
    write_damaged(&state.projections);
    assert_eq!(ledger.snapshot_matches_log().unwrap(), Some(true));
    let mut other = (*state.projections).clone();
    other.holdings = other.holdings.entities_as_of(0);
    write_damaged(&other);
    assert_eq!(ledger.snapshot_matches_log().unwrap(), Some(false));
}
