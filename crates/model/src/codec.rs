//! The canonical binary encoding of an event: the payload the log stores.
//!
//! bincode 2.0.1 with `standard().with_big_endian().with_fixed_int_encoding()
//! .with_limit::<MAX_PAYLOAD>()`, behind a one-byte format version.
//!
//! # Payload layout, version 1
//!
//! All integers are big-endian and fixed-width; signed ones two's complement.
//!
//! ```text
//! payload     = version:u8 (= 0x01) event
//! event       = id:opt(string) effective body sources:list(source) note:opt(string)
//!
//! opt(T)      = 0x00                       absent
//!             | 0x01 T                     present
//! string      = len:u64 bytes[len]         UTF-8, len in bytes
//! list(T)     = count:u64 T[count]
//!
//! effective   = 0x00 year:i16 month:u8 day:u8              a date
//!             | 0x01 micros:i64 offset:i32                 a timestamp: microseconds
//!                                                          since 1970-01-01T00:00:00Z
//!                                                          and UTC offset in seconds
//! source      = title:opt(string) url:opt(string) citation:opt(string)
//!               digest:opt(bytes[32])      raw BLAKE3 digest, no length prefix
//! forum       = court:string case_number:opt(string) name:opt(string)
//! claim       = patent:opt(string) area:opt(string)
//! category, nature, outcome, dismissal = u8 code (see the vocab module:
//!               company 0, court 1, agency 2, person 3, other 4;
//!               patent 0, antitrust 1, contract 2, trade-secret 3, other 4;
//!               infringement 0, no-infringement 1, invalid 2, valid 3,
//!               injunction 4, other 5; voluntary 0, settled 1, jurisdiction 2, other 3)
//!
//! body        = kind:u8 fields, with the fields of each kind in this order
//!                                          (slugs, texts and ids are strings):
//!   0  entity.registered   entity name aliases:list(string) parent:opt(string) category
//!   1  entity.renamed      entity name
//!   2  dispute.filed       dispute title forum nature plaintiffs:list(string)
//!                          defendants:list(string) claims:list(claim)
//!                          accused:list(string) responds_to:opt(string)
//!   3  dispute.entry       dispute description number:opt(string) filed_by:opt(string)
//!   4  dispute.ruling      dispute outcome favor:opt(string) summary:opt(string)
//!   5  dispute.stayed      dispute reason:opt(string)
//!   6  dispute.resumed     dispute reason:opt(string)
//!   7  dispute.appealed    dispute by:opt(string) forum:opt(forum)
//!   8  dispute.judgment    dispute favor:opt(string) summary:opt(string)
//!   9  dispute.dismissed   dispute reason:opt(dismissal)
//!   10 dispute.settled     disputes:list(string) terms:opt(string)
//!   11 partnership.formed  partnership parties:list(string) scope:opt(string)
//!                          customer:opt(string)
//!   12 partnership.ended   partnership reason:opt(string)
//!   13 acquisition         acquirer target
//!   14 divestment          seller asset buyer:opt(string)
//!   15 correction          target reason replacement:event
//!                          (the replacement's id is always 0x00, its kind is
//!                          never 15 or 16: one level of nesting at most)
//!   16 retraction          target reason
//! ```
//!
//! Decoding is strict: the version must be 1; every value must satisfy its
//! rules (a slug with an uppercase letter, a day 30 of February, a string
//! that is not UTF-8, an `opt` tag other than 0 or 1 are all errors); the
//! event must pass [`Event::check`]; no byte may follow the event; and
//! re-encoding the result must give back exactly the input. So for every
//! valid event there is exactly one accepted byte string. Lengths are
//! checked against [`MAX_PAYLOAD`] before anything is allocated.

use bincode::de::Decoder;
use bincode::enc::{Encoder, write::Writer};
use bincode::error::{DecodeError as BinDecodeError, EncodeError as BinEncodeError};
use bincode::{Decode, Encode};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::error::{DecodeError, EncodeError};
use crate::event::*;
use crate::ids::{Digest, EventId, Slug, Text};
use crate::limits::MAX_PAYLOAD;
use crate::time::Effective;
use crate::vocab::{Category, DismissalReason, Kind, Nature, Outcome};

