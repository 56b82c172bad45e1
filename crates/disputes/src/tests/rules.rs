//! The rules beyond the table: filings, unknown disputes, settlements of
//! several disputes, stays during appeal, the records kept, summaries.

use docket_model::{
    Body, DismissalReason, EntityRenamed, Kind, Outcome, PartnershipEnded, Projection, Retraction,
};

use super::*;
use crate::Status;

fn statuses(state: &Disputes) -> Vec<(String, Status)> {
    state.iter().map(|d| (d.id.to_string(), d.status)).collect()
}

#[test]
fn a_filing_creates_an_open_dispute_with_its_fields() {
    let e = with_id(filed("d", "2024-01-01"), "ev-1");
    let state = run(&[e]);
    assert_eq!(state.len(), 1);
    assert!(!state.is_empty() && state.is_active("d"));
    let d = state.get("d").unwrap();
    assert_eq!(d.title.as_str(), "Title of d");
    assert_eq!(d.forum.court.as_str(), "ded");
    assert_eq!(d.plaintiffs, [slug("nokia")]);
    assert_eq!(d.defendants, [slug("amazon"), slug("twitch")]);
    assert_eq!(d.accused, [text("Fire TV")]);
    assert!(d.is_party("twitch") && !d.is_party("ded"));
    assert_eq!(
        (d.status, d.filed, d.closed),
        (Status::Open, at("2024-01-01"), None)
    );
    assert_eq!(
        (d.filed_seq, d.filed_event.as_ref().map(|e| e.as_str())),
        (0, Some("ev-1"))
    );
    let [h] = d.history.as_slice() else {
        panic!("one history item expected")
    };
    assert_eq!(h.summary(), "filed in ded (case 1:23-cv-01236)");
    assert_eq!((h.kind, h.status_after), (Kind::DisputeFiled, Status::Open));
    assert_eq!(h.event.as_ref().map(|e| e.as_str()), Some("ev-1"));
}

#[test]
fn filing_an_existing_id_is_an_anomaly_and_keeps_the_first() {
    let mut second = filed_body("d", None);
    second.title = text("Another title");
    let state = run(&[
        filed("d", "2024-01-01"),
        stayed("d", "2024-01-02", None),
        event("2024-01-03", Body::DisputeFiled(Box::new(second))),
    ]);
    let d = state.get("d").unwrap();
    assert_eq!(d.title.as_str(), "Title of d");
    assert_eq!((d.status, d.history.len()), (Status::Stayed, 2));
    let [a] = state.anomalies() else {
        panic!("{:?}", state.anomalies())
    };
    assert_eq!((a.seq, a.kind), (2, Kind::DisputeFiled));
    assert!(
        a.reason.contains("\"d\" is already filed (entry 0"),
        "{}",
        a.reason
    );
}

#[test]
fn responding_to_an_unknown_dispute_is_an_anomaly_but_the_filing_applies() {
    let counter = event(
        "2024-02-01",
        Body::DisputeFiled(Box::new(filed_body("b", Some("ghost")))),
    );
    let state = run(&[filed("a", "2024-01-01"), counter]);
    let b = state.get("b").unwrap();
    assert_eq!(
        (b.status, b.responds_to.clone()),
        (Status::Open, Some(slug("ghost")))
    );
    assert_eq!(
        b.history[0].summary(),
        "filed in ded (case 1:23-cv-01236), responding to ghost"
    );
    let [a] = state.anomalies() else {
        panic!("{:?}", state.anomalies())
    };
    assert_eq!((a.seq, a.kind), (1, Kind::DisputeFiled));
    assert!(
        a.reason.contains("\"b\"") && a.reason.contains("\"ghost\""),
        "{}",
        a.reason
    );

    let known = event(
        "2024-02-01",
        Body::DisputeFiled(Box::new(filed_body("b", Some("a")))),
    );
    let state = run(&[filed("a", "2024-01-01"), known]);
    assert!(state.anomalies().is_empty());
    assert_eq!(state.get("b").unwrap().responds_to, Some(slug("a")));
}

