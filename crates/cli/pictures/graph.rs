//! The relationship graph: one node per ultimate-parent group, a red arrow
//! plaintiff → defendant per dispute (dashed once closed), a green line per
//! partnership (dashed once ended), and groups in conflict highlighted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{shorten, xml_escape};

/// A group of entities under one ultimate parent.
#[derive(Debug, Clone)]
pub struct Node {
    /// The ultimate parent's slug.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How many registered entities it holds (itself included).
    pub members: usize,
    /// In a conflict.
    pub conflict: bool,
}

/// A dispute (directed) or a partnership (undirected) between groups.
#[derive(Debug, Clone)]
pub struct Edge {
    /// Plaintiff group, or a partner.
    pub from: String,
    /// Defendant group, or the other partner.
    pub to: String,
    /// The dispute or partnership id.
    pub label: String,
    /// A dispute (true) or a partnership.
    pub dispute: bool,
    /// Still open / active.
    pub active: bool,
    /// Part of a conflict.
    pub conflict: bool,
}

/// The whole graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Groups.
    pub nodes: Vec<Node>,
    /// Disputes and partnerships.
    pub edges: Vec<Edge>,
}

fn dot_quote(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// Graphviz DOT.
pub fn dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph docket {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2fa\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for n in &graph.nodes {
        let fill = if n.conflict {
            ", fillcolor=\"#ffd9d0\", color=\"#c0392b\", penwidth=2"
        } else {
            ""
        };
        let label = format!(
            "{}\n({} entit{})",
            n.name,
            n.members,
            if n.members == 1 { "y" } else { "ies" }
        );
        let _ = writeln!(
            out,
            "  {} [label={}{fill}];",
            dot_quote(&n.id),
            dot_quote(&label)
        );
    }
    for e in &graph.edges {
        let style = if e.active { "solid" } else { "dashed" };
        let width = if e.conflict { ", penwidth=2.5" } else { "" };
        let attrs = if e.dispute {
            format!("color=\"#c0392b\", style={style}{width}")
        } else {
            format!("color=\"#27ae60\", dir=none, style={style}{width}")
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, {attrs}];",
            dot_quote(&e.from),
            dot_quote(&e.to),
            dot_quote(&e.label)
        );
    }
    out.push_str("}\n");
    out
}

/// A Mermaid flowchart.
pub fn mermaid(graph: &Graph) -> String {
    let ids: BTreeMap<&str, String> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
        .collect();
    let id = |slug: &str| {
        ids.get(slug)
            .cloned()
            .unwrap_or_else(|| "unknown".to_string())
    };
    let clean = |t: &str| t.replace('"', "'").replace(['[', ']', '|', '\n'], " ");
    let mut out = String::from("flowchart LR\n");
    for n in &graph.nodes {
        let _ = writeln!(out, "  {}[\"{}\"]", id(&n.id), clean(&n.name));
    }
    let mut styles = Vec::new();
    for (i, e) in graph.edges.iter().enumerate() {
        let arrow = match (e.dispute, e.active) {
            (true, true) => "-->",
            (true, false) => "-.->",
            (false, true) => "---",
            (false, false) => "-.-",
        };
        let _ = writeln!(
            out,
            "  {} {arrow}|{}| {}",
            id(&e.from),
            clean(&e.label),
            id(&e.to)
        );
        let colour = if e.dispute { "#c0392b" } else { "#27ae60" };
        let width = if e.conflict { 3 } else { 1 };
        styles.push(format!(
            "  linkStyle {i} stroke:{colour},stroke-width:{width}px"
        ));
    }
    for s in styles {
        out.push_str(&s);
        out.push('\n');
    }
    let conflicted: Vec<String> = graph
        .nodes
        .iter()
        .filter(|n| n.conflict)
        .map(|n| id(&n.id))
        .collect();
    out.push_str("  classDef conflict fill:#ffd9d0,stroke:#c0392b,stroke-width:2px\n");
    if !conflicted.is_empty() {
        let _ = writeln!(out, "  class {} conflict", conflicted.join(","));
    }
    out
}

