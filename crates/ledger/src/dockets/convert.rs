//! From a [`Docket`] to events: pure, given the entities a ledger holds.
//!
//! # Parties
//!
//! A party whose docketed role is `Plaintiff` or `Petitioner` is a
//! plaintiff; `Defendant` or `Respondent`, a defendant. Other roles
//! (counter-claimants, intervenors, mediators, `Unknown`…) are not parties
//! of the filing. A name listed on both sides stays a plaintiff. With no
//! plaintiff or no defendant, the case name is split at ` v. ` / ` vs. ` /
//! ` v ` instead. Names resolve as described in [`super::parties`].
//!
//! # Nature
//!
//! From the leading code of `nature_of_suit`: 830 and 835 → `patent`;
//! 410 → `antitrust`; 110–196 (contracts) → `contract`; 880 (Defend Trade
//! Secrets Act) → `trade-secret`; anything else → `other`.
//!
//! # Ending
//!
//! Only when the docket has a `date_terminated`. Entries dated on or
//! before it are read from the latest back; entries that ask for
//! something (the text starts with `MOTION`, `MEMORANDUM`, `BRIEF`,
//! `REPLY`, `RESPONSE`, `OPPOSITION`, `PROPOSED` or `NOTICE OF
//! APPEARANCE`) are skipped. The first remaining entry whose text says
//! - `dismiss` or `discontinu` → `dispute.dismissed`, with reason
//!   `settled` if the text also says `settle`, `voluntary` if it says
//!   `voluntar` or `stipulat`, `jurisdiction` if it says `jurisdiction`,
//!   else `other`;
//! - `settle` → `dispute.settled`;
//! - `judgment` or `verdict` → `dispute.judgment`;
//!
//! decides, dated `date_terminated`, with the entry's raw text in the
//! event's `note` and the entry number in its source. If none does, no
//! ending is recorded and the dispute stays open (the report says so).

use std::collections::BTreeSet;

use docket_holdings::Holdings;
use docket_model::limits::{MAX_DESCRIPTION, MAX_NAME, MAX_PROSE, MAX_TITLE};
use docket_model::{Event, Nature};
use serde_json::{Value, json};

use super::parties::{Directory, MatchKind, Resolution, ResolveError, clean_display_name};
use super::parties::{has_corporate_suffix, slugify};
use super::{Docket, DocketError};

/// Which side of a dispute a party is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Brings the dispute.
    Plaintiff,
    /// Defends it.
    Defendant,
}

/// How one docketed party was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyReport {
    /// The name as docketed.
    pub name: String,
    /// Its side.
    pub side: Side,
    /// The entity it is.
    pub entity: String,
    /// How it was matched, or `None` for a new entity.
    pub matched: Option<MatchKind>,
}

/// How a dispute ended, read from its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndingKind {
    /// `dispute.dismissed`.
    Dismissed,
    /// `dispute.settled`.
    Settled,
    /// `dispute.judgment`.
    Judgment,
}

/// The ending found in the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// What kind.
    pub kind: EndingKind,
    /// The entry that shows it (its number, if any).
    pub entry: Option<String>,
    /// The entry's raw text.
    pub text: String,
}

/// The events a docket turns into, and what was decided on the way.
#[derive(Debug, Clone)]
pub struct DocketPlan {
    /// The dispute's slug.
    pub dispute: String,
    /// The events, ready for `append_events`.
    pub events: Vec<Event>,
    /// The filing's parties, each with how it was resolved.
    pub parties: Vec<PartyReport>,
    /// New entities to register: slug and name.
    pub created: Vec<(String, String)>,
    /// How many `dispute.entry` events.
    pub entries: usize,
    /// The ending, if the entries show it.
    pub ending: Option<Ending>,
    /// `date_terminated`, as docketed.
    pub terminated: Option<String>,
    /// The nature the filing records.
    pub nature: Nature,
}

