//! docket projection: corporate structure over time: names, parents,
//! acquisitions, divestments.
//!
//! [`Holdings`] folds `entity.registered`, `entity.renamed`, `acquisition`
//! and `divestment` events into the entities of a ledger, each with its
//! names and direct parents over time, so that it can answer "who owns
//! whom" now ([`Holdings::parent`], [`Holdings::ultimate_parent`],
//! [`Holdings::holds`]) and at any earlier instant
//! ([`Holdings::ultimate_parent_at`], [`Entity::parent_at`],
//! [`Entity::name_at`]).
//!
//! It is a pure, total [`Projection`]: `apply` never fails, never panics and
//! never touches storage. An event that does not fit the state becomes an
//! [`Anomaly`] (its seq, its kind and a sentence naming the ids involved)
//! and is otherwise ignored, except where noted below.
//!
//! # What the caller must do
//!
//! Feed the events visible to a query, corrections already substituted
//! (the replacement content under the original seq), retractions removed,
//! in `(effective, seq)` order. `correction` and `retraction` events
//! themselves, and every dispute and partnership event, are ignored without
//! an anomaly. To add an event about the past, replay: the projection
//! records history in the order it is given.
//!
//! # Rules and anomalies
//!
//! | event | effect | anomaly (event otherwise ignored) |
//! |---|---|---|
//! | any of the four kinds | — | effective before an event of these kinds already applied: out of `(effective, seq)` order |
//! | `entity.registered` | a new entity with its name, aliases, category and parent | the id is already registered; the `parent` is not registered (the entity **is** registered, without a parent) |
//! | `entity.renamed` | a new name from `effective` on; the old one stays in `names` | the entity is not registered; it already has that name |
//! | `acquisition` | the target's parent is the acquirer from `effective` on | acquirer or target not registered; the acquirer is the target or one of its descendants (a cycle); the target's parent is already the acquirer ("already owned") |
//! | `divestment` | the asset's parent is the buyer from `effective` on, or none (a spin-off) when there is no buyer | seller, asset or buyer not registered; the seller is neither the asset's parent nor one of its ancestors ("does not hold"); the buyer is the asset or one of its descendants (a cycle); the asset's parent is already the buyer |
//!
//! An acquirer that is an ancestor but not the direct parent of the target
//! may acquire it (the target moves directly under it); likewise a seller
//! may divest a unit held through intermediate subsidiaries. Every parent
//! named in the state is a registered entity, and the structure never has a
//! cycle, now or at any earlier instant. Queries still stop after
//! [`Holdings::len`] steps, so even a state decoded from hostile bytes
//! cannot make them loop.
//!
//! # Time
//!
//! Instants are microseconds since the Unix epoch, as
//! [`Effective::instant_micros`] (a date is midnight UTC at its start). The
//! structure "as of" an instant is the one set by every event effective at
//! or before it; before its registration an entity has no name and no
//! parent, and is its own ultimate parent.
//!
//! # Example
//!
//! ```
//! use docket_holdings::Holdings;
//! use docket_model::{Effective, Event, Projection, Slug};
//!
//! let lines = [
//!     r#"{"kind":"entity.registered","effective":"2007-04-01","entity":"nokia","name":"Nokia Corporation"}"#,
//!     r#"{"kind":"entity.registered","effective":"2007-04-01","entity":"nsn","name":"Nokia Siemens Networks"}"#,
//!     r#"{"kind":"acquisition","effective":"2013-08-07","acquirer":"nokia","target":"nsn"}"#,
//!     r#"{"kind":"entity.renamed","effective":"2013-08-07","entity":"nsn","name":"Nokia Solutions and Networks Oy"}"#,
//! ];
//! let mut holdings = Holdings::new();
//! for (seq, line) in (0u64..).zip(lines) {
//!     holdings.apply(seq, &Event::from_json(line).unwrap());
//! }
//! assert!(holdings.anomalies().is_empty());
//! let nsn = Slug::new("nsn").unwrap();
//! let deal = Effective::parse("2013-08-07").unwrap().instant_micros();
//! assert_eq!(holdings.ultimate_parent(&nsn).as_str(), "nokia");
//! assert_eq!(holdings.ultimate_parent_at(&nsn, deal - 1), nsn);
//! assert_eq!(holdings.name_at("nsn", deal - 1).unwrap().as_str(), "Nokia Siemens Networks");
//! assert!(holdings.holds("nokia", "nsn"));
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod apply;
mod entity;

#[cfg(test)]
mod tests;

use bincode::{Decode, Encode};
use docket_model::{Anomaly, Effective, Projection, Slug, Text};

pub use entity::{Entity, NameSpell, ParentCause, ParentSpell};

use docket_model::SlugMap;

