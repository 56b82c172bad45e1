//! The measured phases against docket itself. Each runs in a child process
//! of its own (see `harness`), so that the `VmHWM` it reports is the peak
//! resident memory of that phase alone.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use docket_ledger::disputes::Histories;
use docket_ledger::{AppendOptions, ImportOptions, Ledger, TimeQuery, parse_instant};
use docket_log::{Log, NewEntry};

/// What a phase measured: named numbers (seconds, counts, bytes…).
pub type Metrics = BTreeMap<String, f64>;

/// Where one size's workload lives, as the harness passes it to phases.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// The NDJSON events.
    pub events: &'a Path,
    /// The same events as canonical payloads (see [`write_payloads`]).
    pub payloads: &'a Path,
    /// Number of events.
    pub count: u64,
    /// A dispute to query.
    pub dispute: &'a str,
    /// An entity to query.
    pub entity: &'a str,
    /// A date half-way through the history.
    pub middle_date: &'a str,
    /// The last effective date.
    pub last_date: &'a str,
}

/// Peak resident memory of this process so far, in bytes (`VmHWM`).
pub fn peak_memory() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| kb * 1024.0)
        .unwrap_or(0.0)
}

/// Bytes on disk (allocated blocks) under `path`.
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| disk_usage(&e.path()))
                    .sum()
            })
            .unwrap_or(0)
    } else {
        meta.blocks() * 512
    }
}

/// Encodes every event of `events` to its canonical payload (derived id
/// filled in, as the ledger stores it) and writes them to `out` as
/// `u32 big-endian length ‖ bytes` records. Returns the payload bytes.
pub fn write_payloads(events: &Path, out: &Path) -> Result<u64> {
    use std::io::{BufRead, Write};
    let reader = BufReader::new(std::fs::File::open(events)?);
    let mut writer = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut total = 0u64;
    for line in reader.lines() {
        let payload = canonical_payload(line?.as_bytes())?;
        writer.write_all(&(payload.len() as u32).to_be_bytes())?;
        writer.write_all(&payload)?;
        total += payload.len() as u64;
    }
    writer.flush()?;
    Ok(total)
}

/// The payload docket stores for one NDJSON line: the event parsed, its
/// derived id filled in, and encoded.
pub fn canonical_payload(line: &[u8]) -> Result<Vec<u8>> {
    docket_model::Event::from_json_bytes(line)
        .map_err(|e| anyhow!("{e}"))?
        .with_derived_id()
        .encode()
        .map_err(|e| anyhow!("{e}"))
}

/// Streams the payloads written by [`write_payloads`].
pub struct Payloads {
    reader: BufReader<std::fs::File>,
}

impl Payloads {
    /// Opens a payload file.
    pub fn open(path: &Path) -> Result<Payloads> {
        Ok(Payloads {
            reader: BufReader::with_capacity(1 << 20, std::fs::File::open(path)?),
        })
    }
}

impl Iterator for Payloads {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        let mut len = [0u8; 4];
        self.reader.read_exact(&mut len).ok()?;
        let mut bytes = vec![0u8; u32::from_be_bytes(len) as usize];
        self.reader.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }
}

/// The median of `samples` (0 when empty).
pub fn median(samples: &mut [f64]) -> f64 {
    percentile(samples, 50.0)
}

/// The `p`th percentile of `samples` (nearest rank; 0 when empty).
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Times `f` `times` times; returns the median in milliseconds.
fn median_ms(times: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut samples = Vec::with_capacity(times);
    for _ in 0..times {
        let start = Instant::now();
        f()?;
        samples.push(secs(start.elapsed()) * 1e3);
    }
    Ok(median(&mut samples))
}

/// Bulk import of the NDJSON file into a new ledger at `ledger`, with
/// validation on (default options).
pub fn import(w: &Workload, ledger: &Path) -> Result<Metrics> {
    let start = Instant::now();
    let l = Ledger::init(ledger)?;
    let report = l.import(w.events, &ImportOptions::default(), &mut |_| {})?;
    drop(l);
    let elapsed = secs(start.elapsed());
    if report.appended != w.count {
        bail!("imported {} of {} events", report.appended, w.count);
    }
    let mut m = Metrics::new();
    m.insert("import_eps".into(), w.count as f64 / elapsed);
    m.insert("import_peak".into(), peak_memory());
    m.insert("disk".into(), disk_usage(ledger) as f64);
    Ok(m)
}

