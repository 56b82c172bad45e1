//! Shape checks: the rules of each kind that no single value can check on
//! its own — required lists not empty, list and field length limits,
//! single-line fields, no party listed twice or on both sides, a
//! correction's replacement without id and not itself a correction (nor a
//! retraction or key event).
//!
//! [`Event::check`] is the one place these rules live. The JSON parser runs
//! it on every event it builds, the decoder on every event it decodes, and
//! the encoder before writing, so JSON and bytes accept the same events.

use crate::error::ShapeError;
use crate::event::{Body, Claim, Event, Forum, Source};
use crate::ids::{Slug, Text};
use crate::limits::*;
use crate::path::Path;
use crate::vocab::Kind;

type Checked = Result<(), ShapeError>;

/// Which characters a text field allows beyond [`Text`]'s own rules.
#[derive(Clone, Copy)]
enum Lines {
    /// Names, titles, numbers: no newline or tab.
    Single,
    /// Prose: newlines and tabs allowed.
    Multi,
    /// URLs: no whitespace at all.
    Url,
}

fn text(path: &Path<'_>, t: &Text, max: usize, lines: Lines) -> Checked {
    let len = t.char_len();
    if len > max {
        return Err(ShapeError::new(
            path,
            format!("too long: {len} characters, at most {max}"),
        ));
    }
    let bad = match lines {
        Lines::Multi => None,
        Lines::Single => t
            .as_str()
            .contains(['\n', '\t'])
            .then_some("must be a single line (no newline or tab)"),
        Lines::Url => t
            .as_str()
            .contains(char::is_whitespace)
            .then_some("a URL cannot contain whitespace"),
    };
    bad.map_or(Ok(()), |m| Err(ShapeError::new(path, m)))
}

fn opt_text(path: &Path<'_>, t: &Option<Text>, max: usize, lines: Lines) -> Checked {
    t.as_ref().map_or(Ok(()), |t| text(path, t, max, lines))
}

/// Checks a list's length against `min..=max`.
fn count<T>(path: &Path<'_>, list: &[T], min: usize, max: usize, what: &str) -> Checked {
    if list.is_empty() && min == 1 {
        return Err(ShapeError::new(path, "must not be empty"));
    }
    if list.len() < min {
        return Err(ShapeError::new(
            path,
            format!("must list at least {min} {what}, found {}", list.len()),
        ));
    }
    if list.len() > max {
        return Err(ShapeError::new(
            path,
            format!("too many {what}: {}, at most {max}", list.len()),
        ));
    }
    Ok(())
}

/// Rejects a member equal to an earlier one, at the later one's path.
fn unique<T: PartialEq>(path: &Path<'_>, list: &[T], describe: impl Fn(&T) -> String) -> Checked {
    for (i, item) in list.iter().enumerate() {
        if list[..i].contains(item) {
            return Err(ShapeError::new(
                path.index(i),
                format!("{} is listed twice", describe(item)),
            ));
        }
    }
    Ok(())
}

fn texts(path: &Path<'_>, list: &[Text], max: usize, what: &str) -> Checked {
    for (i, t) in list.iter().enumerate() {
        text(&path.index(i), t, max, Lines::Single)?;
    }
    unique(path, list, |t| format!("{what} {:?}", t.as_str()))
}

fn entity(s: &Slug) -> String {
    format!("entity \"{s}\"")
}

fn differ(path: &Path<'_>, a: &Slug, b: &Slug, message: &str) -> Checked {
    if a == b {
        return Err(ShapeError::new(path, message));
    }
    Ok(())
}

fn forum(path: &Path<'_>, f: &Forum) -> Checked {
    opt_text(
        &path.key("case_number"),
        &f.case_number,
        MAX_CASE_NUMBER,
        Lines::Single,
    )?;
    opt_text(&path.key("name"), &f.name, MAX_NAME, Lines::Single)
}

fn claim(path: &Path<'_>, c: &Claim) -> Checked {
    if c.patent.is_none() && c.area.is_none() {
        return Err(ShapeError::new(
            path,
            "a claim needs a patent, an area, or both",
        ));
    }
    opt_text(&path.key("patent"), &c.patent, MAX_PATENT, Lines::Single)?;
    opt_text(&path.key("area"), &c.area, MAX_AREA, Lines::Single)
}