/// The payload format version this build writes (and the only one it reads).
pub const FORMAT_VERSION: u8 = 1;

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_big_endian()
        .with_fixed_int_encoding()
        .with_limit::<{ MAX_PAYLOAD }>()
}

/// Describes a bincode decoding failure in the words of this format.
fn malformed(e: BinDecodeError) -> DecodeError {
    DecodeError::Malformed(match e {
        BinDecodeError::OtherString(message) => message,
        BinDecodeError::UnexpectedEnd { .. } => {
            "the payload ends in the middle of a value".to_owned()
        }
        BinDecodeError::LimitExceeded => {
            format!("a length runs past the payload limit of {MAX_PAYLOAD} bytes")
        }
        BinDecodeError::Utf8 { inner } => format!("a string is not valid UTF-8 ({inner})"),
        BinDecodeError::UnexpectedVariant { found, .. } => {
            format!("an optional value has the tag {found}, not 0 or 1")
        }
        other => other.to_string(),
    })
}

fn invalid(message: impl std::fmt::Display) -> BinDecodeError {
    BinDecodeError::OtherString(message.to_string())
}

/// Encode/Decode for the validated string newtypes: a bincode `String`,
/// validated by the type's constructor on the way in.
macro_rules! string_codec {
    ($($ty:ident),*) => {$(
        impl Encode for $ty {
            fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
                self.as_str().encode(encoder)
            }
        }
        impl<Ctx> Decode<Ctx> for $ty {
            fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
                $ty::new(String::decode(decoder)?).map_err(invalid)
            }
        }
        bincode::impl_borrow_decode!($ty);
    )*};
}
string_codec!(Slug, EventId, Text);

/// Encode/Decode for the closed vocabularies: their one-byte code.
macro_rules! code_codec {
    ($($ty:ident),*) => {$(
        impl Encode for $ty {
            fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
                self.code().encode(encoder)
            }
        }
        impl<Ctx> Decode<Ctx> for $ty {
            fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
                let code = u8::decode(decoder)?;
                $ty::from_code(code)
                    .ok_or_else(|| invalid(format!("unknown {} code {code}", $ty::WHAT)))
            }
        }
        bincode::impl_borrow_decode!($ty);
    )*};
}
code_codec!(Kind, Category, Nature, Outcome, DismissalReason);

impl Encode for Digest {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
        self.as_bytes().encode(encoder)
    }
}

impl<Ctx> Decode<Ctx> for Digest {
    fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
        <[u8; 32]>::decode(decoder).map(Digest::from_bytes)
    }
}
bincode::impl_borrow_decode!(Digest);

const DATE_TAG: u8 = 0;
const TIMESTAMP_TAG: u8 = 1;

impl Encode for Effective {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
        match *self {
            Effective::Date(d) => {
                DATE_TAG.encode(encoder)?;
                d.year().encode(encoder)?;
                d.month().unsigned_abs().encode(encoder)?;
                d.day().unsigned_abs().encode(encoder)
            }
            Effective::Timestamp { at, offset_seconds } => {
                TIMESTAMP_TAG.encode(encoder)?;
                at.as_microsecond().encode(encoder)?;
                offset_seconds.encode(encoder)
            }
        }
    }
}

impl<Ctx> Decode<Ctx> for Effective {
    fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
        let effective = match u8::decode(decoder)? {
            DATE_TAG => {
                let year = i16::decode(decoder)?;
                let month = i8::try_from(u8::decode(decoder)?).map_err(invalid)?;
                let day = i8::try_from(u8::decode(decoder)?).map_err(invalid)?;
                Effective::Date(Date::new(year, month, day).map_err(invalid)?)
            }
            TIMESTAMP_TAG => {
                let micros = i64::decode(decoder)?;
                let offset_seconds = i32::decode(decoder)?;
                let at = Timestamp::from_microsecond(micros).map_err(invalid)?;
                Effective::Timestamp { at, offset_seconds }
            }
            tag => return Err(invalid(format!("unknown effective tag {tag}"))),
        };
        effective.check().map_err(invalid)?;
        Ok(effective)
    }
}
bincode::impl_borrow_decode!(Effective);

