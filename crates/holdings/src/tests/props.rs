//! Properties over generated histories: plausible ones over a small pool of
//! entities (so that registrations, renames, acquisitions and divestments
//! meet), and arbitrary valid events from `docket_model::testing`.

use docket_model::{Body, Category, Effective, Event, Projection, Slug};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use super::{acquire, divest, rename, slug, text};
use crate::Holdings;

const POOL: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
const NAMES: [&str; 3] = ["One", "Two", "Three"];
const OFFSETS: [&str; 3] = ["Z", "+02:00", "-05:00"];

fn pool_slug() -> impl Strategy<Value = Slug> + Clone {
    select(&POOL[..]).prop_map(slug)
}

/// Dates and timestamps within a few months, so that events often share an
/// instant or a day.
fn when() -> impl Strategy<Value = Effective> {
    let date = (1u8..=3, 1u8..=28).prop_map(|(m, d)| format!("2000-{m:02}-{d:02}"));
    let stamp = (1u8..=3, 1u8..=28, 0u8..24, select(&OFFSETS[..]))
        .prop_map(|(m, d, h, off)| format!("2000-{m:02}-{d:02}T{h:02}:00:00{off}"));
    prop_oneof![date, stamp].prop_map(|s| Effective::parse(&s).unwrap())
}

fn plausible_body() -> BoxedStrategy<Body> {
    let name = || select(&NAMES[..]);
    prop_oneof![
        4 => (pool_slug(), name(), option::of(pool_slug()), select(&Category::ALL[..])).prop_map(
            |(entity, n, parent, category)| {
                Body::EntityRegistered(docket_model::EntityRegistered {
                    entity,
                    name: text(n),
                    aliases: vec![],
                    parent,
                    category,
                })
            }
        ),
        2 => (pool_slug(), name()).prop_map(|(e, n)| rename(e.as_str(), n)),
        3 => (pool_slug(), pool_slug()).prop_map(|(a, t)| acquire(a.as_str(), t.as_str())),
        3 => (pool_slug(), pool_slug(), option::of(pool_slug())).prop_map(|(s, a, b)| {
            divest(s.as_str(), a.as_str(), b.as_ref().map(Slug::as_str))
        }),
        1 => docket_model::testing::plain_event().prop_map(|e| e.body),
    ]
    .boxed()
}

/// A plausible history, seq = position, in the order generated.
fn history() -> impl Strategy<Value = Vec<(u64, Event)>> {
    vec((when(), plausible_body()), 0..40).prop_map(|all| {
        (0u64..)
            .zip(all)
            .map(|(seq, (effective, body))| {
                let event = Event {
                    id: None,
                    effective,
                    sources: vec![],
                    note: None,
                    body,
                };
                (seq, event)
            })
            .collect()
    })
}

/// The same history in the order the ledger applies it.
fn ordered(mut events: Vec<(u64, Event)>) -> Vec<(u64, Event)> {
    events.sort_by(|(sa, a), (sb, b)| (a.effective, sa).cmp(&(b.effective, sb)));
    events
}

/// The history in ledger order, with two events in three steered towards
/// the state built so far: registration parents, acquirers, targets and
/// assets are picked among the registered entities, and sellers among the
/// asset's ancestors, so that most structure events succeed while the rest
/// still exercise the anomalies.
fn plausible() -> impl Strategy<Value = Vec<(u64, Event)>> {
    history().prop_map(|events| {
        let mut h = Holdings::new();
        let mut out = Vec::new();
        for (seq, mut event) in ordered(events) {
            if seq % 3 != 0 {
                steer(&h, seq, &mut event.body);
            }
            h.apply(seq, &event);
            out.push((seq, event));
        }
        out
    })
}

fn steer(h: &Holdings, seq: u64, body: &mut Body) {
    let known: Vec<&Slug> = h.iter().map(|e| &e.id).collect();
    let pick = |salt: u64| -> Option<Slug> {
        let n = u64::try_from(known.len()).ok().filter(|&n| n > 0)?;
        let i = usize::try_from((seq.wrapping_mul(7).wrapping_add(salt)) % n).ok()?;
        known.get(i).map(|s| (*s).clone())
    };
    match body {
        Body::EntityRegistered(b) if b.parent.is_some() => {
            b.parent = pick(1).filter(|p| *p != b.entity).or(b.parent.take());
        }
        Body::Acquisition(b) => {
            b.acquirer = pick(2).unwrap_or(b.acquirer.clone());
            b.target = pick(3).unwrap_or(b.target.clone());
        }
        Body::Divestment(b) => {
            b.asset = pick(4).unwrap_or(b.asset.clone());
            let ancestors = h.ancestors(b.asset.as_str());
            if !ancestors.is_empty() {
                b.seller = ancestors[usize::try_from(seq).unwrap_or(0) % ancestors.len()].clone();
            }
            if b.buyer.is_some() {
                b.buyer = pick(5).or(b.buyer.take());
            }
        }
        _ => {}
    }
}

fn fold<'a>(events: impl IntoIterator<Item = &'a (u64, Event)>) -> Holdings {
    let mut h = Holdings::new();
    for (seq, e) in events {
        h.apply(*seq, e);
    }
    h
}

/// Every id the events mention, and the pool.
fn ids(events: &[(u64, Event)]) -> Vec<Slug> {
    let mut out: Vec<Slug> = POOL.iter().map(|s| slug(s)).collect();
    for (_, e) in events {
        out.extend(e.entities().into_iter().cloned());
    }
    out.sort();
    out.dedup();
    out
}

