//! Every size limit of the model, in one place.
//!
//! String limits count **characters** (Unicode scalar values), not bytes, so
//! that a name in Japanese has the same room as one in English. List limits
//! count members.
//!
//! The limits are chosen so that the largest valid event — a correction whose
//! replacement is a `dispute.filed` with every string and list at its limit,
//! written entirely in four-byte characters — still encodes within
//! [`MAX_PAYLOAD`] (830 749 bytes of 1 048 576, 830 845 when signed; a unit
//! test builds that event and checks it). Raising a limit means redoing that
//! sum.
//!
//! Changing a limit is a change of the accepted language: lowering one can make
//! stored events undecodable, so only ever raise them.

/// Largest encoded event (payload bytes, including the version byte and,
/// for a signed payload, the 96 bytes of key and signature): 1 MiB.
///
/// Decoding never allocates more than about this much, whatever the input.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// Largest JSON text accepted for one event: 4 MiB (in bytes, before parsing).
///
/// Generous enough for the largest valid event even when every character is
/// written as a `\uXXXX` escape pair.
pub const MAX_JSON: usize = 4 << 20;

/// Longest slug (`entity`, `dispute`, `partnership` identifiers): 64 characters.
pub const MAX_SLUG: usize = 64;

/// Longest event id: 128 characters (all ASCII by construction).
pub const MAX_EVENT_ID: usize = 128;

/// Longest text of any field: 16 384 characters (the `description` limit).
///
/// [`Text::new`](crate::Text::new) enforces this; each field then has its own,
/// usually smaller, limit listed below.
pub const MAX_TEXT: usize = MAX_DESCRIPTION;

/// Entity `name` and each of its `aliases`; a forum's `name`: 256 characters.
pub const MAX_NAME: usize = 256;

/// Dispute `title`; a source's `title`: 512 characters.
pub const MAX_TITLE: usize = 512;

/// `dispute.entry` `description`: 16 384 characters.
pub const MAX_DESCRIPTION: usize = 16_384;

/// Free prose: `note`, `summary`, `terms`, `scope`, and every `reason`
/// given as text: 8 192 characters.
pub const MAX_PROSE: usize = 8_192;

/// A source's `url`: 2 048 characters.
pub const MAX_URL: usize = 2_048;

/// A source's `citation`: 512 characters.
pub const MAX_CITATION: usize = 512;

/// A forum's `case_number`: 128 characters.
pub const MAX_CASE_NUMBER: usize = 128;

/// A docket entry's `number`: 64 characters.
pub const MAX_ENTRY_NUMBER: usize = 64;

/// A claim's `patent` (a patent number such as `US 7,724,818`): 64 characters.
pub const MAX_PATENT: usize = 64;

/// A claim's `area` (a technology area such as `video streaming`): 128 characters.
pub const MAX_AREA: usize = 128;

/// Each accused product name: 128 characters.
pub const MAX_PRODUCT: usize = 128;

/// Most `plaintiffs`, and separately most `defendants`, of one dispute: 64.
pub const MAX_SIDE: usize = 64;

/// Most `parties` of one partnership: 64.
pub const MAX_PARTIES: usize = 64;

/// Most `sources` of one event: 16.
pub const MAX_SOURCES: usize = 16;

/// Most `claims` of one dispute: 256.
pub const MAX_CLAIMS: usize = 256;

/// Most `accused` products of one dispute: 256.
pub const MAX_ACCUSED: usize = 256;

/// Most `disputes` closed by one `dispute.settled`: 256.
pub const MAX_SETTLED: usize = 256;

/// Most `aliases` of one entity: 32.
pub const MAX_ALIASES: usize = 32;

/// Earliest year of an `effective` date: 1800.
///
/// A sanity range, not a legal one: it catches typos such as `0224` or
/// `20244` while leaving room for historical records. It applies to the
/// calendar date both in UTC and at the timestamp's own offset.
pub const MIN_YEAR: i16 = 1800;

/// Latest year of an `effective` date: 2200 (see [`MIN_YEAR`]).
pub const MAX_YEAR: i16 = 2200;

/// Largest UTC offset of a timestamp, in seconds: 23:59, the most RFC 3339
/// can write. Offsets are whole minutes.
pub const MAX_OFFSET_SECONDS: i32 = 23 * 3600 + 59 * 60;