#[test]
fn every_event_naming_an_unknown_dispute_is_an_anomaly() {
    let day = "2024-02-01";
    let events = [
        entry("ghost", day, None, "x"),
        ruling("ghost", day, Outcome::Valid, None),
        stayed("ghost", day, None),
        resumed("ghost", day),
        appealed("ghost", day, None),
        judgment("ghost", day, None),
        dismissed("ghost", day, None),
        settled(&["ghost"], day, None),
    ];
    let mut state = run(&[filed("d", "2024-01-01")]);
    let before = state.clone();
    for (seq, e) in (10u64..).zip(&events) {
        state.apply(seq, e);
    }
    assert_eq!(state.get("d"), before.get("d"));
    assert_eq!(state.len(), 1);
    assert_eq!(state.anomalies().len(), events.len());
    for ((a, e), seq) in state.anomalies().iter().zip(&events).zip(10u64..) {
        assert_eq!((a.seq, a.kind), (seq, e.kind()));
        assert!(
            a.reason.contains("dispute \"ghost\" is not filed"),
            "{}",
            a.reason
        );
    }
}

#[test]
fn an_event_dated_before_the_filing_is_an_anomaly() {
    // The ledger's ordering never does this; a hand-fed sequence can.
    let state = run(&[
        filed("d", "2024-03-01"),
        ruling("d", "2024-02-01", Outcome::Valid, None),
        settled(&["d"], "2024-02-01", None),
    ]);
    let d = state.get("d").unwrap();
    assert_eq!(
        (d.status, d.rulings.len(), d.history.len()),
        (Status::Open, 0, 1)
    );
    assert_eq!(state.anomalies().len(), 2);
    for a in state.anomalies() {
        assert!(
            a.reason.contains("\"d\" was filed on 2024-03-01"),
            "{}",
            a.reason
        );
    }
    // The same instant is not "before", even written as a timestamp.
    let state = run(&[
        filed("d", "2024-03-01"),
        entry("d", "2024-03-01T00:00:00Z", None, "same instant"),
    ]);
    assert!(state.anomalies().is_empty());
}

#[test]
fn a_settlement_closes_the_others_when_one_is_already_closed() {
    let state = run(&[
        filed("a", "2024-01-01"),
        filed("b", "2024-01-01"),
        filed("c", "2024-01-01"),
        filed("d", "2024-01-01"),
        dismissed("b", "2024-02-01", Some(DismissalReason::Voluntary)),
        stayed("c", "2024-02-02", Some("pending IPR")),
        appealed("d", "2024-02-03", Some("amazon")),
        settled(&["a", "b", "c", "d"], "2024-03-31", Some("confidential")),
    ]);
    assert_eq!(
        statuses(&state),
        [
            ("a".into(), Status::Settled),
            ("b".into(), Status::Dismissed),
            ("c".into(), Status::Settled),
            ("d".into(), Status::Settled),
        ]
    );
    let [anomaly] = state.anomalies() else {
        panic!("{:?}", state.anomalies())
    };
    assert_eq!((anomaly.seq, anomaly.kind), (7, Kind::DisputeSettled));
    assert_eq!(
        anomaly.reason,
        "cannot settle dispute \"b\": it is dismissed (since 2024-02-01); \
         the other disputes of this settlement still settle"
    );
    let b = state.get("b").unwrap();
    assert_eq!(
        (b.closed, b.settlement.as_ref()),
        (Some(at("2024-02-01")), None)
    );
    assert_eq!(
        b.history.len(),
        2,
        "the dismissed dispute gets no settlement item"
    );
    for id in ["a", "c", "d"] {
        let d = state.get(id).unwrap();
        assert_eq!(d.closed, Some(at("2024-03-31")), "{id}");
        assert_eq!(d.stayed_from, None, "{id}");
        let s = d.settlement.as_ref().unwrap();
        let others: Vec<&str> = ["a", "c", "d"].into_iter().filter(|o| *o != id).collect();
        let together: Vec<&str> = s.together_with.iter().map(|x| x.as_str()).collect();
        assert_eq!(together, others, "{id}");
        assert_eq!((s.seq, s.effective), (7, at("2024-03-31")));
        let last = d.history.last().unwrap();
        assert_eq!(
            last.summary(),
            "settled together with 2 other disputes (terms: confidential)"
        );
        assert_eq!(last.status_after, Status::Settled);
    }
    assert!(!state.is_active("a") && !state.is_active("b") && !state.is_active("ghost"));
}

#[test]
fn a_settlement_reports_each_unknown_or_closed_dispute_separately() {
    let state = run(&[
        filed("a", "2024-01-01"),
        filed("b", "2024-01-01"),
        judgment("b", "2024-02-01", Some("nokia")),
        settled(&["ghost", "b", "a", "phantom"], "2024-03-01", None),
    ]);
    let reasons: Vec<&str> = state
        .anomalies()
        .iter()
        .map(|a| a.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("\"ghost\" is not filed"));
    assert!(reasons[1].contains("\"b\": it is decided (since 2024-02-01)"));
    assert!(reasons[2].contains("\"phantom\" is not filed"));
    let a = state.get("a").unwrap();
    assert_eq!(a.status, Status::Settled);
    assert_eq!(a.history.last().unwrap().summary(), "settled");
    assert!(a.settlement.as_ref().unwrap().together_with.is_empty());
}

