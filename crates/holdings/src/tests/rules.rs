//! One test per rule and per anomaly.

use docket_model::{
    Body, Category, DisputeSettled, EntityRegistered, EventId, Kind, PartnershipFormed, Projection,
    Retraction,
};

use super::*;
use crate::ParentCause;

#[test]
fn registration_records_the_entity() {
    let mut h = Holdings::new();
    let body = Body::EntityRegistered(EntityRegistered {
        entity: slug("ded"),
        name: text("US District Court for the District of Delaware"),
        aliases: vec![text("D. Del.")],
        parent: None,
        category: Category::Court,
    });
    h.apply(7, &event("2023-10-31", body));
    assert!(h.anomalies().is_empty());
    assert_eq!(h.len(), 1);
    assert!(!h.is_empty());
    let e = h.get("ded").unwrap();
    assert_eq!(e.id, slug("ded"));
    assert_eq!(
        e.name.as_str(),
        "US District Court for the District of Delaware"
    );
    assert_eq!(e.aliases, vec![text("D. Del.")]);
    assert_eq!(e.category, Category::Court);
    assert_eq!(e.registered, Effective::parse("2023-10-31").unwrap());
    assert_eq!(e.registered_seq, 7);
    assert_eq!(e.names.len(), 1);
    assert_eq!(e.names[0].seq, 7);
    assert_eq!(e.parents.len(), 1);
    assert_eq!(e.parents[0].parent, None);
    assert_eq!(e.parents[0].cause, ParentCause::Registered);
    assert_eq!(h.parent("ded"), None);
    assert_eq!(h.name("ded"), Some(&e.name));
}

#[test]
fn registration_with_a_registered_parent() {
    let h = run(group());
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.parent("mid"), Some(&slug("top")));
    assert_eq!(
        h.get("mid").unwrap().parents[0].cause,
        ParentCause::Registered
    );
    assert_eq!(h.children("top"), vec![&slug("mid")]);
    assert!(h.holds("top", "leaf"));
    assert!(h.holds("low", "leaf"));
    assert!(!h.holds("leaf", "top"));
    assert!(!h.holds("leaf", "leaf"), "an entity does not hold itself");
    assert!(!h.holds("other", "leaf"));
    assert!(!h.holds("nobody", "leaf"));
    assert!(!h.holds("top", "nobody"));
}

#[test]
fn registering_an_existing_id_is_an_anomaly() {
    let h = run(vec![
        ("2000-01-01", register("a", "First", None)),
        ("2000-01-02", register("p", "P", None)),
        ("2000-01-03", register("a", "Second", Some("p"))),
    ]);
    assert_one_anomaly(&h, 2, &["\"a\"", "already registered", "entry 0"]);
    assert_eq!(h.anomalies()[0].kind, Kind::EntityRegistered);
    let a = h.get("a").unwrap();
    assert_eq!(a.name.as_str(), "First", "the first registration stands");
    assert_eq!(a.registered_seq, 0);
    assert_eq!(h.parent("a"), None);
    assert_eq!(h.len(), 2);
}

#[test]
fn an_unregistered_parent_is_an_anomaly_but_the_entity_is_registered() {
    let h = run(vec![("2000-01-01", register("sub", "Sub", Some("ghost")))]);
    assert_one_anomaly(&h, 0, &["parent \"ghost\"", "\"sub\"", "without a parent"]);
    assert_eq!(h.len(), 1);
    assert_eq!(h.parent("sub"), None);
    assert_eq!(h.get("sub").unwrap().parents[0].parent, None);
    assert!(h.get("ghost").is_none());
}

#[test]
fn a_parent_registered_later_does_not_count() {
    let h = run(vec![
        ("2000-01-01", register("sub", "Sub", Some("late"))),
        ("2000-01-02", register("late", "Late", None)),
    ]);
    assert_one_anomaly(&h, 0, &["\"late\""]);
    assert_eq!(h.parent("sub"), None);
    assert!(h.children("late").is_empty());
}

#[test]
fn renaming_keeps_the_old_name_in_the_history() {
    let h = run(vec![
        ("2000-01-01", register("a", "Old", None)),
        ("2001-01-01", rename("a", "New")),
    ]);
    assert!(h.anomalies().is_empty());
    assert_eq!(h.name("a").unwrap().as_str(), "New");
    let names: Vec<_> = h
        .get("a")
        .unwrap()
        .names
        .iter()
        .map(|n| (n.name.as_str(), n.seq))
        .collect();
    assert_eq!(names, [("Old", 0), ("New", 1)]);
    assert!(
        h.get("a").unwrap().aliases.is_empty(),
        "a rename adds no alias"
    );
}