/// The nature of a dispute from a nature-of-suit text such as `830 Patent`.
pub fn nature_for(nature_of_suit: Option<&str>) -> Nature {
    let code: Option<u32> = nature_of_suit.and_then(|s| {
        let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    });
    match code {
        Some(830 | 835) => Nature::Patent,
        Some(410) => Nature::Antitrust,
        Some(110..=196) => Nature::Contract,
        Some(880) => Nature::TradeSecret,
        _ => Nature::Other,
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn event(value: Value, at: &str) -> Result<Event, DocketError> {
    Event::from_json(&value.to_string()).map_err(|e| DocketError::Field {
        field: at.to_string(),
        message: format!("cannot be recorded: {e}"),
    })
}

fn side_of(role: &str) -> Option<Side> {
    match role.trim().to_lowercase().as_str() {
        "plaintiff" | "petitioner" => Some(Side::Plaintiff),
        "defendant" | "respondent" => Some(Side::Defendant),
        _ => None,
    }
}

fn split_case_name(name: &str) -> Option<(String, String)> {
    for sep in [" v. ", " vs. ", " v ", " vs "] {
        if let Some((a, b)) = name.split_once(sep) {
            return Some((a.trim().to_string(), b.trim().to_string()));
        }
    }
    None
}

const ASKING: &[&str] = &[
    "motion",
    "memorandum",
    "brief",
    "reply",
    "response",
    "opposition",
    "proposed",
    "notice of appearance",
];

/// The ending the entries show (see the module documentation).
fn find_ending(docket: &Docket) -> Option<Ending> {
    let terminated = docket.terminated.as_deref()?;
    let mut candidates: Vec<(usize, &super::DocketEntry)> = docket
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.date.as_str() <= terminated)
        .collect();
    candidates.sort_by(|(i, a), (j, b)| b.date.cmp(&a.date).then(j.cmp(i)));
    for (_, entry) in candidates {
        let text = entry.description.to_lowercase();
        if ASKING.iter().any(|a| text.trim_start().starts_with(a)) {
            continue;
        }
        let kind = if text.contains("dismiss") || text.contains("discontinu") {
            EndingKind::Dismissed
        } else if text.contains("settle") {
            EndingKind::Settled
        } else if text.contains("judgment") || text.contains("verdict") {
            EndingKind::Judgment
        } else {
            continue;
        };
        return Some(Ending {
            kind,
            entry: entry.number.clone(),
            text: entry.description.clone(),
        });
    }
    None
}

fn dismissal_reason(text: &str) -> &'static str {
    let text = text.to_lowercase();
    if text.contains("settle") {
        "settled"
    } else if text.contains("voluntar") || text.contains("stipulat") {
        "voluntary"
    } else if text.contains("jurisdiction") {
        "jurisdiction"
    } else {
        "other"
    }
}

/// A short, stable tag of a text: 8 hex digits of its BLAKE3 hash.
fn tag(text: &str) -> String {
    let hash = blake3::hash(text.as_bytes());
    hash.to_hex().as_str()[..8].to_string()
}

const COURTS: &[(&str, &str)] = &[
    ("ded", "U.S. District Court for the District of Delaware"),
    (
        "txed",
        "U.S. District Court for the Eastern District of Texas",
    ),
    (
        "nyed",
        "U.S. District Court for the Eastern District of New York",
    ),
    (
        "nysd",
        "U.S. District Court for the Southern District of New York",
    ),
    (
        "wawd",
        "U.S. District Court for the Western District of Washington",
    ),
    (
        "mad",
        "U.S. District Court for the District of Massachusetts",
    ),
    (
        "cand",
        "U.S. District Court for the Northern District of California",
    ),
    ("cafc", "U.S. Court of Appeals for the Federal Circuit"),
];

