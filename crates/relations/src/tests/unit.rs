//! Unit tests: groups, pairs, conflicts, countersuits, anomalies.

use std::cell::RefCell;
use std::collections::BTreeMap;

use docket_model::{Effective, Kind, Projection, Slug};

use super::{SeeAll, Seen, date, dismissed, ended, filed, formed, slug};
use crate::{Countersuit, Relations};

/// A `group_of` from a table of (entity, group); other entities are their
/// own group.
fn groups(table: &[(&str, &str)]) -> impl Fn(&Slug) -> Slug + use<> {
    let map: BTreeMap<Slug, Slug> = table.iter().map(|(e, g)| (slug(e), slug(g))).collect();
    move |e: &Slug| map.get(e).cloned().unwrap_or_else(|| e.clone())
}

fn all_active(_: &Slug) -> bool {
    true
}

fn never_closed(_: &Slug) -> Option<Effective> {
    None
}

fn state(events: &[docket_model::Event]) -> Relations {
    let mut r = Relations::new();
    for (seq, e) in events.iter().enumerate() {
        r.apply(seq as u64, e);
    }
    r
}

fn names(v: &[Slug]) -> Vec<&str> {
    v.iter().map(Slug::as_str).collect()
}

fn parties(v: &Seen) -> Vec<[&str; 2]> {
    v.pairs
        .iter()
        .map(|p| [p.parties[0].as_str(), p.parties[1].as_str()])
        .collect()
}

const ACME: &[(&str, &str)] = &[
    ("acme-labs", "acme"),
    ("acme-eu", "acme"),
    ("beta-sub", "beta"),
    ("gamma-sub", "gamma"),
];

#[test]
fn subsidiaries_pair_as_their_groups() {
    let r = state(&[
        filed(
            date("2020-01-01"),
            "d1",
            &["acme-labs"],
            &["beta-sub", "beta"],
            None,
        ),
        filed(date("2020-02-01"), "d2", &["gamma"], &["acme-eu"], None),
        formed(
            date("2020-03-01"),
            "p1",
            &["beta-sub", "gamma-sub"],
            Some("acme"),
        ),
    ]);
    let v = r.see(&groups(ACME), &all_active, &never_closed);
    assert_eq!(
        parties(&v),
        [["acme", "beta"], ["acme", "gamma"], ["beta", "gamma"]]
    );
    let ab = v.pair("beta", "acme").unwrap();
    assert_eq!(names(&ab.disputes), ["d1"]);
    assert_eq!(names(&ab.active_disputes), ["d1"]);
    assert!(ab.partnerships.is_empty(), "a customer is not a party");
    let bg = v.pair("beta", "gamma").unwrap();
    assert!(bg.disputes.is_empty());
    assert_eq!(names(&bg.partnerships), ["p1"]);
    assert_eq!(names(&bg.active_partnerships), ["p1"]);
    assert!(v.conflicts.is_empty());
    // Without the group map, subsidiaries stand alone.
    let raw = r.see(&|e: &Slug| e.clone(), &all_active, &never_closed);
    assert!(raw.pair("acme", "beta").is_none());
    assert!(raw.pair("acme-labs", "beta-sub").is_some());
    assert!(raw.pair("acme-labs", "beta").is_some());
}

#[test]
fn a_group_on_both_sides_pairs_with_nothing() {
    let r = state(&[
        // A parent suing its subsidiary.
        filed(
            date("2020-01-01"),
            "family",
            &["acme"],
            &["acme-labs"],
            None,
        ),
        // acme on both sides: beta pairs with nothing either.
        filed(
            date("2020-01-02"),
            "mixed",
            &["acme-eu", "beta"],
            &["acme-labs"],
            None,
        ),
        // acme on both sides again, gamma only among the defendants.
        filed(
            date("2020-01-03"),
            "mixed-too",
            &["acme"],
            &["acme-labs", "gamma"],
            None,
        ),
        // Only gamma is adverse to acme here; acme-labs is on acme's side.
        filed(
            date("2020-01-04"),
            "clean",
            &["acme", "acme-labs"],
            &["gamma-sub"],
            None,
        ),
    ]);
    let v = r.see(&groups(ACME), &all_active, &never_closed);
    assert_eq!(parties(&v), [["acme", "gamma"]]);
    assert_eq!(names(&v.pairs[0].disputes), ["clean"]);
    // Seen without groups, every dispute pairs someone.
    let raw = r.see(&|e: &Slug| e.clone(), &all_active, &never_closed);
    assert!(raw.pair("acme", "acme-labs").is_some());
    assert!(raw.pair("beta", "acme-labs").is_some());
    assert_eq!(
        names(&raw.pair("acme", "gamma").unwrap().disputes),
        ["mixed-too"]
    );
}