#[test]
fn judgment_then_appeal_then_settlement() {
    let state = run(&[
        filed("d", "2024-01-01"),
        judgment("d", "2024-06-01", Some("nokia")),
        appealed("d", "2024-07-01", Some("amazon")),
        settled(&["d"], "2025-03-31", None),
    ]);
    assert!(state.anomalies().is_empty(), "{:?}", state.anomalies());
    let d = state.get("d").unwrap();
    let path: Vec<(Status, String)> = d
        .history
        .iter()
        .map(|h| (h.status_after, h.summary().into_owned()))
        .collect();
    assert_eq!(
        path,
        [
            (Status::Open, "filed in ded (case 1:23-cv-01236)"),
            (Status::Decided, "judgment for nokia"),
            (Status::OnAppeal, "appealed by amazon to cafc"),
            (Status::Settled, "settled"),
        ]
        .map(|(status, line)| (status, line.to_owned()))
    );
    assert_eq!(d.closed, Some(at("2025-03-31")));
    assert_eq!(d.judgments.len(), 1);
    assert_eq!(d.judgments[0].favor, Some(slug("nokia")));
    assert_eq!(d.appeals[0].by, Some(slug("amazon")));
    assert_eq!(d.appeals[0].forum.as_ref().unwrap().court.as_str(), "cafc");

    // Between the appeal and the settlement the dispute is active again.
    let state = run(&[
        filed("d", "2024-01-01"),
        judgment("d", "2024-06-01", Some("nokia")),
    ]);
    assert_eq!(state.get("d").unwrap().closed, Some(at("2024-06-01")));
    let mut state = state;
    state.apply(2, &appealed("d", "2024-07-01", None));
    assert_eq!(state.get("d").unwrap().closed, None);
    assert!(state.is_active("d"));
    assert_eq!(state.active().count(), 1);
}

#[test]
fn dismissal_then_appeal_then_judgment_closes_again_later() {
    let state = run(&[
        filed("d", "2024-01-01"),
        dismissed("d", "2024-02-01", Some(DismissalReason::Jurisdiction)),
        appealed("d", "2024-03-01", None),
        judgment("d", "2024-09-01", None),
    ]);
    assert!(state.anomalies().is_empty());
    let d = state.get("d").unwrap();
    assert_eq!(
        (d.status, d.closed),
        (Status::Decided, Some(at("2024-09-01")))
    );
    assert_eq!(d.dismissals[0].reason, Some(DismissalReason::Jurisdiction));
    assert_eq!(d.history[1].summary(), "dismissed (jurisdiction)");
    assert_eq!(d.history[2].summary(), "appealed to cafc");
    assert_eq!(d.history[3].summary(), "judgment");
}

#[test]
fn a_stay_resumes_to_the_status_before_it() {
    let state = run(&[
        filed("d", "2024-01-01"),
        appealed("d", "2024-02-01", None),
        stayed("d", "2024-03-01", Some("pending IPR")),
    ]);
    let d = state.get("d").unwrap();
    assert_eq!(
        (d.status, d.stayed_from),
        (Status::Stayed, Some(Status::OnAppeal))
    );
    assert_eq!(d.history.last().unwrap().summary(), "stayed: pending IPR");
    let mut state = state;
    state.apply(3, &resumed("d", "2024-04-01"));
    let d = state.get("d").unwrap();
    assert_eq!((d.status, d.stayed_from), (Status::OnAppeal, None));
    assert_eq!(d.history.last().unwrap().summary(), "resumed");

    let state = run(&[
        filed("d", "2024-01-01"),
        stayed("d", "2024-03-01", None),
        resumed("d", "2024-04-01"),
        stayed("d", "2024-05-01", None),
        dismissed("d", "2024-06-01", None),
    ]);
    assert!(state.anomalies().is_empty());
    let d = state.get("d").unwrap();
    assert_eq!((d.status, d.stayed_from), (Status::Dismissed, None));
    assert_eq!(d.history[2].status_after, Status::Open);
}

