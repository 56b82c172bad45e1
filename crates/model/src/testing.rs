//! proptest strategies that generate **valid** events of every kind, for
//! property tests here and in the crates that use the model (feature
//! `testing`).
//!
//! Generated events pass [`Event::check`]: ids and slugs follow their
//! grammars, parties are distinct, texts mix ASCII, other scripts, emoji and
//! format characters (multi-line where the field allows), effective times
//! are dates or timestamps with microseconds and offsets, and corrections
//! wrap events of every correctable kind. They do not reference each other:
//! the disputes named in a ruling need not have been filed, the key revoked
//! need not have been authorised. Public keys and signatures are random
//! bytes (the model does no cryptography).

use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::Union;

use crate::event::*;
use crate::ids::{Digest, EventId, Slug, Text};
use crate::keys::{PublicKey, Signature};
use crate::time::Effective;
use crate::vocab::{Category, DismissalReason, Kind, Nature, Outcome, Role};

/// A slug such as `nokia` or `a1.b-2`.
pub fn slug() -> impl Strategy<Value = Slug> + Clone {
    "[a-z0-9][a-z0-9.-]{0,15}".prop_filter_map("slug", |s| Slug::new(s).ok())
}

/// An event id such as `Ev-1:x`.
pub fn event_id() -> impl Strategy<Value = EventId> + Clone {
    "[A-Za-z0-9._:-]{1,24}".prop_filter_map("event id", |s| EventId::new(s).ok())
}

/// Text on one line: ASCII, or any printable Unicode, plus format characters
/// such as the zero-width space.
pub fn line() -> impl Strategy<Value = Text> + Clone {
    prop_oneof![
        "[A-Za-z0-9][A-Za-z0-9 .,'&()-]{0,24}",
        "[\\PC\u{200b}\u{200e}\u{feff}]{1,24}",
    ]
    .prop_filter_map("text", |s| Text::new(s).ok())
}

/// Prose that may span lines and contain tabs.
pub fn prose() -> impl Strategy<Value = Text> + Clone {
    prop_oneof![
        line(),
        "[\\PC\n\t]{1,60}".prop_filter_map("prose", |s| Text::new(s).ok())
    ]
}

/// An effective time: a date, or a timestamp with microseconds and an offset.
pub fn effective() -> impl Strategy<Value = Effective> + Clone {
    // 1800-01-02 and 2200-12-30, a day inside the accepted range so that
    // any offset keeps the local date in range too.
    const FIRST: i64 = -5_364_576_000_000_000;
    const LAST: i64 = 7_289_481_600_000_000;
    let date = (1800i16..=2200, 1i8..=12, 1i8..=31).prop_filter_map("date", |(y, m, d)| {
        jiff::civil::Date::new(y, m, d).ok().map(Effective::Date)
    });
    let micros = prop_oneof![
        FIRST..=LAST,
        (FIRST / 1_000_000..=LAST / 1_000_000).prop_map(|s| s * 1_000_000),
    ];
    let timestamp = (micros, -1439i32..=1439).prop_filter_map("timestamp", |(us, minutes)| {
        let at = jiff::Timestamp::from_microsecond(us).ok()?;
        Some(Effective::Timestamp {
            at,
            offset_seconds: minutes * 60,
        })
    });
    prop_oneof![date, timestamp]
}

fn url() -> impl Strategy<Value = Text> + Clone {
    "https://[a-z]{1,10}\\.example/[a-zA-Z0-9/%._-]{0,20}"
        .prop_filter_map("url", |s| Text::new(s).ok())
}

fn digest() -> impl Strategy<Value = Digest> + Clone {
    any::<[u8; 32]>().prop_map(Digest::from_bytes)
}

/// A public key: 32 random bytes (not necessarily a valid Ed25519 point).
pub fn public_key() -> impl Strategy<Value = PublicKey> + Clone {
    any::<[u8; 32]>().prop_map(PublicKey::from_bytes)
}

/// A signature: a random key and 64 random bytes (not a real signature).
pub fn signature() -> impl Strategy<Value = Signature> + Clone {
    (public_key(), any::<[u8; 64]>()).prop_map(|(key, bytes)| Signature { key, bytes })
}

