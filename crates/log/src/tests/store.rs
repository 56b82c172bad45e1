//! Creating, opening, appending, reading, restoring and the index.

use std::path::Path;

use super::{new_entry, new_log, payload, verified};
use crate::chunk::frames;
use crate::{
    AppendError, Entry, FORMAT_VERSION, Head, Log, MAX_PAYLOAD_LEN, NewEntry, OpenError, ReadError,
    ZERO_HASH, testing,
};

fn entries(range: std::ops::Range<u64>) -> Vec<NewEntry> {
    range.map(new_entry).collect()
}

/// Checks every entry through `get` and `range`, the chunk layout and the
/// chain.
pub(super) fn check_contents(log: &Log, size: u64) {
    assert_eq!(log.head().size, size);
    let mut prev = ZERO_HASH;
    for seq in 0..size {
        let e = log.get(seq).unwrap().unwrap();
        assert_eq!(e.header.seq, seq);
        assert_eq!(e.header.prev_hash, prev);
        assert_eq!(e.payload, payload(seq));
        prev = e.hash();
        assert_eq!(
            log.index_get(format!("id:{seq:05}").as_bytes()).unwrap(),
            Some(seq)
        );
    }
    assert_eq!(prev, log.head().hash);
    assert!(log.get(size).unwrap().is_none());
    let all: Vec<Entry> = log.range(0..u64::MAX).map(Result::unwrap).collect();
    assert_eq!(all.len() as u64, size);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.header.seq, i as u64);
        assert_eq!(e.payload, payload(i as u64));
    }
    for (a, b) in [
        (60, 70),
        (63, 65),
        (127, 129),
        (0, 0),
        (5, 3),
        (size.saturating_sub(2), size + 9),
    ] {
        let got: Vec<u64> = log.range(a..b).map(|e| e.unwrap().header.seq).collect();
        let want: Vec<u64> = (a..b.min(size)).collect();
        assert_eq!(got, want, "range {a}..{b}");
    }
    // Chunk layout: full chunks of 64 entries, then the remainder.
    let chunks = testing::raw_chunks(log).unwrap();
    assert_eq!(chunks.len() as u64, size.div_ceil(64));
    for (i, (number, value)) in chunks.iter().enumerate() {
        assert_eq!(*number, i as u64);
        let n = frames(value).map(Result::unwrap).count() as u64;
        assert_eq!(n, (size - 64 * i as u64).min(64));
    }
    let report = verified(log);
    assert!(report.is_ok(), "{:?}", report.damage);
    assert_eq!(report.entries_checked, size);
    assert_eq!(report.computed_head, log.head().hash);
}

#[test]
fn chunk_boundaries_with_mixed_appends() {
    let (_dir, _path, log) = new_log();
    let mut next = 0u64;
    let mut append = |n: u64, log: &Log| {
        let out = log.append(entries(next..next + n)).unwrap();
        assert_eq!(out.len() as u64, n);
        assert_eq!(out.first().map(|a| a.seq), Some(next));
        assert_eq!(out.last().map(|a| a.hash), Some(log.head().hash));
        next += n;
    };
    append(1, &log);
    check_contents(&log, 1);
    append(63, &log);
    check_contents(&log, 64);
    append(64, &log);
    check_contents(&log, 128);
    append(65, &log);
    check_contents(&log, 193);
    // 200 more: single appends and batches that start and end anywhere.
    for n in [1, 1, 7, 1, 30, 62, 1, 1, 64, 2, 30] {
        append(n, &log);
    }
    check_contents(&log, 393);
}

