//! The two-thread apply against one thread, and the events replay hands
//! over.

use super::apply::{PARALLEL_APPLY_FROM, apply_on_two_threads};
use super::*;

fn event(json: &str) -> Event {
    Event::from_json_bytes(json.as_bytes())
        .unwrap()
        .with_derived_id()
}

/// A history long enough for the two-thread path, with every
/// projection busy: registrations, filings, docket entries out of
/// date order, acquisitions (some refused: cycles), partnerships.
fn long_history() -> Vec<(u64, Event)> {
    let mut events = Vec::new();
    for e in 0..300 {
        events.push(event(&format!(
            r#"{{"kind":"entity.registered","effective":"2000-01-01","entity":"e-{e}","name":"E {e}"}}"#
        )));
    }
    for d in 0..3000 {
        let (p, q) = (d % 300, (d * 7 + 1) % 300);
        let year = 2001 + d % 20;
        events.push(event(&format!(
            r#"{{"kind":"dispute.filed","effective":"{year}-02-01","dispute":"d-{d}","title":"D {d}","forum":{{"court":"ded"}},"nature":"patent","plaintiffs":["e-{p}"],"defendants":["e-{q}"]}}"#
        )));
    }
    for i in 0..PARALLEL_APPLY_FROM + 4000 {
        let d = (i * 13) % 3000;
        let year = 2001 + (i * 7) % 24;
        events.push(event(&format!(
            r#"{{"kind":"dispute.entry","effective":"{year}-03-{:02}","dispute":"d-{d}","description":"Entry {i}"}}"#,
            1 + i % 28
        )));
        if i % 50 == 0 {
            let (a, t) = ((i / 50) % 300, (i / 50 * 11 + 3) % 300);
            events.push(event(&format!(
                r#"{{"kind":"acquisition","effective":"{year}-04-01","acquirer":"e-{a}","target":"e-{t}"}}"#
            )));
        }
        if i % 70 == 0 {
            let (a, b) = ((i / 70) % 300, (i / 70 * 5 + 2) % 300);
            events.push(event(&format!(
                r#"{{"kind":"partnership.formed","effective":"{year}-05-01","partnership":"x-{i}","parties":["e-{a}","e-{b}"]}}"#
            )));
        }
    }
    (0u64..).zip(events).collect()
}

#[test]
fn two_threads_apply_what_one_would() {
    let history = long_history();
    assert!(history.len() >= PARALLEL_APPLY_FROM);
    let mut sorted = history.clone();
    sorted.sort_by_key(|(seq, event)| (event.effective.instant_micros(), *seq));
    let mut expected = Projections::default();
    for (seq, event) in &sorted {
        expected.apply(*seq, event);
    }
    let mut events = sorted.iter().map(|(seq, event)| {
        (
            event.effective.instant_micros(),
            *seq,
            Ordered::Corrected(event),
        )
    });
    let (projections, max_instant) = apply_on_two_threads(&mut events, &mut Handover::new(None));
    assert_eq!(projections, expected);
    // Events taken out of their parts, handed back and dropped on this
    // thread, give the same.
    let mut taken = sorted.iter().map(|(seq, event)| {
        (
            event.effective.instant_micros(),
            *seq,
            Ordered::Taken(event.clone()),
        )
    });
    assert_eq!(
        apply_on_two_threads(&mut taken, &mut Handover::new(None)).0,
        expected
    );
    assert!(
        !expected.anomalies().is_empty(),
        "the history exercises anomalies too"
    );
    assert_eq!(
        Some(max_instant),
        sorted
            .last()
            .map(|(_, event)| event.effective.instant_micros())
    );
    // And replay as a whole (two threads wherever there are two cores).
    assert_eq!(replay(history, None).projections, expected);
}

