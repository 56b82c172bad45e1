//! `state` and `conflicts`: questions about everything at once.

use std::io::BufWriter;

use docket_ledger::relations::View;
use docket_ledger::{Ledger, State};
use serde_json::json;

use crate::args::{Cli, TimeArgs};
use crate::exit::OK;
use crate::output::{JsonObject, Table, print_json};
use crate::render::{
    Names, anomaly_json, conflict_json, countersuit_json, dispute_json, entities_json, ledger_json,
    partnership_json, query_json, query_line, time_query,
};

pub fn state(cli: &Cli, ledger: &Ledger, time: &TimeArgs) -> anyhow::Result<u8> {
    let query = time_query(time)?;
    // Neither answer shows a dispute's history.
    let state = ledger.state_without_histories(&query)?;
    let view = state.relations_view();
    let p = &state.projections;
    if cli.json {
        // Written as it is made: at a million events the answer is tens
        // of megabytes, and built whole it took twice the state's memory.
        let mut out = JsonObject::new(BufWriter::new(std::io::stdout().lock()));
        out.member("ledger", &ledger_json(&state))?;
        out.list("disputes", p.disputes.iter().map(dispute_json))?;
        out.list(
            "partnerships",
            p.relations.partnerships().map(partnership_json),
        )?;
        out.list("entities", entities_json(p))?;
        out.list("conflicts", view.conflicts.iter().map(conflict_json))?;
        out.list(
            "countersuits",
            view.countersuits.iter().map(countersuit_json),
        )?;
        out.list("anomalies", state.anomalies().iter().map(anomaly_json))?;
        let q = query_json(&query, state.visible, Some(&state));
        for key in ["as_of", "known_at", "at_seq", "visible_entries", "source"] {
            out.member(key, &q[key])?;
        }
        out.finish()?;
        return Ok(OK);
    }
    say!("{}\n", query_line(&query, state.visible, state.head.size));
    print_disputes(&state)?;
    print_partnerships(&state)?;
    print_conflicts(&state, &view)?;
    let names = Names(&p.holdings);
    let mut entities = Table::new(&["ENTITY", "NAME", "PARENT", "GROUP"]);
    for e in p.holdings.iter() {
        let parent = p
            .holdings
            .parent(e.id.as_str())
            .map(|s| s.to_string())
            .unwrap_or_default();
        entities.row(vec![
            e.id.to_string(),
            e.name.to_string(),
            parent,
            names.of(&p.holdings.ultimate_parent(&e.id)),
        ]);
    }
    entities.print_under(format_args!("ENTITIES ({})", p.holdings.len()))?;
    print_anomalies(&state)?;
    Ok(OK)
}

pub fn conflicts(cli: &Cli, ledger: &Ledger, time: &TimeArgs) -> anyhow::Result<u8> {
    let query = time_query(time)?;
    // Neither answer shows a dispute's history.
    let state = ledger.state_without_histories(&query)?;
    let view = state.relations_view();
    if cli.json {
        let mut value = json!({
            "ledger": ledger_json(&state),
            "conflicts": view.conflicts.iter().map(conflict_json).collect::<Vec<_>>(),
            "countersuits": view.countersuits.iter().map(countersuit_json).collect::<Vec<_>>(),
        });
        value["query"] = query_json(&query, state.visible, Some(&state));
        print_json(&value)?;
        return Ok(OK);
    }
    say!("{}\n", query_line(&query, state.visible, state.head.size));
    print_conflicts(&state, &view)?;
    Ok(OK)
}

fn print_disputes(state: &State) -> anyhow::Result<()> {
    let p = &state.projections;
    let names = Names(&p.holdings);
    let mut table = Table::new(&[
        "DISPUTE", "STATUS", "NATURE", "FORUM", "FILED", "CLOSED", "PARTIES",
    ]);
    for d in p.disputes.iter() {
        let forum = match &d.forum.case_number {
            Some(number) => format!("{} {number}", d.forum.court),
            None => d.forum.court.to_string(),
        };
        table.row(vec![
            d.id.to_string(),
            d.status.as_str().to_string(),
            d.nature.as_str().to_string(),
            forum,
            d.filed.to_string(),
            d.closed
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            format!(
                "{} v. {}",
                names.list(&d.plaintiffs),
                names.list(&d.defendants)
            ),
        ]);
    }
    let active = p.disputes.iter().filter(|d| d.is_active()).count();
    table.print_under(format_args!(
        "DISPUTES ({} of {} active)",
        active,
        p.disputes.len()
    ))
}

fn print_partnerships(state: &State) -> anyhow::Result<()> {
    let p = &state.projections;
    let names = Names(&p.holdings);
    let mut table = Table::new(&["PARTNERSHIP", "ACTIVE", "FORMED", "ENDED", "PARTIES"]);
    for x in p.relations.partnerships() {
        table.row(vec![
            x.id.to_string(),
            if x.active { "yes" } else { "no" }.to_string(),
            x.formed.to_string(),
            x.ended
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into()),
            names.list(&x.parties),
        ]);
    }
    table.print_under(format_args!("PARTNERSHIPS"))?;
    Ok(())
}

fn print_conflicts(state: &State, view: &View) -> anyhow::Result<()> {
    let names = Names(&state.projections.holdings);
    if view.conflicts.is_empty() {
        say!("CONFLICTS: none\n");
    } else {
        say!("CONFLICTS ({})", view.conflicts.len());
        for c in &view.conflicts {
            say!(
                "  {} and {}: adverse in {} open dispute(s) ({}) while partners in {}",
                names.of(&c.parties[0]),
                names.of(&c.parties[1]),
                c.disputes.len(),
                c.disputes
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                c.partnerships
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        say!();
    }
    if view.countersuits.is_empty() {
        say!("COUNTERSUITS: none\n");
    } else {
        say!("COUNTERSUITS ({})", view.countersuits.len());
        for c in &view.countersuits {
            let how = if c.declared {
                "declared"
            } else {
                "inferred from the parties"
            };
            say!("  {} answers {} ({how})", c.dispute, c.answers);
        }
        say!();
    }
    Ok(())
}

fn print_anomalies(state: &State) -> anyhow::Result<()> {
    let anomalies = state.anomalies();
    if anomalies.is_empty() {
        say!("ANOMALIES: none");
    } else {
        say!("ANOMALIES ({})", anomalies.len());
        for a in anomalies {
            say!("  {a}");
        }
    }
    Ok(())
}
