//! The vocabulary of docket: identifiers, dates, events, their JSON
//! interchange format (DESIGN.md section 3), the shape checks, and the
//! canonical binary encoding stored in the log.
//!
//! This crate knows nothing about storage. Its contract:
//!
//! - [`Event::from_json`] reads one event and runs every check, naming the
//!   JSON path of the first problem; [`Event::to_json_string`] writes the
//!   canonical form, which reads back to an equal event.
//! - [`Event::encode`] writes the canonical payload (byte layout in
//!   [`codec`]; format version [`FORMAT_VERSION`]), and
//!   [`Event::encode_signed`] the same event followed by a [`Signature`]
//!   (version [`SIGNED_FORMAT_VERSION`]); [`Event::decode`] and
//!   [`Event::decode_signed`] accept exactly the bytes those produce for
//!   valid events, and never panic on any input. The model carries
//!   signatures but does no cryptography: the ledger verifies them against
//!   [`Event::signing_bytes`].
//! - JSON and bytes enforce the same rules: value rules live in the newtype
//!   constructors ([`Slug::new`], [`Text::new`], [`Effective::parse`]...),
//!   the rules between fields in [`Event::check`].
//! - Every size limit is a named constant in [`limits`].
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod check;
pub mod codec;
mod error;
mod event;
mod ids;
mod json_in;
mod json_out;
mod json_tree;
mod keys;
pub mod limits;
mod path;
mod projection;
pub mod slug_map;
mod time;
mod vocab;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;

pub use codec::{FORMAT_VERSION, SIGNED_FORMAT_VERSION, SIGNING_CONTEXT};
pub use error::{DecodeError, EncodeError, ParseError, ShapeError, ValueError};
pub use event::{
    Acquisition, Body, Claim, Correction, DisputeAppealed, DisputeDismissed, DisputeEntry,
    DisputeFiled, DisputeJudgment, DisputeResumed, DisputeRuling, DisputeSettled, DisputeStayed,
    Divestment, EntityRegistered, EntityRenamed, Event, Forum, KeyAuthorized, KeyRevoked,
    PartnershipEnded, PartnershipFormed, Retraction, Source,
};
pub use ids::{Digest, EventId, Slug, Text};
pub use keys::{PublicKey, Signature};
pub use projection::{Anomaly, Projection};
pub use slug_map::SlugMap;
pub use time::Effective;
pub use vocab::{Category, DismissalReason, Kind, Nature, Outcome, Role};