/// Entries per durable batch, for docket's import and every baseline
/// alike: the import's default, so that each pays for as many waits on
/// the disk.
pub const BATCH: usize = ImportOptions::DEFAULT_BATCH_SIZE;

/// The same payloads appended straight to a `docket_log::Log`, in durable
/// batches of [`BATCH`], without index keys: docket's storage layer alone.
pub fn log_append(w: &Workload, dir: &Path) -> Result<Metrics> {
    let start = Instant::now();
    let log = Log::create(dir)?;
    let mut batch = Vec::with_capacity(BATCH);
    for payload in Payloads::open(w.payloads)? {
        batch.push(NewEntry {
            payload,
            index_keys: Vec::new(),
        });
        if batch.len() == BATCH {
            log.append(std::mem::take(&mut batch))?;
        }
    }
    if !batch.is_empty() {
        log.append(batch)?;
    }
    drop(log);
    let mut m = Metrics::new();
    m.insert(
        "log_append_eps".into(),
        w.count as f64 / secs(start.elapsed()),
    );
    m.insert("log_disk".into(), disk_usage(dir) as f64);
    Ok(m)
}

/// Full verification of the ledger (chain, Merkle nodes, payloads,
/// signatures, index, snapshot).
pub fn verify(w: &Workload, ledger: &Path) -> Result<Metrics> {
    timed_verify(w, ledger, "verify", Ledger::verify)
}

/// Verification of the evidence only (no derived index or snapshot), in a
/// process of its own so that its peak memory is its own.
pub fn verify_evidence(w: &Workload, ledger: &Path) -> Result<Metrics> {
    timed_verify(w, ledger, "verify_evidence", Ledger::verify_evidence)
}

/// Times one kind of verification; its metrics are named `{name}_eps` and
/// `{name}_peak`.
fn timed_verify(
    w: &Workload,
    ledger: &Path,
    name: &str,
    check: fn(&Ledger, &mut dyn FnMut(u64, u64)) -> docket_ledger::LedgerVerifyReport,
) -> Result<Metrics> {
    let l = Ledger::open(ledger)?;
    let start = Instant::now();
    let report = check(&l, &mut |_, _| {});
    let elapsed = secs(start.elapsed());
    if !report.is_ok() {
        bail!("{name} failed: {report:?}");
    }
    let mut m = Metrics::new();
    m.insert(format!("{name}_eps"), w.count as f64 / elapsed);
    m.insert(format!("{name}_peak"), peak_memory());
    Ok(m)
}

fn as_of(date: &str) -> Result<TimeQuery> {
    Ok(TimeQuery {
        as_of: Some(parse_instant(date).map_err(|e| anyhow!("{date}: {e}"))?),
        ..TimeQuery::default()
    })
}

/// Full replay: the state as of the last date, which applies every event.
pub fn replay(w: &Workload, ledger: &Path) -> Result<Metrics> {
    let l = Ledger::open(ledger)?;
    let query = as_of(w.last_date)?;
    let start = Instant::now();
    let state = l.state(&query)?;
    let elapsed = secs(start.elapsed());
    if state.visible != w.count {
        bail!("replay saw {} of {} entries", state.visible, w.count);
    }
    let mut m = Metrics::new();
    m.insert("replay_eps".into(), w.count as f64 / elapsed);
    m.insert("replay_peak".into(), peak_memory());
    Ok(m)
}

