//! Views of one entity: through the current holdings (the snapshot's, or
//! the state's in memory) and through a replay of its corporate family,
//! against the whole state, for all inputs.

use proptest::prelude::*;

use crate::tests_replay::{ENTITIES, append_each, history, steps};
use crate::{EntityView, Ledger, TimeQuery};

/// What a view shows, without how many entries it read.
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

/// The queries asked of every entity: now, and as of three dates the
/// histories span.
fn queries() -> Vec<TimeQuery> {
    let at = |day| {
        let date: jiff::civil::Date = crate::tests_replay::date(day).parse().unwrap();
        let end = date.at(23, 59, 59, 999_999_999);
        end.to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_microsecond()
    };
    [None, Some(at(200)), Some(at(700)), Some(at(1200))]
        .into_iter()
        .map(|as_of| TimeQuery {
            as_of,
            ..TimeQuery::default()
        })
        .collect()
}

/// Every entity's view for every query.
fn views(ledger: &Ledger) -> Vec<Option<EntityView>> {
    let mut all = Vec::new();
    for query in queries() {
        for id in ENTITIES.iter().chain(&["nobody"]) {
            all.push(ledger.entity(id, &query).unwrap());
        }
    }
    all
}

/// Checks a view of `id` against the whole state as of the same query.
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
    prop_assert_eq!(view.projections.holdings.parent(id), holdings.parent(id));
    prop_assert_eq!(
        view.projections.holdings.children(id),
        holdings.children(id)
    );
    let names = |slugs: &[docket_model::Slug]| slugs.iter().any(|s| s.as_str() == id);
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
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whether the holdings come from the state in memory, from a stored
    /// snapshot of the head, from one caught up over later entries, or
    /// (one that cannot catch up, or none) from the family's replay, a
    /// view, now or as of a date, shows what the whole state says.
    #[test]
    fn an_entity_is_what_the_whole_state_says(
        steps in steps(),
        split in 0usize..50,
        sorted in any::<bool>(),
        reopen in any::<bool>(),
    ) {
        let mut events = history(&steps);
        if sorted {
            // In valid-time order the stored snapshot can catch up.
            let (mut plain, meta): (Vec<_>, Vec<_>) =
                events.into_iter().partition(|e| !e.kind().is_meta());
            plain.sort_by_key(|e| e.effective.instant_micros());
            plain.extend(meta);
            events = plain;
        }
        let split = split.min(events.len());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entities");
        let mut ledger = Ledger::init(&path).unwrap();
        append_each(&ledger, &events[..split], None);
        // Stores a snapshot of the first part, which the rest leaves behind.
        ledger.state(&TimeQuery::default()).unwrap();
        append_each(&ledger, &events[split..], None);
        if reopen {
            drop(ledger);
            ledger = Ledger::open(&path).unwrap();
        }
        // Before anything else loads the state, which would change where
        // the holdings come from.
        let current = views(&ledger);
        ledger.discard_snapshot();
        let family = views(&ledger);
        let asked = queries()
            .into_iter()
            .flat_map(|query| ENTITIES.iter().chain(&["nobody"]).map(move |id| (query, *id)));
        for ((query, id), (current, family)) in asked.zip(current.iter().zip(&family)) {
            prop_assert_eq!(shown(current), shown(family), "{} {:?}", id, query);
            check_against_state(&ledger, id, &query, current)?;
        }
    }
}

/// A chain of acquisitions: the view reads the entity's own events, not
/// its parents', and as of a date shows the chain as it stood then.
#[test]
fn a_view_reads_no_parent_s_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    let ledger = Ledger::init(&path).unwrap();
    let mut lines = Vec::new();
    for (i, e) in ["a", "b", "c", "d"].iter().enumerate() {
        lines.push(format!(
            r#"{{"id":"r{i}","kind":"entity.registered","effective":"2020-01-01","entity":"{e}","name":"{e}"}}"#
        ));
    }
    for (i, (acquirer, target)) in [("b", "a"), ("c", "b"), ("d", "c")].iter().enumerate() {
        lines.push(format!(
            r#"{{"id":"q{i}","kind":"acquisition","effective":"2021-0{}-01","acquirer":"{acquirer}","target":"{target}"}}"#,
            i + 1
        ));
    }
    for line in &lines {
        ledger
            .append_json(line, &crate::AppendOptions::default())
            .unwrap();
    }
    ledger.state(&TimeQuery::default()).unwrap();
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    let march = TimeQuery {
        as_of: Some(crate::parse_instant("2021-02-15").unwrap()),
        ..TimeQuery::default()
    };
    let now = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    let then = ledger.entity("a", &march).unwrap().unwrap();
    assert!(!ledger.has_cached_state(), "the state was not loaded");
    assert_eq!(now.ultimate_parent.as_str(), "d");
    assert_eq!(then.ultimate_parent.as_str(), "c");
    // Its registration and its acquisition.
    assert_eq!((now.entries_read, then.entries_read), (2, 2));
    ledger.discard_snapshot();
    let family = ledger.entity("a", &TimeQuery::default()).unwrap();
    assert_eq!(shown(&Some(now)), shown(&family));
    assert_eq!(family.unwrap().entries_read, 7, "every event");
}

/// A docket entry recorded late does not stop the stored holdings from
/// catching up: the holdings ignore everything but structural events.
#[test]
fn a_late_docket_entry_leaves_the_holdings_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late");
    let lines = [
        r#"{"id":"ra","kind":"entity.registered","effective":"2020-01-01","entity":"a","name":"A"}"#,
        r#"{"id":"rb","kind":"entity.registered","effective":"2020-01-01","entity":"b","name":"B"}"#,
        r#"{"id":"rc","kind":"entity.registered","effective":"2020-01-01","entity":"c","name":"C"}"#,
        r#"{"id":"q1","kind":"acquisition","effective":"2021-02-01","acquirer":"b","target":"a"}"#,
        r#"{"id":"q2","kind":"acquisition","effective":"2021-03-01","acquirer":"c","target":"b"}"#,
        r#"{"id":"f","kind":"dispute.filed","effective":"2021-01-01","dispute":"d","title":"A v B","forum":{"court":"ded"},"nature":"patent","plaintiffs":["a"],"defendants":["b"]}"#,
        r#"{"id":"e1","kind":"dispute.entry","effective":"2022-01-01","dispute":"d","description":"Order"}"#,
    ];
    let ledger = Ledger::init(&path).unwrap();
    for line in lines {
        ledger
            .append_json(line, &crate::AppendOptions::default())
            .unwrap();
    }
    ledger.state(&TimeQuery::default()).unwrap();
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    // Dated before the latest event, so the whole state cannot catch up.
    let late = r#"{"id":"e0","kind":"dispute.entry","effective":"2021-06-01","dispute":"d","description":"Answer"}"#;
    ledger
        .append_json(late, &crate::AppendOptions::default())
        .unwrap();
    assert!(!ledger.has_cached_state());
    let view = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    assert_eq!(view.ultimate_parent.as_str(), "c");
    assert_eq!(view.disputes[0].history.len(), 3, "{:?}", view.disputes);
    // Its registration, its acquisition, and the dispute's three events,
    // not its parents' registrations and acquisition.
    assert_eq!(view.entries_read, 5);
    ledger.discard_snapshot();
    let family = ledger.entity("a", &TimeQuery::default()).unwrap();
    assert_eq!(shown(&Some(view)), shown(&family));
    assert_eq!(family.unwrap().entries_read, 8);
}
