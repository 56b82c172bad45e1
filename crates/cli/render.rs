//! Turning ledger states into JSON values and readable words.

use docket_ledger::disputes::Dispute;
use docket_ledger::holdings::Holdings;
use docket_ledger::relations::{Conflict, Countersuit, Partnership};
use docket_ledger::{Projections, State, TimeQuery, format_instant, hex, parse_instant};
use docket_model::{Anomaly, Effective, Slug};
use serde_json::{Value, json};

use crate::args::TimeArgs;
use crate::exit::UsageError;

/// The query the time flags ask for.
pub fn time_query(args: &TimeArgs) -> anyhow::Result<TimeQuery> {
    let instant = |flag: &str, text: &Option<String>| -> anyhow::Result<Option<i64>> {
        text.as_deref()
            .map(|t| parse_instant(t).map_err(|e| UsageError(format!("{flag}: {e}")).into()))
            .transpose()
    };
    Ok(TimeQuery {
        as_of: instant("--as-of", &args.as_of)?,
        known_at: instant("--known-at", &args.known_at)?,
        at_seq: args.at_seq,
    })
}

/// Looks up display names of entities.
pub struct Names<'a>(pub &'a Holdings);

impl Names<'_> {
    /// The entity's current name, or its id when it is not registered.
    pub fn of(&self, id: &Slug) -> String {
        self.0
            .name(id.as_str())
            .map(|n| n.to_string())
            .unwrap_or_else(|| id.to_string())
    }

    /// Names joined with commas.
    pub fn list(&self, ids: &[Slug]) -> String {
        ids.iter()
            .map(|id| self.of(id))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn slugs(ids: &[Slug]) -> Value {
    json!(ids.iter().map(Slug::as_str).collect::<Vec<_>>())
}

fn effective(date: &Option<Effective>) -> Value {
    date.as_ref().map_or(Value::Null, |d| json!(d.to_string()))
}

/// A dispute as in `state --json` (DESIGN.md section 6), plus claims and
/// accused products.
pub fn dispute_json(d: &Dispute) -> Value {
    json!({
        "id": d.id.as_str(),
        "title": d.title.as_str(),
        "status": d.status.as_str(),
        "nature": d.nature.as_str(),
        "forum": {
            "court": d.forum.court.as_str(),
            "case_number": d.forum.case_number.as_ref().map(|t| t.as_str()),
            "name": d.forum.name.as_ref().map(|t| t.as_str()),
        },
        "plaintiffs": slugs(&d.plaintiffs),
        "defendants": slugs(&d.defendants),
        "filed": d.filed.to_string(),
        "closed": effective(&d.closed),
        "responds_to": d.responds_to.as_ref().map(Slug::as_str),
        "claims": d.claims.iter().map(|c| json!({
            "patent": c.patent.as_ref().map(|t| t.as_str()),
            "area": c.area.as_ref().map(|t| t.as_str()),
        })).collect::<Vec<_>>(),
        "accused": d.accused.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
    })
}

/// A partnership as in `state --json`.
pub fn partnership_json(p: &Partnership) -> Value {
    json!({
        "id": p.id.as_str(),
        "parties": slugs(&p.parties),
        "active": p.active,
        "formed": p.formed.to_string(),
        "ended": effective(&p.ended),
        "scope": p.scope.as_ref().map(|t| t.as_str()),
        "customer": p.customer.as_ref().map(Slug::as_str),
    })
}

/// A conflict as in `state --json`.
pub fn conflict_json(c: &Conflict) -> Value {
    json!({
        "parties": [c.parties[0].as_str(), c.parties[1].as_str()],
        "disputes": slugs(&c.disputes),
        "partnerships": slugs(&c.partnerships),
    })
}

/// A countersuit.
pub fn countersuit_json(c: &Countersuit) -> Value {
    json!({"dispute": c.dispute.as_str(), "answers": c.answers.as_str(), "declared": c.declared})
}

/// An anomaly.
pub fn anomaly_json(a: &Anomaly) -> Value {
    json!({"seq": a.seq, "kind": a.kind.as_str(), "reason": a.reason})
}

/// The entities of a state, with their groups.
pub fn entities_json(p: &Projections) -> Vec<Value> {
    p.holdings
        .iter()
        .map(|e| {
            json!({
                "id": e.id.as_str(),
                "name": e.name.as_str(),
                "parent": p.holdings.parent(e.id.as_str()).map(Slug::as_str),
                "ultimate_parent": p.holdings.ultimate_parent(&e.id).as_str(),
                "category": e.category.as_str(),
            })
        })
        .collect()
}

/// What a query was and what it saw, for the top of every answer.
pub fn query_json(state_query: &TimeQuery, visible: u64, state: Option<&State>) -> Value {
    json!({
        "as_of": state_query.as_of.map(format_instant),
        "known_at": state_query.known_at.map(format_instant),
        "at_seq": state_query.at_seq,
        "visible_entries": visible,
        "source": state.map(|s| format!("{:?}", s.source).to_lowercase()),
    })
}

/// The ledger's size and head.
pub fn ledger_json(state: &State) -> Value {
    json!({"size": state.head.size, "head": hex(&state.head.hash)})
}

/// One line saying what a query looked at.
pub fn query_line(query: &TimeQuery, visible: u64, size: u64) -> String {
    let mut parts = Vec::new();
    match query.as_of {
        Some(t) => parts.push(format!("as of {}", format_instant(t))),
        None => parts.push("all dates".to_string()),
    }
    if let Some(t) = query.known_at {
        parts.push(format!("as known at {}", format_instant(t)));
    }
    if visible == size {
        parts.push(format!("all {size} entries"));
    } else {
        parts.push(format!("entries 0..{visible} of {size}"));
    }
    parts.join(", ")
}