/// The corporate structure of a ledger over time.
///
/// Built by [`Projection::apply`]; every collection is ordered, so two
/// states built from the same events are equal and encode to the same
/// bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct Holdings {
    /// Every registered entity, by id.
    entities: SlugMap<Entity>,
    /// Every event that did not fit, in the order applied.
    anomalies: Vec<Anomaly>,
    /// The effective time of the latest holdings event applied, to detect
    /// events given out of order.
    latest: Option<Effective>,
}

impl Holdings {
    /// An empty projection.
    pub fn new() -> Self {
        Self::default()
    }

    /// The effective time of the latest event of the four kinds applied
    /// (whether it fit or not): an event dated before it would be out of
    /// order.
    pub fn latest(&self) -> Option<&Effective> {
        self.latest.as_ref()
    }

    /// The entity with this id, if registered.
    pub fn get(&self, id: &str) -> Option<&Entity> {
        self.entities.get(id)
    }

    /// Every registered entity, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values()
    }

    /// How many entities are registered.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether no entity is registered.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The entity's current name.
    pub fn name(&self, id: &str) -> Option<&Text> {
        self.get(id).map(|e| &e.name)
    }

    /// The entity's name as of `instant_micros`; `None` for an unknown id or
    /// before its registration.
    pub fn name_at(&self, id: &str, instant_micros: i64) -> Option<&Text> {
        self.get(id).and_then(|e| e.name_at(instant_micros))
    }

    /// The entity's current direct parent.
    pub fn parent(&self, id: &str) -> Option<&Slug> {
        self.get(id).and_then(Entity::parent)
    }

    /// The entity's direct parent as of `instant_micros`.
    pub fn parent_at(&self, id: &str, instant_micros: i64) -> Option<&Slug> {
        self.get(id).and_then(|e| e.parent_at(instant_micros))
    }

    /// The entity at the top of `id`'s chain of parents now: `id` itself
    /// when it has no parent or is not registered.
    ///
    /// Takes a [`Slug`] (not `&str`) so that an unknown id can be returned
    /// as its own ultimate parent.
    pub fn ultimate_parent(&self, id: &Slug) -> Slug {
        self.climb(id, Entity::parent).clone()
    }

    /// The entity at the top of `id`'s chain of parents as the structure
    /// stood at `instant_micros` (after every event effective at or before
    /// it): `id` itself when it had no parent then, or was not registered.
    pub fn ultimate_parent_at(&self, id: &Slug, instant_micros: i64) -> Slug {
        self.climb(id, |e| e.parent_at(instant_micros)).clone()
    }

    /// The entity's ancestors now: its direct parent first, its ultimate
    /// parent last; empty for an unknown or independent entity.
    pub fn ancestors(&self, id: &str) -> Vec<&Slug> {
        let mut out = Vec::new();
        let mut current = self.parent(id);
        while let Some(p) = current {
            if out.len() >= self.len() {
                break;
            }
            out.push(p);
            current = self.parent(p.as_str());
        }
        out
    }

    /// The entities as they stood at `instant_micros` ([`Entity::as_of`]):
    /// what applying only the events effective at or before it makes of
    /// them, since events apply in `(effective, seq)` order and each only
    /// adds to what came before. For reading only: an anomaly does not say
    /// when its event was effective, so none is kept, nor the latest time
    /// applied, and applying more events to it does not check their
    /// order.
    pub fn entities_as_of(&self, instant_micros: i64) -> Holdings {
        Holdings {
            entities: self
                .entities
                .values()
                .filter_map(|e| Some((e.id.clone(), e.as_of(instant_micros)?)))
                .collect(),
            anomalies: Vec::new(),
            latest: None,
        }
    }

    /// The entity's current direct children, sorted by id.
    pub fn children(&self, id: &str) -> Vec<&Slug> {
        self.entities
            .values()
            .filter(|e| e.parent().is_some_and(|p| p.as_str() == id))
            .map(|e| &e.id)
            .collect()
    }

    /// Whether `holder` is `asset`'s direct parent or one of its ancestors
    /// now. An entity does not hold itself.
    pub fn holds(&self, holder: &str, asset: &str) -> bool {
        // The walk of `ancestors` without collecting it: the rules ask this
        // for every acquisition and divestment.
        let mut current = self.parent(asset);
        for _ in 0..self.len() {
            match current {
                Some(p) if p.as_str() == holder => return true,
                Some(p) => current = self.parent(p.as_str()),
                None => return false,
            }
        }
        false
    }

    /// Follows `step` (an entity's parent) up from `id` until an entity
    /// without one, or one that is not registered; at most `len()` steps.
    fn climb<'a>(
        &'a self,
        id: &'a Slug,
        step: impl Fn(&'a Entity) -> Option<&'a Slug>,
    ) -> &'a Slug {
        let mut current = id;
        for _ in 0..self.entities.len() {
            match self.entities.get(current).and_then(&step) {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    }
}

impl Projection for Holdings {
    fn apply(&mut self, seq: u64, event: &docket_model::Event) {
        self.apply_event(seq, event);
    }

    fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }
}
