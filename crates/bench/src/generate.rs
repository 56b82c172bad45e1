//! The workload generator: a deterministic, realistic history of disputes
//! that the ledger accepts with validation on.
//!
//! The generator simulates the world it writes about. Time moves forward
//! from 1995-01-01 over thirty years, evenly over the requested number of
//! events, and every event is chosen from what the simulated state allows:
//! a ruling only in an open dispute, a settlement only of disputes that are
//! not closed, a divestment only by an entity that holds the asset, parties
//! registered before they are named, a partnership ended only after it was
//! formed. Some events are back-dated (docket entries inside a dispute's
//! life, registrations of new top-level companies) and some are corrected
//! or retracted later; the back-dated ones are chosen so that they cannot
//! invalidate anything recorded after them. Every event has an explicit id
//! (`e<n>`), so the file has exactly as many events as lines.

use std::io::{self, Write};

use crate::prng::SplitMix64;
use crate::rules::{AREAS, Dispute, Revisable, Status, World};

/// What a generated file contains, for the harness to aim its queries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events written (one per line).
    pub events: u64,
    /// Entities registered (courts included).
    pub entities: u64,
    /// Disputes filed.
    pub disputes: u64,
    /// Partnerships formed.
    pub partnerships: u64,
    /// Corrections and retractions written.
    pub revisions: u64,
    /// Events written with an effective date before the simulation's clock.
    pub backdated: u64,
    /// Bytes of JSON written.
    pub bytes: u64,
    /// A dispute filed half-way through, for one-dispute queries.
    pub sample_dispute: String,
    /// A company registered half-way through, for one-entity queries.
    pub sample_entity: String,
    /// The date half-way through the history, for `--as-of` queries.
    pub middle_date: String,
    /// The effective date of the last event.
    pub last_date: String,
}

/// First day of the simulated history: 1995-01-01, in days since
/// 1970-01-01.
pub(crate) const START_DAY: i64 = 9131;
/// Length of the simulated history in days (thirty years).
const SPAN_DAYS: i64 = 30 * 365;

/// `YYYY-MM-DD` for a count of days since 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's `civil_from_days`).
pub fn date_of_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Writes `events` NDJSON events generated from `seed` to `out`.
pub fn generate(events: u64, seed: u64, out: &mut dyn Write) -> io::Result<Summary> {
    let mut world = World::new(SplitMix64::new(seed), events);
    let mut summary = Summary {
        events,
        ..Summary::default()
    };
    let mut writer = io::BufWriter::with_capacity(1 << 20, out);
    for n in 0..events {
        let day = START_DAY + (n as i64 * SPAN_DAYS) / events.max(1) as i64;
        world.day = day;
        if n == events / 2 {
            summary.middle_date = date_of_day(day);
        }
        let line = world.next_event(n);
        summary.bytes += line.len() as u64 + 1;
        writer.write_all(line.as_bytes())?;
        writer.write_all(b"\n")?;
        if n + 1 == events {
            summary.last_date = date_of_day(day);
        }
    }
    writer.flush()?;
    summary.entities = world.entities.len() as u64;
    summary.disputes = world.disputes.len() as u64;
    summary.partnerships = world.partnerships;
    summary.revisions = world.revisions;
    summary.backdated = world.backdated;
    summary.sample_dispute = format!("d-{}", world.disputes.len() / 2);
    summary.sample_entity = world
        .companies
        .get(world.companies.len() / 2)
        .and_then(|&i| world.entities.get(i as usize))
        .map(|e| e.slug.clone())
        .unwrap_or_default();
    Ok(summary)
}

/// Docket entry descriptions.
const FILINGS: &[&str] = &[
    "Complaint for patent infringement.",
    "Answer and counterclaims.",
    "Motion to dismiss for lack of jurisdiction.",
    "Order granting extension of time.",
    "Claim construction brief.",
    "Notice of appearance of counsel.",
    "Scheduling order.",
    "Joint status report.",
    "Motion to stay pending inter partes review.",
    "Expert report on damages.",
];

