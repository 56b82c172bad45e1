//! Throughput of building and verifying a large log. Ignored by default:
//! run with `cargo test -p docket-log --release -- --ignored --nocapture speed`.
//! Prints timings; never asserts on them.

use std::time::Instant;

use super::new_log;
use crate::NewEntry;

#[test]
#[ignore = "slow; run in release mode to measure"]
fn speed_of_append_and_verify() {
    let n: u64 = std::env::var("DOCKET_LOG_SPEED_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let (_dir, _path, log) = new_log();
    let started = Instant::now();
    let mut next = 0;
    while next < n {
        let batch = (next..n.min(next + 10_000))
            .map(|i| NewEntry {
                payload: format!("{i:0>300}").into_bytes(),
                index_keys: vec![],
            })
            .collect::<Vec<_>>();
        next += batch.len() as u64;
        log.append(batch).unwrap();
    }
    let appended = started.elapsed();
    let started = Instant::now();
    let report = log.verify(&mut |_, _| {});
    let verified = started.elapsed();
    assert!(report.is_ok());
    let started = Instant::now();
    let report = log.verify_on(0, &mut |_, _| {}, &|_, _| (), &mut |_, _| {});
    let sequential = started.elapsed();
    assert!(report.is_ok());
    let started = Instant::now();
    let read = log.range(0..n).map(Result::unwrap).count();
    let ranged = started.elapsed();
    assert_eq!(read as u64, n);
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "{n} entries of 356 bytes: append {:.0}/s, verify {:.0}/s \
         (on the calling thread alone {:.0}/s), range {:.0}/s",
        rate(appended),
        rate(verified),
        rate(sequential),
        rate(ranged)
    );
}
