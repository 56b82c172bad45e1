//! A timeline picture: one lane per dispute on a shared time axis, every
//! event a mark (shape and colour by kind) with its full description as a
//! tooltip; related disputes (countersuits) on neighbouring lanes.

use std::fmt::Write as _;

use docket_model::{Body, Kind};

use super::{shorten, xml_escape};

/// One event to draw.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Entry seq.
    pub seq: u64,
    /// Event id.
    pub id: String,
    /// Effective instant, microseconds.
    pub at: i64,
    /// Effective, as written.
    pub date: String,
    /// Kind.
    pub kind: Kind,
    /// One-line description.
    pub what: String,
    /// `corrected by #N…` / `RETRACTED by #N…`, if revised.
    pub revised: Option<String>,
    /// Retracted (drawn faded).
    pub retracted: bool,
}

/// One lane: a dispute, or the events of no dispute.
#[derive(Debug, Clone)]
pub struct Lane {
    /// Its heading (dispute id, or `other events`).
    pub heading: String,
    /// A second line (title, status).
    pub detail: String,
    /// Its events in time order.
    pub marks: Vec<Mark>,
}

/// The dispute lanes an event belongs on.
pub fn disputes_of(body: &Body) -> Vec<String> {
    match body {
        Body::DisputeFiled(b) => vec![b.dispute.to_string()],
        Body::DisputeEntry(b) => vec![b.dispute.to_string()],
        Body::DisputeRuling(b) => vec![b.dispute.to_string()],
        Body::DisputeStayed(b) => vec![b.dispute.to_string()],
        Body::DisputeResumed(b) => vec![b.dispute.to_string()],
        Body::DisputeAppealed(b) => vec![b.dispute.to_string()],
        Body::DisputeJudgment(b) => vec![b.dispute.to_string()],
        Body::DisputeDismissed(b) => vec![b.dispute.to_string()],
        Body::DisputeSettled(b) => b.disputes.iter().map(|d| d.to_string()).collect(),
        Body::Correction(c) => disputes_of(&c.replacement.body),
        _ => Vec::new(),
    }
}

/// Colour and shape of a kind: (fill, shape, legend word).
fn style(kind: Kind) -> (&'static str, Shape, &'static str) {
    match kind {
        Kind::DisputeFiled => ("#1f5fbf", Shape::Square, "filed"),
        Kind::DisputeEntry => ("#9a9a9a", Shape::Dot, "docket entry"),
        Kind::DisputeRuling => ("#e08a00", Shape::Diamond, "ruling"),
        Kind::DisputeStayed => ("#8e44ad", Shape::Bar, "stayed"),
        Kind::DisputeResumed => ("#b07cc6", Shape::Bar, "resumed"),
        Kind::DisputeAppealed => ("#a0522d", Shape::Triangle, "appealed"),
        Kind::DisputeJudgment => ("#b0001e", Shape::Diamond, "judgment"),
        Kind::DisputeDismissed => ("#222222", Shape::Cross, "dismissed"),
        Kind::DisputeSettled => ("#1e8c3a", Shape::Circle, "settled"),
        Kind::PartnershipFormed | Kind::PartnershipEnded => {
            ("#2e9e5b", Shape::Circle, "partnership")
        }
        Kind::Correction | Kind::Retraction => {
            ("#d4a000", Shape::Triangle, "correction / retraction")
        }
        _ => ("#607080", Shape::Square, "corporate / other"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Square,
    Dot,
    Circle,
    Diamond,
    Triangle,
    Bar,
    Cross,
}

fn shape(out: &mut String, shape: Shape, x: f64, y: f64, fill: &str, extra: &str) {
    let _ = match shape {
        Shape::Square => write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="{fill}"{extra}/>"#,
            x - 5.0,
            y - 5.0
        ),
        Shape::Dot => write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{fill}"{extra}/>"#
        ),
        Shape::Circle => write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="{fill}"{extra}/>"#
        ),
        Shape::Diamond => write!(
            out,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}"{extra}/>"#,
            x,
            y - 7.0,
            x + 7.0,
            y,
            x,
            y + 7.0,
            x - 7.0,
            y
        ),
        Shape::Triangle => write!(
            out,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}"{extra}/>"#,
            x,
            y - 7.0,
            x + 7.0,
            y + 6.0,
            x - 7.0,
            y + 6.0
        ),
        Shape::Bar => write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="4" height="18" fill="{fill}"{extra}/>"#,
            x - 2.0,
            y - 9.0
        ),
        Shape::Cross => write!(
            out,
            r#"<path d="M{:.1},{:.1} l12,12 m0,-12 l-12,12" stroke="{fill}" stroke-width="3"{extra}/>"#,
            x - 6.0,
            y - 6.0
        ),
    };
}

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 280.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 60.0;
const LANE: f64 = 64.0;
const DAY: i64 = 86_400_000_000;