/// Query latencies: state as of a past date, state now (cold and warm),
/// the conflicts and countersuits now (on the warm state), one dispute,
/// one entity now and as of a past date (its holdings from the state in
/// memory), a checkpoint and an inclusion proof; then, the ledger opened
/// again, one entity now (its holdings read from the stored snapshot);
/// then, opened once more, the state now without the disputes' histories.
pub fn queries(w: &Workload, ledger: &Path) -> Result<Metrics> {
    let l = Ledger::open(ledger)?;
    let mut m = Metrics::new();
    let now = TimeQuery::default();
    let start = Instant::now();
    l.state(&now)?;
    m.insert("state_cold_ms".into(), secs(start.elapsed()) * 1e3);
    m.insert(
        "state_warm_ms".into(),
        median_ms(5, || l.state(&now).map(drop).map_err(Into::into))?,
    );
    let current = l.state(&now)?;
    m.insert(
        "view_ms".into(),
        median_ms(5, || {
            std::hint::black_box(current.relations_view());
            Ok(())
        })?,
    );
    drop(current);
    let past = as_of(w.middle_date)?;
    m.insert(
        "state_asof_ms".into(),
        median_ms(3, || l.state(&past).map(drop).map_err(Into::into))?,
    );
    let mut read = 0u64;
    m.insert(
        "dispute_ms".into(),
        median_ms(11, || {
            let view = l
                .dispute(w.dispute, &now)?
                .context("sample dispute missing")?;
            read = view.entries_read;
            Ok(())
        })?,
    );
    m.insert("dispute_read".into(), read as f64);
    for (name, query, times) in [("entity", &now, 11), ("entity_asof", &past, 3)] {
        m.insert(
            format!("{name}_ms"),
            median_ms(times, || {
                let view = l
                    .entity(w.entity, query)?
                    .context("sample entity missing")?;
                read = view.entries_read;
                Ok(())
            })?,
        );
        m.insert(format!("{name}_read"), read as f64);
    }
    m.insert(
        "checkpoint_ms".into(),
        median_ms(21, || l.checkpoint(None).map(drop).map_err(Into::into))?,
    );
    let mut seq = 0u64;
    m.insert(
        "prove_ms".into(),
        median_ms(21, || {
            seq = (seq + 7919) % w.count.max(1);
            l.prove(seq, None).map(drop).map_err(Into::into)
        })?,
    );
    drop(l);
    let l = Ledger::open(ledger)?;
    let start = Instant::now();
    let view = l.entity(w.entity, &now)?.context("sample entity missing")?;
    m.insert("entity_cold_ms".into(), secs(start.elapsed()) * 1e3);
    // Through the stored snapshot, unless it was missing or could not
    // catch up: then many more entries are read.
    m.insert("entity_cold_read".into(), view.entries_read as f64);
    drop(l);
    // As `docket state` and `conflicts` read it: from the stored snapshot,
    // without the disputes' histories.
    let l = Ledger::open(ledger)?;
    let start = Instant::now();
    let state = l.state_without_histories(&now)?;
    m.insert("state_overview_ms".into(), secs(start.elapsed()) * 1e3);
    if state.histories != Histories::Skip {
        bail!("the state without histories was not read from the stored snapshot");
    }
    m.insert("queries_peak".into(), peak_memory());
    Ok(m)
}

/// Single durable, validated appends of one docket entry each.
pub fn append(w: &Workload, ledger: &Path, count: usize) -> Result<Metrics> {
    let l = Ledger::open(ledger)?;
    // The first append after opening loads the snapshot; keep it out.
    let mut samples = Vec::with_capacity(count);
    let mut first = 0.0;
    for k in 0..=count {
        let text = format!(
            "{{\"id\":\"bench-append-{k}\",\"kind\":\"dispute.entry\",\"effective\":\"{}\",\"dispute\":\"{}\",\"description\":\"Benchmark entry {k}.\"}}",
            w.last_date, w.dispute
        );
        let start = Instant::now();
        let outcome = l.append_json(&text, &AppendOptions::default())?;
        let ms = secs(start.elapsed()) * 1e3;
        if outcome.appended() != 1 {
            bail!("append {k} stored nothing");
        }
        if k == 0 {
            first = ms;
        } else {
            samples.push(ms);
        }
    }
    let mut m = Metrics::new();
    m.insert("append_first_ms".into(), first);
    m.insert("append_p50_ms".into(), percentile(&mut samples, 50.0));
    m.insert("append_p99_ms".into(), percentile(&mut samples, 99.0));
    Ok(m)
}
