//! Appends prepared ahead of storing them: the same log as appending, and
//! nothing written out of turn.

use super::{new_entry, new_log, verified};
use crate::{AppendError, Log, NewEntry, testing};

const AT: i64 = 1_700_000_000_000_000;

fn batch(seqs: std::ops::Range<u64>) -> Vec<NewEntry> {
    seqs.map(new_entry).collect()
}

/// What a log holds, byte for byte: head, chunk values, stored nodes.
type Contents = (crate::Head, Vec<(u64, Vec<u8>)>, Vec<testing::Record>);

fn contents(log: &Log) -> Contents {
    (
        log.head(),
        testing::raw_chunk_values(log).unwrap(),
        testing::raw_nodes(log).unwrap(),
    )
}

#[test]
fn prepared_ahead_then_stored_is_appended() {
    // Batches that end inside, at the end of and across chunks, past the
    // level-6 nodes and the parallel compression threshold.
    let cuts = [0, 3, 64, 65, 200, 201, 460, 1100];
    let (_a, _pa, appended) = new_log();
    for pair in cuts.windows(2) {
        appended.append_at(batch(pair[0]..pair[1]), AT).unwrap();
    }
    let (_b, _pb, stored) = new_log();
    stored.append_at(batch(0..3), AT).unwrap();
    // Every batch after the first is prepared before any is stored.
    let mut preparer = stored.preparer().unwrap();
    let prepared: Vec<_> = cuts[1..]
        .windows(2)
        .map(|pair| preparer.prepare(batch(pair[0]..pair[1]), AT).unwrap())
        .collect();
    assert_eq!(preparer.head(), appended.head());
    for p in prepared {
        let head = p.head();
        let done = stored.store(p).unwrap();
        assert_eq!(done.last().map(|a| a.seq + 1), Some(head.size));
        assert_eq!(stored.head(), head);
    }
    assert_eq!(contents(&stored), contents(&appended));
    assert!(verified(&stored).damage.is_none());
}

#[test]
fn nothing_is_stored_out_of_turn() {
    let (_d, _p, log) = new_log();
    log.append_at(batch(0..10), AT).unwrap();
    let mut preparer = log.preparer().unwrap();
    let first = preparer.prepare(batch(10..20), AT).unwrap();
    let second = preparer.prepare(batch(20..30), AT).unwrap();
    let before = contents(&log);
    // The second before the first.
    let error = log.store(second).unwrap_err();
    assert!(
        matches!(&error, AppendError::PreparedElsewhere { reason, .. }
            if reason.contains("follow 20 entries") && reason.contains("holds 10")),
        "{error}"
    );
    assert_eq!(contents(&log), before);
    // Something else appended after the preparer was made.
    log.append_at(batch(10..11), AT).unwrap();
    let before = contents(&log);
    assert!(matches!(
        log.store(first),
        Err(AppendError::PreparedElsewhere { .. })
    ));
    assert_eq!(contents(&log), before);
    assert!(verified(&log).damage.is_none());
}

#[test]
fn a_refused_batch_leaves_the_preparer_as_it_was() {
    let (_d, _p, log) = new_log();
    let mut preparer = log.preparer().unwrap();
    let mut too_large = batch(0..5);
    too_large[3].payload = vec![0; crate::MAX_PAYLOAD_LEN + 1];
    let error = preparer.prepare(too_large, AT).unwrap_err();
    assert!(
        matches!(error, AppendError::PayloadTooLarge { seq: 3, .. }),
        "{error}"
    );
    assert_eq!(preparer.head(), log.head());
    let empty = preparer.prepare(Vec::new(), AT).unwrap();
    assert!(empty.is_empty() && log.store(empty).unwrap().is_empty());
    let p = preparer.prepare(batch(0..5), AT).unwrap();
    assert_eq!(p.len(), 5);
    log.store(p).unwrap();
    let (_e, _q, appended) = new_log();
    appended.append_at(batch(0..5), AT).unwrap();
    assert_eq!(contents(&log), contents(&appended));
}

#[test]
fn a_batch_prepared_for_another_layout_is_refused() {
    let (_d, _p, zstd) = new_log();
    let dir = tempfile::tempdir().unwrap();
    let plain = testing::create_layout_1(&dir.path().join("plain")).unwrap();
    // Both empty: the same head, not the same way of storing chunks.
    let prepared = zstd.preparer().unwrap().prepare(batch(0..100), AT).unwrap();
    let error = plain.store(prepared).unwrap_err();
    assert!(
        matches!(&error, AppendError::PreparedElsewhere { reason, .. } if reason.contains("layout 2")),
        "{error}"
    );
    assert_eq!(plain.head().size, 0);
}

#[test]
fn recorded_at_is_raised_across_prepared_batches_as_across_appends() {
    let (_a, _pa, appended) = new_log();
    appended.append_at(batch(0..70), AT).unwrap();
    appended.append_at(batch(70..90), AT - 5).unwrap();
    let (_b, _pb, stored) = new_log();
    let mut preparer = stored.preparer().unwrap();
    let first = preparer.prepare(batch(0..70), AT).unwrap();
    let second = preparer.prepare(batch(70..90), AT - 5).unwrap();
    stored.store(first).unwrap();
    stored.store(second).unwrap();
    assert_eq!(stored.head().recorded_at, AT);
    assert_eq!(contents(&stored), contents(&appended));
}

#[test]
fn a_batch_is_judged_before_the_stored_tail() {
    let (_d, _p, log) = new_log();
    log.append_at(batch(0..70), AT).unwrap();
    testing::remove_chunk(&log, 1).unwrap();
    // Nothing to append: nothing to refuse, as before any tail is read.
    assert!(log.append_at(Vec::new(), AT).unwrap().is_empty());
    // A refusal of the batch itself comes before the damage.
    let mut too_large = batch(70..72);
    too_large[1].payload = vec![0; crate::MAX_PAYLOAD_LEN + 1];
    assert!(matches!(
        log.append_at(too_large, AT),
        Err(AppendError::PayloadTooLarge { seq: 71, .. })
    ));
    assert!(matches!(
        log.append_at(batch(70..72), AT),
        Err(AppendError::Damaged { .. })
    ));
}

#[test]
fn a_preparer_made_beside_appends_never_sees_damage() {
    let (_d, _p, log) = new_log();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for seq in 0..600u64 {
                log.append_at(batch(seq..seq + 1), AT).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        // Made throughout the appends, each preparer reads a head, the
        // chunk it ends in and the Merkle nodes that go with it.
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            if let Err(e) = log.preparer() {
                panic!("a preparer beside appends: {e}");
            }
        }
    });
    assert!(verified(&log).damage.is_none());
}