#[test]
fn batch_shares_recorded_at_and_time_never_goes_back() {
    let (_dir, _path, log) = new_log();
    assert_eq!(log.head(), Head::EMPTY);
    let a = log.append_at(entries(0..3), 1_000).unwrap();
    assert!(a.iter().all(|x| x.recorded_at == 1_000));
    let b = log.append_at(entries(3..4), 500).unwrap();
    assert_eq!(b[0].recorded_at, 1_000);
    let c = log.append(entries(4..5)).unwrap();
    assert!(c[0].recorded_at > 1_600_000_000_000_000);
    let d = log.append_at(entries(5..6), i64::MIN).unwrap();
    assert_eq!(d[0].recorded_at, c[0].recorded_at);
    assert_eq!(log.head().recorded_at, c[0].recorded_at);
    assert!(log.append(Vec::new()).unwrap().is_empty());
    assert_eq!(log.head().size, 6);
    // Negative clock readings are allowed on an empty log.
    let (_dir2, _path2, log2) = new_log();
    assert_eq!(
        log2.append_at(entries(0..1), -7).unwrap()[0].recorded_at,
        -7
    );
}

#[test]
fn oversized_payload_is_rejected_and_nothing_written() {
    let (_dir, _path, log) = new_log();
    log.append(entries(0..2)).unwrap();
    let head = log.head();
    let big = NewEntry {
        payload: vec![0; MAX_PAYLOAD_LEN + 1],
        index_keys: vec![],
    };
    let err = log.append(vec![new_entry(2), big]).unwrap_err();
    assert!(
        matches!(err, AppendError::PayloadTooLarge { seq: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("entry 3"));
    assert_eq!(log.head(), head);
    assert_eq!(log.index_get(b"id:00002").unwrap(), None);
    let max = NewEntry {
        payload: vec![7; MAX_PAYLOAD_LEN],
        index_keys: vec![],
    };
    log.append(vec![max]).unwrap();
    assert_eq!(log.get(2).unwrap().unwrap().payload.len(), MAX_PAYLOAD_LEN);
    assert!(verified(&log).is_ok());
}

#[test]
fn index_get_scan_and_ownership() {
    let (_dir, _path, log) = new_log();
    log.append(vec![
        NewEntry {
            payload: b"a".to_vec(),
            index_keys: vec![b"id:a".to_vec(), b"party:x".to_vec()],
        },
        NewEntry {
            payload: b"b".to_vec(),
            index_keys: vec![b"id:b".to_vec(), vec![0, 255]],
        },
        NewEntry {
            payload: b"c".to_vec(),
            index_keys: vec![],
        },
    ])
    .unwrap();
    assert_eq!(log.index_get(b"id:a").unwrap(), Some(0));
    assert_eq!(log.index_get(b"party:x").unwrap(), Some(0));
    assert_eq!(log.index_get(&[0, 255]).unwrap(), Some(1));
    assert_eq!(log.index_get(b"id:c").unwrap(), None);
    assert_eq!(log.index_get(b"").unwrap(), None);
    let ids: Vec<_> = log.index_scan(b"id:").map(Result::unwrap).collect();
    assert_eq!(ids, vec![(b"id:a".to_vec(), 0), (b"id:b".to_vec(), 1)]);
    assert_eq!(log.index_scan(b"").count(), 4);
    assert_eq!(log.index_scan(b"nothing").count(), 0);

    // A key is owned once: against the store and within a batch.
    let head = log.head();
    let err = log
        .append(vec![NewEntry {
            payload: b"d".to_vec(),
            index_keys: vec![b"id:b".to_vec()],
        }])
        .unwrap_err();
    assert!(
        matches!(&err, AppendError::IndexKeyTaken { seq: 3, owner: 1, key } if key == "id:b"),
        "{err}"
    );
    let twice = |k: &[u8]| NewEntry {
        payload: b"e".to_vec(),
        index_keys: vec![k.to_vec()],
    };
    let err = log
        .append(vec![twice(b"id:e"), twice(b"id:e")])
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::IndexKeyTaken {
                seq: 4,
                owner: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(log.head(), head);
    assert_eq!(log.index_get(b"id:e").unwrap(), None);

    // A malformed index value is reported, not trusted.
    testing::put_raw(&log, b"Ibroken", b"123").unwrap();
    assert!(matches!(
        log.index_get(b"broken"),
        Err(ReadError::MalformedIndex { .. })
    ));
    assert!(log.index_scan(b"broken").next().unwrap().is_err());
}

#[test]
fn restore_continues_a_chain_exactly() {
    let (_d1, _p1, source) = new_log();
    for start in (0..150).step_by(30) {
        source
            .append_at(entries(start..start + 30), start as i64)
            .unwrap();
    }
    let all: Vec<(Entry, Vec<Vec<u8>>)> = source
        .range(0..150)
        .map(|e| {
            let e = e.unwrap();
            let key = format!("id:{:05}", e.header.seq).into_bytes();
            (e, vec![key])
        })
        .collect();
    let (_d2, _p2, target) = new_log();
    target.restore(all[..70].to_vec()).unwrap();
    assert_eq!(target.head().size, 70);
    target.restore(Vec::new()).unwrap();
    target.restore(all[70..].to_vec()).unwrap();
    assert_eq!(target.head(), source.head());
    check_contents(&target, 150);
    // Appending after a restore continues the restored chain.
    target.append(vec![new_entry(150)]).unwrap();
    assert!(verified(&target).is_ok());
}

#[test]
fn restore_refuses_a_broken_chain() {
    let (_d1, _p1, source) = new_log();
    source.append_at(entries(0..10), 100).unwrap();
    source.append_at(entries(10..12), 200).unwrap();
    let all: Vec<Entry> = source.range(0..12).map(Result::unwrap).collect();
    let (_d2, _p2, target) = new_log();
    target
        .restore(all[..5].iter().map(|e| (e.clone(), vec![])).collect())
        .unwrap();
    let head = target.head();

    let try_with = |edit: &dyn Fn(&mut Vec<Entry>)| {
        let mut batch: Vec<Entry> = all[5..].to_vec();
        edit(&mut batch);
        let err = target
            .restore(batch.into_iter().map(|e| (e, vec![])).collect())
            .unwrap_err();
        assert_eq!(target.head(), head, "nothing may be written");
        err
    };
    type Edit<'a> = &'a dyn Fn(&mut Vec<Entry>);
    let cases: [(&str, Edit); 6] = [
        ("seq", &|b| b[0].header.seq = 6),
        ("skipped", &|b| {
            b.remove(0);
        }),
        ("prev_hash", &|b| b[3].header.prev_hash[0] ^= 1),
        ("payload", &|b| b[2].payload[0] ^= 1),
        ("recorded_at", &|b| b[5].header.recorded_at = 50),
        ("version", &|b| b[0].header.version = 2),
    ];
    for (what, edit) in cases {
        let err = try_with(edit);
        assert!(
            matches!(err, AppendError::NotContinuing { .. }),
            "{what}: {err}"
        );
    }
    // The edited payload breaks the *next* link; restoring stops there.
    let err = try_with(&|b| b[2].payload[0] ^= 1);
    assert!(err.to_string().starts_with("entry 8 "), "{err}");
    let err = try_with(&|b| b[1].header.payload_len += 1);
    assert!(err.to_string().contains("payload_len"), "{err}");
    // Starting again from the wrong place is refused too.
    let err = target.restore(vec![(all[0].clone(), vec![])]).unwrap_err();
    assert!(err.to_string().contains("entry 5"), "{err}");
    target
        .restore(all[5..].iter().map(|e| (e.clone(), vec![])).collect())
        .unwrap();
    assert_eq!(target.head(), source.head());
    assert!(verified(&target).is_ok());
}

#[test]
fn create_and_open_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger");
    let missing = Log::open(&path).unwrap_err();
    assert!(matches!(missing, OpenError::NotFound { .. }), "{missing}");
    assert!(missing.to_string().contains(&path.display().to_string()));
    assert!(!path.exists(), "open must not create anything");

    drop(Log::create(&path).unwrap());
    let again = Log::create(&path).unwrap_err();
    assert!(matches!(again, OpenError::AlreadyExists { .. }), "{again}");
    assert!(again.to_string().contains(&path.display().to_string()));

    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "x").unwrap();
    assert!(matches!(
        Log::create(&busy),
        Err(OpenError::NotEmpty { .. })
    ));
    assert!(matches!(Log::open(&busy), Err(OpenError::NotALog { .. })));
    let file = busy.join("notes.txt");
    assert!(matches!(
        Log::create(&file),
        Err(OpenError::NotEmpty { .. })
    ));
    assert!(matches!(Log::open(&file), Err(OpenError::NotALog { .. })));

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(Log::open(&empty), Err(OpenError::NotALog { .. })));
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    Log::create(&empty).unwrap();

    // A sled database that is not a docket log.
    let foreign = dir.path().join("foreign");
    {
        let db = sled::open(&foreign).unwrap();
        db.insert(b"hello", b"world").unwrap();
        db.flush().unwrap();
    }
    let err = Log::open(&foreign).unwrap_err();
    assert!(matches!(err, OpenError::NotALog { .. }), "{err}");
    assert!(matches!(
        Log::create(&foreign),
        Err(OpenError::AlreadyExists { .. })
    ));

    // A log that lost sled's record of its settings, or kept only part of
    // it (sled does not force it to disk, and takes eight bytes or fewer
    // for none), is refused, not opened with a guess, and left as it is.
    let lost = dir.path().join("lost-conf");
    drop(Log::create(&lost).unwrap());
    let conf = std::fs::read(lost.join("conf")).unwrap();
    let cut = conf.iter().position(|&b| b == b'\n').unwrap() + 1;
    for damaged in [None, Some(&b""[..]), Some(&conf[..cut])] {
        match damaged {
            None => std::fs::remove_file(lost.join("conf")).unwrap(),
            Some(bytes) => std::fs::write(lost.join("conf"), bytes).unwrap(),
        }
        let err = Log::open(&lost).unwrap_err();
        assert!(matches!(err, OpenError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("`conf`"), "{err}");
        let left = std::fs::read(lost.join("conf")).ok();
        assert_eq!(left.as_deref(), damaged, "the conf file was changed");
    }
    std::fs::write(lost.join("conf"), &conf).unwrap();
    assert_eq!(Log::open(&lost).unwrap().head(), Head::EMPTY);
}

#[test]
fn newer_layout_and_damaged_records_are_refused_on_open() {
    let (_dir, path, log) = new_log();
    testing::put_raw(&log, b"M", b"docket-log\0\0\0\x03\0\0\0\x40").unwrap();
    drop(log);
    let err = Log::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::UnsupportedLayout {
                layout: 3,
                chunk_len: 64,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("layout 3"), "{err}");
    assert!(err.to_string().contains("layouts 1 to 2"), "{err}");

    let (_dir, path, log) = new_log();
    testing::put_raw(&log, b"M", b"not a marker").unwrap();
    drop(log);
    assert!(matches!(Log::open(&path), Err(OpenError::NotALog { .. })));

    let (_dir, path, log) = new_log();
    testing::put_raw(&log, b"H", b"short").unwrap();
    drop(log);
    let err = Log::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::Damaged { .. }), "{err}");
}

