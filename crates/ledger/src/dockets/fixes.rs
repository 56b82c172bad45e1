//! Fixing party resolution after the fact, as events: nothing is edited.
//!
//! - **Alias**: a `correction` of the entity's registration whose
//!   replacement is the registration as it stands plus the new aliases.
//!   Later imports then match those names to the entity.
//! - **Merge** (a duplicate into the entity it really is): one batch that
//!   corrects every event naming the duplicate (filings, entries, rulings,
//!   partnerships, acquisitions…) to name the entity instead, retracts the
//!   duplicate's registration and renames, and adds the duplicate's names
//!   to the entity's aliases. The batch is validated like any append, and
//!   `--known-at` before it still shows the record as it was.

use docket_model::{Body, Effective, Event, EventId};
use serde_json::{Value, json};

use crate::{AppendError, AppendOptions, AppendOutcome, Ledger, ReadError, TimeQuery};
use crate::{Revised, TimelineScope};

/// Why an alias or merge could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixError {
    /// The entity is not registered (or its registration was retracted).
    #[error("entity \"{0}\" is not registered")]
    Unknown(String),
    /// Merging an entity into itself, or the merge would put one entity on
    /// both sides of a dispute.
    #[error("{0}")]
    Invalid(String),
    /// Nothing to do: every alias is already a name of the entity.
    #[error("\"{0}\" already has every one of these names")]
    NothingToDo(String),
    /// The events were refused.
    #[error("{0}")]
    Append(#[from] AppendError),
    /// The ledger could not be read.
    #[error("{0}")]
    Read(#[from] ReadError),
}

impl FixError {
    /// How the command line should report it.
    pub fn failure_kind(&self) -> crate::FailureKind {
        match self {
            FixError::Append(e) => e.failure_kind(),
            FixError::Read(_) => crate::FailureKind::Error,
            _ => crate::FailureKind::Rejected,
        }
    }
}

/// Fields that hold entity slugs, in any event kind that has them.
const ENTITY_FIELDS: &[&str] = &[
    "plaintiffs",
    "defendants",
    "parties",
    "filed_by",
    "favor",
    "by",
    "parent",
    "acquirer",
    "target",
    "seller",
    "asset",
    "buyer",
    "customer",
];

fn invalid(e: impl std::fmt::Display) -> FixError {
    FixError::Invalid(e.to_string())
}

fn without_id(event: &Event) -> Value {
    let mut value = event.to_json_value();
    if let Value::Object(map) = &mut value {
        map.remove("id");
    }
    value
}

fn correction(target: &EventId, reason: &str, replacement: Value, effective: Effective) -> Value {
    json!({"kind": "correction", "effective": effective.to_string(), "target": target.as_str(),
        "reason": reason, "replacement": replacement})
}

impl Ledger {
    /// The in-force registration of `entity`, as it now stands.
    fn registration(&self, entity: &str) -> Result<Option<Event>, FixError> {
        let items = self.timeline(
            &TimelineScope::Entity(entity.to_string()),
            &TimeQuery::default(),
        )?;
        Ok(items
            .into_iter()
            .filter(|i| !matches!(i.revised, Revised::Retracted { .. }))
            .map(|i| i.event)
            .find(|e| matches!(&e.body, Body::EntityRegistered(r) if r.entity.as_str() == entity)))
    }

    fn alias_correction(
        &self,
        entity: &str,
        names: &[String],
        effective: Effective,
    ) -> Result<Option<Value>, FixError> {
        let registration = self
            .registration(entity)?
            .ok_or_else(|| FixError::Unknown(entity.to_string()))?;
        let Body::EntityRegistered(body) = &registration.body else {
            return Err(FixError::Unknown(entity.to_string()));
        };
        let target = registration
            .id
            .clone()
            .ok_or_else(|| FixError::Unknown(entity.to_string()))?;
        let mut aliases: Vec<String> = body.aliases.iter().map(|a| a.to_string()).collect();
        let mut added = Vec::new();
        for name in names {
            let name = super::parties::clean_display_name(name);
            let known = name.eq_ignore_ascii_case(body.name.as_str())
                || aliases.iter().any(|a| a.eq_ignore_ascii_case(&name));
            if !known && !name.is_empty() {
                aliases.push(name.clone());
                added.push(name);
            }
        }
        if added.is_empty() {
            return Ok(None);
        }
        let mut replacement = without_id(&registration);
        replacement["aliases"] = json!(aliases);
        let reason = format!("alias added: {}", added.join(", "));
        Ok(Some(correction(&target, &reason, replacement, effective)))
    }

    /// Adds `names` as aliases of `entity`, by a correction of its
    /// registration dated `effective`.
    pub fn alias_entity(
        &self,
        entity: &str,
        names: &[String],
        effective: Effective,
        options: &AppendOptions,
    ) -> Result<AppendOutcome, FixError> {
        let value = self
            .alias_correction(entity, names, effective)?
            .ok_or_else(|| FixError::NothingToDo(entity.to_string()))?;
        let event = Event::from_json(&value.to_string()).map_err(invalid)?;
        Ok(self.append_events(vec![event], options)?)
    }

    /// Merges `duplicate` into `into` (see the module documentation).
    /// Returns the outcome and how many events were corrected.
    pub fn merge_entities(
        &self,
        duplicate: &str,
        into: &str,
        effective: Effective,
        options: &AppendOptions,
    ) -> Result<(AppendOutcome, usize), FixError> {
        if duplicate == into {
            return Err(FixError::Invalid(
                "an entity cannot be merged into itself".into(),
            ));
        }
        let dup = self
            .registration(duplicate)?
            .ok_or_else(|| FixError::Unknown(duplicate.to_string()))?;
        let reason = format!("merged \"{duplicate}\" into \"{into}\"");
        let mut names = Vec::new();
        if let Body::EntityRegistered(r) = &dup.body {
            names.push(r.name.to_string());
            names.extend(r.aliases.iter().map(|a| a.to_string()));
        }
        let items = self.timeline(
            &TimelineScope::Entity(duplicate.to_string()),
            &TimeQuery::default(),
        )?;
        let mut batch: Vec<Value> = Vec::new();
        let mut corrected = 0;
        for item in items {
            if matches!(item.revised, Revised::Retracted { .. }) || item.event.kind().is_meta() {
                continue;
            }
            let Some(target) = item.event.id.clone() else {
                continue;
            };
            match &item.event.body {
                Body::EntityRegistered(r) if r.entity.as_str() == duplicate => {
                    batch.push(
                        json!({"kind": "retraction", "effective": effective.to_string(),
                        "target": target.as_str(), "reason": reason}),
                    );
                }
                Body::EntityRenamed(r) if r.entity.as_str() == duplicate => {
                    names.push(r.name.to_string());
                    batch.push(
                        json!({"kind": "retraction", "effective": effective.to_string(),
                        "target": target.as_str(), "reason": reason}),
                    );
                }
                _ => {
                    let mut replacement = without_id(&item.event);
                    let Value::Object(map) = &mut replacement else {
                        continue;
                    };
                    let mut changed = false;
                    for field in ENTITY_FIELDS {
                        if let Some(value) = map.get_mut(*field) {
                            changed |= replace_slug(value, duplicate, into);
                        }
                    }
                    if changed {
                        batch.push(correction(&target, &reason, replacement, effective));
                        corrected += 1;
                    }
                }
            }
        }
        if let Some(alias) = self.alias_correction(into, &names, effective)? {
            batch.push(alias);
        }
        let events = batch
            .iter()
            .map(|v| Event::from_json(&v.to_string()).map_err(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((self.append_events(events, options)?, corrected))
    }
}

/// Replaces `from` by `to` in a slug or a list of slugs (dropping a repeat).
fn replace_slug(value: &mut Value, from: &str, to: &str) -> bool {
    match value {
        Value::String(s) if s == from => {
            *s = to.to_string();
            true
        }
        Value::Array(items) if items.iter().any(|v| v == from) => {
            let mut out: Vec<Value> = Vec::new();
            for item in items.drain(..) {
                let item = if item == from { json!(to) } else { item };
                if !out.contains(&item) {
                    out.push(item);
                }
            }
            *items = out;
            true
        }
        _ => false,
    }
}