/// An SVG picture: groups on a circle, disputes and partnerships between
/// them (several between one pair are drawn as one line with a count; the
/// ids are in its tooltip).
pub fn svg(title: &str, graph: &Graph) -> String {
    let n = graph.nodes.len().max(1) as f64;
    let (w, h) = (1000.0_f64, 760.0_f64);
    let (cx, cy, r) = (w / 2.0, h / 2.0 + 10.0, 290.0);
    let pos: BTreeMap<&str, (f64, f64)> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let a = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
            (node.id.as_str(), (cx + r * a.cos(), cy + r * a.sin()))
        })
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12"><title>{}</title>"#,
        xml_escape(title)
    );
    out.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker></defs><rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = write!(
        out,
        r#"<text x="12" y="24" font-size="16" font-weight="bold">{}</text>"#,
        xml_escape(title)
    );
    // Bundle edges by (kind, from, to).
    let mut bundles: BTreeMap<(bool, &str, &str), Vec<&Edge>> = BTreeMap::new();
    for e in &graph.edges {
        let key = if e.dispute || e.from <= e.to {
            (e.dispute, e.from.as_str(), e.to.as_str())
        } else {
            (e.dispute, e.to.as_str(), e.from.as_str())
        };
        bundles.entry(key).or_default().push(e);
    }
    for ((dispute, from, to), edges) in &bundles {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(from), pos.get(to)) else {
            continue;
        };
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // Disputes bend one way, partnerships the other, so both show.
        let bend = if *dispute { 40.0 } else { -40.0 };
        let (mx, my) = (
            (x1 + x2) / 2.0 - dy / len * bend,
            (y1 + y2) / 2.0 + dx / len * bend,
        );
        let shrink = 60.0 / len;
        let (ex, ey) = (x2 - dx * shrink, y2 - dy * shrink);
        let (sx, sy) = (x1 + dx * shrink, y1 + dy * shrink);
        let active = edges.iter().any(|e| e.active);
        let conflict = edges.iter().any(|e| e.conflict);
        let colour = if *dispute { "#c0392b" } else { "#27ae60" };
        let dash = if active {
            ""
        } else {
            r#" stroke-dasharray="6 4""#
        };
        let width = if conflict { 3.5 } else { 1.8 };
        let marker = if *dispute {
            r#" marker-end="url(#arrow)""#
        } else {
            ""
        };
        let ids: Vec<&str> = edges.iter().map(|e| e.label.as_str()).collect();
        let what = if *dispute { "dispute" } else { "partnership" };
        let _ = write!(
            out,
            r#"<g class="{what}"><title>{}</title><path d="M{sx:.1},{sy:.1} Q{mx:.1},{my:.1} {ex:.1},{ey:.1}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}{marker}/>"#,
            xml_escape(&ids.join(", "))
        );
        let label = if edges.len() == 1 {
            shorten(ids[0], 28)
        } else {
            format!("{} {what}s", edges.len())
        };
        let _ = write!(
            out,
            r#"<text x="{mx:.1}" y="{my:.1}" font-size="10" fill="{colour}" text-anchor="middle">{}</text></g>"#,
            xml_escape(&label)
        );
    }
    for node in &graph.nodes {
        let Some(&(x, y)) = pos.get(node.id.as_str()) else {
            continue;
        };
        let (fill, stroke) = if node.conflict {
            ("#ffd9d0", "#c0392b")
        } else {
            ("#eef2fa", "#5b6b85")
        };
        let _ = write!(
            out,
            r##"<g class="group" data-id="{}"><title>{} ({} entities)</title><rect x="{:.1}" y="{:.1}" width="150" height="40" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#555">{}</text></g>"##,
            xml_escape(&node.id),
            xml_escape(&node.name),
            node.members,
            x - 75.0,
            y - 20.0,
            if node.conflict { 2.5 } else { 1.0 },
            y - 3.0,
            xml_escape(&shorten(&node.name, 24)),
            y + 12.0,
            xml_escape(&node.id)
        );
    }
    out.push_str("</svg>");
    out
}