impl Encode for Correction {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
        self.target.encode(encoder)?;
        self.reason.encode(encoder)?;
        encode_event(&self.replacement, true, encoder)
    }
}

impl Encode for Body {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
        self.kind().code().encode(encoder)?;
        match self {
            Body::EntityRegistered(b) => b.encode(encoder),
            Body::EntityRenamed(b) => b.encode(encoder),
            Body::DisputeFiled(b) => b.encode(encoder),
            Body::DisputeEntry(b) => b.encode(encoder),
            Body::DisputeRuling(b) => b.encode(encoder),
            Body::DisputeStayed(b) => b.encode(encoder),
            Body::DisputeResumed(b) => b.encode(encoder),
            Body::DisputeAppealed(b) => b.encode(encoder),
            Body::DisputeJudgment(b) => b.encode(encoder),
            Body::DisputeDismissed(b) => b.encode(encoder),
            Body::DisputeSettled(b) => b.encode(encoder),
            Body::PartnershipFormed(b) => b.encode(encoder),
            Body::PartnershipEnded(b) => b.encode(encoder),
            Body::Acquisition(b) => b.encode(encoder),
            Body::Divestment(b) => b.encode(encoder),
            Body::Correction(b) => b.encode(encoder),
            Body::Retraction(b) => b.encode(encoder),
        }
    }
}

/// Decodes a body; inside a replacement, corrections and retractions are
/// refused before they are read, which bounds the recursion at one level.
fn decode_body<D: Decoder>(decoder: &mut D, in_replacement: bool) -> Result<Body, BinDecodeError> {
    let code = u8::decode(decoder)?;
    let kind = Kind::from_code(code).ok_or_else(|| invalid(format!("unknown kind code {code}")))?;
    if in_replacement && kind.is_meta() {
        return Err(invalid(format!(
            "a correction's replacement cannot be a {kind}"
        )));
    }
    let d = decoder;
    Ok(match kind {
        Kind::EntityRegistered => Body::EntityRegistered(Decode::decode(d)?),
        Kind::EntityRenamed => Body::EntityRenamed(Decode::decode(d)?),
        Kind::DisputeFiled => Body::DisputeFiled(Decode::decode(d)?),
        Kind::DisputeEntry => Body::DisputeEntry(Decode::decode(d)?),
        Kind::DisputeRuling => Body::DisputeRuling(Decode::decode(d)?),
        Kind::DisputeStayed => Body::DisputeStayed(Decode::decode(d)?),
        Kind::DisputeResumed => Body::DisputeResumed(Decode::decode(d)?),
        Kind::DisputeAppealed => Body::DisputeAppealed(Decode::decode(d)?),
        Kind::DisputeJudgment => Body::DisputeJudgment(Decode::decode(d)?),
        Kind::DisputeDismissed => Body::DisputeDismissed(Decode::decode(d)?),
        Kind::DisputeSettled => Body::DisputeSettled(Decode::decode(d)?),
        Kind::PartnershipFormed => Body::PartnershipFormed(Decode::decode(d)?),
        Kind::PartnershipEnded => Body::PartnershipEnded(Decode::decode(d)?),
        Kind::Acquisition => Body::Acquisition(Decode::decode(d)?),
        Kind::Divestment => Body::Divestment(Decode::decode(d)?),
        Kind::Correction => Body::Correction(Correction {
            target: Decode::decode(d)?,
            reason: Decode::decode(d)?,
            replacement: Box::new(decode_event(d, true)?),
        }),
        Kind::Retraction => Body::Retraction(Decode::decode(d)?),
    })
}

