//! One entity and its history: [`Entity`], [`NameSpell`], [`ParentSpell`]
//! and [`ParentCause`].

use std::fmt;

use bincode::{Decode, Encode};
use docket_model::{Category, Effective, Slug, Text};

/// An entity (company, court, agency, person...) and its history.
///
/// `names` and `parents` each start with the spell set by the registration
/// and are kept oldest first; their last spell is the current one. Spells
/// are in the order the events were applied, which is `(effective, seq)`
/// order, so their `from` instants never decrease.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Entity {
    /// Its slug.
    pub id: Slug,
    /// Its current name (the same as the last of `names`).
    pub name: Text,
    /// The other names it was registered with, as written.
    pub aliases: Vec<Text>,
    /// What it is.
    pub category: Category,
    /// When it was registered (the registration's `effective`).
    pub registered: Effective,
    /// Where the registration is stored.
    pub registered_seq: u64,
    /// Its names over time, oldest first, current last; never empty.
    pub names: Vec<NameSpell>,
    /// Its direct parents over time, oldest first, current last; never
    /// empty (the first spell, cause [`ParentCause::Registered`], may have
    /// no parent).
    pub parents: Vec<ParentSpell>,
}

/// A name an entity held from an instant on, until the next spell.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct NameSpell {
    /// When the name took effect.
    pub from: Effective,
    /// The name.
    pub name: Text,
    /// Where the event that gave the name is stored.
    pub seq: u64,
}

/// An entity's direct parent from an instant on, until the next spell.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ParentSpell {
    /// When the parent took effect.
    pub from: Effective,
    /// The direct parent, or `None` for an independent entity.
    pub parent: Option<Slug>,
    /// Where the event that set it is stored.
    pub seq: u64,
    /// Which kind of event set it.
    pub cause: ParentCause,
}

/// Why an entity's parent changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
pub enum ParentCause {
    /// `entity.registered`: the parent it was registered with (or none).
    Registered,
    /// `acquisition`: bought by the acquirer, now its parent.
    Acquired,
    /// `divestment`: sold to the buyer, now its parent, or spun off and
    /// independent when there was no buyer.
    Divested,
}

impl ParentCause {
    /// A lowercase word for output: `registered`, `acquired`, `divested`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParentCause::Registered => "registered",
            ParentCause::Acquired => "acquired",
            ParentCause::Divested => "divested",
        }
    }
}

impl fmt::Display for ParentCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The last of `spells` whose start (`from`) is at or before `instant`.
///
/// Spells are sorted by their start, so this is a binary search. On a list
/// that is not sorted (only possible in a hand-built value) it still returns
/// some spell or `None`, never panics.
fn last_at<T>(spells: &[T], from: impl Fn(&T) -> &Effective, instant: i64) -> Option<&T> {
    let after = spells.partition_point(|s| from(s).instant_micros() <= instant);
    after.checked_sub(1).and_then(|i| spells.get(i))
}

impl Entity {
    /// Its current direct parent.
    pub fn parent(&self) -> Option<&Slug> {
        self.parents.last().and_then(|s| s.parent.as_ref())
    }

    /// Its direct parent as of `instant_micros` (microseconds since the Unix
    /// epoch, as [`Effective::instant_micros`]): the parent set by the last
    /// event effective at or before it. `None` before the registration.
    pub fn parent_at(&self, instant_micros: i64) -> Option<&Slug> {
        last_at(&self.parents, |s| &s.from, instant_micros).and_then(|s| s.parent.as_ref())
    }

    /// Its name as of `instant_micros`; `None` before the registration.
    pub fn name_at(&self, instant_micros: i64) -> Option<&Text> {
        last_at(&self.names, |s| &s.from, instant_micros).map(|s| &s.name)
    }

    /// Whether it was registered at or before `instant_micros`.
    pub fn exists_at(&self, instant_micros: i64) -> bool {
        self.registered.instant_micros() <= instant_micros
    }

    /// The entity as it stood at `instant_micros`: its spells that started
    /// at or before it, and the last of its names among them; `None`
    /// before its registration. Only renames, acquisitions and
    /// divestments change an entity once registered, each by adding a
    /// spell, so this is the entity the events effective at or before the
    /// instant made. Its aliases and category are the registration's at
    /// every date: a correction of the registration replaces it in the
    /// history, not from its own date on.
    pub fn as_of(&self, instant_micros: i64) -> Option<Entity> {
        if !self.exists_at(instant_micros) {
            return None;
        }
        let started = |from: &Effective| from.instant_micros() <= instant_micros;
        let names: Vec<NameSpell> = self
            .names
            .iter()
            .take_while(|s| started(&s.from))
            .cloned()
            .collect();
        Some(Entity {
            id: self.id.clone(),
            name: names
                .last()
                .map_or_else(|| self.name.clone(), |s| s.name.clone()),
            aliases: self.aliases.clone(),
            category: self.category,
            registered: self.registered,
            registered_seq: self.registered_seq,
            names,
            parents: self
                .parents
                .iter()
                .take_while(|s| started(&s.from))
                .cloned()
                .collect(),
        })
    }
}