fn source(path: &Path<'_>, s: &Source) -> Checked {
    if s.title.is_none() && s.url.is_none() && s.citation.is_none() && s.digest.is_none() {
        return Err(ShapeError::new(
            path,
            "a source needs at least one of title, url, citation, digest",
        ));
    }
    opt_text(&path.key("title"), &s.title, MAX_TITLE, Lines::Single)?;
    opt_text(&path.key("url"), &s.url, MAX_URL, Lines::Url)?;
    opt_text(
        &path.key("citation"),
        &s.citation,
        MAX_CITATION,
        Lines::Single,
    )
}

impl Event {
    /// Checks every rule of the event's kind that its values cannot check on
    /// their own: [`Effective::check`](crate::Effective::check); each text
    /// field's own length limit (see [`limits`](crate::limits)) and whether
    /// it may span lines; list lengths (required lists not empty); no entity
    /// or dispute listed twice, nor on both sides of a dispute; no entity
    /// its own parent, acquirer, buyer; a source has at least one field, a
    /// claim a patent or an area; a correction's replacement has no id and
    /// is of a [correctable](Kind::is_correctable) kind (not a correction,
    /// retraction or key event); nothing corrects or retracts itself.
    ///
    /// The error names the JSON path of the offending field.
    pub fn check(&self) -> Result<(), ShapeError> {
        check_event(self, &Path::Root, false)
    }
}

/// The error for a replacement (at `path`) of a kind that cannot be
/// corrected: correction, retraction, or a key event.
pub(crate) fn uncorrectable_replacement(path: &Path<'_>, kind: Kind) -> ShapeError {
    let why = if kind.is_key() {
        "key events cannot be corrected (revoke the key, or authorise another)"
    } else {
        "it must be an event of the corrected kind"
    };
    ShapeError::new(
        path.key("kind"),
        format!("a correction's replacement cannot be a {kind}; {why}"),
    )
}

/// Checks `e` found at `path`; `replacement` when it is a correction's replacement.
fn check_event(e: &Event, path: &Path<'_>, replacement: bool) -> Checked {
    if replacement {
        if e.id.is_some() {
            return Err(ShapeError::new(
                path.key("id"),
                "a correction's replacement has no id of its own",
            ));
        }
        if !e.kind().is_correctable() {
            return Err(uncorrectable_replacement(path, e.kind()));
        }
    }
    e.effective
        .check()
        .map_err(|err| ShapeError::new(path.key("effective"), err.to_string()))?;
    check_body(e, path)?;
    let sources = path.key("sources");
    count(&sources, &e.sources, 0, MAX_SOURCES, "sources")?;
    for (i, s) in e.sources.iter().enumerate() {
        source(&sources.index(i), s)?;
    }
    opt_text(&path.key("note"), &e.note, MAX_PROSE, Lines::Multi)
}

