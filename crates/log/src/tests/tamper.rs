//! Tamper detection: every kind of damage is found and the first damaged
//! seq is named.

use proptest::prelude::*;
use proptest::sample::Index;

use super::{new_entry, new_log, verified};
use crate::{Damage, Head, Log, NewEntry, testing};

/// 200 entries in batches that cross chunk boundaries, with distinct
/// recorded_at per batch.
fn log_200() -> (tempfile::TempDir, Log) {
    let (dir, _path, log) = new_log();
    let mut next = 0;
    for (i, n) in [1u64, 63, 64, 40, 32].into_iter().enumerate() {
        let batch = (next..next + n).map(new_entry).collect();
        log.append_at(batch, 1_000 * (i as i64 + 1)).unwrap();
        next += n;
    }
    assert_eq!(log.head().size, 200);
    (dir, log)
}

fn damage(log: &Log) -> Damage {
    let report = verified(log);
    assert!(!report.is_ok(), "tampering went unnoticed");
    let d = report.damage.unwrap();
    // Every damage reads as a sentence naming what it is about.
    let text = d.to_string();
    assert!(text.ends_with('.'), "{text}");
    d
}

fn after<F: FnOnce(&Log)>(tamper: F) -> Damage {
    let (_dir, log) = log_200();
    tamper(&log);
    damage(&log)
}

fn altered(seq: u64) -> Damage {
    Damage::EntryAltered { seq }
}

#[test]
fn single_field_changes_are_named() {
    for k in [0u64, 1, 10, 62, 63, 64, 127, 128, 199] {
        // payload
        assert_eq!(
            after(|l| testing::xor_byte(l, k, 56, 0x20).unwrap()),
            altered(k),
            "payload of {k}"
        );
        // prev_hash field
        assert_eq!(
            after(|l| testing::xor_byte(l, k, 40, 1).unwrap()),
            altered(k),
            "prev_hash of {k}"
        );
        // seq field
        for (byte, mask) in [(11, 1), (11, 0x40), (4, 0x80)] {
            assert_eq!(
                after(|l| testing::xor_byte(l, k, byte, mask).unwrap()),
                altered(k),
                "seq byte {byte} of {k}"
            );
        }
        // recorded_at field: later, earlier, sign flip
        for (byte, mask) in [(19, 1), (18, 0xff), (12, 0x80)] {
            assert_eq!(
                after(|l| testing::xor_byte(l, k, byte, mask).unwrap()),
                altered(k),
                "recorded_at byte {byte} of {k}"
            );
        }
        // version, reserved and length fields make the entry malformed
        for (byte, mask) in [
            (1, 3),
            (0, 1),
            (2, 0x10),
            (3, 1),
            (20, 1),
            (22, 1),
            (23, 1),
            (23, 4),
        ] {
            let d = after(|l| testing::xor_byte(l, k, byte, mask).unwrap());
            assert!(
                matches!(d, Damage::Malformed { seq, .. } if seq == k),
                "byte {byte} of {k}: {d:?}"
            );
        }
    }
}

