//! One-line human descriptions of events, for `log`, `show` and `demo`.

use docket_model::{Body, Event, PublicKey, Slug};

fn list(slugs: &[Slug]) -> String {
    slugs
        .iter()
        .map(Slug::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short sentence saying what the event records.
pub fn describe(event: &Event) -> String {
    match &event.body {
        Body::EntityRegistered(e) => match &e.parent {
            Some(parent) => format!("{} registered as {} (part of {parent})", e.name, e.entity),
            None => format!("{} registered as {}", e.name, e.entity),
        },
        Body::EntityRenamed(e) => format!("{} renamed to {}", e.entity, e.name),
        Body::DisputeFiled(d) => {
            let case = d
                .forum
                .case_number
                .as_ref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            format!(
                "{} v. {} in {}{case}: {}",
                list(&d.plaintiffs),
                list(&d.defendants),
                d.forum.court,
                d.title
            )
        }
        Body::DisputeEntry(d) => format!("{}: {}", d.dispute, d.description),
        Body::DisputeRuling(d) => {
            let favor = d
                .favor
                .as_ref()
                .map(|f| format!(" for {f}"))
                .unwrap_or_default();
            let summary = d
                .summary
                .as_ref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!(
                "{}: ruling, {}{favor}{summary}",
                d.dispute,
                d.outcome.as_str()
            )
        }
        Body::DisputeStayed(d) => with_reason(format!("{} stayed", d.dispute), d.reason.as_ref()),
        Body::DisputeResumed(d) => with_reason(format!("{} resumed", d.dispute), d.reason.as_ref()),
        Body::DisputeAppealed(d) => {
            let by =
                d.by.as_ref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default();
            format!("{} appealed{by}", d.dispute)
        }
        Body::DisputeJudgment(d) => {
            let favor = d
                .favor
                .as_ref()
                .map(|f| format!(" for {f}"))
                .unwrap_or_default();
            format!("{}: judgment{favor}", d.dispute)
        }
        Body::DisputeDismissed(d) => {
            let reason = d
                .reason
                .map(|r| format!(" ({})", r.as_str()))
                .unwrap_or_default();
            format!("{} dismissed{reason}", d.dispute)
        }
        Body::DisputeSettled(d) => {
            let n = d.disputes.len();
            let what = if n == 1 {
                "1 dispute".to_string()
            } else {
                format!("{n} disputes")
            };
            format!("settlement closing {what}: {}", list(&d.disputes))
        }
        Body::PartnershipFormed(p) => format!(
            "partnership {} formed by {}",
            p.partnership,
            list(&p.parties)
        ),
        Body::PartnershipEnded(p) => with_reason(
            format!("partnership {} ended", p.partnership),
            p.reason.as_ref(),
        ),
        Body::Acquisition(a) => format!("{} acquires {}", a.acquirer, a.target),
        Body::Divestment(d) => match &d.buyer {
            Some(buyer) => format!("{} sells {} to {buyer}", d.seller, d.asset),
            None => format!("{} spins off {}", d.seller, d.asset),
        },
        Body::Correction(c) => format!("corrects {}: {}", c.target, c.reason),
        Body::Retraction(r) => format!("retracts {}: {}", r.target, r.reason),
        Body::KeyAuthorized(k) => {
            let name = k
                .name
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            format!("key {} authorised as {}{name}", short_key(&k.key), k.role)
        }
        Body::KeyRevoked(k) => with_reason(
            format!("key {} revoked", short_key(&k.key)),
            k.reason.as_ref(),
        ),
    }
}

/// `ed25519:` and the first four hex digits of the key: `ed25519:ab12…`.
fn short_key(key: &PublicKey) -> String {
    let full = key.to_string();
    let cut = PublicKey::PREFIX.len() + 4;
    format!("{}…", full.get(..cut).unwrap_or(&full))
}

fn with_reason(text: String, reason: Option<&impl std::fmt::Display>) -> String {
    match reason {
        Some(reason) => format!("{text} ({reason})"),
        None => text,
    }
}