/// The year of an instant (microseconds), by civil-from-days.
fn year_of(micros: i64) -> i64 {
    let days = micros.div_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

/// The instant (microseconds) of 1 January of `year`.
fn year_start(year: i64) -> i64 {
    let y = year - 1;
    let days = 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) - 719_162;
    days * DAY
}

/// Draws the lanes as a standalone SVG document.
pub fn svg(title: &str, lanes: &[Lane]) -> String {
    let all: Vec<&Mark> = lanes.iter().flat_map(|l| &l.marks).collect();
    let min = all.iter().map(|m| m.at).min().unwrap_or(0);
    let max = all.iter().map(|m| m.at).max().unwrap_or(0);
    let (from, to) = {
        let pad = ((max - min) / 20).max(15 * DAY);
        (min - pad, max + pad)
    };
    let span = (to - from).max(1) as f64;
    let x = |at: i64| LEFT + (at - from) as f64 / span * (WIDTH - LEFT - RIGHT);
    let legend_top = TOP + LANE * lanes.len() as f64 + 20.0;
    let height = legend_top + 60.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="{}">"#,
        xml_escape(title)
    );
    let _ = write!(out, "<title>{}</title>", xml_escape(title));
    let _ = write!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = write!(
        out,
        r#"<text x="12" y="24" font-size="16" font-weight="bold">{}</text>"#,
        xml_escape(&shorten(title, 140))
    );
    // Time axis: a tick per year (every few years on long spans).
    let (first, last) = (year_of(from), year_of(to));
    let step = ((last - first) / 12 + 1).max(1);
    let bottom = TOP + LANE * lanes.len() as f64;
    let mut year = first;
    while year <= last + 1 {
        let at = year_start(year);
        if at >= from && at <= to {
            let tx = x(at);
            let _ = write!(
                out,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{bottom:.1}" stroke="#e4e4e4"/>"##,
                TOP - 14.0
            );
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" fill="#555">{year}</text>"##,
                tx + 3.0,
                TOP - 18.0
            );
        }
        year += step;
    }
    for (i, lane) in lanes.iter().enumerate() {
        let y = TOP + LANE * i as f64 + LANE / 2.0;
        let band = if i % 2 == 0 { "#f7f9fc" } else { "#ffffff" };
        let _ = write!(
            out,
            r#"<g class="lane"><rect x="0" y="{:.1}" width="{WIDTH}" height="{LANE}" fill="{band}"/>"#,
            y - LANE / 2.0
        );
        let _ = write!(
            out,
            r#"<text x="12" y="{:.1}" font-weight="bold">{}</text>"#,
            y - 4.0,
            xml_escape(&shorten(&lane.heading, 40))
        );
        let _ = write!(
            out,
            r##"<text x="12" y="{:.1}" fill="#666" font-size="10">{}</text>"##,
            y + 11.0,
            xml_escape(&shorten(&lane.detail, 48))
        );
        if let (Some(a), Some(b)) = (lane.marks.first(), lane.marks.last()) {
            let _ = write!(
                out,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#c8d0dc" stroke-width="3"/>"##,
                x(a.at),
                x(b.at)
            );
        }
        let mut labelled_until = f64::MIN;
        for mark in &lane.marks {
            let (fill, form, _) = style(mark.kind);
            let mx = x(mark.at);
            let mut tip = format!(
                "{} · #{} · {} · {}\n{}",
                mark.date,
                mark.seq,
                mark.kind.as_str(),
                mark.id,
                mark.what
            );
            if let Some(r) = &mark.revised {
                tip.push_str(&format!("\n[{r}]"));
            }
            let extra = if mark.retracted {
                r#" opacity="0.35""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<g class="event {}" data-id="{}" data-seq="{}"><title>{}</title>"#,
                mark.kind.as_str().replace('.', "-"),
                xml_escape(&mark.id),
                mark.seq,
                xml_escape(&tip)
            );
            shape(&mut out, form, mx, y, fill, extra);
            if mark.kind != Kind::DisputeEntry && mx > labelled_until {
                let label = shorten(style(mark.kind).2, 20);
                let _ = write!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{fill}">{}</text>"#,
                    mx + 8.0,
                    y - 10.0,
                    xml_escape(&label)
                );
                labelled_until = mx + 8.0 + 6.0 * label.chars().count() as f64;
            }
            out.push_str("</g>");
        }
        out.push_str("</g>");
    }
    // Legend.
    let kinds = [
        Kind::DisputeFiled,
        Kind::DisputeEntry,
        Kind::DisputeRuling,
        Kind::DisputeStayed,
        Kind::DisputeAppealed,
        Kind::DisputeJudgment,
        Kind::DisputeDismissed,
        Kind::DisputeSettled,
        Kind::PartnershipFormed,
        Kind::Correction,
        Kind::EntityRegistered,
    ];
    let mut lx = 12.0;
    for kind in kinds {
        let (fill, form, word) = style(kind);
        shape(&mut out, form, lx + 6.0, legend_top + 10.0, fill, "");
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 16.0,
            legend_top + 14.0,
            xml_escape(word)
        );
        lx += 24.0 + 6.5 * word.len() as f64;
    }
    out.push_str("</svg>");
    out
}