#[test]
fn removed_entries_are_missing() {
    for k in [0u64, 5, 62, 63, 64, 150, 198] {
        assert_eq!(
            after(|l| testing::delete_entry(l, k).unwrap()),
            Damage::Missing { seq: k }
        );
        assert_eq!(
            after(|l| testing::delete_and_shift(l, k).unwrap()),
            Damage::Missing { seq: k }
        );
    }
    let d = after(|l| testing::delete_entry(l, 199).unwrap());
    assert!(
        matches!(
            d,
            Damage::HeadMismatch {
                stored_size: 200,
                found_size: 199,
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(
        after(|l| testing::remove_chunk(l, 1).unwrap()),
        Damage::Missing { seq: 64 }
    );
}

#[test]
fn swapped_entries_are_reordered() {
    for (a, b) in [(0, 1), (10, 11), (63, 64), (5, 150), (100, 199), (198, 199)] {
        assert_eq!(
            after(|l| testing::swap_entries(l, a, b).unwrap()),
            Damage::Reordered { seq: a },
            "swap {a} {b}"
        );
    }
    // In order, but moved into the next chunk.
    let d = after(|l| {
        let chunks = testing::raw_chunks(l).unwrap();
        let (_, off, len) = testing::locate(l, 63).unwrap();
        let moved = &chunks[0].1[off..off + len];
        let mut next = moved.to_vec();
        next.extend_from_slice(&chunks[1].1);
        testing::put_chunk(l, 0, &chunks[0].1[..off]).unwrap();
        testing::put_chunk(l, 1, &next).unwrap();
    });
    assert_eq!(d, Damage::Reordered { seq: 63 });
}

#[test]
fn truncated_tail_is_a_head_mismatch() {
    for k in [1u64, 2, 8, 40, 72, 199, 200] {
        let d = after(|l| testing::truncate_tail(l, k).unwrap());
        assert!(
            matches!(d, Damage::HeadMismatch { stored_size: 200, found_size, .. } if found_size == 200 - k),
            "truncate {k}: {d:?}"
        );
        assert_eq!(d.seq(), Some(200 - k));
        assert!(d.to_string().contains("removed from the end"), "{d}");
    }
}

#[test]
fn stray_bytes_head_and_keys() {
    // Bytes appended to a full chunk and to the last chunk.
    let d = after(|l| {
        let mut c = testing::raw_chunks(l).unwrap()[0].1.clone();
        c.extend_from_slice(b"junk");
        testing::put_chunk(l, 0, &c).unwrap();
    });
    assert!(matches!(d, Damage::Malformed { seq: 63, .. }), "{d:?}");
    let d = after(|l| {
        let mut c = testing::raw_chunks(l).unwrap()[3].1.clone();
        c.extend_from_slice(&[0; 100]);
        testing::put_chunk(l, 3, &c).unwrap();
    });
    assert!(matches!(d, Damage::Malformed { seq: 199, .. }), "{d:?}");
    // A whole chunk beyond the head.
    let d = after(|l| testing::put_chunk(l, 9, b"more junk").unwrap());
    assert!(matches!(d, Damage::Malformed { seq: 200, .. }), "{d:?}");
    // An empty chunk record, even beyond the last entry: an empty value,
    // and a value that decodes to nothing.
    let d = after(|l| testing::put_chunk_value(l, 9, b"").unwrap());
    assert!(matches!(d, Damage::Malformed { seq: 200, .. }), "{d:?}");
    let d = after(|l| testing::put_chunk(l, 9, b"").unwrap());
    assert!(matches!(d, Damage::Malformed { seq: 200, .. }), "{d:?}");
    // The head record.
    let d = after(|l| {
        let mut h = l.head();
        h.hash[0] ^= 1;
        testing::put_head(l, &h).unwrap();
    });
    assert_eq!(d, Damage::EntryAltered { seq: 199 });
    let d = after(|l| {
        let h = Head {
            size: 201,
            ..l.head()
        };
        testing::put_head(l, &h).unwrap();
    });
    assert!(matches!(
        d,
        Damage::HeadMismatch {
            stored_size: 201,
            found_size: 200,
            ..
        }
    ));
    let d = after(|l| {
        let h = Head {
            recorded_at: 0,
            ..l.head()
        };
        testing::put_head(l, &h).unwrap();
    });
    assert!(matches!(d, Damage::HeadMismatch { .. }), "{d:?}");
    let d = after(|l| testing::put_raw(l, b"H", b"?").unwrap());
    assert!(matches!(d, Damage::HeadUnreadable { .. }), "{d:?}");
    assert_eq!(d.seq(), None);
    let d = after(|l| testing::put_raw(l, b"Cxyz", b"").unwrap());
    assert!(matches!(d, Damage::Malformed { .. }), "{d:?}");
}

#[test]
fn empty_log_verifies_and_detects_additions() {
    let (_dir, _path, log) = new_log();
    let report = verified(&log);
    assert!(report.is_ok());
    assert_eq!(report.entries_checked, 0);
    assert_eq!(report.stored_head, Head::EMPTY);
    // An entry smuggled in without updating the head.
    let (_dir2, _path2, other) = new_log();
    other.append(vec![new_entry(0)]).unwrap();
    let chunk = testing::raw_chunks(&other).unwrap().remove(0).1;
    testing::put_chunk(&log, 0, &chunk).unwrap();
    let d = damage(&log);
    assert!(
        matches!(
            d,
            Damage::HeadMismatch {
                stored_size: 0,
                found_size: 1,
                ..
            }
        ),
        "{d:?}"
    );
}

/// One way of damaging a log, with positions drawn relative to its size.
#[derive(Debug, Clone)]
enum Tamper {
    Byte {
        entry: Index,
        offset: Index,
        mask: u8,
    },
    HeaderByte {
        entry: Index,
        at: usize,
        mask: u8,
    },
    Delete {
        entry: Index,
        shift: bool,
    },
    Swap {
        a: Index,
        b: Index,
    },
    Truncate {
        k: Index,
    },
}

fn tamper_strategy() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        3 => (any::<Index>(), any::<Index>(), 1..=255u8)
            .prop_map(|(entry, offset, mask)| Tamper::Byte { entry, offset, mask }),
        2 => (any::<Index>(), 0..56usize, 1..=255u8)
            .prop_map(|(entry, at, mask)| Tamper::HeaderByte { entry, at, mask }),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(entry, shift)| Tamper::Delete { entry, shift }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Tamper::Swap { a, b }),
        1 => any::<Index>().prop_map(|k| Tamper::Truncate { k }),
    ]
}