#[test]
fn head_is_durable_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger");
    let head = {
        let log = Log::create(&path).unwrap();
        log.append(entries(0..70)).unwrap();
        log.append(entries(70..71)).unwrap();
        log.head()
    };
    let log = Log::open(&path).unwrap();
    assert_eq!(log.head(), head);
    assert_eq!(log.path(), path.as_path());
    log.append(entries(71..80)).unwrap();
    log.flush().unwrap();
    check_contents(&log, 80);
    drop(log);
    let log = Log::open(&path).unwrap();
    check_contents(&log, 80);
}

#[test]
fn an_opener_waits_for_a_lock_released_meanwhile() {
    let (_dir, path, log) = new_log();
    log.append(vec![NewEntry {
        index_keys: Vec::new(),
        payload: b"kept".to_vec(),
    }])
    .unwrap();
    // The holder lets go well within the opener's wait, and well after the
    // opener's first tries have failed.
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(150));
        drop(log);
    });
    let started = std::time::Instant::now();
    let reopened = Log::open(&path).unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
    holder.join().unwrap();
    assert_eq!(reopened.head().size, 1);
}

fn in_use_message(path: &Path) -> String {
    format!("ledger at {} is in use by another process", path.display())
}

#[test]
fn second_opener_in_this_process_gets_in_use() {
    let (_dir, path, log) = new_log();
    let err = Log::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::InUse { .. }), "{err:?}");
    assert_eq!(err.to_string(), in_use_message(&path));
    assert!(matches!(
        Log::create(&path),
        Err(OpenError::AlreadyExists { .. })
    ));
    drop(log);
    Log::open(&path).unwrap();
}

