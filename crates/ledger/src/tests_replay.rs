//! Replay, snapshot and time travel, for all inputs.

use std::collections::BTreeMap;

use docket_model::Event;
use proptest::prelude::*;

use crate::{AppendOptions, Ledger, StateSource, TimeQuery};

pub(crate) const ENTITIES: [&str; 4] = ["acme", "beta", "gamma", "delta"];
const DISPUTES: [&str; 3] = ["d0", "d1", "d2"];
const PARTNERSHIPS: [&str; 2] = ["p0", "p1"];

/// One step of a plausible history: (operation, three selectors, a day).
type Step = (u8, usize, usize, usize, u16);

pub(crate) fn date(day: u16) -> String {
    let base = jiff::civil::date(2021, 1, 1);
    let d = base
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .unwrap_or(base);
    d.to_string()
}

/// Turns steps into events: registrations first, then disputes, partnerships,
/// corporate moves and revisions naming earlier events. Many will not fit
/// (a ruling in a dispute not yet filed, a second settlement); those become
/// anomalies, which the properties must handle too.
pub(crate) fn history(steps: &[Step]) -> Vec<Event> {
    let mut lines: Vec<String> = ENTITIES
        .iter()
        .map(|e| format!(r#"{{"id":"reg-{e}","kind":"entity.registered","effective":"2020-01-01","entity":"{e}","name":"{e} Inc."}}"#))
        .collect();
    for (i, &(op, a, b, c, day)) in steps.iter().enumerate() {
        let (ea, eb) = (ENTITIES[a % 4], ENTITIES[(a + 1 + b % 3) % 4]);
        let (d, p, when) = (DISPUTES[c % 3], PARTNERSHIPS[c % 2], date(day));
        let body = match op % 12 {
            0 | 1 => format!(
                r#""kind":"dispute.filed","dispute":"{d}","title":"T","forum":{{"court":"ded"}},"nature":"patent","plaintiffs":["{ea}"],"defendants":["{eb}"]"#
            ),
            2 => format!(r#""kind":"dispute.ruling","dispute":"{d}","outcome":"infringement""#),
            3 => format!(r#""kind":"dispute.stayed","dispute":"{d}""#),
            4 => format!(r#""kind":"dispute.resumed","dispute":"{d}""#),
            5 => format!(r#""kind":"dispute.appealed","dispute":"{d}""#),
            6 => format!(r#""kind":"dispute.judgment","dispute":"{d}""#),
            7 => format!(r#""kind":"dispute.settled","disputes":["{d}"]"#),
            8 => format!(
                r#""kind":"partnership.formed","partnership":"{p}","parties":["{ea}","{eb}"]"#
            ),
            9 => format!(r#""kind":"partnership.ended","partnership":"{p}""#),
            10 => format!(r#""kind":"acquisition","acquirer":"{ea}","target":"{eb}""#),
            _ => {
                // A retraction of some earlier line (never of itself).
                let target = if i == 0 {
                    "reg-acme".to_string()
                } else {
                    format!("ev{}", b % i)
                };
                format!(r#""kind":"retraction","target":"{target}","reason":"r""#)
            }
        };
        lines.push(format!(r#"{{"id":"ev{i}","effective":"{when}",{body}}}"#));
    }
    lines
        .iter()
        .map(|line| Event::from_json(line).unwrap())
        .collect()
}

pub(crate) fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (0u8..12, 0usize..8, 0usize..8, 0usize..8, 0u16..1500),
        0..40,
    )
}

fn ledger_with(dir: &tempfile::TempDir, name: &str) -> Ledger {
    Ledger::init(&dir.path().join(name)).unwrap()
}

pub(crate) fn append_each(ledger: &Ledger, events: &[Event], recorded_at: Option<i64>) {
    for event in events {
        // Random histories are full of events that do not fit; record them
        // anyway, the properties are about what replay makes of them.
        let options = AppendOptions {
            recorded_at,
            allow_anomalies: true,
            ..AppendOptions::default()
        };
        ledger.append_events(vec![event.clone()], &options).unwrap();
    }
}

/// What a state says, without the seqs that depend on arrival order.
fn fingerprint(ledger: &Ledger, query: &TimeQuery) -> String {
    let state = ledger.state(query).unwrap();
    let p = &state.projections;
    let mut out = BTreeMap::new();
    for d in p.disputes.iter() {
        let closed = d.closed.as_ref().map(|c| c.to_string());
        out.insert(
            format!("dispute {}", d.id),
            format!(
                "{} {:?} {:?} {:?} {}",
                d.status.as_str(),
                closed,
                d.plaintiffs,
                d.defendants,
                d.rulings.len()
            ),
        );
    }
    for e in p.holdings.iter() {
        out.insert(
            format!("entity {}", e.id),
            format!("{} {}", e.name, p.holdings.ultimate_parent(&e.id)),
        );
    }
    for x in p.relations.partnerships() {
        out.insert(
            format!("partnership {}", x.id),
            format!("{:?} {}", x.parties, x.active),
        );
    }
    let view = state.relations_view();
    out.insert("conflicts".into(), format!("{:?}", view.conflicts));
    out.insert("countersuits".into(), format!("{:?}", view.countersuits));
    format!("{out:#?}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Replay is deterministic, and the state from scratch, from the
    /// snapshot and from incremental application agree.
    #[test]
    fn every_path_to_the_state_agrees(steps in steps(), split in 0usize..50, sorted in any::<bool>()) {
        let mut events = history(&steps);
        if sorted {
            // Appending in valid-time order lets the snapshot catch up
            // incrementally instead of replaying; revisions go last so that
            // each still comes after the event it names.
            let (mut plain, meta): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| !e.kind().is_meta());
            plain.sort_by_key(|e| e.effective.instant_micros());
            plain.extend(meta);
            events = plain;
        }
        let split = split.min(events.len());
        let dir = tempfile::tempdir().unwrap();

        let stepwise = ledger_with(&dir, "stepwise");
        append_each(&stepwise, &events[..split], None);
        let early = stepwise.state(&TimeQuery::default()).unwrap();
        prop_assert!(early.source != StateSource::Snapshot, "no snapshot existed yet");
        append_each(&stepwise, &events[split..], None);
        let caught_up = stepwise.state(&TimeQuery::default()).unwrap();
        let tail_is_plain = events[split..].iter().all(|e| !e.kind().is_meta());
        if sorted && tail_is_plain && split < events.len() {
            prop_assert_eq!(caught_up.source, StateSource::Incremental);
        }
        let from_snapshot = stepwise.state(&TimeQuery::default()).unwrap();
        prop_assert_eq!(from_snapshot.source, StateSource::Snapshot);

        let head = stepwise.head();
        let scratch = stepwise.replay_prefix(head.size, None).unwrap();
        let again = stepwise.replay_prefix(head.size, None).unwrap();
        prop_assert_eq!(&scratch.projections, &again.projections, "replay is deterministic");
        prop_assert_eq!(&*caught_up.projections, &scratch.projections);
        prop_assert_eq!(&*from_snapshot.projections, &scratch.projections);
        prop_assert_eq!(stepwise.snapshot_matches_log().unwrap(), Some(true));

        // The same events as one batch in another ledger: the same state.
        let batch = ledger_with(&dir, "batch");
        let anything = AppendOptions { allow_anomalies: true, ..AppendOptions::default() };
        batch.append_events(events.clone(), &anything).unwrap();
        prop_assert_eq!(&*batch.state(&TimeQuery::default()).unwrap().projections, &scratch.projections);

        // An as-of query replays a prefix of valid time and never uses the snapshot.
        let mid = TimeQuery { as_of: Some(jiff::civil::date(2022, 6, 1).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp().as_microsecond()), ..TimeQuery::default() };
        prop_assert_eq!(stepwise.state(&mid).unwrap().source, StateSource::Replay);
    }

    /// Valid time wins over arrival order; known-at hides late arrivals.
    #[test]
    fn valid_time_wins_over_arrival_order(steps in steps(), order in any::<proptest::sample::Index>()) {
        // Distinct effective days, so the (effective, seq) order does not
        // depend on seqs at all.
        let mut steps = steps;
        for (i, step) in steps.iter_mut().enumerate() {
            step.4 = i as u16 * 3;
        }
        let events: Vec<Event> = history(&steps).into_iter().filter(|e| !e.kind().is_meta()).collect();
        let dir = tempfile::tempdir().unwrap();
        let in_order = ledger_with(&dir, "in-order");
        append_each(&in_order, &events, None);

        // Another ledger receives the same events in a rotated order, the
        // late ones recorded at a later clock reading.
        let cut = order.index(events.len() + 1);
        let early_clock = 1_700_000_000_000_000;
        let late_clock = early_clock + 3_600_000_000;
        let shuffled = ledger_with(&dir, "shuffled");
        append_each(&shuffled, &events[cut..], Some(early_clock));
        append_each(&shuffled, &events[..cut], Some(late_clock));
        prop_assert_eq!(fingerprint(&in_order, &TimeQuery::default()), fingerprint(&shuffled, &TimeQuery::default()));
        let as_of = TimeQuery { as_of: Some(early_clock), ..TimeQuery::default() };
        prop_assert_eq!(fingerprint(&in_order, &as_of), fingerprint(&shuffled, &as_of));

        // Known at the early clock: exactly the early arrivals.
        let known_early = TimeQuery { known_at: Some(early_clock), ..TimeQuery::default() };
        prop_assert_eq!(shuffled.visible_size(&known_early).unwrap(), (events.len() - cut) as u64);
        let only_early = ledger_with(&dir, "only-early");
        append_each(&only_early, &events[cut..], None);
        prop_assert_eq!(fingerprint(&shuffled, &known_early), fingerprint(&only_early, &TimeQuery::default()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whatever the validator accepts leaves no anomaly anywhere: not in the
    /// full state, not as of any date, not at any earlier seq.
    #[test]
    fn accepted_events_never_create_anomalies(steps in steps()) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger_with(&dir, "checked");
        let mut accepted = 0;
        for event in history(&steps) {
            if ledger.append_events(vec![event], &AppendOptions::default()).is_ok() {
                accepted += 1;
            }
        }
        prop_assert!(accepted >= 4, "the registrations always fit");
        let head = ledger.head();
        let mut dates: Vec<i64> = ledger
            .events(0..head.size)
            .map(|s| s.unwrap().event.effective.instant_micros())
            .flat_map(|t| [t - 1, t])
            .collect();
        dates.sort_unstable();
        dates.dedup();
        for as_of in dates {
            let query = TimeQuery { as_of: Some(as_of), ..TimeQuery::default() };
            let anomalies = ledger.state(&query).unwrap().anomalies();
            prop_assert!(anomalies.is_empty(), "as of {}: {:?}", as_of, anomalies);
        }
        for at_seq in 0..head.size {
            let query = TimeQuery { at_seq: Some(at_seq), ..TimeQuery::default() };
            let anomalies = ledger.state(&query).unwrap().anomalies();
            prop_assert!(anomalies.is_empty(), "at seq {}: {:?}", at_seq, anomalies);
        }
    }
}

#[test]
fn anomalies_name_their_entry_and_spare_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_with(&dir, "anomalies");
    let lines = [
        r#"{"id":"a","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}"#,
        r#"{"id":"b","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta"}"#,
        r#"{"id":"f","kind":"dispute.filed","effective":"2021-01-01","dispute":"acme-v-beta","title":"T","forum":{"court":"ded"},"nature":"patent","plaintiffs":["acme"],"defendants":["beta"]}"#,
        r#"{"id":"ghost","kind":"dispute.ruling","effective":"2021-02-01","dispute":"nowhere","outcome":"valid"}"#,
        r#"{"id":"s1","kind":"dispute.settled","effective":"2021-03-01","disputes":["acme-v-beta"]}"#,
        r#"{"id":"s2","kind":"dispute.settled","effective":"2021-04-01","disputes":["acme-v-beta"]}"#,
    ];
    for (i, line) in lines.iter().enumerate() {
        let checked = ledger.append_json(line, &AppendOptions::default());
        // The ghost ruling and the second settlement are refused by default…
        assert_eq!(checked.is_err(), i == 3 || i == 5, "line {i}: {checked:?}");
        if let Err(error) = checked {
            assert!(
                matches!(error, crate::AppendError::Conflict { .. }),
                "{error}"
            );
        }
        // …and stored when the caller insists, as anomalies.
        let anything = AppendOptions {
            allow_anomalies: true,
            ..AppendOptions::default()
        };
        ledger.append_json(line, &anything).unwrap();
    }
    let state = ledger.state(&TimeQuery::default()).unwrap();
    let anomalies = state.anomalies();
    let seqs: Vec<u64> = anomalies.iter().map(|a| a.seq).collect();
    assert_eq!(seqs, vec![3, 5], "{anomalies:?}");
    assert!(anomalies[0].reason.contains("nowhere"), "{}", anomalies[0]);
    assert!(
        anomalies[1].reason.contains("acme-v-beta"),
        "{}",
        anomalies[1]
    );
    let dispute = state.projections.disputes.get("acme-v-beta").unwrap();
    assert_eq!(dispute.status.as_str(), "settled");
    assert_eq!(dispute.closed.as_ref().unwrap().to_string(), "2021-03-01");
    assert_eq!(state.projections.holdings.len(), 2);
}

/// Events that only move dispute `d` along, one of each kind, on `day`.
fn moves_of(d: &str, day: u16) -> Vec<Event> {
    let when = date(day);
    [
        r#""kind":"dispute.entry","description":"Order""#.to_string(),
        r#""kind":"dispute.ruling","outcome":"infringement""#.to_string(),
        r#""kind":"dispute.stayed""#.to_string(),
        r#""kind":"dispute.resumed""#.to_string(),
        r#""kind":"dispute.appealed""#.to_string(),
        r#""kind":"dispute.judgment""#.to_string(),
        r#""kind":"dispute.dismissed""#.to_string(),
    ]
    .iter()
    .map(|body| {
        let line = format!(r#"{{"effective":"{when}","dispute":"{d}",{body}}}"#);
        Event::from_json(&line).unwrap().with_derived_id()
    })
    .collect()
}

/// Corrections that move the `k`-th earlier ruling or judgment (counting
/// round) to dispute `c` on `day`: the case where a dispute's history
/// holds an event first recorded in another.
fn corrections(steps: &[Step], fixes: &[(usize, usize, u16)]) -> Vec<Event> {
    let movable: Vec<(usize, u8)> = (0..steps.len())
        .map(|i| (i, steps[i].0 % 12))
        .filter(|(_, op)| matches!(op, 2 | 6))
        .collect();
    let mut out = Vec::new();
    for (n, &(k, c, day)) in fixes.iter().enumerate() {
        let Some(&(k, op)) = movable.get(k % movable.len().max(1)) else {
            continue;
        };
        let body = if op == 2 {
            r#""kind":"dispute.ruling","outcome":"infringement""#
        } else {
            r#""kind":"dispute.judgment""#
        };
        let line = format!(
            r#"{{"id":"fix{n}","kind":"correction","effective":"2025-01-01","target":"ev{k}","reason":"r","replacement":{{"effective":"{}","dispute":"{}",{body}}}}}"#,
            date(day),
            DISPUTES[c % 3]
        );
        out.push(Event::from_json(&line).unwrap());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Checking events that move one dispute along against that dispute's
    /// own history gives the verdict, and the message, that a check
    /// against the whole history gives.
    #[test]
    fn one_dispute_checks_agree_with_whole_history_checks(
        steps in steps(),
        fixes in proptest::collection::vec((0usize..40, 0usize..3, 0u16..1500), 0..6),
        days in proptest::collection::vec(0u16..1500, 1..3),
    ) {
        let mut events = history(&steps);
        events.extend(corrections(&steps, &fixes));
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger_with(&dir, "one-dispute");
        append_each(&ledger, &events, None);
        // The one-dispute view reads the same way, and must agree too.
        let whole = ledger.state(&TimeQuery::default()).unwrap();
        for d in DISPUTES {
            let view = ledger.dispute(d, &TimeQuery::default()).unwrap().map(|v| v.dispute);
            prop_assert_eq!(view.as_ref(), whole.projections.disputes.get(d), "dispute {}", d);
        }
        let next = ledger.head().size;
        for (day, d) in days.iter().flat_map(|&day| DISPUTES.iter().map(move |d| (day, *d))) {
            let moves = moves_of(d, day);
            // Each move alone, and two together (a stay and its end, a
            // judgment and its appeal).
            let mut batches: Vec<Vec<Event>> = moves.iter().map(|m| vec![m.clone()]).collect();
            batches.push(vec![moves[2].clone(), moves[3].clone()]);
            batches.push(vec![moves[5].clone(), moves[4].clone()]);
            for batch in batches {
                let new: Vec<(u64, Event)> = (next..).zip(batch).collect();
                let narrow = ledger.validate_within_dispute(&new);
                let whole = ledger.validate(new.clone().into()).map(|_| ());
                match (narrow, whole) {
                    (Ok(true), Ok(())) => {}
                    (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => prop_assert!(false, "{:?}: one dispute {:?}, whole history {:?}", new, a, b),
                }
            }
        }
    }
}

#[test]
fn an_append_about_one_dispute_reads_only_that_dispute() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("narrow");
    let lines = [
        r#"{"id":"ra","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}"#,
        r#"{"id":"rb","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta"}"#,
        r#"{"id":"f0","kind":"dispute.filed","effective":"2021-01-01","dispute":"d0","title":"T","forum":{"court":"ded"},"nature":"patent","plaintiffs":["acme"],"defendants":["beta"]}"#,
        r#"{"id":"f1","kind":"dispute.filed","effective":"2021-01-01","dispute":"d1","title":"T","forum":{"court":"ded"},"nature":"patent","plaintiffs":["beta"],"defendants":["acme"]}"#,
        r#"{"id":"s","kind":"dispute.settled","effective":"2022-01-01","disputes":["d0","d1"]}"#,
    ];
    {
        let ledger = Ledger::init(&path).unwrap();
        for line in lines {
            ledger.append_json(line, &AppendOptions::default()).unwrap();
        }
    }
    let ledger = Ledger::open(&path).unwrap();
    let append = |line: &str| ledger.append_json(line, &AppendOptions::default());
    // A docket entry after the settlement is normal, and one before the
    // settlement (backdated) too; neither loads the whole state.
    append(r#"{"kind":"dispute.entry","effective":"2023-01-01","dispute":"d0","description":"Closing order"}"#).unwrap();
    append(r#"{"kind":"dispute.entry","effective":"2021-06-01","dispute":"d1","description":"Answer"}"#).unwrap();
    assert!(!ledger.has_cached_state());
    // A ruling in a settled dispute, an entry before the filing, and a
    // judgment backdated before the settlement (which it would upset)
    // are refused.
    let refused = [
        (
            r#"{"kind":"dispute.ruling","effective":"2023-01-01","dispute":"d0","outcome":"infringement"}"#,
            "the dispute is settled",
        ),
        (
            r#"{"kind":"dispute.entry","effective":"2020-06-01","dispute":"d0","description":"x"}"#,
            "\"d0\" is not filed",
        ),
        (
            r#"{"kind":"dispute.judgment","effective":"2021-06-01","dispute":"d1"}"#,
            "would make entry 4",
        ),
    ];
    for (line, why) in refused {
        let error = append(line).unwrap_err().to_string();
        assert!(error.contains(why), "{line}: {error}");
    }
    assert_eq!(ledger.head().size, 7);
    assert!(
        ledger
            .state(&TimeQuery::default())
            .unwrap()
            .anomalies()
            .is_empty()
    );
    assert_eq!(ledger.snapshot_matches_log().unwrap(), Some(true));
}