#[test]
fn rulings_and_entries_are_recorded_with_summaries() {
    let state = run(&[
        filed("d", "2024-01-01"),
        with_id(
            entry("d", "2024-01-05", Some("12"), "Answer filed\nwith exhibits"),
            "e-12",
        ),
        ruling(
            "d",
            "2024-02-01",
            Outcome::Injunction,
            Some("nokia-technologies"),
        ),
        stayed("d", "2024-02-02", None),
        ruling("d", "2024-02-03", Outcome::Invalid, None),
        settled(&["d"], "2024-03-01", None),
        entry("d", "2024-03-02", None, "Closing order"),
        ruling("d", "2024-03-03", Outcome::Valid, None),
    ]);
    let d = state.get("d").unwrap();
    let summaries: Vec<String> = d.history.iter().map(|h| h.summary().into_owned()).collect();
    assert_eq!(
        summaries,
        [
            "filed in ded (case 1:23-cv-01236)",
            "docket entry 12: Answer filed…",
            "ruling: injunction for nokia-technologies",
            "stayed",
            "ruling: invalid",
            "settled",
            "docket entry: Closing order",
        ]
    );
    assert_eq!(d.rulings.len(), 2);
    assert_eq!(
        (
            d.rulings[0].outcome,
            d.rulings[0].seq,
            d.rulings[0].effective
        ),
        (Outcome::Injunction, 2, at("2024-02-01"))
    );
    let entries: Vec<_> = d.entries().collect();
    assert_eq!(entries.len(), 2);
    let (item, first) = entries[0];
    assert_eq!(first.description.as_str(), "Answer filed\nwith exhibits");
    assert_eq!(first.number.as_ref().map(|n| n.as_str()), Some("12"));
    assert_eq!(
        (
            item.seq,
            item.effective,
            item.event.as_ref().map(|e| e.as_str())
        ),
        (1, at("2024-01-05"), Some("e-12"))
    );
    assert_eq!(entries[1].1.description.as_str(), "Closing order");
    assert_eq!(
        d.history[1].event.as_ref().map(|e| e.as_str()),
        Some("e-12")
    );
    assert_eq!(
        (d.status, d.closed),
        (Status::Settled, Some(at("2024-03-01")))
    );
    let [a] = state.anomalies() else {
        panic!("{:?}", state.anomalies())
    };
    assert_eq!((a.seq, a.kind), (7, Kind::DisputeRuling));
    assert_eq!(
        a.reason,
        "ruling in dispute \"d\" ignored: the dispute is settled (since 2024-03-01)"
    );
}

#[test]
fn other_kinds_are_ignored_silently() {
    let mut state = run(&[filed("d", "2024-01-01")]);
    let before = state.clone();
    let others = [
        event(
            "2024-02-01",
            Body::EntityRenamed(EntityRenamed {
                entity: slug("d"),
                name: text("D"),
            }),
        ),
        event(
            "2024-02-01",
            Body::PartnershipEnded(PartnershipEnded {
                partnership: slug("d"),
                reason: None,
            }),
        ),
        event(
            "2024-02-01",
            Body::Retraction(Retraction {
                target: docket_model::EventId::new("x").unwrap(),
                reason: text("wrong"),
            }),
        ),
    ];
    for (seq, e) in (1u64..).zip(&others) {
        state.apply(seq, e);
    }
    assert_eq!(state, before);
}

#[test]
fn disputes_iterate_in_id_order() {
    let state = run(&[
        filed("zeta", "2024-01-01"),
        filed("alpha", "2024-01-02"),
        filed("mid", "2024-01-03"),
    ]);
    let ids: Vec<&str> = state.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "mid", "zeta"]);
    let again: Vec<&str> = (&state).into_iter().map(|d| d.id.as_str()).collect();
    assert_eq!(again, ids);
    assert!(Disputes::new().is_empty());
    assert_eq!(Disputes::new().iter().count(), 0);
}

#[test]
fn dropping_a_large_state_neither_panics_nor_hangs() {
    // Past the size from which dropping frees on two threads.
    let events: Vec<Event> = (0..crate::PARALLEL_DROP_FROM + 1)
        .flat_map(|i| {
            let id = format!("d-{i}");
            [
                filed(&id, "2020-01-01"),
                entry(
                    &id,
                    "2020-02-01",
                    None,
                    "a long enough description to be on the heap",
                ),
            ]
        })
        .collect();
    let state = run(&events);
    let copy = state.clone();
    drop(state);
    assert_eq!(copy.iter().count(), crate::PARALLEL_DROP_FROM + 1);
    assert_eq!(copy, run(&events));
}