/// Payloads grouped in append batches. Besides random bytes, payloads of
/// mostly zero bytes make chance look-alikes of headers likely.
fn batches_strategy() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    let payload = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..90),
        prop::collection::vec(0..2u8, 0..90),
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x40]), 50..70),
    ];
    prop::collection::vec(prop::collection::vec(payload, 1..70), 1..6)
}

fn build(batches: &[Vec<Vec<u8>>]) -> (tempfile::TempDir, Log) {
    let (dir, _path, log) = new_log();
    for (i, batch) in batches.iter().enumerate() {
        let entries = batch
            .iter()
            .map(|p| NewEntry {
                payload: p.clone(),
                index_keys: vec![],
            })
            .collect();
        log.append_at(entries, 10 * i as i64).unwrap();
    }
    (dir, log)
}

/// The kind and seq verification must report after `tamper`.
/// Tells whether a damage is of the expected kind.
type Kind = fn(&Damage) -> bool;

fn expect(tamper: &Tamper, log: &Log) -> Option<(Kind, u64)> {
    let size = log.head().size;
    let is_altered: Kind = |d| matches!(d, Damage::EntryAltered { .. });
    let is_malformed: Kind = |d| matches!(d, Damage::Malformed { .. });
    let is_missing: Kind = |d| matches!(d, Damage::Missing { .. });
    let is_reordered: Kind = |d| matches!(d, Damage::Reordered { .. });
    let is_truncated: Kind = |d| matches!(d, Damage::HeadMismatch { .. });
    match tamper {
        Tamper::Byte { .. } | Tamper::HeaderByte { .. } => {
            let (entry, at, mask) = match tamper {
                Tamper::Byte {
                    entry,
                    offset,
                    mask,
                } => {
                    let k = entry.index(size as usize) as u64;
                    let (_, _, len) = testing::locate(log, k).unwrap();
                    (k, offset.index(len), *mask)
                }
                Tamper::HeaderByte { entry, at, mask } => {
                    (entry.index(size as usize) as u64, *at, *mask)
                }
                _ => unreachable!(),
            };
            let k = entry;
            testing::xor_byte(log, k, at, mask).unwrap();
            let kind = match at {
                0..4 | 20..24 => is_malformed,
                _ => is_altered,
            };
            Some((kind, k))
        }
        Tamper::Delete { entry, shift } => {
            let k = entry.index(size as usize) as u64;
            if *shift {
                testing::delete_and_shift(log, k).unwrap();
            } else {
                testing::delete_entry(log, k).unwrap();
            }
            Some((
                if k + 1 == size {
                    is_truncated
                } else {
                    is_missing
                },
                k,
            ))
        }
        Tamper::Swap { a, b } => {
            if size < 2 {
                return None;
            }
            let a = a.index(size as usize) as u64;
            let b = (a + 1 + b.index(size as usize - 1) as u64) % size;
            testing::swap_entries(log, a, b).unwrap();
            Some((is_reordered, a.min(b)))
        }
        Tamper::Truncate { k } => {
            let k = 1 + k.index(size as usize) as u64;
            testing::truncate_tail(log, k).unwrap();
            Some((is_truncated, size - k))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn untampered_logs_verify(batches in batches_strategy()) {
        let (_dir, log) = build(&batches);
        let size: usize = batches.iter().map(Vec::len).sum();
        let report = verified(&log);
        prop_assert!(report.is_ok(), "{:?}", report.damage);
        prop_assert_eq!(report.entries_checked, size as u64);
        prop_assert_eq!(report.computed_head, log.head().hash);
        let all: Vec<Vec<u8>> = batches.concat();
        for (e, p) in log.range(0..u64::MAX).zip(&all) {
            prop_assert_eq!(&e.unwrap().payload, p);
        }
    }

    #[test]
    fn any_tampering_is_found_and_located(
        batches in batches_strategy(),
        tamper in tamper_strategy(),
    ) {
        let (_dir, log) = build(&batches);
        let Some((kind, seq)) = expect(&tamper, &log) else {
            return Ok(());
        };
        let report = verified(&log);
        let d = report.damage.clone();
        prop_assert!(d.is_some(), "unnoticed: {:?}", tamper);
        let d = d.unwrap();
        prop_assert!(kind(&d), "wrong kind {:?} for {:?}", d, tamper);
        prop_assert_eq!(d.seq(), Some(seq), "wrong seq in {:?} for {:?}", d, tamper);
        prop_assert!(report.entries_checked <= seq + 1);
    }
}