#[test]
fn conflict_needs_an_active_dispute_and_an_active_partnership() {
    let events = [
        filed(
            date("2020-01-01"),
            "acme-v-beta",
            &["acme-labs"],
            &["beta"],
            None,
        ),
        formed(
            date("2020-06-01"),
            "joint",
            &["acme-eu", "beta-sub", "gamma"],
            None,
        ),
        ended(date("2021-01-01"), "joint"),
    ];
    let g = groups(ACME);
    let upto = |n: usize| state(&events[..n]);
    // Dispute alone: a pair, no conflict.
    let v = upto(1).see(&g, &all_active, &never_closed);
    assert_eq!(parties(&v), [["acme", "beta"]]);
    assert!(v.conflicts.is_empty());
    // Partnership formed while the dispute is active: a conflict.
    let v = upto(2).see(&g, &all_active, &never_closed);
    assert_eq!(v.conflicts.len(), 1);
    let c = v.conflict("beta", "acme").unwrap();
    assert_eq!(c.parties, [slug("acme"), slug("beta")]);
    assert_eq!(names(&c.disputes), ["acme-v-beta"]);
    assert_eq!(names(&c.partnerships), ["joint"]);
    // gamma partners both but sues neither.
    assert!(v.conflict("acme", "gamma").is_none());
    assert_eq!(
        parties(&v),
        [["acme", "beta"], ["acme", "gamma"], ["beta", "gamma"]]
    );
    // Dispute terminal: no conflict, the pair keeps its history.
    let closed = |_: &Slug| false;
    let v = upto(2).see(&g, &closed, &never_closed);
    assert!(v.conflicts.is_empty());
    let p = v.pair("acme", "beta").unwrap();
    assert_eq!(names(&p.disputes), ["acme-v-beta"]);
    assert!(p.active_disputes.is_empty());
    assert_eq!(names(&p.active_partnerships), ["joint"]);
    // Partnership ended: no conflict either.
    let r = upto(3);
    let v = r.see(&g, &all_active, &never_closed);
    assert!(v.conflicts.is_empty());
    let p = v.pair("acme", "beta").unwrap();
    assert_eq!(names(&p.partnerships), ["joint"]);
    assert!(p.active_partnerships.is_empty());
    let joint = r.partnership("joint").unwrap();
    assert_eq!(joint.ended, Some(date("2021-01-01")));
    assert!(!joint.active);
    // A partnership inside one group pairs nobody.
    let r = state(&[
        filed(date("2020-01-01"), "d", &["acme"], &["beta"], None),
        formed(date("2020-01-02"), "inside", &["acme", "acme-eu"], None),
    ]);
    assert!(r.see(&g, &all_active, &never_closed).conflicts.is_empty());
}

#[test]
fn countersuits_with_and_without_responds_to() {
    let r = state(&[
        filed(date("2020-01-01"), "a1", &["acme-labs"], &["beta"], None),
        filed(
            date("2020-01-05"),
            "a2",
            &["acme"],
            &["beta-sub", "gamma"],
            None,
        ),
        // Answers both a1 and a2 without saying so.
        filed(
            date("2020-02-01"),
            "b-silent",
            &["beta-sub"],
            &["acme-eu"],
            None,
        ),
        // Says it answers a1: reported once, declared.
        filed(
            date("2020-02-02"),
            "b-declared",
            &["beta"],
            &["acme"],
            Some("a1"),
        ),
        // Same direction as a1: answers nothing.
        filed(date("2020-02-03"), "same-way", &["acme"], &["beta"], None),
        // Declared although the parties do not match: still listed.
        filed(
            date("2020-02-04"),
            "b-odd",
            &["gamma"],
            &["omega"],
            Some("a1"),
        ),
        // Declares a dispute never filed: falls back to detection.
        filed(
            date("2020-02-05"),
            "b-unknown",
            &["gamma"],
            &["acme"],
            Some("ghost"),
        ),
    ]);
    let v = r.see(&groups(ACME), &all_active, &never_closed);
    let cs = |d: &str, a: &str, declared: bool| Countersuit {
        dispute: slug(d),
        answers: slug(a),
        declared,
    };
    assert_eq!(
        v.countersuits,
        [
            cs("b-declared", "a1", true),
            cs("b-odd", "a1", true),
            cs("b-silent", "a1", false),
            cs("b-silent", "a2", false),
            cs("b-unknown", "a2", false),
            // acme v beta answers the earlier beta v acme suits, which
            // are still open when it is filed.
            cs("same-way", "b-declared", false),
            cs("same-way", "b-silent", false),
        ]
    );
    // The earlier suit never answers the later one.
    assert!(v.countersuits.iter().all(|c| c.dispute.as_str() != "a1"));
}

