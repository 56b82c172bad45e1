//! The one-line summaries of [`HistoryItem`](crate::HistoryItem)s and the
//! wording of anomaly reasons.

use docket_model::{
    DisputeAppealed, DisputeDismissed, DisputeFiled, DisputeJudgment, DisputeRuling, Text,
};

use crate::dispute::Dispute;

/// How many characters of a free text a summary keeps.
const MAX_EXCERPT: usize = 120;

/// The first non-blank line of `text`, trimmed, tabs as spaces, cut to
/// [`MAX_EXCERPT`] characters; `…` marks anything left out.
pub(crate) fn excerpt(text: &Text) -> String {
    let mut out = String::new();
    push_excerpt(&mut out, text);
    out
}

/// Appends [`excerpt`]`(text)` to `out`.
fn push_excerpt(out: &mut String, text: &Text) {
    let s = text.as_str();
    // Most texts are one short, clean line: their excerpt is the text
    // itself, and copying it skips the per-character walk below (a
    // dispute's history makes one for each of its docket entries).
    let clean = s.len() <= MAX_EXCERPT
        && !s.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r'))
        && s.trim().len() == s.len()
        && !s.is_empty();
    if clean {
        out.push_str(s);
        return;
    }
    let mut lines = s.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    out.extend(
        first
            .chars()
            .take(MAX_EXCERPT)
            .map(|c| if c == '\t' { ' ' } else { c }),
    );
    if first.chars().count() > MAX_EXCERPT || lines.next().is_some() {
        out.push('…');
    }
}

/// `label` alone, or `label: excerpt` when there is a text.
fn with_text(label: &str, text: Option<&Text>) -> String {
    match text {
        Some(t) => format!("{label}: {}", excerpt(t)),
        None => label.to_owned(),
    }
}

/// `filed in ded (case 1:23-cv-01236), responding to x`.
pub(crate) fn filed(b: &DisputeFiled) -> String {
    let mut s = format!("filed in {}", b.forum.court);
    if let Some(case) = &b.forum.case_number {
        s.push_str(&format!(" (case {case})"));
    }
    if let Some(other) = &b.responds_to {
        s.push_str(&format!(", responding to {other}"));
    }
    s
}

/// `docket entry 12: Answer filed` (without a number: `docket entry: …`).
pub(crate) fn entry(number: Option<&Text>, description: &Text) -> String {
    // Built in one buffer: a history lists every docket entry.
    let digits = number.map_or("", Text::as_str);
    let mut s = String::with_capacity(16 + digits.len() + description.as_str().len().min(124));
    s.push_str("docket entry");
    if let Some(n) = number {
        s.push(' ');
        s.push_str(n.as_str());
    }
    s.push_str(": ");
    push_excerpt(&mut s, description);
    s
}

/// `ruling: injunction for nokia-technologies`.
pub(crate) fn ruling(b: &DisputeRuling) -> String {
    match &b.favor {
        Some(f) => format!("ruling: {} for {f}", b.outcome),
        None => format!("ruling: {}", b.outcome),
    }
}

/// `stayed: pending IPR` / `resumed`.
pub(crate) fn stay(label: &str, reason: Option<&Text>) -> String {
    with_text(label, reason)
}

/// `appealed by amazon to cafc (case 25-1234)`.
pub(crate) fn appealed(b: &DisputeAppealed) -> String {
    let mut s = "appealed".to_owned();
    if let Some(by) = &b.by {
        s.push_str(&format!(" by {by}"));
    }
    if let Some(forum) = &b.forum {
        s.push_str(&format!(" to {}", forum.court));
        if let Some(case) = &forum.case_number {
            s.push_str(&format!(" (case {case})"));
        }
    }
    s
}

/// `judgment for nokia`.
pub(crate) fn judgment(b: &DisputeJudgment) -> String {
    match &b.favor {
        Some(f) => format!("judgment for {f}"),
        None => "judgment".to_owned(),
    }
}

/// `dismissed (voluntary)`.
pub(crate) fn dismissed(b: &DisputeDismissed) -> String {
    match b.reason {
        Some(r) => format!("dismissed ({r})"),
        None => "dismissed".to_owned(),
    }
}

/// `settled together with 3 other disputes (terms: …)`.
pub(crate) fn settled(others: usize, terms: Option<&Text>) -> String {
    let mut s = match others {
        0 => "settled".to_owned(),
        1 => "settled together with 1 other dispute".to_owned(),
        n => format!("settled together with {n} other disputes"),
    };
    if let Some(t) = terms {
        s.push_str(&format!(" (terms: {})", excerpt(t)));
    }
    s
}

/// Where a dispute stands, for anomaly reasons: `open`, `on-appeal`,
/// `settled (since 2025-03-31)`.
pub(crate) fn standing(d: &Dispute) -> String {
    match (d.status, &d.closed) {
        (s, Some(at)) if s.is_terminal() => format!("{s} (since {at})"),
        (s, _) => s.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text::new(s).unwrap()
    }

    #[test]
    fn excerpts_keep_the_first_line_and_mark_cuts() {
        assert_eq!(excerpt(&text("Answer filed")), "Answer filed");
        assert_eq!(excerpt(&text("\n  Answer\tfiled \nmore")), "Answer filed…");
        let long = "x".repeat(MAX_EXCERPT + 1);
        let cut = excerpt(&text(&long));
        assert_eq!(cut.chars().count(), MAX_EXCERPT + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt(&text(&"é".repeat(MAX_EXCERPT))).chars().count(),
            MAX_EXCERPT
        );
    }

    #[test]
    fn settlement_wording_counts_the_others() {
        assert_eq!(settled(0, None), "settled");
        assert_eq!(settled(1, None), "settled together with 1 other dispute");
        assert_eq!(
            settled(3, Some(&text("confidential\nlicence"))),
            "settled together with 3 other disputes (terms: confidential…)"
        );
    }
}