/// Every event of the parts, handed over once, whether replay applied it
/// or not, on one thread or two.
#[test]
fn every_event_is_handed_over_once() {
    let mut history = long_history();
    // Not applied: a retraction and the event it retracts, a correction
    // and the event it replaces (applied as a corrected copy).
    let retracted = history[5].1.id.clone().unwrap();
    let corrected = history[400].1.id.clone().unwrap();
    let more = [
        format!(
            r#"{{"kind":"retraction","effective":"2020-01-01","target":"{retracted}","reason":"wrong"}}"#
        ),
        format!(
            r#"{{"kind":"correction","effective":"2020-01-01","target":"{corrected}","reason":"typo","replacement":{{"kind":"dispute.entry","effective":"2003-03-03","dispute":"d-1","description":"Fixed"}}}}"#
        ),
    ];
    for json in more {
        let seq = history.len() as u64;
        history.push((seq, event(&json)));
    }
    // Few events are applied on one thread; the revisions are among them.
    let few = history[..3000].iter().chain(&history[history.len() - 2..]);
    for events in [history.clone(), few.cloned().collect()] {
        let expected: Vec<u64> = events.iter().map(|(seq, _)| *seq).collect();
        let alone = replay(events.clone(), None).projections;
        // Parts built both ways: pushed one event at a time, and
        // around a vector of entries (as validation builds the new ones).
        let parts: Vec<Part> = events
            .chunks(7000)
            .enumerate()
            .map(|(i, chunk)| {
                let entries = chunk.iter().map(|(seq, e)| (*seq, e.clone()));
                // The first part holds the revisions' targets, the
                // fifth the revisions.
                match i % 2 {
                    0 => Part::from_entries(entries.collect::<Vec<_>>().into()),
                    _ => entries.map(|(seq, e)| (seq, Some(e))).collect(),
                }
            })
            .collect();
        let mut handed = Vec::new();
        let replayed = replay_handing_over(
            parts,
            None,
            Some(&mut |batch: Vec<(u64, Event)>| {
                handed.extend(batch.into_iter().map(|(seq, _)| seq));
            }),
        );
        handed.sort_unstable();
        assert_eq!(handed, expected, "{} events", events.len());
        assert_eq!(replayed.projections, alone);
    }
}

/// The two-thread apply hands over what it applied, whatever the cores.
#[test]
fn the_two_thread_apply_hands_over_every_event_taken() {
    let history = long_history();
    let mut sorted = history.clone();
    sorted.sort_by_key(|(seq, event)| (event.effective.instant_micros(), *seq));
    let mut taken = sorted
        .into_iter()
        .map(|(seq, event)| (event.effective.instant_micros(), seq, Ordered::Taken(event)));
    let mut handed = Vec::new();
    let mut sink = |batch: Vec<(u64, Event)>| handed.extend(batch.into_iter().map(|(seq, _)| seq));
    let mut handover = Handover::new(Some(&mut sink));
    apply_on_two_threads(&mut taken, &mut handover);
    handover.finish(std::iter::empty());
    handed.sort_unstable();
    let expected: Vec<u64> = history.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(handed, expected);
}

/// A part of `len` docket entries, seqs from 0, built both ways.
fn parts_of(len: usize) -> [Part; 2] {
    let entries: Vec<(u64, Event)> = (0..len)
        .map(|i| {
            let json = format!(
                r#"{{"kind":"dispute.entry","effective":"2001-03-01","dispute":"d-1","description":"Entry {i}"}}"#
            );
            (i as u64, event(&json))
        })
        .collect();
    let pushed = entries
        .iter()
        .map(|(seq, e)| (*seq, Some(e.clone())))
        .collect();
    [pushed, Part::from_entries(entries.into())]
}

#[test]
fn a_block_is_freed_once_every_event_replay_applies_is_taken() {
    use crate::blocks::BLOCK;
    let len = 2 * BLOCK + 5;
    // Positions replay does not apply (a revision, say): 3 in the first
    // block, one in the last.
    let skipped = [3, 2 * BLOCK + 1];
    for keep_untaken in [true, false] {
        for mut part in parts_of(len) {
            assert_eq!(part.count_and_end(), (len, len as u64));
            part.keep_untaken(keep_untaken);
            for position in (0..len).filter(|p| !skipped.contains(p)) {
                part.expect_take(position);
            }
            // Every expected event of the first block but one.
            for position in (0..BLOCK - 1).filter(|p| !skipped.contains(p)) {
                assert!(part.take(position).is_some());
            }
            assert!(part.get(3).is_some(), "freed too soon");
            assert!(part.take(BLOCK - 1).is_some());
            assert!(part.get(3).is_none(), "the first block is not freed");
            assert!(part.get(BLOCK).is_some(), "the second block is freed");
            // The rest, in any order: the last block (partial) is freed too.
            for position in (BLOCK..len).rev().filter(|p| !skipped.contains(p)) {
                assert!(part.take(position).is_some());
            }
            assert!(part.get(2 * BLOCK + 1).is_none());
            // A taken event is not taken twice.
            assert!(part.take(0).is_none());
            let left: Vec<u64> = part.into_events().map(|(seq, _)| seq).collect();
            let expected: Vec<u64> = match keep_untaken {
                true => skipped.iter().map(|&p| p as u64).collect(),
                false => Vec::new(),
            };
            assert_eq!(left, expected, "keep_untaken {keep_untaken}");
        }
    }
    // A block none of whose events is expected is kept whole; the one
    // freed drops what it held besides.
    for mut part in parts_of(BLOCK + 2) {
        part.expect_take(BLOCK);
        assert!(part.take(BLOCK).is_some());
        let left: Vec<u64> = part.into_events().map(|(seq, _)| seq).collect();
        assert!(left.iter().copied().eq(0..BLOCK as u64));
    }
}