/// A self-contained HTML page: the SVG inline and a table of every event.
pub fn html(title: &str, lanes: &[Lane]) -> String {
    let mut rows: Vec<(&Lane, &Mark)> = lanes
        .iter()
        .flat_map(|l| l.marks.iter().map(move |m| (l, m)))
        .collect();
    rows.sort_by_key(|(_, m)| (m.at, m.seq));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>",
        xml_escape(title)
    );
    out.push_str("<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f3f8}.retracted{text-decoration:line-through;color:#888}svg{max-width:100%;height:auto}</style></head><body>");
    let _ = writeln!(out, "<h1>{}</h1>", xml_escape(title));
    out.push_str(&svg(title, lanes));
    out.push_str("\n<h2>Events</h2><table><thead><tr><th>Effective</th><th>Seq</th><th>Lane</th><th>Kind</th><th>Id</th><th>What</th></tr></thead><tbody>");
    for (lane, m) in rows {
        let class = if m.retracted {
            " class=\"retracted\""
        } else {
            ""
        };
        let note = m
            .revised
            .as_ref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            xml_escape(&m.date),
            m.seq,
            xml_escape(&lane.heading),
            m.kind.as_str(),
            xml_escape(&m.id),
            xml_escape(&m.what),
            xml_escape(&note)
        );
    }
    out.push_str("</tbody></table></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_round_trip() {
        for year in [1970, 1999, 2000, 2023, 2024, 2100] {
            assert_eq!(year_of(year_start(year)), year);
            assert_eq!(year_of(year_start(year) - 1), year - 1);
        }
    }
}