#[test]
fn renaming_an_unknown_entity_is_an_anomaly() {
    let h = run(vec![("2000-01-01", rename("ghost", "Ghost"))]);
    assert_one_anomaly(&h, 0, &["\"ghost\"", "not registered"]);
    assert_eq!(h.anomalies()[0].kind, Kind::EntityRenamed);
    assert!(h.is_empty());
}

#[test]
fn renaming_to_the_current_name_is_an_anomaly() {
    let h = run(vec![
        ("2000-01-01", register("a", "Same", None)),
        ("2001-01-01", rename("a", "Same")),
    ]);
    assert_one_anomaly(&h, 1, &["\"a\"", "already named \"Same\""]);
    assert_eq!(h.get("a").unwrap().names.len(), 1);
}

#[test]
fn renaming_back_to_an_earlier_name_is_fine() {
    let h = run(vec![
        ("2000-01-01", register("a", "One", None)),
        ("2001-01-01", rename("a", "Two")),
        ("2002-01-01", rename("a", "One")),
    ]);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.name("a").unwrap().as_str(), "One");
    assert_eq!(h.get("a").unwrap().names.len(), 3);
}

#[test]
fn an_acquisition_moves_the_target_under_the_acquirer() {
    let mut events = group();
    events.push(("2001-01-01", acquire("other", "mid")));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.parent("mid"), Some(&slug("other")));
    let spell = h.get("mid").unwrap().parents.last().unwrap().clone();
    assert_eq!(spell.cause, ParentCause::Acquired);
    assert_eq!(spell.seq, 6);
    assert_eq!(spell.from, Effective::parse("2001-01-01").unwrap());
    assert_eq!(h.ultimate_parent(&slug("leaf")), slug("other"));
    assert!(h.children("top").is_empty());
    assert_eq!(h.children("other"), vec![&slug("mid")]);
    assert!(h.holds("other", "leaf"));
    assert!(!h.holds("top", "leaf"));
}

#[test]
fn an_ancestor_may_acquire_a_unit_directly() {
    let mut events = group();
    events.push(("2001-01-01", acquire("top", "leaf")));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.parent("leaf"), Some(&slug("top")));
    assert_eq!(h.children("top"), vec![&slug("leaf"), &slug("mid")]);
}

#[test]
fn an_acquisition_with_unknown_parties_is_an_anomaly() {
    for (acquirer, target, expected) in [
        ("ghost", "mid", "acquirer \"ghost\" is not registered"),
        ("top", "ghost", "target \"ghost\" is not registered"),
        (
            "ghost",
            "spook",
            "acquirer \"ghost\" and target \"spook\" are not registered",
        ),
    ] {
        let mut events = group();
        events.push(("2001-01-01", acquire(acquirer, target)));
        let h = run(events);
        assert_one_anomaly(&h, 6, &[expected]);
        assert_eq!(h.anomalies()[0].kind, Kind::Acquisition);
        assert_eq!(h.entities, run(group()).entities, "nothing else changed");
    }
}

#[test]
fn an_acquisition_that_would_make_a_cycle_is_an_anomaly() {
    for acquirer in ["leaf", "low", "mid"] {
        let mut events = group();
        events.push(("2001-01-01", acquire(acquirer, "top")));
        let h = run(events);
        assert_one_anomaly(
            &h,
            6,
            &[&format!("\"{acquirer}\" cannot acquire \"top\""), "cycle"],
        );
        assert_eq!(h.parent("top"), None);
        assert_eq!(h.ultimate_parent(&slug(acquirer)), slug("top"));
    }
    // An entity acquiring itself (the format forbids it; the projection
    // must still not loop).
    let mut events = group();
    events.push(("2001-01-01", acquire("mid", "mid")));
    let h = run(events);
    assert_one_anomaly(&h, 6, &["cycle"]);
    assert_eq!(h.parent("mid"), Some(&slug("top")));
}

#[test]
fn acquiring_an_entity_already_owned_is_an_anomaly() {
    let mut events = group();
    events.push(("2001-01-01", acquire("mid", "low")));
    let h = run(events);
    assert_one_anomaly(&h, 6, &["\"low\" is already owned by \"mid\""]);
    assert_eq!(h.get("low").unwrap().parents.len(), 1);
}

