//! Rendering the medians: a Markdown table per size, with ratios against
//! the baselines and the issue's targets, and an SVG plot of throughput
//! against ledger size (written by hand: no plotting dependency).

use std::fmt::Write;

use crate::harness::SizeResult;

fn get(r: &SizeResult, key: &str) -> f64 {
    r.medians.get(key).copied().unwrap_or(f64::NAN)
}

fn rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M/s", x / 1e6)
    } else {
        format!("{:.0} k/s", x / 1e3)
    }
}

fn ms(x: f64) -> String {
    if x < 1.0 {
        format!("{:.3} ms", x)
    } else {
        format!("{:.1} ms", x)
    }
}

fn mib(x: f64) -> String {
    format!("{:.0} MiB", x / (1024.0 * 1024.0))
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

/// The Markdown tables for every size.
pub fn markdown(results: &[SizeResult]) -> String {
    let mut out = String::new();
    for r in results {
        let n = r.size as f64;
        let payload = r.payload_bytes as f64 / n;
        let _ = writeln!(
            out,
            "\n#### {} events ({} entities, {} disputes, {} partnerships, {} revisions, {} back-dated; {:.0} payload bytes/event; median of {} repetition(s), {:.0} s wall)\n",
            r.size,
            r.summary.entities,
            r.summary.disputes,
            r.summary.partnerships,
            r.summary.revisions,
            r.summary.backdated,
            payload,
            r.reps,
            r.wall_secs
        );
        out.push_str(
            "| measure | docket | SQLite | sled raw | BLAKE3 ceiling | ratio | target |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---|\n");
        let mut row = |name: &str, cells: [String; 6]| {
            let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
        };
        let import = get(r, "import_eps");
        let sqlite = get(r, "sqlite_import_eps");
        row(
            "bulk import, JSON → validated ledger (events/s)",
            [
                rate(import),
                rate(sqlite),
                rate(get(r, "sled_import_eps")),
                "".into(),
                format!("{} of SQLite", ratio(import, sqlite)),
                "≥ 2× SQLite, ≥ 300 k/s".into(),
            ],
        );
        let sqlite_json = get(r, "sqlite_json_import_eps");
        row(
            "bulk import, SQLite parsing and encoding the same JSON too (events/s)",
            [
                rate(import),
                rate(sqlite_json),
                "".into(),
                "".into(),
                format!("{} of SQLite parsing", ratio(import, sqlite_json)),
                "".into(),
            ],
        );
        let log = get(r, "log_append_eps");
        row(
            "bulk append, encoded payloads → docket-log (events/s)",
            [
                rate(log),
                rate(sqlite),
                rate(get(r, "sled_import_eps")),
                "".into(),
                format!("{} of SQLite", ratio(log, sqlite)),
                "".into(),
            ],
        );
        row(
            "durable append p50 (one event)",
            [
                ms(get(r, "append_p50_ms")),
                ms(get(r, "sqlite_append_p50_ms")),
                ms(get(r, "sled_append_p50_ms")),
                "".into(),
                format!(
                    "{} of SQLite",
                    ratio(get(r, "append_p50_ms"), get(r, "sqlite_append_p50_ms"))
                ),
                "".into(),
            ],
        );
        row(
            "durable append p99 (one event)",
            [
                ms(get(r, "append_p99_ms")),
                ms(get(r, "sqlite_append_p99_ms")),
                ms(get(r, "sled_append_p99_ms")),
                "".into(),
                "".into(),
                "".into(),
            ],
        );
        let verify = get(r, "verify_eps");
        let ceiling = get(r, "blake3_all_eps");
        let tree = get(r, "blake3_tree_eps");
        // Against the ceiling (the target), and against the hashing a
        // verify that checks the Merkle tree cannot avoid.
        let of_ceiling = |eps: f64| {
            format!(
                "{} of ceiling, {} of tree ceiling",
                ratio(eps, ceiling),
                ratio(eps, tree)
            )
        };
        row(
            "full verify, with index and snapshot (entries/s)",
            [
                rate(verify),
                rate(get(r, "sqlite_verify_eps")),
                "".into(),
                rate(ceiling),
                of_ceiling(verify),
                "≥ 1 M/s, ≥ 0.70× ceiling".into(),
            ],
        );
        let evidence = get(r, "verify_evidence_eps");
        row(
            "verify, evidence only (`--skip-derived`; entries/s)",
            [
                rate(evidence),
                rate(get(r, "sqlite_verify_eps")),
                "".into(),
                rate(ceiling),
                of_ceiling(evidence),
                "≥ 1 M/s, ≥ 0.70× ceiling".into(),
            ],
        );
        row(
            "BLAKE3 chain, one core (entries/s)",
            [
                "".into(),
                "".into(),
                "".into(),
                rate(get(r, "blake3_chain_eps")),
                "".into(),
                "".into(),
            ],
        );
        row(
            "BLAKE3 tree ceiling: entry hashes, Merkle leaves and nodes, all cores (entries/s)",
            [
                "".into(),
                "".into(),
                "".into(),
                rate(tree),
                format!("{} of ceiling", ratio(tree, ceiling)),
                "".into(),
            ],
        );
        row(
            "full replay (events/s)",
            docket_only(rate(get(r, "replay_eps")), "≥ 1 M/s"),
        );
        row(
            "`state --as-of` mid-history",
            docket_only(ms(get(r, "state_asof_ms")), ""),
        );
        row(
            "`state` now, first call after open",
            docket_only(ms(get(r, "state_cold_ms")), ""),
        );
        row(
            "`state` now without histories (as `docket state` reads it), first call after open",
            docket_only(ms(get(r, "state_overview_ms")), ""),
        );
        row(
            "`state` now, warm",
            docket_only(ms(get(r, "state_warm_ms")), "< 50 ms"),
        );
        row(
            "conflicts and countersuits now, warm",
            docket_only(ms(get(r, "view_ms")), ""),
        );
        row(
            "one dispute",
            docket_only(
                format!(
                    "{} ({:.0} entries read)",
                    ms(get(r, "dispute_ms")),
                    get(r, "dispute_read")
                ),
                "< 5 ms",
            ),
        );
        row(
            "one entity now, first call after open",
            docket_only(
                format!(
                    "{} ({:.0} entries read)",
                    ms(get(r, "entity_cold_ms")),
                    get(r, "entity_cold_read")
                ),
                "",
            ),
        );
        row(
            "one entity now, state in memory",
            docket_only(
                format!(
                    "{} ({:.0} entries read)",
                    ms(get(r, "entity_ms")),
                    get(r, "entity_read")
                ),
                "",
            ),
        );
        row(
            "one entity as of mid-history",
            docket_only(
                format!(
                    "{} ({:.0} entries read)",
                    ms(get(r, "entity_asof_ms")),
                    get(r, "entity_asof_read")
                ),
                "",
            ),
        );
        row("checkpoint", docket_only(ms(get(r, "checkpoint_ms")), ""));
        row("inclusion proof", docket_only(ms(get(r, "prove_ms")), ""));
        let disk = get(r, "disk") / n;
        row(
            "bytes on disk per event",
            [
                format!("{disk:.0}"),
                format!("{:.0}", get(r, "sqlite_disk") / n),
                format!("{:.0}", get(r, "sled_disk") / n),
                "".into(),
                format!("{} of payload", ratio(disk, payload)),
                "≤ 2× payload".into(),
            ],
        );
        row(
            "peak memory: import / verify / verify evidence / replay",
            [
                format!(
                    "{} / {} / {} / {}",
                    mib(get(r, "import_peak")),
                    mib(get(r, "verify_peak")),
                    mib(get(r, "verify_evidence_peak")),
                    mib(get(r, "replay_peak"))
                ),
                mib(get(r, "sqlite_import_peak")),
                mib(get(r, "sled_import_peak")),
                "".into(),
                "".into(),
                "bounded".into(),
            ],
        );
    }
    out
}

/// The series plotted: (metric, label, colour).
const SERIES: &[(&str, &str, &str)] = &[
    ("import_eps", "docket import (JSON, validated)", "#d62728"),
    ("log_append_eps", "docket-log append (payloads)", "#ff7f0e"),
    ("sqlite_import_eps", "SQLite import (payloads)", "#1f77b4"),
    ("sled_import_eps", "sled raw import (payloads)", "#2ca02c"),
    ("verify_eps", "docket verify", "#9467bd"),
    (
        "verify_evidence_eps",
        "docket verify --skip-derived",
        "#e377c2",
    ),
    ("sqlite_verify_eps", "SQLite verify", "#17becf"),
    ("blake3_all_eps", "BLAKE3 ceiling (all cores)", "#7f7f7f"),
    ("replay_eps", "docket full replay", "#8c564b"),
];

/// An SVG line plot of throughput (log scale) against ledger size (log
/// scale) for every series.
pub fn svg(results: &[SizeResult]) -> String {
    let (w, h, left, right, top, bottom) = (760.0, 440.0, 70.0, 250.0, 30.0, 50.0);
    let sizes: Vec<f64> = results.iter().map(|r| (r.size as f64).log10()).collect();
    let values: Vec<f64> = results
        .iter()
        .flat_map(|r| SERIES.iter().map(move |(k, _, _)| get(r, k)))
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(f64::log10)
        .collect();
    let x0 = sizes.iter().copied().fold(f64::MAX, f64::min).floor();
    let x1 = sizes
        .iter()
        .copied()
        .fold(f64::MIN, f64::max)
        .ceil()
        .max(x0 + 1.0);
    let y0 = values
        .iter()
        .copied()
        .fold(f64::MAX, f64::min)
        .floor()
        .min(4.0);
    let y1 = values
        .iter()
        .copied()
        .fold(f64::MIN, f64::max)
        .ceil()
        .max(y0 + 1.0);
    let px = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
    let py = |y: f64| h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="18" font-size="14">Throughput against ledger size (log–log; medians)</text>"#
    );
    let mut decade = x0;
    while decade <= x1 {
        let x = px(decade);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">10^{decade}</text>"##,
            h - bottom,
            h - bottom + 16.0
        );
        decade += 1.0;
    }
    let mut decade = y0;
    while decade <= y1 {
        let y = py(decade);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">10^{decade}/s</text>"##,
            w - right,
            left - 6.0,
            y + 4.0
        );
        decade += 1.0;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">events in the ledger</text>"#,
        (left + w - right) / 2.0,
        h - 12.0
    );
    for (i, (key, label, colour)) in SERIES.iter().enumerate() {
        let points: Vec<String> = results
            .iter()
            .map(|r| (r.size as f64, get(r, key)))
            .filter(|(_, v)| v.is_finite() && *v > 0.0)
            .map(|(n, v)| format!("{:.1},{:.1}", px(n.log10()), py(v.log10())))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        for p in &points {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(s, r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"#);
        }
        let ly = top + 10.0 + i as f64 * 20.0;
        let lx = w - right + 12.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{label}</text>"#,
            lx + 18.0,
            lx + 24.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A row with docket's figure alone (no baseline measures it), and the
/// target if there is one.
fn docket_only(figure: String, target: &str) -> [String; 6] {
    [
        figure,
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        target.to_owned(),
    ]
}