fn encode_event<E: Encoder>(
    e: &Event,
    with_id: bool,
    encoder: &mut E,
) -> Result<(), BinEncodeError> {
    let id = if with_id { e.id.as_ref() } else { None };
    id.encode(encoder)?;
    e.effective.encode(encoder)?;
    e.body.encode(encoder)?;
    e.sources.encode(encoder)?;
    e.note.encode(encoder)
}

fn decode_event<D: Decoder>(
    decoder: &mut D,
    in_replacement: bool,
) -> Result<Event, BinDecodeError> {
    Ok(Event {
        id: Decode::decode(decoder)?,
        effective: Decode::decode(decoder)?,
        body: decode_body(decoder, in_replacement)?,
        sources: Decode::decode(decoder)?,
        note: Decode::decode(decoder)?,
    })
}

/// A whole top-level event, for bincode's entry points.
struct TopLevel<'a> {
    event: &'a Event,
    with_id: bool,
}

impl Encode for TopLevel<'_> {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
        encode_event(self.event, self.with_id, encoder)
    }
}

/// A decoded top-level event.
struct Decoded(Event);

impl<Ctx> Decode<Ctx> for Decoded {
    fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
        decode_event(decoder, false).map(Decoded)
    }
}

/// Writes `version ‖ event` without checking the event. With `with_id`
/// false the id is written as absent (for [`Event::derived_id`]).
fn write_payload(event: &Event, with_id: bool, writer: impl Writer) -> Result<(), BinEncodeError> {
    let mut writer = writer;
    writer.write(&[FORMAT_VERSION])?;
    bincode::encode_into_writer(TopLevel { event, with_id }, writer, config())
}

struct VecWriter(Vec<u8>);

impl Writer for VecWriter {
    fn write(&mut self, bytes: &[u8]) -> Result<(), BinEncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl Writer for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), BinEncodeError> {
        self.0.update(bytes);
        Ok(())
    }
}

fn to_vec(event: &Event) -> Result<Vec<u8>, BinEncodeError> {
    let mut out = VecWriter(Vec::new());
    write_payload(event, true, &mut out)?;
    Ok(out.0)
}

/// Feeds the payload of `event` with its id left out to `hasher`.
pub(crate) fn hash_payload_without_id(event: &Event, hasher: &mut blake3::Hasher) {
    // Writing to a hasher cannot fail and no Encode impl of this crate
    // returns an error, so the result carries no information.
    let _ = write_payload(event, false, HashWriter(hasher));
}

impl Event {
    /// The canonical payload bytes (layout in the [`codec`](crate::codec) module docs).
    ///
    /// Fails if the event breaks a rule ([`Event::check`]) — so every
    /// encoded event decodes — or if it exceeds
    /// [`MAX_PAYLOAD`](crate::limits::MAX_PAYLOAD), which no valid event does.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        self.check()?;
        let bytes = to_vec(self).map_err(|e| EncodeError::Bincode(e.to_string()))?;
        if bytes.len() > MAX_PAYLOAD {
            return Err(EncodeError::TooLarge {
                len: bytes.len(),
                max: MAX_PAYLOAD,
            });
        }
        Ok(bytes)
    }

    /// Decodes a payload, accepting only the canonical encoding of a valid
    /// event (see the [`codec`](crate::codec) module docs). Never panics,
    /// whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
        if bytes.len() > MAX_PAYLOAD {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: MAX_PAYLOAD,
            });
        }
        let (&version, rest) = bytes.split_first().ok_or(DecodeError::Empty)?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnknownVersion(version));
        }
        let (Decoded(event), read) =
            bincode::decode_from_slice(rest, config()).map_err(malformed)?;
        if read != rest.len() {
            return Err(DecodeError::TrailingBytes {
                trailing: rest.len() - read,
            });
        }
        event.check()?;
        match to_vec(&event) {
            Ok(again) if again == bytes => Ok(event),
            _ => Err(DecodeError::NotCanonical),
        }
    }
}