#[test]
fn no_countersuit_when_the_first_suit_closed_before() {
    let r = state(&[
        filed(date("2020-01-01"), "a", &["acme"], &["beta"], None),
        filed(date("2020-06-01"), "b", &["beta"], &["acme"], None),
    ]);
    let g = groups(ACME);
    let closed_at = |when: &'static str| move |d: &Slug| (d.as_str() == "a").then(|| date(when));
    let found = |v: Seen| v.countersuits.len();
    assert_eq!(found(r.see(&g, &all_active, &never_closed)), 1);
    assert_eq!(found(r.see(&g, &all_active, &closed_at("2020-05-31"))), 0);
    assert_eq!(found(r.see(&g, &all_active, &closed_at("2020-06-01"))), 0);
    assert_eq!(
        found(r.see(&g, &all_active, &closed_at("2020-06-01T12:00:00Z"))),
        1,
        "closed later on the day b was filed"
    );
    assert_eq!(found(r.see(&g, &all_active, &closed_at("2021-01-01"))), 1);
    // Closing b itself does not matter.
    let b_closed = |d: &Slug| (d.as_str() == "b").then(|| date("2020-01-02"));
    assert_eq!(found(r.see(&g, &all_active, &b_closed)), 1);
}

#[test]
fn same_day_filings_follow_seq() {
    let mut r = Relations::new();
    r.apply(
        7,
        &filed(date("2020-01-01"), "later-seq", &["beta"], &["acme"], None),
    );
    r.apply(
        3,
        &filed(
            date("2020-01-01"),
            "earlier-seq",
            &["acme"],
            &["beta"],
            None,
        ),
    );
    let v = r.see(&groups(ACME), &all_active, &never_closed);
    assert_eq!(
        v.countersuits,
        [Countersuit {
            dispute: slug("later-seq"),
            answers: slug("earlier-seq"),
            declared: false,
        }]
    );
}

#[test]
fn partnership_anomalies() {
    let r = state(&[
        ended(date("2020-01-01"), "ghost"),
        formed(date("2020-01-02"), "p", &["acme", "beta"], None),
        formed(date("2020-01-03"), "p", &["acme", "gamma"], None),
        ended(date("2020-02-01"), "p"),
        ended(date("2020-03-01"), "p"),
        // Formed again after it ended: a new stint, no anomaly.
        formed(date("2020-04-01"), "p", &["beta", "gamma"], None),
    ]);
    let a = r.anomalies();
    assert_eq!(a.len(), 3, "{a:?}");
    assert_eq!((a[0].seq, a[0].kind), (0, Kind::PartnershipEnded));
    assert!(a[0].reason.contains("\"ghost\"") && a[0].reason.contains("never formed"));
    assert_eq!((a[1].seq, a[1].kind), (2, Kind::PartnershipFormed));
    assert!(a[1].reason.contains("\"p\"") && a[1].reason.contains("already active"));
    assert_eq!((a[2].seq, a[2].kind), (4, Kind::PartnershipEnded));
    assert!(a[2].reason.contains("already ended on 2020-02-01"));
    let p = r.partnership("p").unwrap();
    assert_eq!(p.parties, [slug("beta"), slug("gamma")]);
    assert_eq!((p.formed, p.formed_seq), (date("2020-04-01"), 5));
    assert!(p.active && p.ended.is_none());
    assert_eq!(r.partnerships().count(), 1);
    assert!(r.partnership("ghost").is_none());
}

#[test]
fn second_filing_is_an_anomaly_and_other_kinds_are_ignored() {
    let r = state(&[
        filed(date("2020-01-01"), "d", &["acme"], &["beta"], None),
        filed(date("2020-01-02"), "d", &["gamma"], &["beta"], None),
        dismissed(date("2020-01-03"), "d"),
        dismissed(date("2020-01-03"), "never-filed"),
    ]);
    assert_eq!(r.anomalies().len(), 1);
    let a = &r.anomalies()[0];
    assert_eq!((a.seq, a.kind), (1, Kind::DisputeFiled));
    assert!(a.reason.contains("\"d\"") && a.reason.contains("already filed at entry 0"));
    let s = r.sides("d").unwrap();
    assert_eq!(s.plaintiffs, [slug("acme")]);
    assert_eq!((s.filed, s.filed_seq), (date("2020-01-01"), 0));
    assert!(r.sides("never-filed").is_none());
    assert_eq!(r.all_sides().count(), 1);
}