/// Run by `second_process_gets_in_use` in a child process.
#[test]
#[ignore = "helper: run as a child process by second_process_gets_in_use"]
fn child_opener() {
    let Ok(path) = std::env::var("DOCKET_LOG_TEST_OPEN") else {
        return;
    };
    match Log::open(Path::new(&path)) {
        Ok(_) => println!("CHILD: opened"),
        Err(e) => println!("CHILD: {e}"),
    }
}

#[test]
fn second_process_gets_in_use() {
    let (_dir, path, _log) = new_log();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "tests::store::child_opener",
            "--nocapture",
        ])
        .env("DOCKET_LOG_TEST_OPEN", &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("CHILD: {}", in_use_message(&path))),
        "child said: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn log_is_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Log>();
    let (_dir, _path, log) = new_log();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let log = &log;
            s.spawn(move || {
                for i in 0..20 {
                    log.append(vec![NewEntry {
                        payload: vec![t as u8, i],
                        index_keys: vec![vec![b'k', t as u8, i]],
                    }])
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(log.head().size, 80);
    assert!(verified(&log).is_ok());
    let mut seqs: Vec<u64> = log.index_scan(b"k").map(|r| r.unwrap().1).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..80).collect::<Vec<_>>());
}

#[test]
fn appending_onto_a_damaged_tail_is_refused() {
    let (_dir, _path, log) = new_log();
    log.append(entries(0..10)).unwrap();
    testing::xor_byte(&log, 9, 60, 1).unwrap();
    let err = log.append(entries(10..11)).unwrap_err();
    assert!(matches!(err, AppendError::Damaged { seq: 9, .. }), "{err}");
    assert_eq!(log.head().size, 10);

    let (_dir, _path, log) = new_log();
    log.append(entries(0..64)).unwrap();
    testing::put_chunk(&log, 1, b"junk").unwrap();
    let err = log.append(entries(64..65)).unwrap_err();
    assert!(matches!(err, AppendError::Damaged { seq: 64, .. }), "{err}");
}

#[test]
fn progress_is_reported() {
    let (_dir, _path, log) = new_log();
    log.append(entries(0..130)).unwrap();
    let mut calls = Vec::new();
    // The callback may read the log while verification runs.
    let report = log.verify(&mut |done, total| {
        assert_eq!(log.head().size, total);
        calls.push((done, total));
    });
    assert!(report.is_ok());
    assert_eq!(calls.first(), Some(&(0, 130)));
    assert_eq!(calls.last(), Some(&(130, 130)));
    assert!(calls.contains(&(64, 130)));
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));
    let e = log.get(0).unwrap().unwrap();
    assert_eq!(e.header.version, FORMAT_VERSION);
}
