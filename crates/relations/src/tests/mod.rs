//! Tests of the relations projection.

mod example;
mod props;
mod reference;
mod unit;

use docket_model::{
    Body, DisputeDismissed, DisputeFiled, Effective, Event, Forum, Nature, PartnershipEnded,
    PartnershipFormed, Slug, Text,
};

pub(crate) fn slug(s: &str) -> Slug {
    Slug::new(s).unwrap()
}

pub(crate) fn slugs(all: &[&str]) -> Vec<Slug> {
    all.iter().map(|s| slug(s)).collect()
}

pub(crate) fn date(s: &str) -> Effective {
    Effective::parse(s).unwrap()
}

pub(crate) fn event(effective: Effective, body: Body) -> Event {
    Event {
        id: None,
        effective,
        sources: vec![],
        note: None,
        body,
    }
}

/// A `dispute.filed` with the given sides.
pub(crate) fn filed(
    effective: Effective,
    dispute: &str,
    plaintiffs: &[&str],
    defendants: &[&str],
    responds_to: Option<&str>,
) -> Event {
    event(
        effective,
        Body::DisputeFiled(Box::new(DisputeFiled {
            dispute: slug(dispute),
            title: Text::new(format!("{dispute} title")).unwrap(),
            forum: Forum {
                court: slug("court"),
                case_number: None,
                name: None,
            },
            nature: Nature::Patent,
            plaintiffs: slugs(plaintiffs),
            defendants: slugs(defendants),
            claims: vec![],
            accused: vec![],
            responds_to: responds_to.map(slug),
        })),
    )
}

/// A `partnership.formed` between the given parties.
pub(crate) fn formed(
    effective: Effective,
    id: &str,
    parties: &[&str],
    customer: Option<&str>,
) -> Event {
    event(
        effective,
        Body::PartnershipFormed(PartnershipFormed {
            partnership: slug(id),
            parties: slugs(parties),
            scope: None,
            customer: customer.map(slug),
        }),
    )
}

/// A `partnership.ended`.
pub(crate) fn ended(effective: Effective, id: &str) -> Event {
    event(
        effective,
        Body::PartnershipEnded(PartnershipEnded {
            partnership: slug(id),
            reason: None,
        }),
    )
}

/// A `dispute.dismissed` (which this projection ignores).
pub(crate) fn dismissed(effective: Effective, id: &str) -> Event {
    event(
        effective,
        Body::DisputeDismissed(DisputeDismissed {
            dispute: slug(id),
            reason: None,
        }),
    )
}
