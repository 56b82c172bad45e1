//! Times replay into the projections alone, without storage: reads an NDJSON
//! file of events (such as `docket-bench generate` writes), then folds them
//! with `docket_ledger::project` a few times and prints events per second,
//! the `anomalies()` time, the `relations_view`-equivalent time and the
//! time of every pair.
//!
//! `cargo run --release -p docket-ledger --example project_speed -- ev.ndjson [runs]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use docket_ledger::project;
use docket_model::{Event, Slug};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: project_speed FILE.ndjson [runs]");
    let runs: usize = args.next().map_or(5, |r| r.parse().expect("runs"));
    let text = std::fs::read_to_string(&path).expect("read the file");
    let events: Vec<(u64, Event)> = (0u64..)
        .zip(text.lines().filter(|l| !l.trim().is_empty()))
        .map(|(seq, line)| {
            (
                seq,
                Event::from_json(line).expect("an event").with_derived_id(),
            )
        })
        .collect();
    let n = events.len();
    let mut rates = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let input = events.clone();
        let start = Instant::now();
        let p = project(input);
        let secs = start.elapsed().as_secs_f64();
        rates.push(n as f64 / secs);
        last = Some(p);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "project: {n} events, median {:.0} events/s (min {:.0}, max {:.0})",
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1]
    );
    let p = last.expect("at least one run");
    let start = Instant::now();
    let anomalies = p.anomalies();
    println!(
        "anomalies(): {} in {:.1} ms",
        anomalies.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let view = p.relations.view(
        &|e: &Slug| p.holdings.ultimate_parent(e),
        &|d: &Slug| p.disputes.is_active(d.as_str()),
        &|d: &Slug| p.disputes.get(d.as_str()).and_then(|d| d.closed),
    );
    println!(
        "view: {} conflicts, {} countersuits in {:.1} ms",
        view.conflicts.len(),
        view.countersuits.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let pairs = p
        .relations
        .pairs(&|e: &Slug| p.holdings.ultimate_parent(e), &|d: &Slug| {
            p.disputes.is_active(d.as_str())
        });
    println!(
        "pairs: {} in {:.1} ms",
        pairs.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let copy = p.clone();
    println!("clone: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    drop(copy);
}
