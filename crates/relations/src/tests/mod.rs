//! Tests of the relations projection.

mod example;
mod props;
mod reference;
mod unit;

use crate::{Conflict, Countersuit, Pair, Relations};
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

/// What both queries answer, for tests that look at pairs beside conflicts
/// and countersuits.
#[derive(Debug, PartialEq)]
pub(crate) struct Seen {
    pub pairs: Vec<Pair>,
    pub conflicts: Vec<Conflict>,
    pub countersuits: Vec<Countersuit>,
}

impl Seen {
    /// The pair of these two groups, in either order.
    pub fn pair(&self, a: &str, b: &str) -> Option<&Pair> {
        let key = if a <= b { [a, b] } else { [b, a] };
        self.pairs
            .iter()
            .find(|p| [p.parties[0].as_str(), p.parties[1].as_str()] == key)
    }

    /// The conflict between these two groups, in either order.
    pub fn conflict(&self, a: &str, b: &str) -> Option<&Conflict> {
        let key = if a <= b { [a, b] } else { [b, a] };
        self.conflicts
            .iter()
            .find(|c| [c.parties[0].as_str(), c.parties[1].as_str()] == key)
    }
}

/// [`Relations::pairs`] and [`Relations::view`] together.
pub(crate) trait SeeAll {
    fn see(
        &self,
        group_of: &dyn Fn(&Slug) -> Slug,
        is_active: &dyn Fn(&Slug) -> bool,
        closed_on: &dyn Fn(&Slug) -> Option<Effective>,
    ) -> Seen;
}

impl SeeAll for Relations {
    fn see(
        &self,
        group_of: &dyn Fn(&Slug) -> Slug,
        is_active: &dyn Fn(&Slug) -> bool,
        closed_on: &dyn Fn(&Slug) -> Option<Effective>,
    ) -> Seen {
        let view = self.view(group_of, is_active, closed_on);
        Seen {
            pairs: self.pairs(group_of, is_active),
            conflicts: view.conflicts,
            countersuits: view.countersuits,
        }
    }
}