fn check_body(e: &Event, path: &Path<'_>) -> Checked {
    let field = |name: &'static str| path.key(name);
    match &e.body {
        Body::EntityRegistered(b) => {
            text(&field("name"), &b.name, MAX_NAME, Lines::Single)?;
            let aliases = field("aliases");
            count(&aliases, &b.aliases, 0, MAX_ALIASES, "aliases")?;
            texts(&aliases, &b.aliases, MAX_NAME, "alias")?;
            if let Some(parent) = &b.parent {
                differ(
                    &field("parent"),
                    parent,
                    &b.entity,
                    "an entity cannot be its own parent",
                )?;
            }
        }
        Body::EntityRenamed(b) => text(&field("name"), &b.name, MAX_NAME, Lines::Single)?,
        Body::DisputeFiled(b) => {
            text(&field("title"), &b.title, MAX_TITLE, Lines::Single)?;
            forum(&field("forum"), &b.forum)?;
            let (plaintiffs, defendants) = (field("plaintiffs"), field("defendants"));
            count(&plaintiffs, &b.plaintiffs, 1, MAX_SIDE, "plaintiffs")?;
            unique(&plaintiffs, &b.plaintiffs, entity)?;
            count(&defendants, &b.defendants, 1, MAX_SIDE, "defendants")?;
            unique(&defendants, &b.defendants, entity)?;
            for (i, d) in b.defendants.iter().enumerate() {
                if b.plaintiffs.contains(d) {
                    return Err(ShapeError::new(
                        defendants.index(i),
                        format!("{} is both a plaintiff and a defendant", entity(d)),
                    ));
                }
            }
            let claims = field("claims");
            count(&claims, &b.claims, 0, MAX_CLAIMS, "claims")?;
            for (i, c) in b.claims.iter().enumerate() {
                claim(&claims.index(i), c)?;
            }
            unique(&claims, &b.claims, |_| "the same claim".to_owned())?;
            let accused = field("accused");
            count(&accused, &b.accused, 0, MAX_ACCUSED, "accused products")?;
            texts(&accused, &b.accused, MAX_PRODUCT, "product")?;
            if let Some(r) = &b.responds_to {
                differ(
                    &field("responds_to"),
                    r,
                    &b.dispute,
                    "a dispute cannot respond to itself",
                )?;
            }
        }
        Body::DisputeEntry(b) => {
            text(
                &field("description"),
                &b.description,
                MAX_DESCRIPTION,
                Lines::Multi,
            )?;
            opt_text(&field("number"), &b.number, MAX_ENTRY_NUMBER, Lines::Single)?;
        }
        Body::DisputeRuling(b) => opt_text(&field("summary"), &b.summary, MAX_PROSE, Lines::Multi)?,
        Body::DisputeStayed(b) => opt_text(&field("reason"), &b.reason, MAX_PROSE, Lines::Multi)?,
        Body::DisputeResumed(b) => opt_text(&field("reason"), &b.reason, MAX_PROSE, Lines::Multi)?,
        Body::DisputeAppealed(b) => {
            if let Some(f) = &b.forum {
                forum(&field("forum"), f)?;
            }
        }
        Body::DisputeJudgment(b) => {
            opt_text(&field("summary"), &b.summary, MAX_PROSE, Lines::Multi)?;
        }
        Body::DisputeDismissed(_) => {}
        Body::DisputeSettled(b) => {
            let disputes = field("disputes");
            count(&disputes, &b.disputes, 1, MAX_SETTLED, "disputes")?;
            unique(&disputes, &b.disputes, |s| format!("dispute \"{s}\""))?;
            opt_text(&field("terms"), &b.terms, MAX_PROSE, Lines::Multi)?;
        }
        Body::PartnershipFormed(b) => {
            let parties = field("parties");
            count(&parties, &b.parties, 2, MAX_PARTIES, "parties")?;
            unique(&parties, &b.parties, entity)?;
            opt_text(&field("scope"), &b.scope, MAX_PROSE, Lines::Multi)?;
        }
        Body::PartnershipEnded(b) => {
            opt_text(&field("reason"), &b.reason, MAX_PROSE, Lines::Multi)?
        }
        Body::Acquisition(b) => {
            differ(
                &field("target"),
                &b.target,
                &b.acquirer,
                "an entity cannot acquire itself",
            )?;
        }
        Body::Divestment(b) => {
            differ(
                &field("asset"),
                &b.asset,
                &b.seller,
                "an entity cannot divest itself",
            )?;
            if let Some(buyer) = &b.buyer {
                let here = field("buyer");
                differ(&here, buyer, &b.seller, "the buyer cannot be the seller")?;
                differ(
                    &here,
                    buyer,
                    &b.asset,
                    "the buyer cannot be the asset itself",
                )?;
            }
        }
        Body::Correction(b) => {
            if e.id.as_ref() == Some(&b.target) {
                return Err(ShapeError::new(
                    field("target"),
                    "an event cannot correct itself",
                ));
            }
            text(&field("reason"), &b.reason, MAX_PROSE, Lines::Multi)?;
            check_event(&b.replacement, &field("replacement"), true)?;
        }
        Body::Retraction(b) => {
            if e.id.as_ref() == Some(&b.target) {
                return Err(ShapeError::new(
                    field("target"),
                    "an event cannot retract itself",
                ));
            }
            text(&field("reason"), &b.reason, MAX_PROSE, Lines::Multi)?;
        }
        Body::KeyAuthorized(b) => opt_text(&field("name"), &b.name, MAX_NAME, Lines::Single)?,
        Body::KeyRevoked(b) => opt_text(&field("reason"), &b.reason, MAX_PROSE, Lines::Multi)?,
    }
    Ok(())
}
