//! Tests of the projection: the status table cell by cell, every anomaly,
//! the Nokia/Amazon example ledger, and properties over generated histories.
//!
//! The builders below make valid events with short, readable arguments.

mod example;
mod props;
mod rules;
mod table;

use docket_model::{
    Body, DismissalReason, DisputeAppealed, DisputeDismissed, DisputeEntry, DisputeFiled,
    DisputeJudgment, DisputeResumed, DisputeRuling, DisputeSettled, DisputeStayed, Effective,
    Event, EventId, Forum, Nature, Outcome, Projection, Slug, Text,
};

use crate::Disputes;

pub(crate) fn slug(s: &str) -> Slug {
    Slug::new(s).unwrap()
}

pub(crate) fn text(s: &str) -> Text {
    Text::new(s).unwrap()
}

pub(crate) fn at(date: &str) -> Effective {
    Effective::parse(date).unwrap()
}

/// An event without an id (see [`with_id`]).
pub(crate) fn event(date: &str, body: Body) -> Event {
    Event {
        id: None,
        effective: at(date),
        sources: vec![],
        note: None,
        body,
    }
}

pub(crate) fn with_id(mut e: Event, id: &str) -> Event {
    e.id = Some(EventId::new(id).unwrap());
    e
}

pub(crate) fn filed_body(id: &str, responds_to: Option<&str>) -> DisputeFiled {
    DisputeFiled {
        dispute: slug(id),
        title: text(&format!("Title of {id}")),
        forum: Forum {
            court: slug("ded"),
            case_number: Some(text("1:23-cv-01236")),
            name: None,
        },
        nature: Nature::Patent,
        plaintiffs: vec![slug("nokia")],
        defendants: vec![slug("amazon"), slug("twitch")],
        claims: vec![],
        accused: vec![text("Fire TV")],
        responds_to: responds_to.map(slug),
    }
}

pub(crate) fn filed(id: &str, date: &str) -> Event {
    event(date, Body::DisputeFiled(Box::new(filed_body(id, None))))
}

pub(crate) fn entry(id: &str, date: &str, number: Option<&str>, description: &str) -> Event {
    event(
        date,
        Body::DisputeEntry(DisputeEntry {
            dispute: slug(id),
            description: text(description),
            number: number.map(text),
            filed_by: None,
        }),
    )
}

pub(crate) fn ruling(id: &str, date: &str, outcome: Outcome, favor: Option<&str>) -> Event {
    event(
        date,
        Body::DisputeRuling(DisputeRuling {
            dispute: slug(id),
            outcome,
            favor: favor.map(slug),
            summary: Some(text("summary")),
        }),
    )
}

pub(crate) fn stayed(id: &str, date: &str, reason: Option<&str>) -> Event {
    event(
        date,
        Body::DisputeStayed(DisputeStayed {
            dispute: slug(id),
            reason: reason.map(text),
        }),
    )
}

pub(crate) fn resumed(id: &str, date: &str) -> Event {
    event(
        date,
        Body::DisputeResumed(DisputeResumed {
            dispute: slug(id),
            reason: None,
        }),
    )
}

pub(crate) fn appealed(id: &str, date: &str, by: Option<&str>) -> Event {
    event(
        date,
        Body::DisputeAppealed(DisputeAppealed {
            dispute: slug(id),
            by: by.map(slug),
            forum: Some(Forum {
                court: slug("cafc"),
                case_number: None,
                name: None,
            }),
        }),
    )
}

pub(crate) fn judgment(id: &str, date: &str, favor: Option<&str>) -> Event {
    event(
        date,
        Body::DisputeJudgment(DisputeJudgment {
            dispute: slug(id),
            favor: favor.map(slug),
            summary: None,
        }),
    )
}

pub(crate) fn dismissed(id: &str, date: &str, reason: Option<DismissalReason>) -> Event {
    event(
        date,
        Body::DisputeDismissed(DisputeDismissed {
            dispute: slug(id),
            reason,
        }),
    )
}

pub(crate) fn settled(ids: &[&str], date: &str, terms: Option<&str>) -> Event {
    event(
        date,
        Body::DisputeSettled(DisputeSettled {
            disputes: ids.iter().map(|s| slug(s)).collect(),
            terms: terms.map(text),
        }),
    )
}

/// Applies `events` with their positions as seqs.
pub(crate) fn run(events: &[Event]) -> Disputes {
    let mut state = Disputes::new();
    for (seq, e) in (0u64..).zip(events) {
        state.apply(seq, e);
    }
    state
}