/// What holds for every state `apply` can build, whatever the input order.
fn check_structure(h: &Holdings, ids: &[Slug]) -> Result<(), TestCaseError> {
    for e in h.iter() {
        prop_assert_eq!(e.names.last().map(|n| &n.name), Some(&e.name));
        prop_assert_eq!(e.names.first().map(|n| n.from), Some(e.registered));
        prop_assert_eq!(e.parents.first().map(|p| p.from), Some(e.registered));
        for pair in e.parents.windows(2) {
            prop_assert!(pair[0].from.instant_micros() <= pair[1].from.instant_micros());
            prop_assert!(
                pair[0].parent != pair[1].parent,
                "a spell that changes nothing"
            );
        }
        for pair in e.names.windows(2) {
            prop_assert!(pair[0].from.instant_micros() <= pair[1].from.instant_micros());
            prop_assert!(
                pair[0].name != pair[1].name,
                "a rename that changes nothing"
            );
        }
        for spell in &e.parents {
            if let Some(p) = &spell.parent {
                let parent = h.get(p.as_str());
                prop_assert!(parent.is_some(), "parent {} not registered", p);
                let registered = parent.map(|p| p.registered.instant_micros());
                prop_assert!(registered <= Some(spell.from.instant_micros()));
            }
        }
        if let Some(p) = e.parent() {
            prop_assert!(h.children(p.as_str()).contains(&&e.id));
        }
        for c in h.children(e.id.as_str()) {
            prop_assert_eq!(h.parent(c.as_str()), Some(&e.id));
        }
    }
    for id in ids {
        let top = h.ultimate_parent(id);
        let ancestors = h.ancestors(id.as_str());
        prop_assert!(!ancestors.contains(&id), "{} is its own ancestor", id);
        match h.get(id.as_str()) {
            None => prop_assert_eq!(&top, id),
            Some(_) => {
                prop_assert!(h.get(top.as_str()).is_some());
                prop_assert_eq!(h.parent(top.as_str()), None);
                prop_assert_eq!(ancestors.last().copied().unwrap_or(id), &top);
            }
        }
        prop_assert_eq!(h.holds(top.as_str(), id.as_str()), top != *id);
        prop_assert_eq!(&h.ultimate_parent_at(id, i64::MAX), &top);
    }
    Ok(())
}

proptest! {
    #[test]
    fn apply_never_panics_on_arbitrary_events(
        events in vec(docket_model::testing::event(), 0..24),
        plausible in history(),
        instants in vec(any::<i64>(), 1..4),
    ) {
        let mut all: Vec<(u64, Event)> = (1000u64..).zip(events).collect();
        all.extend(plausible);
        let h = fold(&all);
        let ids = ids(&all);
        check_structure(&h, &ids)?;
        for id in &ids {
            for &t in &instants {
                let top = h.ultimate_parent_at(id, t);
                prop_assert!(h.get(top.as_str()).is_none_or(|e| e.parent_at(t).is_none()));
                let _ = (h.name_at(id.as_str(), t), h.parent_at(id.as_str(), t));
            }
        }
    }

    #[test]
    fn ordered_histories_have_a_sound_structure(events in plausible()) {
        let h = fold(&events);
        check_structure(&h, &ids(&events))?;
        prop_assert!(h.anomalies().iter().all(|a| !a.reason.contains("order")));
    }

    #[test]
    fn the_same_events_give_the_same_state(events in plausible()) {
        prop_assert_eq!(fold(&events), fold(&events));
    }

    #[test]
    fn bincode_round_trips(events in plausible()) {
        let h = fold(&events);
        let config = bincode::config::standard();
        let bytes = bincode::encode_to_vec(&h, config).unwrap();
        let (back, read): (Holdings, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        prop_assert_eq!(read, bytes.len());
        prop_assert_eq!(&back, &h);
        prop_assert_eq!(bincode::encode_to_vec(&back, config).unwrap(), bytes);
    }

    #[test]
    fn after_the_last_event_the_past_is_the_present(events in plausible()) {
        let h = fold(&events);
        let last = events.iter().map(|(_, e)| e.effective.instant_micros()).max();
        for id in ids(&events) {
            let now = h.ultimate_parent(&id);
            for t in last.into_iter().chain([last.unwrap_or(0) + 1, i64::MAX]) {
                prop_assert_eq!(&h.ultimate_parent_at(&id, t), &now);
                prop_assert_eq!(h.parent_at(id.as_str(), t), h.parent(id.as_str()));
                prop_assert_eq!(h.name_at(id.as_str(), t), h.name(id.as_str()));
            }
        }
    }

    /// Time travel agrees with replay: the structure as of an instant is the
    /// state built from the events effective at or before it.
    #[test]
    fn the_past_equals_a_replay_of_the_prefix(events in plausible()) {
        let h = fold(&events);
        let mut cuts: Vec<i64> = events.iter().map(|(_, e)| e.effective.instant_micros()).collect();
        cuts.dedup();
        for t in cuts.into_iter().flat_map(|t| [t - 1, t]) {
            let prefix = fold(events.iter().filter(|(_, e)| e.effective.instant_micros() <= t));
            let past = h.entities_as_of(t);
            prop_assert_eq!(past.iter().collect::<Vec<_>>(), prefix.iter().collect::<Vec<_>>());
            for id in ids(&events) {
                prop_assert_eq!(h.ultimate_parent_at(&id, t), prefix.ultimate_parent(&id));
                prop_assert_eq!(h.parent_at(id.as_str(), t), prefix.parent(id.as_str()));
                prop_assert_eq!(h.name_at(id.as_str(), t), prefix.name(id.as_str()));
            }
        }
    }
}
