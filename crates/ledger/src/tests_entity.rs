//! Views of one entity: through the current holdings (the snapshot's, or
//! the state's in memory) and through a replay of its corporate family,
//! against the whole state, for all inputs.

use proptest::prelude::*;

use crate::tests_replay::{ENTITIES, append_each, history, steps};
use crate::{EntityView, Ledger, TimeQuery};

/// A query of the present that is not asked as one, so that the view is
/// read by replaying the entity's corporate family.
const FAR_FUTURE: TimeQuery = TimeQuery {
    as_of: Some(i64::MAX),
    known_at: None,
    at_seq: None,
};

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

/// Every entity's view, the present's and the replayed family's, before
/// anything else reads the state (which would change where the present's
/// holdings come from).
fn views(ledger: &Ledger) -> Vec<(Option<EntityView>, Option<EntityView>)> {
    ENTITIES
        .iter()
        .chain(&["nobody"])
        .map(|id| {
            let now = ledger.entity(id, &TimeQuery::default()).unwrap();
            let family = ledger.entity(id, &FAR_FUTURE).unwrap();
            (now, family)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whether the present's holdings come from the state in memory, from
    /// a stored snapshot of the head, from one caught up over later
    /// entries, or (one that cannot catch up, or none) from the family's
    /// replay, a view shows what the whole state says.
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
        let views = views(&ledger);
        let whole = ledger.state(&TimeQuery::default()).unwrap();
        let holdings = &whole.projections.holdings;
        for (id, (now, family)) in ENTITIES.iter().chain(&["nobody"]).zip(&views) {
            prop_assert_eq!(shown(now), shown(family), "{}", id);
            let Some(now) = now else {
                prop_assert!(holdings.get(id).is_none(), "{}", id);
                continue;
            };
            prop_assert_eq!(Some(&now.entity), holdings.get(id));
            prop_assert_eq!(&now.ultimate_parent, &holdings.ultimate_parent(&now.entity.id));
            prop_assert_eq!(now.projections.holdings.parent(id), holdings.parent(id));
            prop_assert_eq!(now.projections.holdings.children(id), holdings.children(id));
            let names = |slugs: &[docket_model::Slug]| slugs.iter().any(|s| s.as_str() == *id);
            let disputes: Vec<_> = whole
                .projections
                .disputes
                .iter()
                .filter(|d| names(&d.plaintiffs) || names(&d.defendants))
                .collect();
            prop_assert_eq!(now.disputes.iter().collect::<Vec<_>>(), disputes);
            let partnerships: Vec<_> = whole
                .projections
                .relations
                .partnerships()
                .filter(|p| names(&p.parties))
                .collect();
            prop_assert_eq!(now.partnerships.iter().collect::<Vec<_>>(), partnerships);
        }
    }
}

/// A chain of acquisitions: the present's view reads the entity's own
/// events, not its parents'.
#[test]
fn the_present_reads_no_parent_s_events() {
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
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    ledger.state(&TimeQuery::default()).unwrap();
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    let now = ledger.entity("a", &TimeQuery::default()).unwrap().unwrap();
    let family = ledger.entity("a", &FAR_FUTURE).unwrap().unwrap();
    assert_eq!(now.ultimate_parent.as_str(), "d");
    assert_eq!(shown(&Some(now.clone())), shown(&Some(family.clone())));
    // Its registration and its acquisition, against every event.
    assert_eq!(now.entries_read, 2);
    assert_eq!(family.entries_read, 7);
    assert!(!ledger.has_cached_state(), "the state was not loaded");
}