#[test]
fn a_divestment_moves_the_asset_to_its_buyer() {
    let mut events = group();
    events.push(("2001-01-01", divest("mid", "low", Some("other"))));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.parent("low"), Some(&slug("other")));
    let spell = h.get("low").unwrap().parents.last().unwrap().clone();
    assert_eq!(spell.cause, ParentCause::Divested);
    assert_eq!(spell.seq, 6);
    assert_eq!(h.ultimate_parent(&slug("leaf")), slug("other"));
    assert!(h.children("mid").is_empty());
}

#[test]
fn an_ancestor_may_divest_a_unit_held_through_subsidiaries() {
    let mut events = group();
    events.push(("2001-01-01", divest("top", "leaf", Some("rival"))));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.parent("leaf"), Some(&slug("rival")));
    assert!(h.children("low").is_empty());
}

#[test]
fn a_divestment_without_buyer_is_a_spin_off() {
    let mut events = group();
    events.push(("2001-01-01", divest("top", "mid", None)));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    assert_eq!(h.parent("mid"), None);
    assert_eq!(h.ultimate_parent(&slug("leaf")), slug("mid"));
    let spell = h.get("mid").unwrap().parents.last().unwrap().clone();
    assert_eq!((spell.parent, spell.cause), (None, ParentCause::Divested));
}

#[test]
fn a_seller_that_does_not_hold_the_asset_is_an_anomaly() {
    for (seller, asset) in [
        ("other", "mid"),
        ("leaf", "low"),
        ("low", "mid"),
        ("mid", "mid"),
    ] {
        let mut events = group();
        events.push(("2001-01-01", divest(seller, asset, Some("rival"))));
        let h = run(events);
        assert_one_anomaly(
            &h,
            6,
            &[&format!("seller \"{seller}\" does not hold \"{asset}\"")],
        );
        assert_eq!(h.anomalies()[0].kind, Kind::Divestment);
        assert_eq!(h.parent("rival"), None);
        assert!(h.children("rival").is_empty());
    }
    // An independent entity is held by nobody.
    let mut events = group();
    events.push(("2001-01-01", divest("top", "other", None)));
    assert_one_anomaly(&run(events), 6, &["does not hold \"other\""]);
}

#[test]
fn a_divestment_with_unknown_parties_is_an_anomaly() {
    for (seller, asset, buyer, expected) in [
        ("ghost", "mid", None, "seller \"ghost\" is not registered"),
        ("top", "ghost", None, "asset \"ghost\" is not registered"),
        (
            "top",
            "mid",
            Some("ghost"),
            "buyer \"ghost\" is not registered",
        ),
        (
            "x",
            "y",
            Some("z"),
            "seller \"x\", asset \"y\" and buyer \"z\" are not registered",
        ),
    ] {
        let mut events = group();
        events.push(("2001-01-01", divest(seller, asset, buyer)));
        let h = run(events);
        assert_one_anomaly(&h, 6, &[expected]);
        assert_eq!(h.parent("mid"), Some(&slug("top")));
    }
}

#[test]
fn a_buyer_inside_the_asset_is_an_anomaly() {
    for buyer in ["low", "leaf"] {
        let mut events = group();
        events.push(("2001-01-01", divest("top", "mid", Some(buyer))));
        let h = run(events);
        assert_one_anomaly(
            &h,
            6,
            &[&format!("\"mid\" cannot be sold to \"{buyer}\""), "cycle"],
        );
        assert_eq!(h.parent("mid"), Some(&slug("top")));
    }
}

#[test]
fn selling_to_the_current_parent_is_an_anomaly() {
    let mut events = group();
    events.push(("2001-01-01", divest("top", "low", Some("mid"))));
    let h = run(events);
    assert_one_anomaly(&h, 6, &["\"low\" already belongs to buyer \"mid\""]);
    assert_eq!(h.get("low").unwrap().parents.len(), 1);
}

#[test]
fn events_out_of_order_are_anomalies() {
    let h = run(vec![
        ("2000-01-02", register("a", "A", None)),
        ("2000-01-01", register("b", "B", None)),
        ("2000-01-02T00:00:00Z", register("c", "C", None)),
    ]);
    assert_one_anomaly(
        &h,
        1,
        &["\"b\"", "2000-01-01", "before 2000-01-02", "order"],
    );
    assert!(h.get("b").is_none());
    assert!(h.get("c").is_some(), "the same instant is in order");
}

