//! Tests of the holdings projection: one per rule and anomaly, time travel,
//! the Nokia/Amazon example ledger, and properties over generated histories.

mod example;
mod props;
mod rules;
mod time;

use docket_model::{
    Acquisition, Body, Category, Divestment, Effective, EntityRegistered, EntityRenamed, Event,
    Projection, Slug, Text,
};

use crate::Holdings;

pub(crate) fn slug(s: &str) -> Slug {
    Slug::new(s).unwrap()
}

pub(crate) fn text(s: &str) -> Text {
    Text::new(s).unwrap()
}

/// The instant of a date or timestamp, in microseconds.
pub(crate) fn at(effective: &str) -> i64 {
    Effective::parse(effective).unwrap().instant_micros()
}

pub(crate) fn event(effective: &str, body: Body) -> Event {
    Event {
        id: None,
        effective: Effective::parse(effective).unwrap(),
        sources: vec![],
        note: None,
        body,
    }
}

pub(crate) fn register(entity: &str, name: &str, parent: Option<&str>) -> Body {
    Body::EntityRegistered(EntityRegistered {
        entity: slug(entity),
        name: text(name),
        aliases: vec![],
        parent: parent.map(slug),
        category: Category::Company,
    })
}

pub(crate) fn rename(entity: &str, name: &str) -> Body {
    Body::EntityRenamed(EntityRenamed {
        entity: slug(entity),
        name: text(name),
    })
}

pub(crate) fn acquire(acquirer: &str, target: &str) -> Body {
    Body::Acquisition(Acquisition {
        acquirer: slug(acquirer),
        target: slug(target),
    })
}

pub(crate) fn divest(seller: &str, asset: &str, buyer: Option<&str>) -> Body {
    Body::Divestment(Divestment {
        seller: slug(seller),
        asset: slug(asset),
        buyer: buyer.map(slug),
    })
}

/// Applies `(effective, body)` pairs in the order given, each with its index
/// as seq.
pub(crate) fn run(events: Vec<(&str, Body)>) -> Holdings {
    let mut h = Holdings::new();
    for (seq, (effective, body)) in (0u64..).zip(events) {
        h.apply(seq, &event(effective, body));
    }
    h
}

/// The reasons of the anomalies, for messages.
pub(crate) fn reasons(h: &Holdings) -> Vec<String> {
    h.anomalies().iter().map(|a| a.reason.clone()).collect()
}

/// Asserts exactly one anomaly, at `seq`, whose reason contains every one of
/// `parts`.
pub(crate) fn assert_one_anomaly(h: &Holdings, seq: u64, parts: &[&str]) {
    let all = h.anomalies();
    assert_eq!(all.len(), 1, "{:?}", reasons(h));
    assert_eq!(all[0].seq, seq, "{:?}", all[0]);
    for part in parts {
        assert!(
            all[0].reason.contains(part),
            "{:?} lacks {part:?}",
            all[0].reason
        );
    }
}

/// A group: `top` owns `mid`, which owns `low`, which owns `leaf`; `other`
/// and `rival` are independent. Registered on 2000-01-01 (seqs 0..=5).
pub(crate) fn group() -> Vec<(&'static str, Body)> {
    vec![
        ("2000-01-01", register("top", "Top", None)),
        ("2000-01-01", register("mid", "Mid", Some("top"))),
        ("2000-01-01", register("low", "Low", Some("mid"))),
        ("2000-01-01", register("leaf", "Leaf", Some("low"))),
        ("2000-01-01", register("other", "Other", None)),
        ("2000-01-01", register("rival", "Rival", None)),
    ]
}
