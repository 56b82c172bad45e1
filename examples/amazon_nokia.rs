//! The founding story through the library API, without the command line:
//! build a ledger from `examples/amazon-nokia.ndjson`, ask it about three
//! moments, and verify it.
//!
//! Run with `cargo run --example amazon_nokia`.

use std::path::Path;

use docket_ledger::{ImportOptions, Ledger, TimeQuery, hex, parse_instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let ledger = Ledger::init(&scratch.path().join("example.ledger"))?;
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/amazon-nokia.ndjson");
    let report = ledger.import(&example, &ImportOptions::default(), &mut |_| {})?;
    println!("imported {} events", report.appended);

    for date in ["2023-10-30", "2024-07-31", "2025-04-01"] {
        let query = TimeQuery {
            as_of: Some(parse_instant(date)?),
            ..TimeQuery::default()
        };
        let state = ledger.state(&query)?;
        let disputes = &state.projections.disputes;
        let open = disputes.iter().filter(|d| d.is_active()).count();
        println!("\nas of {date}: {} disputes, {open} open", disputes.len());
        let view = state.relations_view();
        for conflict in &view.conflicts {
            println!(
                "  conflict: {} and {} are adverse in {} open disputes while partners in {:?}",
                conflict.parties[0],
                conflict.parties[1],
                conflict.disputes.len(),
                conflict
                    .partnerships
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
            );
        }
        for countersuit in &view.countersuits {
            println!(
                "  countersuit: {} answers {}",
                countersuit.dispute, countersuit.answers
            );
        }
    }

    let verified = ledger.verify(&mut |_, _| {});
    println!(
        "\nverified: {} (head {})",
        verified.is_ok(),
        hex(&ledger.head().hash)
    );
    if !verified.is_ok() {
        return Err("the example ledger does not verify".into());
    }
    Ok(())
}
