//! Garbage in storage never panics a read or a verification, and any change
//! to stored entry bytes is reported.

use proptest::prelude::*;
use proptest::sample::Index;

use super::{new_entry, new_log, verified};
use crate::{FORMAT_VERSION, HEADER_LEN, Header, Log, MAX_PAYLOAD_LEN, testing};

fn log_of(size: u64) -> (tempfile::TempDir, Log) {
    let (dir, _path, log) = new_log();
    let mut next = 0;
    while next < size {
        let n = (size - next).min(37);
        log.append((next..next + n).map(new_entry).collect())
            .unwrap();
        next += n;
    }
    (dir, log)
}

/// Reads everything every way; only checks that nothing panics and that
/// reads stop at errors.
fn read_everything(log: &Log) {
    let size = log.head().size;
    for seq in 0..size + 2 {
        let _ = log.get(seq);
    }
    for start in [0, 1, 63, 64, 65, size / 2] {
        let items: Vec<_> = log.range(start..size + 5).collect();
        let errors = items.iter().filter(|r| r.is_err()).count();
        assert!(errors <= 1, "range yields at most one error");
        if errors == 1 {
            assert!(
                items.last().is_some_and(Result::is_err),
                "error ends the range"
            );
        }
        // Borrowed reads see the same entries and stop at the same error.
        let mut borrowed = log.range(start..size + 5);
        let mut owned = items.iter();
        while let Some(item) = borrowed.next_borrowed() {
            match (item, owned.next()) {
                (Ok((header, payload)), Some(Ok(entry))) => {
                    assert_eq!((header, payload), (entry.header, &entry.payload[..]));
                    // And what a single read, which finds its own chunk and
                    // offset, gives.
                    if let Ok(Some(single)) = log.get(header.seq) {
                        assert_eq!((header, payload), (single.header, &single.payload[..]));
                    }
                }
                (Err(a), Some(Err(b))) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("borrowed read gave {a:?}, owned read {b:?}"),
            }
        }
        assert!(
            owned.next().is_none(),
            "borrowed reads end with owned reads"
        );
    }
    let _ = log.index_scan(b"").count();
    let report = verified(log);
    if let Some(d) = &report.damage {
        let _ = d.to_string();
        let _ = d.seq();
    }
}

fn header(seq: u64, payload_len: u32) -> [u8; HEADER_LEN] {
    Header {
        version: FORMAT_VERSION,
        seq,
        recorded_at: 0,
        payload_len,
        prev_hash: [0; 32],
    }
    .to_bytes()
}

#[test]
fn crafted_headers_do_not_panic() {
    let mut lying = header(0, u32::MAX).to_vec();
    lying[20..24].copy_from_slice(&u32::MAX.to_be_bytes());
    let huge = header(0, MAX_PAYLOAD_LEN as u32);
    let mut max_seq = header(u64::MAX, 0).to_vec();
    max_seq.extend_from_slice(&header(u64::MAX, 0));
    let values: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        lying,
        huge.to_vec(),
        max_seq,
        header(0, 0)[..30].to_vec(),
        [header(0, 3).as_slice(), b"ab"].concat(),
        vec![0xff; 4096],
        vec![0; 4096],
    ];
    for value in values {
        for size in [0, 1, 64, 70] {
            let (_dir, log) = log_of(size);
            for chunk in [0, 1, u64::MAX] {
                testing::put_chunk(&log, chunk, &value).unwrap();
            }
            read_everything(&log);
        }
    }
    // Garbage in the head, index and stray keys.
    let (_dir, log) = log_of(70);
    testing::put_raw(&log, b"Iid:00001", b"").unwrap();
    testing::put_raw(&log, b"C", b"x").unwrap();
    testing::put_raw(&log, b"H", &[0xff; 48]).unwrap();
    read_everything(&log);
    assert!(!verified(&log).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn garbage_chunks_never_panic(
        size in 0u64..140,
        chunks in prop::collection::vec((0u64..4, prop::collection::vec(any::<u8>(), 0..300)), 1..4),
    ) {
        let (_dir, log) = log_of(size);
        for (chunk, value) in &chunks {
            testing::put_chunk(&log, *chunk, value).unwrap();
        }
        read_everything(&log);
    }

    #[test]
    fn any_change_to_chunk_bytes_is_reported(
        size in 1u64..140,
        which in any::<Index>(),
        at in any::<Index>(),
        cut in any::<Index>(),
        junk in prop::collection::vec(any::<u8>(), 0..80),
        mode in 0..3u8,
    ) {
        let (_dir, log) = log_of(size);
        let chunks = testing::raw_chunks(&log).unwrap();
        let (number, original) = chunks[which.index(chunks.len())].clone();
        let start = at.index(original.len() + 1);
        let mut value = original.clone();
        match mode {
            // overwrite a stretch
            0 => {
                for (slot, b) in value.iter_mut().skip(start).zip(&junk) {
                    *slot = *b;
                }
            }
            // insert bytes
            1 => {
                value.splice(start..start, junk.iter().copied());
            }
            // cut the value short
            _ => value.truncate(cut.index(original.len())),
        }
        testing::put_chunk(&log, number, &value).unwrap();
        read_everything(&log);
        let report = verified(&log);
        prop_assert_eq!(report.is_ok(), value == original, "{:?}", report.damage);
    }
}
