//! Party resolution: matching the names on a docket to the entities a
//! ledger already holds, and making slugs for the ones it does not.
//!
//! # Normalisation
//!
//! [`normalize_name`] turns a name into a matching key:
//!
//! 1. letters are lower-cased and `&` reads as `and`; apostrophes are
//!    dropped (`O'Donnell` → `odonnell`); every other character that is not
//!    a letter or a digit separates words, and runs of separators collapse;
//! 2. a leading `the` and leading honorifics (`mr`, `mrs`, `ms`, `dr`) are
//!    dropped;
//! 3. trailing corporate suffixes are dropped, repeatedly: `inc`,
//!    `incorporated`, `corp`, `corporation`, `co`, `company`, `llc`, `ltd`,
//!    `limited`, `plc`, `lp`, `llp`, `gmbh`, `ag`, `sa`, `nv`, `bv`, `oy`,
//!    `oyj`, `ab`, `spa`, `srl`, `pty`, `kk` (so `Yahoo! Inc` and `YAHOO INC.`
//!    are both `yahoo`). A name made only of suffixes keeps them.
//!
//! # Matching
//!
//! A name matches an entity through its current name, any earlier name or
//! any alias: first by the exact name (case and spacing aside), then by
//! the normalised key. When more than one registered entity matches at the
//! same step the name is **ambiguous** and the import is refused, naming
//! the candidates: two registered entities are never merged silently. An
//! explicit mapping (`NAME=ENTITY`) settles such cases. Court and agency
//! entities are never matched to parties.

use std::collections::{BTreeMap, BTreeSet};

use docket_holdings::Holdings;
use docket_model::Category;

const SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "llc",
    "ltd",
    "limited",
    "plc",
    "lp",
    "llp",
    "gmbh",
    "ag",
    "sa",
    "nv",
    "bv",
    "oy",
    "oyj",
    "ab",
    "spa",
    "srl",
    "pty",
    "kk",
];

const PREFIXES: &[&str] = &["the", "mr", "mrs", "ms", "dr"];

/// The words of a name: lower case, `&` as `and`, apostrophes dropped,
/// everything else that is not alphanumeric a separator.
fn words(name: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '&' => cleaned.push_str(" and "),
            '\'' | '\u{2019}' => {}
            c if c.is_alphanumeric() => cleaned.extend(c.to_lowercase()),
            _ => cleaned.push(' '),
        }
    }
    cleaned.split_whitespace().map(str::to_string).collect()
}

/// The matching key of a name (see the module documentation).
pub fn normalize_name(name: &str) -> String {
    let mut words = words(name);
    while words.len() > 1
        && words
            .first()
            .is_some_and(|w| PREFIXES.contains(&w.as_str()))
    {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(&w.as_str())) {
        words.pop();
    }
    words.join(" ")
}

/// Whether the name ends with a corporate suffix (the entity is then
/// registered as a `company`).
pub fn has_corporate_suffix(name: &str) -> bool {
    words(name)
        .last()
        .is_some_and(|w| SUFFIXES.contains(&w.as_str()))
}

/// A name as displayed: surrounding spaces and trailing commas trimmed,
/// inner runs of whitespace collapsed to one space.
pub fn clean_display_name(name: &str) -> String {
    let joined = name.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_end_matches([',', ';', ' '])
        .trim_start_matches([',', ';', ' '])
        .to_string()
}

/// A valid slug (`[a-z0-9][a-z0-9.-]*`, at most `max` characters) made
/// from `text`, or `None` if nothing of it is usable.
pub fn slugify(text: &str, max: usize) -> Option<String> {
    let mut slug = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(max).collect();
    while slug.ends_with(['-', '.']) {
        slug.pop();
    }
    (!slug.is_empty()).then_some(slug)
}

/// How a party name was matched to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// Given explicitly by the caller (`NAME=ENTITY`).
    Mapped,
    /// The entity's name, an earlier name or an alias, exactly (case and
    /// spacing aside).
    Exact,
    /// The normalised keys are equal.
    Normalized,
}

impl MatchKind {
    /// A word for reports: `mapped`, `exact`, `normalised`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Mapped => "mapped",
            MatchKind::Exact => "exact",
            MatchKind::Normalized => "normalised",
        }
    }
}

/// What a party name resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// An entity the ledger holds.
    Existing {
        /// Its slug.
        entity: String,
        /// How it was found.
        how: MatchKind,
    },
    /// A new entity to register.
    New {
        /// Its new slug.
        entity: String,
    },
}

/// Why a name could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// Several registered entities match the name.
    Ambiguous {
        /// The candidates.
        candidates: Vec<String>,
    },
    /// The name has no letter or digit to make a slug from.
    Unusable,
    /// An explicit mapping names an entity the ledger does not hold.
    UnknownMapping {
        /// The entity named.
        entity: String,
    },
}

