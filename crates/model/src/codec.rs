//! The canonical binary encoding of an event: the payload the log stores.
//!
//! bincode 2.0.1 with `standard().with_big_endian().with_fixed_int_encoding()
//! .with_limit::<MAX_PAYLOAD>()`, behind a one-byte format version. Two
//! versions exist, and both are read: version 1, the event alone, written by
//! [`Event::encode`]; and version 2, the same event followed by the signer's
//! public key and signature, written by [`Event::encode_signed`].
//!
//! # Payload layout
//!
//! All integers are big-endian and fixed-width; signed ones two's complement.
//!
//! ```text
//! payload     = 0x01 event                                 version 1: unsigned
//!             | 0x02 event key:bytes[32] signature:bytes[64]
//!                                                          version 2: signed; `event` is
//!                                                          byte for byte what follows 0x01
//!                                                          in the version-1 payload
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
//! role        = u8 code: writer 0, admin 1
//! key         = bytes[32]                  raw Ed25519 public key, no length prefix
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
//!                          never 15, 16, 17 or 18: one level of nesting at most)
//!   16 retraction          target reason
//!   17 key.authorized      key role name:opt(string)
//!   18 key.revoked         key reason:opt(string)
//! ```
//!
//! Kinds 17 and 18 were added after the first release; the codes of the
//! others did not change, so every version-1 payload written before keeps
//! its bytes and its meaning.
//!
//! # Signatures (version 2)
//!
//! The 64-byte Ed25519 signature is made with the key's secret over
//! [`Event::signing_bytes`]:
//!
//! ```text
//! signed      = "docket v1 event signature" (25 ASCII bytes) 0x00 v1payload
//! v1payload   = the whole version-1 payload of the event, id included: 0x01 event
//! ```
//!
//! so it covers the event's id and all its content, but not where the
//! payload is stored: the sequence number, the recorded-at time and the
//! previous entry's hash are not signed (the hash chain protects those), and
//! nothing names the ledger. The model never checks a signature; see
//! [`Signature`].
//!
//! # Decoding
//!
//! Decoding is strict: the version must be 1 or 2; every value must satisfy its
//! rules (a slug with an uppercase letter, a day 30 of February, a string
//! that is not UTF-8, an `opt` tag other than 0 or 1 are all errors); the
//! event must pass [`Event::check`]; in version 2 exactly 96 bytes (key and
//! signature) follow the event, in version 1 none; and re-encoding the
//! result must give back exactly the input. So for every valid event there
//! is exactly one accepted unsigned byte string, and one signed byte string
//! per signature. Lengths are checked against [`MAX_PAYLOAD`], which bounds
//! the whole payload (signature included), before anything is allocated.

use bincode::de::{Decoder, read::Reader};
use bincode::enc::{Encoder, write::Writer};
use bincode::error::{DecodeError as BinDecodeError, EncodeError as BinEncodeError};
use bincode::{Decode, Encode};
use compact_str::CompactString;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::error::{DecodeError, EncodeError};
use crate::event::*;
use crate::ids::{Digest, EventId, Slug, Text};
use crate::keys::{PublicKey, Signature};
use crate::limits::MAX_PAYLOAD;
use crate::time::Effective;
use crate::vocab::{Category, DismissalReason, Kind, Nature, Outcome, Role};

/// The payload format version of an unsigned event, written by
/// [`Event::encode`].
pub const FORMAT_VERSION: u8 = 1;

/// The payload format version of a signed event, written by
/// [`Event::encode_signed`]. [`Event::decode`] reads both versions.
pub const SIGNED_FORMAT_VERSION: u8 = 2;

/// The domain-separation context that starts [`Event::signing_bytes`]
/// (followed by a 0x00 byte), so that a docket event signature can never be
/// mistaken for a signature of anything else.
pub const SIGNING_CONTEXT: &str = "docket v1 event signature";

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

/// Reads a bincode `String` (a u64 length, then UTF-8 bytes) without a heap
/// allocation when it fits inline, and with the same limits and errors as
/// bincode's own `String::decode`.
fn decode_compact<D: Decoder>(decoder: &mut D) -> Result<CompactString, BinDecodeError> {
    const INLINE: usize = 24;
    let len = u64::decode(decoder)?;
    let len = usize::try_from(len).map_err(|_| BinDecodeError::OutsideUsizeRange(len))?;
    decoder.claim_container_read::<u8>(len)?;
    if len <= INLINE {
        let mut buffer = [0u8; INLINE];
        let bytes = &mut buffer[..len];
        decoder.reader().read(bytes)?;
        CompactString::from_utf8(bytes).map_err(|inner| BinDecodeError::Utf8 { inner })
    } else {
        let mut bytes = vec![0u8; len];
        decoder.reader().read(&mut bytes)?;
        String::from_utf8(bytes)
            .map(CompactString::from)
            .map_err(|e| BinDecodeError::Utf8 {
                inner: e.utf8_error(),
            })
    }
}