impl World {
    /// The next event, as one line of JSON, numbered `n`.
    fn next_event(&mut self, n: u64) -> String {
        self.current = n;
        let head = format!("{{\"id\":\"e{n}\",");
        let body = self.choose();
        let mut line = head;
        line.push_str(&body);
        if self.rng.chance(15) {
            let k = self.rng.below(1_000_000);
            line.push_str(&format!(
                ",\"sources\":[{{\"title\":\"Law360 report {k}\",\"url\":\"https://news.example/{k}\"}}]"
            ));
        }
        if self.rng.chance(5) {
            line.push_str(",\"note\":\"Entered from the public docket.\"");
        }
        line.push('}');
        line
    }

    /// Picks an event the state allows and returns its fields after `id`
    /// (from `"kind"` on, without the closing brace).
    fn choose(&mut self) -> String {
        if self.needs_registration() {
            return self.register();
        }
        let roll = self.rng.below(100);
        let attempt = match roll {
            0..=7 => self.file(),
            8..=49 => self.entry(),
            50..=57 => self.ruling(),
            58..=59 => self.status_change(Status::Stayed),
            60..=61 => self.status_change(Status::Open),
            62..=63 => self.status_change(Status::OnAppeal),
            64..=66 => self.status_change(Status::Decided),
            67..=68 => self.status_change(Status::Dismissed),
            69..=72 => self.settle(),
            73..=76 => self.form(),
            77..=79 => self.end(),
            80..=81 => self.acquire(),
            82..=83 => self.divest(),
            84 => self.rename(),
            85..=87 => self.correct(),
            88 => self.retract(),
            _ => None,
        };
        attempt
            .or_else(|| self.entry())
            .or_else(|| self.file())
            .unwrap_or_else(|| self.register())
    }

    /// A recent dispute whose status passes `fits`, after a few tries.
    fn pick_dispute(&mut self, fits: impl Fn(&Dispute) -> bool) -> Option<usize> {
        let len = self.disputes.len();
        for _ in 0..6 {
            if len == 0 {
                return None;
            }
            let back = self.rng.index(len.min(400));
            let i = len - 1 - back;
            if self.disputes.get(i).is_some_and(&fits) {
                return Some(i);
            }
        }
        None
    }

    fn entry(&mut self) -> Option<String> {
        let i = self.pick_dispute(|_| true)?;
        let d = &self.disputes[i];
        let filed_day = d.filed_day;
        let parties = d.parties.clone();
        let number = d.entries + 1;
        let backdate = self.rng.chance(8) && filed_day < self.day;
        let day = if backdate {
            self.backdated += 1;
            filed_day + self.rng.below((self.day - filed_day) as u64 + 1) as i64
        } else {
            self.day
        };
        let description = FILINGS[self.rng.index(FILINGS.len())];
        let mut text = format!(
            "\"kind\":\"dispute.entry\",\"effective\":\"{}\",\"dispute\":\"d-{i}\",\"description\":\"{description}\"",
            date_of_day(day)
        );
        if !backdate {
            text.push_str(&format!(",\"number\":{number}"));
            self.disputes[i].entries = number;
        }
        if self.rng.chance(50) {
            let who = parties[self.rng.index(parties.len())];
            text.push_str(&format!(",\"filed_by\":\"{}\"", self.slug(who)));
        }
        self.remember(Revisable::Entry { dispute: i, day });
        Some(text)
    }

    fn ruling(&mut self) -> Option<String> {
        let i = self.pick_dispute(|d| matches!(d.status, Status::Open | Status::OnAppeal))?;
        const OUTCOMES: &[&str] = &[
            "infringement",
            "no-infringement",
            "invalid",
            "valid",
            "injunction",
        ];
        let outcome = self.rng.index(OUTCOMES.len());
        let parties = self.disputes[i].parties.clone();
        let favor = parties[self.rng.index(parties.len())];
        self.remember(Revisable::Ruling {
            dispute: i,
            day: self.day,
            outcome,
            favor,
        });
        Some(format!(
            "\"kind\":\"dispute.ruling\",\"effective\":\"{}\",\"dispute\":\"d-{i}\",\"outcome\":\"{}\",\"favor\":\"{}\",\"summary\":\"Interim ruling on {}.\"",
            date_of_day(self.day),
            OUTCOMES[outcome],
            self.slug(favor),
            AREAS[self.rng.index(AREAS.len())]
        ))
    }