/// The names a ledger knows, ready for matching.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    exact: BTreeMap<String, BTreeSet<String>>,
    normalized: BTreeMap<String, BTreeSet<String>>,
    slugs: BTreeSet<String>,
    mapped: BTreeMap<String, String>,
    /// New entities made by this directory: key → slug.
    fresh: BTreeMap<String, String>,
}

fn exact_key(name: &str) -> String {
    clean_display_name(name).to_lowercase()
}

impl Directory {
    /// The directory of every entity in `holdings` (courts and agencies
    /// excepted), with explicit `NAME=ENTITY` mappings.
    pub fn new(holdings: &Holdings, mapped: &[(String, String)]) -> Directory {
        let mut directory = Directory::default();
        for entity in holdings.iter() {
            directory.slugs.insert(entity.id.to_string());
            if matches!(entity.category, Category::Court | Category::Agency) {
                continue;
            }
            let mut names: Vec<&str> = vec![entity.name.as_str()];
            names.extend(entity.names.iter().map(|n| n.name.as_str()));
            names.extend(entity.aliases.iter().map(|a| a.as_str()));
            for name in names {
                directory.add(entity.id.as_str(), name);
            }
        }
        for (name, entity) in mapped {
            directory.mapped.insert(exact_key(name), entity.clone());
        }
        directory
    }

    fn add(&mut self, slug: &str, name: &str) {
        self.exact
            .entry(exact_key(name))
            .or_default()
            .insert(slug.to_string());
        let key = normalize_name(name);
        if !key.is_empty() {
            self.normalized
                .entry(key)
                .or_default()
                .insert(slug.to_string());
        }
    }

    /// Whether a slug is taken (by a registered entity or a new one).
    pub fn is_taken(&self, slug: &str) -> bool {
        self.slugs.contains(slug)
    }

    /// Resolves a party name; a new entity gets a slug that is free, and
    /// later names with the same key resolve to it.
    pub fn resolve(&mut self, name: &str) -> Result<Resolution, ResolveError> {
        if let Some(entity) = self.mapped.get(&exact_key(name)) {
            if !self.slugs.contains(entity) {
                return Err(ResolveError::UnknownMapping {
                    entity: entity.clone(),
                });
            }
            return Ok(Resolution::Existing {
                entity: entity.clone(),
                how: MatchKind::Mapped,
            });
        }
        for (map, how) in [
            (&self.exact, exact_key(name), MatchKind::Exact),
            (
                &self.normalized,
                normalize_name(name),
                MatchKind::Normalized,
            ),
        ]
        .map(|(map, key, how)| (map.get(&key), how))
        {
            if let Some(found) = map {
                let known: Vec<String> = found
                    .iter()
                    .filter(|s| !self.fresh.values().any(|f| f == *s))
                    .cloned()
                    .collect();
                match known.len() {
                    0 => {}
                    1 => {
                        let entity = known.into_iter().next().unwrap_or_default();
                        return Ok(Resolution::Existing { entity, how });
                    }
                    _ => return Err(ResolveError::Ambiguous { candidates: known }),
                }
            }
        }
        let key = normalize_name(name);
        if let Some(slug) = self.fresh.get(&key) {
            return Ok(Resolution::New {
                entity: slug.clone(),
            });
        }
        let base = slugify(&key, 60).ok_or(ResolveError::Unusable)?;
        let mut slug = base.clone();
        let mut n = 2;
        while self.slugs.contains(&slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        self.slugs.insert(slug.clone());
        self.fresh.insert(key, slug.clone());
        self.add(&slug, name);
        Ok(Resolution::New { entity: slug })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_drops_case_punctuation_and_suffixes() {
        assert_eq!(normalize_name("Yahoo! Inc"), "yahoo");
        assert_eq!(normalize_name("YAHOO INC."), "yahoo");
        assert_eq!(normalize_name("Amazon.com, Inc."), "amazon com");
        assert_eq!(normalize_name("AMAZON.COM INC"), "amazon com");
        assert_eq!(
            normalize_name("Northeast Adjusters, Inc,"),
            "northeast adjusters"
        );
        assert_eq!(
            normalize_name("Ms.  Sonja Krusic O'Donnell"),
            "sonja krusic odonnell"
        );
        assert_eq!(normalize_name("AT&T Corp."), "at and t");
        assert_eq!(normalize_name("Inc."), "inc");
        assert_eq!(
            normalize_name("CREATIVE INTERNET ADVERTISING CORPORATION"),
            "creative internet advertising"
        );
    }

    #[test]
    fn slugs_are_valid() {
        assert_eq!(slugify("yahoo", 64).as_deref(), Some("yahoo"));
        assert_eq!(slugify("at and t", 64).as_deref(), Some("at-and-t"));
        assert_eq!(slugify("!!!", 64), None);
        let long = slugify(&"word ".repeat(40), 64).unwrap();
        assert!(long.len() <= 64 && !long.ends_with('-'));
        assert!(docket_model::Slug::new(long).is_ok());
    }
}
