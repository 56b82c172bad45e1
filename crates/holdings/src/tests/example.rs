//! The Nokia/Amazon example ledger, replayed as the ledger does.

use docket_model::{Event, Kind, Projection};

use super::{at, slug};
use crate::Holdings;

/// The example's events, each with its line index as seq, in the order the
/// ledger applies them.
fn events() -> Vec<(u64, Event)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/amazon-nokia.ndjson"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut events: Vec<(u64, Event)> = (0u64..)
        .zip(text.lines())
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(seq, line)| (seq, Event::from_json(line).unwrap()))
        .collect();
    events.sort_by_key(|(seq, e)| (e.effective.instant_micros(), *seq));
    events
}

fn example() -> Holdings {
    let mut h = Holdings::new();
    for (seq, e) in &events() {
        h.apply(*seq, e);
    }
    h
}

#[test]
fn the_example_applies_without_anomalies() {
    let h = example();
    assert!(h.anomalies().is_empty(), "{:?}", h.anomalies());
    let registered = events()
        .iter()
        .filter(|(_, e)| e.kind() == Kind::EntityRegistered)
        .count();
    assert!(registered > 10);
    assert_eq!(h.len(), registered);
}

#[test]
fn nokia_solutions_networks_joins_nokia_in_2013() {
    let h = example();
    let nsn = slug("nokia-solutions-networks");
    assert_eq!(h.ultimate_parent(&nsn), slug("nokia"));
    assert_eq!(h.ultimate_parent_at(&nsn, at("2013-08-07")), slug("nokia"));
    assert_eq!(h.ultimate_parent_at(&nsn, at("2020-01-01")), slug("nokia"));
    assert_eq!(h.ultimate_parent_at(&nsn, at("2013-08-07") - 1), nsn);
    assert_eq!(h.ultimate_parent_at(&nsn, at("2010-01-01")), nsn);
    assert_eq!(
        h.name("nokia-solutions-networks").unwrap().as_str(),
        "Nokia Solutions and Networks Oy"
    );
    let before = h.name_at("nokia-solutions-networks", at("2013-08-07") - 1);
    assert_eq!(before.unwrap().as_str(), "Nokia Siemens Networks");
    let that_day = h.name_at("nokia-solutions-networks", at("2013-08-07"));
    assert_eq!(
        that_day.unwrap().as_str(),
        "Nokia Solutions and Networks Oy"
    );
}

#[test]
fn alcatel_lucent_joins_nokia_in_2016() {
    let h = example();
    let sas = slug("alcatel-lucent-sas");
    assert_eq!(h.ultimate_parent(&sas), slug("nokia"));
    assert_eq!(h.ultimate_parent_at(&sas, at("2016-01-14")), slug("nokia"));
    assert_eq!(
        h.ultimate_parent_at(&sas, at("2016-01-14") - 1),
        slug("alcatel-lucent")
    );
    assert_eq!(
        h.ultimate_parent_at(&sas, at("2016-01-10")),
        slug("alcatel-lucent")
    );
    assert_eq!(
        h.parent("alcatel-lucent-sas"),
        Some(&slug("alcatel-lucent"))
    );
    assert!(h.holds("nokia", "alcatel-lucent-sas"));
}

#[test]
fn devices_and_services_go_to_microsoft_in_2014() {
    let h = example();
    let nds = slug("nokia-devices-services");
    assert_eq!(h.ultimate_parent(&nds), slug("microsoft"));
    assert_eq!(
        h.ultimate_parent_at(&nds, at("2014-04-25")),
        slug("microsoft")
    );
    assert_eq!(
        h.ultimate_parent_at(&nds, at("2014-04-25") - 1),
        slug("nokia")
    );
    assert!(!h.holds("nokia", "nokia-devices-services"));
    assert_eq!(h.parent("nokia-cbis"), Some(&slug("red-hat")));
}

#[test]
fn amazon_units_belong_to_amazon() {
    let h = example();
    for unit in ["aws", "twitch", "amazon-technologies"] {
        assert_eq!(h.ultimate_parent(&slug(unit)), slug("amazon"), "{unit}");
        assert!(h.holds("amazon", unit));
    }
    assert_eq!(h.ultimate_parent(&slug("amazon")), slug("amazon"));
    assert!(h.children("amazon").contains(&&slug("aws")));
}
