//! `dispute`, `entity` and `timeline`: one thing at a time, through the index.

use std::io::BufWriter;

use docket_ledger::{Ledger, Revised, Revision, TimelineItem, TimelineScope};
use serde_json::{Value, json};

use crate::args::{Cli, DisputeArgs, EntityArgs, TimelineArgs};
use crate::describe::describe;
use crate::exit::{OK, UsageError};
use crate::output::{JsonObject, StreamedTable, Table, kind_width, print_json, seq_width};
use crate::render::{Names, dispute_json, partnership_json, query_json, time_query};

fn revisions_json(revisions: &[Revision]) -> Vec<Value> {
    revisions
        .iter()
        .map(|r| {
            json!({"seq": r.seq, "id": r.id.as_str(), "kind": r.kind.as_str(),
                   "target": r.target.as_str(), "reason": r.reason.as_str(), "in_force": r.in_force})
        })
        .collect()
}

pub fn dispute(cli: &Cli, ledger: &Ledger, args: &DisputeArgs) -> anyhow::Result<u8> {
    let query = time_query(&args.time)?;
    let Some(view) = ledger.dispute(&args.id, &query)? else {
        return Err(UsageError(format!(
            "no dispute {} in the ledger as of this query",
            args.id
        ))
        .into());
    };
    let d = &view.dispute;
    let names = Names(&view.projections.holdings);
    if cli.json {
        let mut value = dispute_json(d);
        value["history"] = json!(d.history.iter().map(|h| json!({
            "seq": h.seq, "effective": h.effective.to_string(), "kind": h.kind.as_str(),
            "event": h.event.as_ref().map(|e| e.as_str()), "status_after": h.status_after.as_str(),
            "summary": h.summary(),
        })).collect::<Vec<_>>());
        value["revisions"] = json!(revisions_json(&view.revisions));
        value["names"] = json!(
            d.plaintiffs
                .iter()
                .chain(&d.defendants)
                .map(|s| (s.to_string(), json!(names.of(s))))
                .collect::<serde_json::Map<_, _>>()
        );
        value["query"] = query_json(&query, ledger.visible_size(&query)?, None);
        value["entries_read"] = json!(view.entries_read);
        print_json(&value)?;
        return Ok(OK);
    }
    say!("{}  ({})", d.title, d.id);
    let case = d
        .forum
        .case_number
        .as_ref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let forum_name = d
        .forum
        .name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    say!("forum       {}{case}{forum_name}", d.forum.court);
    say!("nature      {}", d.nature.as_str());
    say!("status      {}", d.status.as_str());
    say!("filed       {}", d.filed);
    if let Some(closed) = &d.closed {
        say!("closed      {closed}");
    }
    say!("plaintiffs  {}", names.list(&d.plaintiffs));
    say!("defendants  {}", names.list(&d.defendants));
    if let Some(earlier) = &d.responds_to {
        say!("responds to {earlier}");
    }
    for claim in &d.claims {
        let text: Vec<String> = [claim.patent.as_ref(), claim.area.as_ref()]
            .into_iter()
            .flatten()
            .map(|t| t.to_string())
            .collect();
        say!("claim       {}", text.join(" — "));
    }
    if !d.accused.is_empty() {
        say!(
            "accused     {}",
            d.accused
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    say!("\nHISTORY\n{}", super::read::history_table(d));
    print_revisions(&view.revisions)?;
    Ok(OK)
}

fn print_revisions(revisions: &[Revision]) -> anyhow::Result<()> {
    for r in revisions {
        let force = if r.in_force {
            ""
        } else {
            " (itself retracted)"
        };
        say!(
            "#{} {} of {}: {}{force}",
            r.seq,
            r.kind.as_str(),
            r.target,
            r.reason
        );
    }
    Ok(())
}

pub fn entity(cli: &Cli, ledger: &Ledger, args: &EntityArgs) -> anyhow::Result<u8> {
    let query = time_query(&args.time)?;
    let Some(view) = ledger.entity(&args.id, &query)? else {
        return Err(UsageError(format!(
            "no entity {} in the ledger as of this query",
            args.id
        ))
        .into());
    };
    let e = &view.entity;
    let holdings = &view.projections.holdings;
    let names = Names(holdings);
    if cli.json {
        print_json(&json!({
            "id": e.id.as_str(),
            "name": e.name.as_str(),
            "aliases": e.aliases.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            "category": e.category.as_str(),
            "registered": e.registered.to_string(),
            "parent": holdings.parent(e.id.as_str()).map(|s| s.as_str()),
            "ultimate_parent": view.ultimate_parent.as_str(),
            "children": holdings.children(e.id.as_str()).iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "names": e.names.iter().map(|n| json!({"from": n.from.to_string(), "name": n.name.as_str(), "seq": n.seq})).collect::<Vec<_>>(),
            "parents": e.parents.iter().map(|p| json!({"from": p.from.to_string(), "parent": p.parent.as_ref().map(|s| s.as_str()), "cause": p.cause.as_str(), "seq": p.seq})).collect::<Vec<_>>(),
            "disputes": view.disputes.iter().map(dispute_json).collect::<Vec<_>>(),
            "partnerships": view.partnerships.iter().map(partnership_json).collect::<Vec<_>>(),
            "revisions": revisions_json(&view.revisions),
            "query": query_json(&query, ledger.visible_size(&query)?, None),
            "entries_read": view.entries_read,
        }))?;
        return Ok(OK);
    }
    say!("{}  ({}, {})", e.name, e.id, e.category.as_str());
    if !e.aliases.is_empty() {
        say!(
            "aliases     {}",
            e.aliases
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    say!("group       {}", names.of(&view.ultimate_parent));
    let children = holdings.children(e.id.as_str());
    if !children.is_empty() {
        say!(
            "owns        {}",
            children
                .iter()
                .map(|c| names.of(c))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut table = Table::new(&["FROM", "SEQ", "WHAT"]);
    for n in &e.names {
        table.row(vec![
            n.from.to_string(),
            n.seq.to_string(),
            format!("named {}", n.name),
        ]);
    }
    for p in &e.parents {
        let what = match &p.parent {
            Some(parent) => format!("part of {} ({})", names.of(parent), p.cause.as_str()),
            None => format!("independent ({})", p.cause.as_str()),
        };
        table.row(vec![p.from.to_string(), p.seq.to_string(), what]);
    }
    say!("\nHISTORY\n{}", table.render());
    if !view.disputes.is_empty() {
        let mut disputes = Table::new(&["DISPUTE", "STATUS", "SIDE", "FILED", "TITLE"]);
        for d in &view.disputes {
            let side = if d.plaintiffs.iter().any(|p| p == &e.id) {
                "plaintiff"
            } else {
                "defendant"
            };
            disputes.row(vec![
                d.id.to_string(),
                d.status.as_str().into(),
                side.into(),
                d.filed.to_string(),
                d.title.to_string(),
            ]);
        }
        say!("DISPUTES\n{}", disputes.render());
    }
    for p in &view.partnerships {
        let state = if p.active { "active" } else { "ended" };
        say!(
            "partnership {} with {} ({state}, formed {})",
            p.id,
            names.list(&p.parties),
            p.formed
        );
    }
    Ok(OK)
}

pub fn timeline(cli: &Cli, ledger: &Ledger, args: &TimelineArgs) -> anyhow::Result<u8> {
    let query = time_query(&args.time)?;
    let scope = match (&args.dispute, &args.entity) {
        (Some(d), _) => TimelineScope::Dispute(d.clone()),
        (None, Some(e)) => TimelineScope::Entity(e.clone()),
        (None, None) => TimelineScope::All,
    };
    let items = ledger.timeline(&scope, &query)?;
    let visible = ledger.visible_size(&query)?;
    // The events are sorted before the first is printed, but each line is
    // made as it is written: as JSON values, a million events took five
    // times the memory of the events themselves.
    let out = BufWriter::new(std::io::stdout().lock());
    if cli.json {
        let mut out = JsonObject::new(out);
        out.member("query", &query_json(&query, visible, None))?;
        out.list("events", items.iter().map(timeline_item_json))?;
        out.finish()?;
        return Ok(OK);
    }
    // The widest the seq and kind columns can get.
    let (seq_column, kind_column) = (1, 2);
    let mut table = StreamedTable::new(out, &["EFFECTIVE", "SEQ", "KIND", "WHAT"])
        .at_least(seq_column, seq_width(visible))
        .at_least(kind_column, kind_width());
    for item in &items {
        let note = match &item.revised {
            Revised::No => String::new(),
            Revised::Corrected { seq, reason, .. } => format!("  [corrected by #{seq}: {reason}]"),
            Revised::Retracted { seq, reason } => format!("  [RETRACTED by #{seq}: {reason}]"),
        };
        table.row(vec![
            item.event.effective.to_string(),
            item.seq.to_string(),
            item.event.kind().as_str().to_string(),
            format!("{}{note}", describe(&item.event)),
        ])?;
    }
    table.finish()?;
    Ok(OK)
}

/// One event of the timeline, with how it was revised.
fn timeline_item_json(item: &TimelineItem) -> Value {
    let mut value = json!({
        "seq": item.seq,
        "effective": item.event.effective.to_string(),
        "kind": item.event.kind().as_str(),
        "id": item.event.id.as_ref().map(|i| i.as_str()),
        "what": describe(&item.event),
        "event": item.event.to_json_value(),
    });
    match &item.revised {
        Revised::No => {}
        Revised::Corrected {
            seq,
            reason,
            original,
        } => {
            value["corrected"] =
                json!({"by": seq, "reason": reason, "original": original.to_json_value()});
        }
        Revised::Retracted { seq, reason } => {
            value["retracted"] = json!({"by": seq, "reason": reason})
        }
    }
    value
}
