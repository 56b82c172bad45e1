//! Property tests: apply and view are total and deterministic, the view's
//! invariants hold, and the state round-trips through bincode.

use std::collections::{BTreeMap, BTreeSet};

use docket_model::{Effective, Event, Projection, Slug, testing};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;

use super::{SeeAll, Seen, date, ended, filed, formed, slug};
use crate::Relations;

const ENTITIES: &[&str] = &["e0", "e1", "e2", "e3", "e4", "e5", "g0", "g1"];
const DISPUTES: &[&str] = &["d0", "d1", "d2", "d3"];
const PARTNERSHIPS: &[&str] = &["p0", "p1", "p2"];

fn pick(all: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    proptest::sample::select(all)
}

fn some_of(
    all: &'static [&'static str],
    size: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<&'static str>> + Clone {
    btree_set(pick(all), size)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
}

fn when() -> impl Strategy<Value = Effective> + Clone {
    prop_oneof![
        (1u32..=28).prop_map(|d| date(&format!("2020-01-{d:02}"))),
        testing::effective(),
    ]
}

/// Events over a small set of ids, so that they collide: filings (sides
/// may be empty or overlap, as a hand-built event could), formations and
/// endings, and arbitrary valid events of every kind.
fn related_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (when(), pick(DISPUTES), some_of(ENTITIES, 0..4), some_of(ENTITIES, 0..4),
              proptest::option::weighted(0.2, pick(DISPUTES)))
            .prop_map(|(at, d, p, def, r)| filed(at, d, &p, &def, r)),
        3 => (when(), pick(PARTNERSHIPS), some_of(ENTITIES, 1..5), proptest::option::of(pick(ENTITIES)))
            .prop_map(|(at, id, parties, c)| formed(at, id, &parties, c)),
        1 => (when(), pick(PARTNERSHIPS)).prop_map(|(at, id)| ended(at, id)),
        1 => testing::event(),
    ]
}

/// `(seq, event)` with seqs that may repeat or go backwards.
fn history() -> impl Strategy<Value = Vec<(u64, Event)>> {
    vec((0u64..40, related_event()), 0..24)
}

/// The closures a ledger would supply, as data.
#[derive(Debug, Clone)]
struct World {
    groups: BTreeMap<Slug, Slug>,
    /// Disputes that are terminal; all others are active.
    inactive: BTreeSet<Slug>,
    closed: BTreeMap<Slug, Effective>,
}

fn world() -> impl Strategy<Value = World> {
    let s = |all| pick(all).prop_map(slug);
    (
        btree_map(s(ENTITIES), s(ENTITIES), 0..8),
        btree_set(s(DISPUTES), 0..3),
        btree_map(s(DISPUTES), when(), 0..4),
    )
        .prop_map(|(groups, inactive, closed)| World {
            groups,
            inactive,
            closed,
        })
}

fn state(events: &[(u64, Event)]) -> Relations {
    let mut r = Relations::new();
    for (seq, e) in events {
        r.apply(*seq, e);
    }
    r
}

fn view(r: &Relations, w: &World) -> Seen {
    let group_of = |e: &Slug| w.groups.get(e).cloned().unwrap_or_else(|| e.clone());
    let is_active = |d: &Slug| !w.inactive.contains(d);
    let closed_on = |d: &Slug| w.closed.get(d).copied();
    r.see(&group_of, &is_active, &closed_on)
}

/// Whether the two groups are on strictly opposite sides of the dispute.
fn adverse(s: &crate::Sides, w: &World, parties: &[Slug; 2]) -> bool {
    let group = |e: &Slug| w.groups.get(e).cloned().unwrap_or_else(|| e.clone());
    let p: BTreeSet<Slug> = s.plaintiffs.iter().map(group).collect();
    let d: BTreeSet<Slug> = s.defendants.iter().map(group).collect();
    let only = |g: &Slug, mine: &BTreeSet<Slug>, theirs: &BTreeSet<Slug>| {
        mine.contains(g) && !theirs.contains(g)
    };
    let [a, b] = parties;
    (only(a, &p, &d) && only(b, &d, &p)) || (only(b, &p, &d) && only(a, &d, &p))
}

