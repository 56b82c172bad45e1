//! Views of one entity: through the current holdings (the snapshot's, or
//! the state's in memory) and through a replay of its corporate family,
//! against the whole state, for all inputs.

use docket_model::{Effective, Slug};
use proptest::prelude::*;

use crate::{AppendOptions, EntityView, Ledger, StateSource, TimeQuery};

const POOL: [&str; 5] = ["acme", "beta", "gamma", "delta", "omega"];

/// One step of a history: (operation, three selectors, a date).
type Step = (u8, usize, usize, usize, u16);

/// One of fifty dates a month apart, so that events often share one.
fn date(step: u16) -> String {
    let base = jiff::civil::date(2021, 1, 1);
    let months = i64::from(step % 50);
    base.checked_add(jiff::Span::new().months(months))
        .unwrap_or(base)
        .to_string()
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec((0u8..14, 0usize..8, 0usize..8, 0usize..8, 0u16..50), 0..40)
}

/// Turns steps into events: three companies registered up front, then
/// registrations (some under a parent), renames, acquisitions,
/// divestments with and without a buyer, disputes, partnerships,
/// corrections of corporate moves (another counterpart or date) and
/// retractions of anything earlier. Many do not fit; they are stored as
/// anomalies, which the views must agree on too.
fn history(steps: &[Step]) -> Vec<String> {
    let mut lines: Vec<String> = POOL[..3]
        .iter()
        .map(|e| format!(r#"{{"id":"reg-{e}","kind":"entity.registered","effective":"2020-01-01","entity":"{e}","name":"{e} Inc."}}"#))
        .collect();
    // Earlier acquisitions, for corrections to name.
    let mut moves: Vec<String> = Vec::new();
    for (i, &(op, a, b, c, day)) in steps.iter().enumerate() {
        let (ea, eb, ec) = (POOL[a % 5], POOL[(a + 1 + b % 4) % 5], POOL[c % 5]);
        let d = ["d0", "d1", "d2"][c % 3];
        let p = ["p0", "p1"][c % 2];
        let when = date(day);
        let body = match op {
            0 if b % 2 == 0 => format!(
                r#""kind":"entity.registered","entity":"{ea}","name":"{ea} Ltd.","parent":"{eb}""#
            ),
            0 => format!(r#""kind":"entity.registered","entity":"{ea}","name":"{ea} Ltd.""#),
            1 => format!(r#""kind":"entity.renamed","entity":"{ea}","name":"{ea} {b}""#),
            2 | 3 => {
                moves.push(format!("ev{i}"));
                format!(r#""kind":"acquisition","acquirer":"{ea}","target":"{eb}""#)
            }
            4 if c % 2 == 0 => {
                format!(r#""kind":"divestment","seller":"{ea}","asset":"{eb}","buyer":"{ec}""#)
            }
            4 => format!(r#""kind":"divestment","seller":"{ea}","asset":"{eb}""#),
            5 => format!(
                r#""kind":"dispute.filed","dispute":"{d}","title":"T","forum":{{"court":"ded"}},"nature":"patent","plaintiffs":["{ea}"],"defendants":["{eb}"]"#
            ),
            6 => format!(r#""kind":"dispute.entry","dispute":"{d}","description":"x""#),
            7 => format!(r#""kind":"dispute.ruling","dispute":"{d}","outcome":"infringement""#),
            8 => format!(r#""kind":"dispute.settled","disputes":["{d}"]"#),
            9 => format!(
                r#""kind":"partnership.formed","partnership":"{p}","parties":["{ea}","{eb}"]"#
            ),
            10 => format!(r#""kind":"partnership.ended","partnership":"{p}""#),
            11 | 12 if !moves.is_empty() => {
                let target = &moves[b % moves.len()];
                let moved = date(day.wrapping_add(7));
                format!(
                    r#""kind":"correction","target":"{target}","reason":"r","replacement":{{"kind":"acquisition","effective":"{moved}","acquirer":"{ec}","target":"{eb}"}}"#
                )
            }
            _ => {
                let target = match i {
                    0 => "reg-acme".to_string(),
                    _ => format!("ev{}", b % i),
                };
                format!(r#""kind":"retraction","target":"{target}","reason":"r""#)
            }
        };
        lines.push(format!(r#"{{"id":"ev{i}","effective":"{when}",{body}}}"#));
    }
    lines
}

/// Appends each line, as an anomaly if it does not fit; a line the ledger
/// refuses outright (a correction of another kind) is left out.
fn append_each(ledger: &Ledger, lines: &[String]) {
    let anything = AppendOptions {
        allow_anomalies: true,
        ..AppendOptions::default()
    };
    for line in lines {
        let _ = ledger.append_json(line, &anything);
    }
}

/// What a view shows, without how many entries it read or how.
fn shown(view: &Option<EntityView>) -> String {
    format!(
        "{:#?}",
        view.as_ref().map(|v| (
            &v.entity,
            &v.ultimate_parent,
            &v.disputes,
            &v.partnerships,
            &v.revisions,
            v.projections.holdings.parent(v.entity.id.as_str()),
            v.projections.holdings.children(v.entity.id.as_str()),
        ))
    )
}

/// The queries asked of every entity: now, as of the first instant of two
/// dates (events on those dates included) and the last of one, and two
/// prefixes of the log (all of it but nothing more, and half of it).
fn queries(size: u64) -> Vec<TimeQuery> {
    let midnight = |step| Effective::parse(&date(step)).unwrap().instant_micros();
    let mut queries = vec![TimeQuery::default()];
    for as_of in [
        midnight(6),
        midnight(25),
        crate::parse_instant(&date(40)).unwrap(),
    ] {
        queries.push(TimeQuery {
            as_of: Some(as_of),
            ..TimeQuery::default()
        });
    }
    for at_seq in [size.saturating_sub(1), size / 2] {
        queries.push(TimeQuery {
            at_seq: Some(at_seq),
            ..TimeQuery::default()
        });
    }
    queries
}

/// Every entity's view for every query.
fn views(ledger: &Ledger, queries: &[TimeQuery]) -> Vec<Option<EntityView>> {
    let mut all = Vec::new();
    for query in queries {
        for id in POOL.iter().chain(&["nobody"]) {
            all.push(ledger.entity(id, query).unwrap());
        }
    }
    all
}

/// Checks a view of `id` against the whole state for the same query.
fn check_against_state(
    ledger: &Ledger,
    id: &str,
    query: &TimeQuery,
    view: &Option<EntityView>,
) -> Result<(), TestCaseError> {
    let whole = ledger.state(query).unwrap();
    let holdings = &whole.projections.holdings;
    let Some(view) = view else {
        prop_assert!(holdings.get(id).is_none(), "{}", id);
        return Ok(());
    };
    prop_assert_eq!(Some(&view.entity), holdings.get(id));
    prop_assert_eq!(
        &view.ultimate_parent,
        &holdings.ultimate_parent(&view.entity.id)
    );
    let theirs = &view.projections.holdings;
    prop_assert_eq!(theirs.parent(id), holdings.parent(id));
    prop_assert_eq!(theirs.children(id), holdings.children(id));
    let names = |slugs: &[Slug]| slugs.iter().any(|s| s.as_str() == id);
    let disputes: Vec<_> = whole
        .projections
        .disputes
        .iter()
        .filter(|d| names(&d.plaintiffs) || names(&d.defendants))
        .collect();
    prop_assert_eq!(view.disputes.iter().collect::<Vec<_>>(), disputes);
    let partnerships: Vec<_> = whole
        .projections
        .relations
        .partnerships()
        .filter(|p| names(&p.parties))
        .collect();
    prop_assert_eq!(view.partnerships.iter().collect::<Vec<_>>(), partnerships);
    // Everyone the view names is named as the whole state names them.
    let named = view
        .disputes
        .iter()
        .flat_map(|d| d.plaintiffs.iter().chain(&d.defendants))
        .chain(view.partnerships.iter().flat_map(|p| &p.parties))
        .chain(theirs.children(id));
    for slug in named {
        prop_assert_eq!(
            theirs.name(slug.as_str()),
            holdings.name(slug.as_str()),
            "{}",
            slug
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whether the holdings come from the state in memory, from a stored
    /// snapshot of the head, from one caught up over later structural
    /// events, or (one that cannot catch up, none, or a query that cannot
    /// see every entry) from the family's replay, a view shows what the
    /// whole state says.
    #[test]
    fn an_entity_is_what_the_whole_state_says(
        steps in steps(),
        split in 0usize..50,
        sorted in any::<bool>(),
        reopen in any::<bool>(),
    ) {
        let mut lines = history(&steps);
        // Whether a line is a revision, and when it is effective; a line
        // the ledger refuses outright (it does not parse) goes last.
        let key = |line: &String| match docket_model::Event::from_json(line) {
            Ok(event) => (event.kind().is_meta(), event.effective.instant_micros()),
            Err(_) => (true, i64::MAX),
        };
        if sorted {
            // In valid-time order, with the revisions last, the stored
            // holdings can catch up over whatever follows them.
            lines.sort_by_key(key);
        }
        let split = split.min(lines.len());
        let tail_revises = lines[split..].iter().any(|line| key(line).0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entities");
        let mut ledger = Ledger::init(&path).unwrap();
        append_each(&ledger, &lines[..split]);
        // Stores a snapshot of the first part, which the rest leaves behind.
        ledger.state(&TimeQuery::default()).unwrap();
        append_each(&ledger, &lines[split..]);
        if reopen {
            drop(ledger);
            ledger = Ledger::open(&path).unwrap();
        }
        let size = ledger.head().size;
        let queries = queries(size);
        // Before anything else loads the state, which would change where
        // the holdings come from.
        let current = views(&ledger, &queries);
        ledger.discard_snapshot();
        let family = views(&ledger, &queries);
        let asked = queries
            .iter()
            .flat_map(|query| POOL.iter().chain(&["nobody"]).map(move |id| (query, *id)));
        for ((query, id), (current, family)) in asked.zip(current.iter().zip(&family)) {
            prop_assert_eq!(shown(current), shown(family), "{} {:?}", id, query);
            if let Some(view) = family {
                prop_assert_eq!(view.structure, StateSource::Replay);
            }
            let hidden = ledger.visible_size(query).unwrap() < size;
            if let (Some(view), true) = (current, hidden) {
                prop_assert_eq!(view.structure, StateSource::Replay);
            }
            // Sorted, with no revision since the stored snapshot, the
            // holdings always serve a query that sees everything.
            if let (Some(view), true) = (current, sorted && !tail_revises && !hidden) {
                prop_assert_ne!(view.structure, StateSource::Replay, "{} {:?}", id, query);
            }
            check_against_state(&ledger, id, query, current)?;
        }
    }
}

/// The lines of a chain of acquisitions (`b` buys `a`, `c` buys `b`, `d`
/// buys `c`, a month apart), with a dispute of `a` against `b`.
fn chain() -> Vec<String> {
    let mut lines = Vec::new();
    for e in ["a", "b", "c", "d"] {
        lines.push(format!(
            r#"{{"id":"r{e}","kind":"entity.registered","effective":"2020-01-01","entity":"{e}","name":"{e}"}}"#
        ));
    }
    for (i, (acquirer, target)) in [("b", "a"), ("c", "b"), ("d", "c")].iter().enumerate() {
        lines.push(format!(
            r#"{{"id":"q{i}","kind":"acquisition","effective":"2021-0{}-01","acquirer":"{acquirer}","target":"{target}"}}"#,
            i + 1
        ));
    }
    lines.push(r#"{"id":"f","kind":"dispute.filed","effective":"2021-01-15","dispute":"x","title":"A v B","forum":{"court":"ded"},"nature":"patent","plaintiffs":["a"],"defendants":["b"]}"#.into());
    lines.push(r#"{"id":"e1","kind":"dispute.entry","effective":"2022-01-01","dispute":"x","description":"Order"}"#.into());
    lines
}

/// A ledger of `lines` with a stored snapshot, opened afresh.
fn with_snapshot(dir: &tempfile::TempDir, lines: &[String]) -> Ledger {
    let path = dir.path().join("chain");
    let ledger = Ledger::init(&path).unwrap();
    for line in lines {
        ledger.append_json(line, &AppendOptions::default()).unwrap();
    }
    ledger.state(&TimeQuery::default()).unwrap();
    drop(ledger);
    Ledger::open(&path).unwrap()
}

/// The view reads the entity's own events, not its parents', and as of a
/// date shows the chain as it stood then.
#[test]
fn a_view_reads_no_parent_s_events() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = with_snapshot(&dir, &chain());
    let march = TimeQuery {
        as_of: Some(crate::parse_instant("2021-02-15").unwrap()),
        ..TimeQuery::default()
    };
    let now = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    let then = ledger.entity("a", &march).unwrap().unwrap();
    assert!(!ledger.has_cached_state(), "the state was not loaded");
    assert_eq!(
        (now.structure, then.structure),
        (StateSource::Snapshot, StateSource::Snapshot)
    );
    assert_eq!(now.ultimate_parent.as_str(), "d");
    assert_eq!(then.ultimate_parent.as_str(), "c");
    // Its registration, its acquisition, the dispute's two events.
    assert_eq!((now.entries_read, then.entries_read), (4, 4));
    ledger.discard_snapshot();
    let family = ledger.entity("a", &TimeQuery::default()).unwrap();
    assert_eq!(shown(&Some(now)), shown(&family));
    assert_eq!(family.unwrap().entries_read, 9, "every event");
}

/// A docket entry recorded late leaves the stored holdings usable (they
/// ignore everything but structural events); later acquisitions are
/// caught up; one dated before the holdings' latest sends the view to the
/// family's replay.
#[test]
fn stored_holdings_catch_up_over_structural_events() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = with_snapshot(&dir, &chain());
    // Unchecked, so that no append loads the state (a checked corporate
    // move would, and the view would read the state in memory).
    let unchecked = AppendOptions {
        allow_anomalies: true,
        ..AppendOptions::default()
    };
    let append = |line: &str| {
        ledger.append_json(line, &unchecked).unwrap();
    };
    // Dated before the latest event: the whole state cannot catch up.
    append(
        r#"{"id":"e0","kind":"dispute.entry","effective":"2021-06-01","dispute":"x","description":"Answer"}"#,
    );
    assert!(!ledger.has_cached_state());
    let view = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    assert_eq!(view.structure, StateSource::Incremental);
    assert_eq!(view.disputes[0].history.len(), 3, "{:?}", view.disputes);
    // The five events about it through the index, and the late entry
    // decoded again to catch the holdings up.
    assert_eq!(view.entries_read, 6);

    append(
        r#"{"id":"r-e","kind":"entity.registered","effective":"2022-02-01","entity":"e","name":"e"}"#,
    );
    append(
        r#"{"id":"q-e","kind":"acquisition","effective":"2022-03-01","acquirer":"e","target":"d"}"#,
    );
    let view = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    assert_eq!(view.structure, StateSource::Incremental);
    assert_eq!(view.ultimate_parent.as_str(), "e");
    assert!(!ledger.has_cached_state());

    // Dated before the stored holdings' latest move (2021-03-01).
    append(
        r#"{"id":"q-back","kind":"acquisition","effective":"2021-02-15","acquirer":"c","target":"a"}"#,
    );
    let view = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    assert_eq!(view.structure, StateSource::Replay);
    let whole = ledger.state(&TimeQuery::default()).unwrap();
    let ultimate = whole.projections.holdings.ultimate_parent(&view.entity.id);
    assert_eq!(view.ultimate_parent, ultimate);
}

/// A correction that moves an acquisition to another target is found from
/// that target's structure: the family's replay of an entity below it
/// sees the move (index version 3; version 2 missed it).
#[test]
fn a_moved_acquisition_is_found_from_its_new_target() {
    let lines = [
        r#"{"id":"ra","kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}"#,
        r#"{"id":"rb","kind":"entity.registered","effective":"2020-01-01","entity":"beta","name":"Beta"}"#,
        r#"{"id":"rg","kind":"entity.registered","effective":"2020-01-01","entity":"gamma","name":"Gamma"}"#,
        r#"{"id":"q0","kind":"acquisition","effective":"2021-01-01","acquirer":"acme","target":"beta"}"#,
        r#"{"id":"fix","kind":"correction","effective":"2021-01-02","target":"q0","reason":"the other way round","replacement":{"kind":"acquisition","effective":"2021-08-01","acquirer":"beta","target":"gamma"}}"#,
        r#"{"id":"q1","kind":"acquisition","effective":"2021-01-01","acquirer":"gamma","target":"acme"}"#,
        r#"{"id":"ro","kind":"entity.registered","effective":"2021-02-01","entity":"omega","name":"Omega","parent":"acme"}"#,
    ];
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&dir.path().join("moved")).unwrap();
    for line in lines {
        ledger.append_json(line, &AppendOptions::default()).unwrap();
    }
    ledger.discard_snapshot();
    let view = ledger
        .entity("omega", &TimeQuery::default())
        .unwrap()
        .unwrap();
    assert_eq!(view.structure, StateSource::Replay);
    assert_eq!(view.ultimate_parent.as_str(), "beta");
}
