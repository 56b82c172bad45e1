//! `timeline --format svg|html`, `graph`, `completions` and `man`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;
use docket_ledger::{Ledger, Revised, TimelineScope};
use docket_model::Slug;

use crate::args::{Cli, CompletionsArgs, GraphArgs, GraphFormat, TimelineArgs, TimelineFormat};
use crate::describe::describe;
use crate::exit::{OK, UsageError};
use crate::pictures::graph::{Edge, Graph, Node};
use crate::pictures::timeline::{Lane, Mark, disputes_of};
use crate::pictures::{graph, timeline as draw};
use crate::render::time_query;

fn emit(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            Ok(out.flush()?)
        }
    }
}

pub fn timeline(_cli: &Cli, ledger: &Ledger, args: &TimelineArgs) -> anyhow::Result<u8> {
    let query = time_query(&args.time)?;
    let state = ledger.state(&query)?;
    let disputes = &state.projections.disputes;
    // Which disputes get lanes, in order: the scope's, each followed by
    // the disputes it answers or that answer it.
    let (title, scope, mut order): (String, TimelineScope, Vec<String>) =
        match (&args.dispute, &args.entity) {
            (Some(d), _) => {
                let dispute = disputes
                    .get(d)
                    .ok_or_else(|| UsageError(format!("no dispute \"{d}\" in the ledger")))?;
                (
                    format!("{} ({})", dispute.title, d),
                    TimelineScope::Dispute(d.clone()),
                    vec![d.clone()],
                )
            }
            (None, Some(e)) => {
                let name = state
                    .projections
                    .holdings
                    .name(e)
                    .map(|n| n.to_string())
                    .ok_or_else(|| UsageError(format!("no entity \"{e}\" in the ledger")))?;
                let mine: Vec<String> = disputes
                    .iter()
                    .filter(|d| d.is_party(e))
                    .map(|d| d.id.to_string())
                    .collect();
                (
                    format!("{name}: disputes"),
                    TimelineScope::Entity(e.clone()),
                    mine,
                )
            }
            (None, None) => (
                "All disputes".to_string(),
                TimelineScope::All,
                disputes.iter().map(|d| d.id.to_string()).collect(),
            ),
        };
    let mut related: Vec<String> = Vec::new();
    for id in &order {
        for d in disputes.iter() {
            let answers = d.responds_to.as_ref().is_some_and(|r| r.as_str() == id);
            let answered = disputes
                .get(id)
                .and_then(|x| x.responds_to.as_ref())
                .is_some_and(|r| r == &d.id);
            if (answers || answered)
                && !order.contains(&d.id.to_string())
                && !related.contains(&d.id.to_string())
            {
                related.push(d.id.to_string());
            }
        }
    }
    let mut items = ledger.timeline(&scope, &query)?;
    for r in &related {
        items.extend(ledger.timeline(&TimelineScope::Dispute(r.clone()), &query)?);
    }
    // Related lanes go next to the dispute they answer.
    for r in related {
        let partner = disputes
            .get(&r)
            .and_then(|d| d.responds_to.as_ref().map(|s| s.to_string()));
        let at = partner
            .and_then(|p| order.iter().position(|o| *o == p))
            .map_or(order.len(), |i| i + 1);
        order.insert(at.min(order.len()), r);
    }
    let mut seen = BTreeSet::new();
    items.retain(|i| seen.insert(i.seq));
    items.sort_by_key(|i| (i.event.effective.instant_micros(), i.seq));
    let mut lanes: Vec<Lane> = order
        .iter()
        .map(|id| {
            let detail = disputes
                .get(id)
                .map(|d| format!("{} · {}", d.status.as_str(), d.title))
                .unwrap_or_default();
            Lane {
                heading: id.clone(),
                detail,
                marks: Vec::new(),
            }
        })
        .collect();
    let mut other = Lane {
        heading: "other events".into(),
        detail: "entities, partnerships, corporate".into(),
        marks: Vec::new(),
    };
    for item in items {
        let (revised, retracted) = match &item.revised {
            Revised::No => (None, false),
            Revised::Corrected { seq, reason, .. } => {
                (Some(format!("corrected by #{seq}: {reason}")), false)
            }
            Revised::Retracted { seq, reason } => {
                (Some(format!("RETRACTED by #{seq}: {reason}")), true)
            }
        };
        let mark = Mark {
            seq: item.seq,
            id: item
                .event
                .id
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_default(),
            at: item.event.effective.instant_micros(),
            date: item.event.effective.to_string(),
            kind: item.event.kind(),
            what: describe(&item.event),
            revised,
            retracted,
        };
        let targets = disputes_of(&item.event.body);
        let mut placed = false;
        for lane in lanes.iter_mut().filter(|l| targets.contains(&l.heading)) {
            lane.marks.push(mark.clone());
            placed = true;
        }
        if !placed {
            other.marks.push(mark);
        }
    }
    if !other.marks.is_empty() {
        lanes.push(other);
    }
    let text = match args.format {
        TimelineFormat::Html => draw::html(&title, &lanes),
        _ => draw::svg(&title, &lanes) + "\n",
    };
    emit(args.output.as_deref(), &text)?;
    Ok(OK)
}