/// Encode/Decode for the validated string newtypes: a bincode `String`,
/// validated by the type's own check on the way in.
macro_rules! string_codec {
    ($($ty:ident),*) => {$(
        impl Encode for $ty {
            fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
                self.as_str().encode(encoder)
            }
        }
        impl<Ctx> Decode<Ctx> for $ty {
            fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
                $ty::from_compact(decode_compact(decoder)?).map_err(invalid)
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
code_codec!(Kind, Category, Nature, Outcome, DismissalReason, Role);

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

impl Encode for PublicKey {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), BinEncodeError> {
        self.as_bytes().encode(encoder)
    }
}

impl<Ctx> Decode<Ctx> for PublicKey {
    fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, BinDecodeError> {
        <[u8; 32]>::decode(decoder).map(PublicKey::from_bytes)
    }
}
bincode::impl_borrow_decode!(PublicKey);

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
            Body::KeyAuthorized(b) => b.encode(encoder),
            Body::KeyRevoked(b) => b.encode(encoder),
        }
    }
}

/// Decodes a body; inside a replacement, corrections, retractions (and key
/// events) are refused before they are read, which bounds the recursion at
/// one level.
fn decode_body<D: Decoder>(decoder: &mut D, in_replacement: bool) -> Result<Body, BinDecodeError> {
    let code = u8::decode(decoder)?;
    let kind = Kind::from_code(code).ok_or_else(|| invalid(format!("unknown kind code {code}")))?;
    if in_replacement && !kind.is_correctable() {
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
        Kind::KeyAuthorized => Body::KeyAuthorized(Decode::decode(d)?),
        Kind::KeyRevoked => Body::KeyRevoked(Decode::decode(d)?),
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
fn write_payload(
    version: u8,
    event: &Event,
    with_id: bool,
    writer: impl Writer,
) -> Result<(), BinEncodeError> {
    let mut writer = writer;
    writer.write(&[version])?;
    bincode::encode_into_writer(TopLevel { event, with_id }, writer, config())
}

struct VecWriter(Vec<u8>);

impl Writer for VecWriter {
    fn write(&mut self, bytes: &[u8]) -> Result<(), BinEncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Compares what is written with the bytes it should reproduce, as it is
/// written: the canonical-form check of every decode, without building a
/// second copy of the payload.
struct CompareWriter<'a>(&'a [u8]);

impl Writer for CompareWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), BinEncodeError> {
        match self.0.split_at_checked(bytes.len()) {
            Some((head, rest)) if head == bytes => {
                self.0 = rest;
                Ok(())
            }
            _ => Err(BinEncodeError::Other("not the bytes decoded")),
        }
    }
}

/// Whether `event` (with `signature`) encodes to exactly `bytes`.
pub(crate) fn encodes_to(event: &Event, signature: Option<&Signature>, bytes: &[u8]) -> bool {
    let version = match signature {
        None => FORMAT_VERSION,
        Some(_) => SIGNED_FORMAT_VERSION,
    };
    let mut compare = CompareWriter(bytes);
    if write_payload(version, event, true, &mut compare).is_err() {
        return false;
    }
    let rest = compare.0;
    match signature {
        None => rest.is_empty(),
        Some(signature) => rest
            .strip_prefix(signature.key.as_bytes().as_slice())
            .is_some_and(|tail| tail == signature.bytes.as_slice()),
    }
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl Writer for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), BinEncodeError> {
        self.0.update(bytes);
        Ok(())
    }
}

/// Bytes set aside for a payload before encoding it.
const PAYLOAD_ROOM: usize = 512;

/// The version-1 payload, or with a signature the version-2 payload, of
/// `event`, without checking it.
fn to_vec(event: &Event, signature: Option<&Signature>) -> Result<Vec<u8>, BinEncodeError> {
    // Room for most payloads at once, then trimmed: growing from nothing
    // took six allocations per event, and left up to half of each buffer
    // unused while an import holds its payloads.
    let mut out = VecWriter(Vec::with_capacity(PAYLOAD_ROOM));
    let version = match signature {
        None => FORMAT_VERSION,
        Some(_) => SIGNED_FORMAT_VERSION,
    };
    write_payload(version, event, true, &mut out)?;
    if let Some(signature) = signature {
        out.0.extend_from_slice(signature.key.as_bytes());
        out.0.extend_from_slice(&signature.bytes);
    }
    out.0.shrink_to_fit();
    Ok(out.0)
}

/// Feeds the payload of `event` with its id left out to `hasher`.
pub(crate) fn hash_payload_without_id(event: &Event, hasher: &mut blake3::Hasher) {
    // Writing to a hasher cannot fail and no Encode impl of this crate
    // returns an error, so the result carries no information.
    let _ = write_payload(FORMAT_VERSION, event, false, HashWriter(hasher));
}

