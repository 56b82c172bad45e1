//! The Nokia/Amazon example ledger: the textbook conflict.

use std::collections::BTreeMap;

use docket_model::{Body, Effective, Event, Projection, Slug};

use super::{SeeAll, date, slug};
use crate::{Countersuit, Relations};

const PARTNERSHIP: &str = "aws-nokia-telefonica-germany-5g-core";

/// The example's events in replay order, `(seq, event)`, up to `until`.
fn events_until(until: &str) -> Vec<(u64, Event)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/amazon-nokia.ndjson"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut events: Vec<(u64, Event)> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i as u64, Event::from_json(line).unwrap()))
        .collect();
    events.sort_by_key(|(seq, e)| (e.effective.instant_micros(), *seq));
    let limit = date(until).instant_micros();
    events.retain(|(_, e)| e.effective.instant_micros() <= limit);
    events
}

/// Ultimate parents from the `entity.registered` parents, acquisitions and
/// divestments among `events` (in order).
fn group_map(events: &[(u64, Event)]) -> impl Fn(&Slug) -> Slug + use<> {
    let mut parent: BTreeMap<Slug, Slug> = BTreeMap::new();
    for (_, e) in events {
        match &e.body {
            Body::EntityRegistered(r) => {
                if let Some(p) = &r.parent {
                    parent.insert(r.entity.clone(), p.clone());
                }
            }
            Body::Acquisition(a) => {
                parent.insert(a.target.clone(), a.acquirer.clone());
            }
            Body::Divestment(d) => match &d.buyer {
                Some(b) => {
                    parent.insert(d.asset.clone(), b.clone());
                }
                None => {
                    parent.remove(&d.asset);
                }
            },
            _ => {}
        }
    }
    move |e: &Slug| {
        let mut at = e.clone();
        for _ in 0..64 {
            match parent.get(&at) {
                Some(p) => at = p.clone(),
                None => break,
            }
        }
        at
    }
}

fn names(v: &[Slug]) -> Vec<&str> {
    v.iter().map(Slug::as_str).collect()
}

#[test]
fn nokia_and_amazon_conflict_in_july_2024() {
    let events = events_until("2024-07-31");
    let mut r = Relations::new();
    for (seq, e) in &events {
        r.apply(*seq, e);
    }
    assert!(r.anomalies().is_empty(), "{:?}", r.anomalies());
    let group_of = group_map(&events);
    assert_eq!(group_of(&slug("aws")), slug("amazon"));
    assert_eq!(group_of(&slug("alcatel-lucent-sas")), slug("nokia"));
    assert_eq!(group_of(&slug("nokia-solutions-networks")), slug("nokia"));
    let active = |_: &Slug| true;
    let open = |_: &Slug| -> Option<Effective> { None };
    let v = r.see(&group_of, &active, &open);

    assert_eq!(v.conflicts.len(), 1, "{:?}", v.conflicts);
    let c = &v.conflicts[0];
    assert_eq!(names(&c.parties), ["amazon", "nokia"]);
    assert_eq!(names(&c.partnerships), [PARTNERSHIP]);
    for d in [
        "amazon-v-nokia-ded",
        "nokia-v-amazon-ded",
        "nokia-v-amazon-ewhc",
    ] {
        assert!(c.disputes.iter().any(|x| x.as_str() == d), "{d} in {c:?}");
    }
    assert_eq!(c.disputes.len(), 11, "every suit of the fight: {c:?}");
    // HP is a co-defendant in ITC 337-TA-1379: adverse to Nokia, no partner.
    let hp = v.pair("nokia", "hp").unwrap();
    assert_eq!(names(&hp.disputes), ["nokia-v-amazon-itc-1379"]);
    assert!(hp.partnerships.is_empty());
    assert!(v.conflict("hp", "nokia").is_none());

    let declared = Countersuit {
        dispute: slug("amazon-v-nokia-ded"),
        answers: slug("nokia-v-amazon-ded"),
        declared: true,
    };
    assert!(v.countersuits.contains(&declared), "{:?}", v.countersuits);
    assert_eq!(v.countersuits, [declared]);

    // After the settlement every dispute is terminal: no conflict, the pair
    // and its history remain.
    let settled = |_: &Slug| false;
    let v = r.see(&group_of, &settled, &open);
    assert!(v.conflicts.is_empty());
    let pair = v.pair("amazon", "nokia").unwrap();
    assert_eq!(pair.disputes.len(), 11);
    assert!(pair.active_disputes.is_empty());
    assert_eq!(names(&pair.active_partnerships), [PARTNERSHIP]);
}

#[test]
fn no_conflict_before_the_partnership() {
    let events = events_until("2024-05-07");
    let mut r = Relations::new();
    for (seq, e) in &events {
        r.apply(*seq, e);
    }
    let v = r.see(&group_map(&events), &|_| true, &|_| None);
    assert!(v.conflicts.is_empty());
    assert!(r.partnership(PARTNERSHIP).is_none());
    assert_eq!(v.pair("amazon", "nokia").unwrap().disputes.len(), 10);
}