#[test]
fn other_kinds_are_ignored() {
    let mut h = run(group());
    let before = h.clone();
    let settled = Body::DisputeSettled(DisputeSettled {
        disputes: vec![slug("d")],
        terms: None,
    });
    let formed = Body::PartnershipFormed(PartnershipFormed {
        partnership: slug("p"),
        parties: vec![slug("top"), slug("ghost")],
        scope: None,
        customer: None,
    });
    let retraction = Body::Retraction(Retraction {
        target: EventId::new("e1").unwrap(),
        reason: text("mistake"),
    });
    let correction = Body::Correction(docket_model::Correction {
        target: EventId::new("e2").unwrap(),
        reason: text("typo"),
        replacement: Box::new(event("2001-01-01", acquire("other", "mid"))),
    });
    // Even when dated before everything else: they do not take part.
    for (seq, body) in (10..).zip([settled, formed, retraction, correction]) {
        h.apply(seq, &event("1900-01-01", body));
    }
    assert_eq!(h, before);
    assert!(h.anomalies().is_empty());
}

#[test]
fn ultimate_parent_climbs_multi_level_chains() {
    let h = run(group());
    for id in ["top", "mid", "low", "leaf"] {
        assert_eq!(h.ultimate_parent(&slug(id)), slug("top"), "{id}");
    }
    assert_eq!(h.ultimate_parent(&slug("other")), slug("other"));
    assert_eq!(h.ultimate_parent(&slug("unknown")), slug("unknown"));
    assert_eq!(
        h.ancestors("leaf"),
        vec![&slug("low"), &slug("mid"), &slug("top")]
    );
    assert!(h.ancestors("top").is_empty());
    assert!(h.ancestors("unknown").is_empty());
}

#[test]
fn children_are_sorted_and_current() {
    let h = run(vec![
        ("2000-01-01", register("p", "P", None)),
        ("2000-01-01", register("zeta", "Z", Some("p"))),
        ("2000-01-01", register("alpha", "A", Some("p"))),
        ("2000-01-01", register("mu", "M", Some("p"))),
        ("2001-01-01", divest("p", "mu", None)),
    ]);
    assert_eq!(h.children("p"), vec![&slug("alpha"), &slug("zeta")]);
    assert!(h.children("alpha").is_empty());
    assert!(h.children("unknown").is_empty());
    let ids: Vec<&str> = h.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "mu", "p", "zeta"]);
}

#[test]
fn anomalies_name_their_event_and_keep_order() {
    let h = run(vec![
        ("2000-01-01", rename("a", "A")),
        ("2000-01-02", acquire("a", "b")),
    ]);
    let got: Vec<(u64, Kind)> = h.anomalies().iter().map(|a| (a.seq, a.kind)).collect();
    assert_eq!(got, [(0, Kind::EntityRenamed), (1, Kind::Acquisition)]);
    assert_eq!(
        h.anomalies()[0].to_string(),
        "entry 0 (entity.renamed): entity \"a\" is not registered"
    );
}

#[test]
fn parent_causes_have_words() {
    assert_eq!(ParentCause::Registered.as_str(), "registered");
    assert_eq!(ParentCause::Acquired.to_string(), "acquired");
    assert_eq!(ParentCause::Divested.as_str(), "divested");
}

#[test]
fn queries_stop_on_a_cycle_in_a_hand_made_state() {
    // apply never builds a cycle; a decoded or hand-made state might.
    let mut h = run(vec![
        ("2000-01-01", register("a", "A", None)),
        ("2000-01-01", register("b", "B", Some("a"))),
    ]);
    let spell = crate::ParentSpell {
        from: Effective::parse("2000-01-01").unwrap(),
        parent: Some(slug("b")),
        seq: 9,
        cause: ParentCause::Acquired,
    };
    h.entities.get_mut("a").unwrap().parents.push(spell);
    let top = h.ultimate_parent(&slug("a"));
    assert!(top == slug("a") || top == slug("b"));
    let top = h.ultimate_parent_at(&slug("b"), at("2001-01-01"));
    assert!(top == slug("a") || top == slug("b"));
    assert!(h.ancestors("a").len() <= h.len());
    assert!(h.holds("b", "a"));
}