fn sorted_unique(v: &[Slug]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

fn subset(small: &[Slug], big: &[Slug]) -> bool {
    small.iter().all(|s| big.contains(s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn view_is_total_and_deterministic(events in history(), w in world()) {
        let r = state(&events);
        let v = view(&r, &w);
        prop_assert_eq!(&v, &view(&r, &w));
        prop_assert_eq!(&v, &view(&state(&events), &w), "replaying gives the same view");
        prop_assert_eq!(&r, &state(&events));
    }

    #[test]
    fn view_matches_the_reference_implementation(events in history(), w in world()) {
        let r = state(&events);
        let group_of = |e: &Slug| w.groups.get(e).cloned().unwrap_or_else(|| e.clone());
        let is_active = |d: &Slug| !w.inactive.contains(d);
        let closed_on = |d: &Slug| w.closed.get(d).copied();
        let oracle = super::reference::Reference(&r).view(&group_of, &is_active, &closed_on);
        prop_assert_eq!(view(&r, &w), oracle);
    }

    #[test]
    fn view_invariants_hold(events in history(), w in world()) {
        let r = state(&events);
        let v = view(&r, &w);
        prop_assert!(v.pairs.windows(2).all(|p| p[0].parties < p[1].parties));
        for p in &v.pairs {
            prop_assert!(p.parties[0] < p.parties[1], "distinct and sorted: {:?}", p.parties);
            prop_assert!(!p.disputes.is_empty() || !p.partnerships.is_empty());
            for list in [&p.disputes, &p.active_disputes, &p.partnerships, &p.active_partnerships] {
                prop_assert!(sorted_unique(list));
            }
            prop_assert!(subset(&p.active_disputes, &p.disputes));
            prop_assert!(subset(&p.active_partnerships, &p.partnerships));
            prop_assert!(p.active_disputes.iter().all(|d| !w.inactive.contains(d)));
            for d in &p.disputes {
                prop_assert!(r.sides(d.as_str()).is_some_and(|s| adverse(s, &w, &p.parties)));
            }
        }
        prop_assert!(v.conflicts.windows(2).all(|c| c[0].parties < c[1].parties));
        for c in &v.conflicts {
            prop_assert!(c.parties[0] < c.parties[1], "distinct and sorted: {:?}", c.parties);
            prop_assert!(!c.disputes.is_empty() && !c.partnerships.is_empty());
            let pair = v.pair(c.parties[1].as_str(), c.parties[0].as_str());
            prop_assert!(pair.is_some());
            if let Some(p) = pair {
                prop_assert_eq!(&c.disputes, &p.active_disputes);
                prop_assert_eq!(&c.partnerships, &p.active_partnerships);
            }
            for id in &c.partnerships {
                prop_assert!(r.partnership(id.as_str()).is_some_and(|p| p.active));
            }
        }
        prop_assert!(v.countersuits.windows(2).all(|c| c[0] < c[1]));
        for c in &v.countersuits {
            prop_assert_ne!(&c.dispute, &c.answers);
            let (b, a) = (r.sides(c.dispute.as_str()), r.sides(c.answers.as_str()));
            prop_assert!(a.is_some());
            if let (Some(b), Some(a)) = (b, a) {
                if c.declared {
                    prop_assert_eq!(b.responds_to.as_ref(), Some(&c.answers));
                } else {
                    prop_assert!(a.filing_order() < b.filing_order());
                }
            }
        }
        for p in r.partnerships() {
            prop_assert_eq!(p.active, p.ended.is_none());
        }
    }

    #[test]
    fn state_round_trips_through_bincode(events in history()) {
        let r = state(&events);
        let config = bincode::config::standard();
        let bytes = bincode::encode_to_vec(&r, config).unwrap();
        let (back, read): (Relations, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        prop_assert_eq!(read, bytes.len());
        prop_assert_eq!(&back, &r);
        prop_assert_eq!(back.anomalies(), r.anomalies());
    }

    #[test]
    fn maps_out_of_order_or_with_repeated_keys_decode_as_bincode_decodes_them(
        events in history(),
        seed in any::<u64>(),
    ) {
        // The state's entries, shuffled and with some repeated under a
        // later value, written as bincode writes a map (its length, then
        // the pairs): the state reads them as `BTreeMap::decode` does.
        let r = state(&events);
        let mut x = seed | 1;
        let mut next = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            usize::try_from(x % (n as u64).max(1)).unwrap()
        };
        let mut sides: Vec<(Slug, crate::Sides)> =
            r.all_sides().map(|s| (s.dispute.clone(), s.clone())).collect();
        let mut partnerships: Vec<(Slug, crate::Partnership)> =
            r.partnerships().map(|p| (p.id.clone(), p.clone())).collect();
        if seed % 3 > 0 {
            for i in (1..sides.len()).rev() {
                sides.swap(i, next(i + 1));
            }
            if let Some(first) = sides.first().cloned() {
                let mut later = first.1.clone();
                later.filed_seq += 1;
                sides.push((first.0, later));
            }
            if seed % 3 == 2 {
                partnerships.reverse();
            }
        }
        let config = bincode::config::standard();
        let bytes =
            bincode::encode_to_vec((&sides, &partnerships, r.anomalies()), config).unwrap();
        let (ours, read): (Relations, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        prop_assert_eq!(read, bytes.len());
        type Maps = (
            BTreeMap<Slug, crate::Sides>,
            BTreeMap<Slug, crate::Partnership>,
            Vec<docket_model::Anomaly>,
        );
        let (theirs, _): (Maps, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        prop_assert_eq!(
            bincode::encode_to_vec(&ours, config).unwrap(),
            bincode::encode_to_vec(&theirs, config).unwrap()
        );
    }

    #[test]
    fn arbitrary_valid_events_never_panic(events in vec(testing::event(), 0..16)) {
        let mut r = Relations::new();
        for (seq, e) in events.iter().enumerate() {
            r.apply(seq as u64, e);
        }
        let v = r.see(&|e: &Slug| e.clone(), &|_| true, &|_| None);
        prop_assert!(v.conflicts.iter().all(|c| c.parties[0] < c.parties[1]));
    }
}