    /// A stay, resumption, appeal, judgment or dismissal, moving a dispute
    /// to `to` if one can make that move.
    fn status_change(&mut self, to: Status) -> Option<String> {
        let i = self.pick_dispute(|d| d.status.can_become(to))?;
        let date = date_of_day(self.day);
        let d = &self.disputes[i];
        let (first, last) = (d.parties[0], d.parties[d.parties.len() - 1]);
        let (from, stayed_from) = (d.status, d.stayed_from);
        let head = format!("\"effective\":\"{date}\",\"dispute\":\"d-{i}\"");
        let (text, status, stayed_from) = match to {
            Status::Stayed => (
                format!(
                    "\"kind\":\"dispute.stayed\",{head},\"reason\":\"Pending inter partes review.\""
                ),
                to,
                from,
            ),
            Status::Open => (
                format!("\"kind\":\"dispute.resumed\",{head}"),
                stayed_from,
                stayed_from,
            ),
            Status::OnAppeal => (
                format!(
                    "\"kind\":\"dispute.appealed\",{head},\"by\":\"{}\"",
                    self.slug(first)
                ),
                to,
                stayed_from,
            ),
            Status::Decided => (
                format!(
                    "\"kind\":\"dispute.judgment\",{head},\"favor\":\"{}\",\"summary\":\"Final judgment after trial.\"",
                    self.slug(last)
                ),
                to,
                stayed_from,
            ),
            _ => (
                format!("\"kind\":\"dispute.dismissed\",{head},\"reason\":\"voluntary\""),
                to,
                stayed_from,
            ),
        };
        let d = &mut self.disputes[i];
        d.status = status;
        d.stayed_from = stayed_from;
        Some(text)
    }

    fn settle(&mut self) -> Option<String> {
        let open = |d: &Dispute| !d.status.is_terminal();
        let first = self.pick_dispute(open)?;
        let mut chosen = vec![first];
        for _ in 0..self.rng.below(3) {
            if let Some(more) = self.pick_dispute(open)
                && !chosen.contains(&more)
            {
                chosen.push(more);
            }
        }
        let list: Vec<String> = chosen.iter().map(|i| format!("\"d-{i}\"")).collect();
        for &i in &chosen {
            self.disputes[i].status = Status::Settled;
        }
        Some(format!(
            "\"kind\":\"dispute.settled\",\"effective\":\"{}\",\"disputes\":[{}],\"terms\":\"Confidential cross-licence.\"",
            date_of_day(self.day),
            list.join(",")
        ))
    }

    fn correct(&mut self) -> Option<String> {
        let (id, target) = self.take_revisable()?;
        self.revisions += 1;
        let replacement = match target {
            Revisable::Entry { dispute, day } => format!(
                "{{\"kind\":\"dispute.entry\",\"effective\":\"{}\",\"dispute\":\"d-{dispute}\",\"description\":\"Corrected: {}\"}}",
                date_of_day(day),
                FILINGS[self.rng.index(FILINGS.len())]
            ),
            Revisable::Ruling {
                dispute,
                day,
                outcome,
                favor,
            } => format!(
                "{{\"kind\":\"dispute.ruling\",\"effective\":\"{}\",\"dispute\":\"d-{dispute}\",\"outcome\":\"{}\",\"favor\":\"{}\",\"summary\":\"Corrected summary of the ruling.\"}}",
                date_of_day(day),
                [
                    "infringement",
                    "no-infringement",
                    "invalid",
                    "valid",
                    "injunction"
                ][outcome],
                self.slug(favor)
            ),
        };
        Some(format!(
            "\"kind\":\"correction\",\"effective\":\"{}\",\"target\":\"e{id}\",\"reason\":\"Transcription error.\",\"replacement\":{replacement}",
            date_of_day(self.day)
        ))
    }

    fn retract(&mut self) -> Option<String> {
        // Only docket entries are retracted: nothing depends on them.
        let (id, target) = self.take_revisable()?;
        if !matches!(target, Revisable::Entry { .. }) {
            self.revisable.push((id, target));
            return None;
        }
        self.revisions += 1;
        Some(format!(
            "\"kind\":\"retraction\",\"effective\":\"{}\",\"target\":\"e{id}\",\"reason\":\"Entered twice in error.\"",
            date_of_day(self.day)
        ))
    }
}

#[cfg(test)]
#[path = "generate_tests.rs"]
mod tests;