/// A source with at least one field.
pub fn source() -> impl Strategy<Value = Source> + Clone {
    (
        option::of(line()),
        option::of(url()),
        option::of(line()),
        option::of(digest()),
    )
        .prop_map(|(title, url, citation, digest)| Source {
            title,
            url,
            citation,
            digest,
        })
        .prop_filter("a source needs a field", |s| *s != Source::default())
}

/// `n` distinct slugs in random order, `n` in `size`.
fn distinct(size: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Slug>> + Clone {
    btree_set(slug(), size)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
}

fn distinct_lines(size: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Text>> + Clone {
    btree_set(line(), size)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
}

fn forum() -> impl Strategy<Value = Forum> + Clone {
    (slug(), option::of(line()), option::of(line())).prop_map(|(court, case_number, name)| Forum {
        court,
        case_number,
        name,
    })
}

fn claims() -> impl Strategy<Value = Vec<Claim>> + Clone {
    let claim = (option::of(line()), option::of(line()))
        .prop_filter("a claim needs a field", |(p, a)| p.is_some() || a.is_some())
        .prop_map(|(patent, area)| Claim { patent, area });
    vec(claim, 0..4).prop_map(|all| {
        let mut out: Vec<Claim> = Vec::new();
        for c in all {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    })
}

fn pick<T: Copy + std::fmt::Debug + 'static>(
    all: &'static [T],
) -> impl Strategy<Value = T> + Clone {
    proptest::sample::select(all)
}

/// A body of the given kind. For [`Kind::Correction`] the replacement is a
/// [`plain_event`] of any correctable kind.
pub fn body(kind: Kind) -> BoxedStrategy<Body> {
    match kind {
        Kind::EntityRegistered => (
            distinct(1..3),
            line(),
            distinct_lines(0..3),
            pick(&Category::ALL),
        )
            .prop_map(|(slugs, name, aliases, category)| {
                Body::EntityRegistered(EntityRegistered {
                    entity: slugs[0].clone(),
                    name,
                    aliases,
                    parent: slugs.get(1).cloned(),
                    category,
                })
            })
            .boxed(),
        Kind::EntityRenamed => (slug(), line())
            .prop_map(|(entity, name)| Body::EntityRenamed(EntityRenamed { entity, name }))
            .boxed(),
        Kind::DisputeFiled => (
            (distinct(1..3), line(), forum(), pick(&Nature::ALL)),
            (distinct(2..7), any::<prop::sample::Index>()),
            (claims(), distinct_lines(0..3)),
        )
            .prop_map(
                |((d, title, forum, nature), (sides, cut), (claims, accused))| {
                    let cut = 1 + cut.index(sides.len() - 1);
                    Body::DisputeFiled(Box::new(DisputeFiled {
                        dispute: d[0].clone(),
                        title,
                        forum,
                        nature,
                        plaintiffs: sides[..cut].to_vec(),
                        defendants: sides[cut..].to_vec(),
                        claims,
                        accused,
                        responds_to: d.get(1).cloned(),
                    }))
                },
            )
            .boxed(),
        Kind::DisputeEntry => (slug(), prose(), option::of(line()), option::of(slug()))
            .prop_map(|(dispute, description, number, filed_by)| {
                Body::DisputeEntry(DisputeEntry {
                    dispute,
                    description,
                    number,
                    filed_by,
                })
            })
            .boxed(),
        Kind::DisputeRuling => (
            slug(),
            pick(&Outcome::ALL),
            option::of(slug()),
            option::of(prose()),
        )
            .prop_map(|(dispute, outcome, favor, summary)| {
                Body::DisputeRuling(DisputeRuling {
                    dispute,
                    outcome,
                    favor,
                    summary,
                })
            })
            .boxed(),
        Kind::DisputeStayed => (slug(), option::of(prose()))
            .prop_map(|(dispute, reason)| Body::DisputeStayed(DisputeStayed { dispute, reason }))
            .boxed(),
        Kind::DisputeResumed => (slug(), option::of(prose()))
            .prop_map(|(dispute, reason)| Body::DisputeResumed(DisputeResumed { dispute, reason }))
            .boxed(),
        Kind::DisputeAppealed => (slug(), option::of(slug()), option::of(forum()))
            .prop_map(|(dispute, by, forum)| {
                Body::DisputeAppealed(DisputeAppealed { dispute, by, forum })
            })
            .boxed(),
        Kind::DisputeJudgment => (slug(), option::of(slug()), option::of(prose()))
            .prop_map(|(dispute, favor, summary)| {
                Body::DisputeJudgment(DisputeJudgment {
                    dispute,
                    favor,
                    summary,
                })
            })
            .boxed(),
        Kind::DisputeDismissed => (slug(), option::of(pick(&DismissalReason::ALL)))
            .prop_map(|(dispute, reason)| {
                Body::DisputeDismissed(DisputeDismissed { dispute, reason })
            })
            .boxed(),
        Kind::DisputeSettled => (distinct(1..4), option::of(prose()))
            .prop_map(|(disputes, terms)| Body::DisputeSettled(DisputeSettled { disputes, terms }))
            .boxed(),
        Kind::PartnershipFormed => (
            slug(),
            distinct(2..5),
            option::of(prose()),
            option::of(slug()),
        )
            .prop_map(|(partnership, parties, scope, customer)| {
                Body::PartnershipFormed(PartnershipFormed {
                    partnership,
                    parties,
                    scope,
                    customer,
                })
            })
            .boxed(),
        Kind::PartnershipEnded => (slug(), option::of(prose()))
            .prop_map(|(partnership, reason)| {
                Body::PartnershipEnded(PartnershipEnded {
                    partnership,
                    reason,
                })
            })
            .boxed(),
        Kind::Acquisition => distinct(2..3)
            .prop_map(|s| {
                Body::Acquisition(Acquisition {
                    acquirer: s[0].clone(),
                    target: s[1].clone(),
                })
            })
            .boxed(),
        Kind::Divestment => distinct(2..4)
            .prop_map(|s| {
                Body::Divestment(Divestment {
                    seller: s[0].clone(),
                    asset: s[1].clone(),
                    buyer: s.get(2).cloned(),
                })
            })
            .boxed(),
        Kind::Correction => (event_id(), prose(), plain_event())
            .prop_map(|(target, reason, replacement)| {
                Body::Correction(Correction {
                    target,
                    reason,
                    replacement: Box::new(replacement),
                })
            })
            .boxed(),
        Kind::Retraction => (event_id(), prose())
            .prop_map(|(target, reason)| Body::Retraction(Retraction { target, reason }))
            .boxed(),
        Kind::KeyAuthorized => (public_key(), pick(&Role::ALL), option::of(line()))
            .prop_map(|(key, role, name)| Body::KeyAuthorized(KeyAuthorized { key, role, name }))
            .boxed(),
        Kind::KeyRevoked => (public_key(), option::of(prose()))
            .prop_map(|(key, reason)| Body::KeyRevoked(KeyRevoked { key, reason }))
            .boxed(),
    }
}

/// An event of the given kind, with or without an id.
pub fn event_of_kind(kind: Kind) -> BoxedStrategy<Event> {
    (
        option::of(event_id()),
        effective(),
        body(kind),
        vec(source(), 0..3),
        option::of(prose()),
    )
        .prop_map(|(id, effective, body, sources, note)| Event {
            id,
            effective,
            sources,
            note,
            body,
        })
        // An event cannot correct or retract itself.
        .prop_filter("self-reference", |e| match (&e.id, &e.body) {
            (Some(id), Body::Correction(c)) => *id != c.target,
            (Some(id), Body::Retraction(r)) => *id != r.target,
            _ => true,
        })
        .boxed()
}

/// An event that may be a correction's replacement: no id, any
/// [correctable](Kind::is_correctable) kind (not a correction, retraction
/// or key event).
pub fn plain_event() -> BoxedStrategy<Event> {
    let kinds = Kind::ALL.into_iter().filter(|k| k.is_correctable());
    Union::new(kinds.map(event_of_kind))
        .prop_map(|mut e| {
            e.id = None;
            e
        })
        .boxed()
}

/// A valid event of any kind, each kind equally likely.
pub fn event() -> BoxedStrategy<Event> {
    Union::new(Kind::ALL.into_iter().map(event_of_kind)).boxed()
}