#[test]
fn each_closure_is_asked_at_most_once_per_entity_or_dispute() {
    let r = state(&[
        filed(date("2020-01-01"), "d1", &["acme-labs"], &["beta"], None),
        filed(date("2020-02-01"), "d2", &["beta-sub"], &["acme-eu"], None),
        filed(
            date("2020-03-01"),
            "d3",
            &["acme-labs"],
            &["gamma-sub"],
            None,
        ),
        formed(date("2020-04-01"), "p1", &["acme", "beta", "gamma"], None),
        formed(date("2020-05-01"), "p2", &["acme-eu", "beta-sub"], None),
    ]);
    let asked: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let ask = |what: &str, s: &Slug| asked.borrow_mut().push(format!("{what} {s}"));
    let g = groups(ACME);
    let group_of = |e: &Slug| {
        ask("group_of", e);
        g(e)
    };
    let is_active = |d: &Slug| {
        ask("is_active", d);
        true
    };
    let closed_on = |d: &Slug| {
        ask("closed_on", d);
        None
    };
    let once = |asked: &RefCell<Vec<String>>| {
        let mut all = asked.take();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a closure was asked twice: {all:?}");
        n
    };
    let v = r.view(&group_of, &is_active, &closed_on);
    assert_eq!(v.conflicts.len(), 2);
    assert!(once(&asked) > 0);
    let c = v.conflict("beta", "acme").unwrap();
    assert_eq!(c.parties, [slug("acme"), slug("beta")]);
    assert_eq!(names(&c.disputes), ["d1", "d2"]);
    assert_eq!(names(&c.partnerships), ["p1", "p2"]);
    assert!(v.conflict("beta", "gamma").is_none());
    let pairs = r.pairs(&group_of, &is_active);
    assert_eq!(pairs.len(), 3);
    assert!(once(&asked) > 0);
}

/// A stored state's maps read as bincode's own `BTreeMap` decoding reads
/// them, whatever the order of their entries: in order, repeated next to
/// each other or apart, out of order, empty, or cut short.
#[test]
fn maps_in_any_order_decode_as_bincode_decodes_them() {
    let config = bincode::config::standard();
    let sides = |id: &str, seq: u64| {
        let mut r = Relations::new();
        r.apply(seq, &filed(date("2020-01-01"), id, &["a"], &["b"], None));
        let sides = r.all_sides().next().unwrap().clone();
        (slug(id), sides)
    };
    type Maps = (
        BTreeMap<Slug, crate::Sides>,
        BTreeMap<Slug, crate::Partnership>,
        Vec<docket_model::Anomaly>,
    );
    let orders: [&[(&str, u64)]; 6] = [
        &[],
        &[("a", 1), ("b", 2)],
        &[("a", 1), ("a", 2), ("b", 3)],
        &[("b", 1), ("a", 2)],
        &[("a", 1), ("b", 2), ("a", 3)],
        &[("c", 1), ("a", 2), ("c", 3), ("b", 4), ("a", 5)],
    ];
    for order in orders {
        let entries: Vec<_> = order.iter().map(|&(id, seq)| sides(id, seq)).collect();
        let partnerships: Vec<(Slug, crate::Partnership)> = Vec::new();
        let anomalies: Vec<docket_model::Anomaly> = Vec::new();
        let bytes = bincode::encode_to_vec((&entries, &partnerships, &anomalies), config).unwrap();
        let (ours, read): (Relations, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(read, bytes.len());
        let (theirs, _): (Maps, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(
            bincode::encode_to_vec(&ours, config).unwrap(),
            bincode::encode_to_vec(&theirs, config).unwrap(),
            "{order:?}"
        );
        // Cut short anywhere, or claiming more entries than there are:
        // refused, as bincode refuses it.
        for end in 0..bytes.len() {
            let cut = &bytes[..end];
            assert!(bincode::decode_from_slice::<Relations, _>(cut, config).is_err());
            assert!(bincode::decode_from_slice::<Maps, _>(cut, config).is_err());
        }
        let mut longer = bytes.clone();
        longer[0] += 1;
        assert!(bincode::decode_from_slice::<Relations, _>(&longer, config).is_err());
        assert!(bincode::decode_from_slice::<Maps, _>(&longer, config).is_err());
    }
}