/// Reads the key and signature that end a version-2 payload: exactly
/// [`Signature::LEN`] bytes must remain after the event.
fn read_signature(tail: &[u8]) -> Result<Signature, DecodeError> {
    let short = || {
        DecodeError::Malformed(format!(
            "the payload ends {} bytes into the key and signature of a signed event, which take {}",
            tail.len(),
            Signature::LEN
        ))
    };
    let (key, rest) = tail.split_first_chunk::<32>().ok_or_else(short)?;
    let (bytes, trailing) = rest.split_first_chunk::<64>().ok_or_else(short)?;
    if !trailing.is_empty() {
        return Err(DecodeError::TrailingBytes {
            trailing: trailing.len(),
        });
    }
    Ok(Signature {
        key: PublicKey::from_bytes(*key),
        bytes: *bytes,
    })
}

impl Event {
    /// The canonical unsigned payload (version 1; layout in the
    /// [`codec`](crate::codec) module docs).
    ///
    /// Fails if the event breaks a rule ([`Event::check`]) — so every
    /// encoded event decodes — or if it exceeds
    /// [`MAX_PAYLOAD`](crate::limits::MAX_PAYLOAD), which no valid event does.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        self.encode_with(None)
    }

    /// The canonical signed payload (version 2): the version-1 encoding of
    /// the event, behind the byte 0x02 instead of 0x01, followed by
    /// `signature.key` (32 bytes) and `signature.bytes` (64 bytes).
    ///
    /// Nothing checks that the signature is right: it should sign
    /// [`Event::signing_bytes`] of this very event (same id). Fails as
    /// [`Event::encode`] does; the payload limit counts the signature too.
    pub fn encode_signed(&self, signature: &Signature) -> Result<Vec<u8>, EncodeError> {
        self.encode_with(Some(signature))
    }

    fn encode_with(&self, signature: Option<&Signature>) -> Result<Vec<u8>, EncodeError> {
        self.check()?;
        let bytes = to_vec(self, signature).map_err(|e| EncodeError::Bincode(e.to_string()))?;
        if bytes.len() > MAX_PAYLOAD {
            return Err(EncodeError::TooLarge {
                len: bytes.len(),
                max: MAX_PAYLOAD,
            });
        }
        Ok(bytes)
    }

    /// The bytes an Ed25519 signature of this event signs:
    /// [`SIGNING_CONTEXT`] (`"docket v1 event signature"`), a 0x00 byte,
    /// then the whole version-1 payload [`Event::encode`] gives.
    ///
    /// The signature therefore covers the event's id and all its content,
    /// but **not its position in the log** (sequence number, recorded-at
    /// time, previous hash), nor which ledger it is meant for. The id is
    /// part of what is signed: sign the event with the id it will be stored
    /// under (for an event without one, the id
    /// [`Event::with_derived_id`] gives it), not the id-less form.
    ///
    /// Fails as [`Event::encode`] does.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let payload = self.encode()?;
        let mut out = Vec::with_capacity(SIGNING_CONTEXT.len() + 1 + payload.len());
        out.extend_from_slice(SIGNING_CONTEXT.as_bytes());
        out.push(0);
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Decodes a payload of either version, accepting only the canonical
    /// encoding of a valid event (see the [`codec`](crate::codec) module
    /// docs), and drops the signature of a signed one. Never panics,
    /// whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
        Self::decode_signed(bytes).map(|(event, _)| event)
    }

    /// Decodes a payload of either version: the event, with its signature
    /// for version 2 and `None` for version 1. As strict as
    /// [`Event::decode`]: encoding the result again
    /// ([`Event::encode_signed`] or [`Event::encode`]) gives back exactly
    /// `bytes`. The signature is returned as stored, not verified.
    pub fn decode_signed(bytes: &[u8]) -> Result<(Event, Option<Signature>), DecodeError> {
        if bytes.len() > MAX_PAYLOAD {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: MAX_PAYLOAD,
            });
        }
        let (&version, rest) = bytes.split_first().ok_or(DecodeError::Empty)?;
        let signed = match version {
            FORMAT_VERSION => false,
            SIGNED_FORMAT_VERSION => true,
            other => return Err(DecodeError::UnknownVersion(other)),
        };
        let (Decoded(event), read) =
            bincode::decode_from_slice(rest, config()).map_err(malformed)?;
        let tail = rest.get(read..).unwrap_or_default();
        let signature = match signed {
            true => Some(read_signature(tail)?),
            false if tail.is_empty() => None,
            false => {
                return Err(DecodeError::TrailingBytes {
                    trailing: tail.len(),
                });
            }
        };
        event.check()?;
        if encodes_to(&event, signature.as_ref(), bytes) {
            Ok((event, signature))
        } else {
            Err(DecodeError::NotCanonical)
        }
    }
}