pub fn graph(_cli: &Cli, ledger: &Ledger, args: &GraphArgs) -> anyhow::Result<u8> {
    let query = time_query(&args.time)?;
    // The graph shows no dispute's history.
    let state = ledger.state_without_histories(&query)?;
    let p = &state.projections;
    let view = state.relations_view();
    let group = |s: &Slug| p.holdings.ultimate_parent(s).to_string();
    let conflicts: BTreeSet<(String, String)> = view
        .conflicts
        .iter()
        .flat_map(|c| {
            let [a, b] = &c.parties;
            [
                (a.to_string(), b.to_string()),
                (b.to_string(), a.to_string()),
            ]
        })
        .collect();
    let mut edges = Vec::new();
    for d in p.disputes.iter() {
        let mut pairs = BTreeSet::new();
        for a in &d.plaintiffs {
            for b in &d.defendants {
                let (ga, gb) = (group(a), group(b));
                if ga != gb && pairs.insert((ga.clone(), gb.clone())) {
                    let conflict = d.is_active() && conflicts.contains(&(ga.clone(), gb.clone()));
                    edges.push(Edge {
                        from: ga,
                        to: gb,
                        label: d.id.to_string(),
                        dispute: true,
                        active: d.is_active(),
                        conflict,
                    });
                }
            }
        }
    }
    for partnership in p.relations.partnerships() {
        let groups: BTreeSet<String> = partnership.parties.iter().map(&group).collect();
        let groups: Vec<String> = groups.into_iter().collect();
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                let conflict = partnership.active && conflicts.contains(&(a.clone(), b.clone()));
                edges.push(Edge {
                    from: a.clone(),
                    to: b.clone(),
                    label: partnership.id.to_string(),
                    dispute: false,
                    active: partnership.active,
                    conflict,
                });
            }
        }
    }
    let mut members: BTreeMap<String, usize> = BTreeMap::new();
    for e in p.holdings.iter() {
        *members.entry(group(&e.id)).or_default() += 1;
    }
    let used: BTreeSet<&String> = edges.iter().flat_map(|e| [&e.from, &e.to]).collect();
    let nodes = used
        .into_iter()
        .map(|id| Node {
            id: id.clone(),
            name: p
                .holdings
                .name(id)
                .map(|n| n.to_string())
                .unwrap_or_else(|| id.clone()),
            members: members.get(id).copied().unwrap_or(1),
            conflict: conflicts.iter().any(|(a, _)| a == id),
        })
        .collect();
    let graph = Graph { nodes, edges };
    let title = match &args.time.as_of {
        Some(date) => format!("Relationships as of {date}"),
        None => "Relationships".to_string(),
    };
    let text = match args.format {
        GraphFormat::Dot => graph::dot(&graph),
        GraphFormat::Mermaid => graph::mermaid(&graph),
        GraphFormat::Svg => graph::svg(&title, &graph) + "\n",
    };
    emit(args.output.as_deref(), &text)?;
    Ok(OK)
}

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "docket", &mut out);
    emit(None, &String::from_utf8_lossy(&out))?;
    Ok(OK)
}

pub fn man() -> anyhow::Result<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    emit(None, &String::from_utf8_lossy(&out))?;
    Ok(OK)
}