/// Turns a docket into events, resolving its parties against `holdings`
/// (and the explicit `mappings`, docketed name → entity).
pub fn docket_events(
    docket: &Docket,
    holdings: &Holdings,
    mappings: &[(String, String)],
) -> Result<DocketPlan, DocketError> {
    let mut directory = Directory::new(holdings, mappings);
    let dispute = slugify(&format!("{}-{}", docket.court, docket.number), 64).ok_or_else(|| {
        DocketError::Field {
            field: "$.docket_number".into(),
            message: "makes no usable dispute id".into(),
        }
    })?;
    let source = json!([{
        "title": clip(&format!("PACER docket {} {}: {}", docket.court, docket.number,
            clean_display_name(&docket.case_name)), MAX_TITLE),
    }]);
    let filed = docket.filed.get(..10).unwrap_or(&docket.filed).to_string();
    let mut events = Vec::new();

    // Court.
    if !directory.is_taken(&docket.court) {
        let name = COURTS
            .iter()
            .find(|(id, _)| *id == docket.court)
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| format!("Court {}", docket.court.to_uppercase()));
        events.push(event(
            json!({"id": format!("court-{}", docket.court), "kind": "entity.registered",
                "effective": filed, "entity": docket.court, "name": name, "category": "court",
                "sources": source}),
            "$.court_id",
        )?);
    }

    // Parties.
    let mut named: Vec<(String, Side, String)> = Vec::new();
    for (i, party) in docket.parties.iter().enumerate() {
        if let Some(side) = side_of(&party.role) {
            named.push((party.name.clone(), side, format!("$.parties[{i}].name")));
        }
    }
    let has = |side| named.iter().any(|(_, s, _)| *s == side);
    if !has(Side::Plaintiff) || !has(Side::Defendant) {
        let (plaintiff, defendant) =
            split_case_name(&docket.case_name).ok_or_else(|| DocketError::Field {
                field: "$.parties".into(),
                message: "no plaintiff and defendant, and the case name is not \"A v. B\"".into(),
            })?;
        named = vec![
            (plaintiff, Side::Plaintiff, "$.case_name".into()),
            (defendant, Side::Defendant, "$.case_name".into()),
        ];
    }
    let mut reports = Vec::new();
    let mut created = Vec::new();
    let mut plaintiffs: Vec<String> = Vec::new();
    let mut defendants: Vec<String> = Vec::new();
    for (name, side, at) in named {
        let shown = clip(&clean_display_name(&name), MAX_NAME);
        let resolution = directory.resolve(&name).map_err(|e| match e {
            ResolveError::Ambiguous { candidates } => DocketError::Ambiguous {
                field: at.clone(),
                name: shown.clone(),
                candidates,
            },
            ResolveError::Unusable => DocketError::Field {
                field: at.clone(),
                message: format!("the name \"{shown}\" has no letter or digit"),
            },
            ResolveError::UnknownMapping { entity } => DocketError::Field {
                field: at.clone(),
                message: format!("\"{shown}\" is mapped to \"{entity}\", which is not registered"),
            },
        })?;
        let (entity, matched) = match resolution {
            Resolution::Existing { entity, how } => (entity, Some(how)),
            Resolution::New { entity } => {
                if !created.iter().any(|(slug, _)| slug == &entity) {
                    let category = if has_corporate_suffix(&name) {
                        "company"
                    } else {
                        "other"
                    };
                    events.push(event(
                        json!({"id": format!("entity-{entity}"), "kind": "entity.registered",
                            "effective": filed, "entity": entity, "name": shown,
                            "category": category, "sources": source}),
                        &at,
                    )?);
                    created.push((entity.clone(), shown.clone()));
                }
                (entity, None)
            }
        };
        let list = match side {
            Side::Plaintiff => &mut plaintiffs,
            Side::Defendant => &mut defendants,
        };
        if !list.contains(&entity) {
            list.push(entity.clone());
        }
        reports.push(PartyReport {
            name: shown,
            side,
            entity,
            matched,
        });
    }
    defendants.retain(|d| !plaintiffs.contains(d));
    if defendants.is_empty() {
        return Err(DocketError::Field {
            field: "$.parties".into(),
            message: "every defendant is also a plaintiff".into(),
        });
    }

    // Filing.
    let nature = nature_for(docket.nature_of_suit.as_deref());
    let mut facts = Vec::new();
    if let Some(n) = &docket.nature_of_suit {
        facts.push(format!("nature of suit: {n}"));
    }
    if let Some(c) = &docket.cause {
        facts.push(format!("cause: {c}"));
    }
    let mut filing = json!({"id": format!("{dispute}-filed"), "kind": "dispute.filed",
        "effective": filed, "dispute": dispute,
        "title": clip(&clean_display_name(&docket.case_name), MAX_TITLE),
        "forum": {"court": docket.court, "case_number": docket.number},
        "nature": nature.as_str(), "plaintiffs": plaintiffs, "defendants": defendants,
        "sources": source});
    if !facts.is_empty() {
        filing["note"] = json!(clip(&facts.join("; "), MAX_PROSE));
    }
    events.push(event(filing, "$")?);

    // Entries.
    let mut ids = BTreeSet::new();
    let mut entries = 0;
    for (i, entry) in docket.entries.iter().enumerate() {
        let at = format!("$.docket_entries[{i}]");
        let date = entry.date.get(..10).unwrap_or(&entry.date).to_string();
        let base = match &entry.number {
            Some(n) => format!(
                "{dispute}-entry-{}",
                slugify(n, 32).unwrap_or_else(|| tag(n))
            ),
            None => format!("{dispute}-entry-{date}-{}", tag(&entry.description)),
        };
        let mut id = base.clone();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let description = if entry.description.trim().is_empty() {
            "(no docket text)".to_string()
        } else {
            clip(&entry.description, MAX_DESCRIPTION)
        };
        let mut value = json!({"id": id, "kind": "dispute.entry", "dispute": dispute,
            "effective": date.as_str().max(filed.as_str()), "description": description});
        if let Some(number) = &entry.number {
            value["number"] = json!(number);
        }
        if date < filed {
            value["note"] = json!(format!(
                "docketed as filed on {date}, before the case itself"
            ));
        }
        events.push(event(value, &at)?);
        entries += 1;
    }

    // Ending.
    let ending = find_ending(docket);
    if let (Some(ending), Some(terminated)) = (&ending, &docket.terminated) {
        let date = terminated.get(..10).unwrap_or(terminated);
        let mut value = match ending.kind {
            EndingKind::Dismissed => json!({"id": format!("{dispute}-dismissed"),
                "kind": "dispute.dismissed", "dispute": dispute,
                "reason": dismissal_reason(&ending.text)}),
            EndingKind::Settled => json!({"id": format!("{dispute}-settled"),
                "kind": "dispute.settled", "disputes": [dispute]}),
            EndingKind::Judgment => json!({"id": format!("{dispute}-judgment"),
                "kind": "dispute.judgment", "dispute": dispute}),
        };
        value["effective"] = json!(date.max(filed.as_str()));
        value["note"] = json!(clip(&ending.text, MAX_PROSE));
        let title = match &ending.entry {
            Some(n) => format!("PACER docket {} {}, entry {n}", docket.court, docket.number),
            None => format!("PACER docket {} {}", docket.court, docket.number),
        };
        value["sources"] = json!([{"title": clip(&title, MAX_TITLE)}]);
        events.push(event(value, "$.date_terminated")?);
    }

    Ok(DocketPlan {
        dispute,
        events,
        parties: reports,
        created,
        entries,
        ending,
        terminated: docket.terminated.clone(),
        nature,
    })
}
