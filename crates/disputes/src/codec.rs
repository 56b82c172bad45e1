//! A dispute's bincode encoding, written by hand so that its history can be
//! skipped: the fields in declaration order, as a derived encoding would
//! write them, but the history last as its byte length and then its items.
//!
//! Histories are most of a stored state's bytes (57 % at a million
//! events), and the commands that print every dispute show none of them.
//! [`Histories::Skip`] steps over each history's bytes without decoding
//! them; [`Histories::Read`] reads them as a derived decoding would, and
//! refuses a history that does not end exactly where its length says.

use bincode::config::Config;
use bincode::de::read::{Reader, SliceReader};
use bincode::de::{Decode, Decoder, DecoderImpl};
use bincode::enc::write::Writer;
use bincode::enc::{Encode, Encoder};
use bincode::error::{DecodeError, EncodeError};

use crate::dispute::{Dispute, HistoryItem};

/// Whether decoding a dispute reads its history or steps over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Histories {
    /// Decode every history.
    Read,
    /// Step over every history's bytes: each dispute's `history` is empty.
    Skip,
}

/// Bytes read at a time: a damaged length cannot make the reader allocate
/// more than the stream holds.
const STEP: usize = 1 << 16;

impl Encode for Dispute {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        // Destructured, so that a new field cannot be left out unnoticed.
        let Dispute {
            id,
            title,
            forum,
            nature,
            plaintiffs,
            defendants,
            claims,
            accused,
            responds_to,
            status,
            stayed_from,
            filed,
            closed,
            filed_seq,
            filed_event,
            rulings,
            judgments,
            dismissals,
            appeals,
            settlement,
            history,
        } = self;
        id.encode(encoder)?;
        title.encode(encoder)?;
        forum.encode(encoder)?;
        nature.encode(encoder)?;
        plaintiffs.encode(encoder)?;
        defendants.encode(encoder)?;
        claims.encode(encoder)?;
        accused.encode(encoder)?;
        responds_to.encode(encoder)?;
        status.encode(encoder)?;
        stayed_from.encode(encoder)?;
        filed.encode(encoder)?;
        closed.encode(encoder)?;
        filed_seq.encode(encoder)?;
        filed_event.encode(encoder)?;
        rulings.encode(encoder)?;
        judgments.encode(encoder)?;
        dismissals.encode(encoder)?;
        appeals.encode(encoder)?;
        settlement.encode(encoder)?;
        let history = bincode::encode_to_vec(history, *encoder.config())?;
        (history.len() as u64).encode(encoder)?;
        encoder.writer().write(&history)
    }
}

impl<Context> Decode<Context> for Dispute {
    fn decode<D: Decoder<Context = Context>>(decoder: &mut D) -> Result<Self, DecodeError> {
        Dispute::decode_with(decoder, Histories::Read)
    }
}

impl Dispute {
    /// Reads a dispute, with its history or with an empty one.
    pub fn decode_with<D: Decoder>(
        decoder: &mut D,
        histories: Histories,
    ) -> Result<Dispute, DecodeError> {
        let mut dispute = Dispute {
            id: Decode::decode(decoder)?,
            title: Decode::decode(decoder)?,
            forum: Decode::decode(decoder)?,
            nature: Decode::decode(decoder)?,
            plaintiffs: Decode::decode(decoder)?,
            defendants: Decode::decode(decoder)?,
            claims: Decode::decode(decoder)?,
            accused: Decode::decode(decoder)?,
            responds_to: Decode::decode(decoder)?,
            status: Decode::decode(decoder)?,
            stayed_from: Decode::decode(decoder)?,
            filed: Decode::decode(decoder)?,
            closed: Decode::decode(decoder)?,
            filed_seq: Decode::decode(decoder)?,
            filed_event: Decode::decode(decoder)?,
            rulings: Decode::decode(decoder)?,
            judgments: Decode::decode(decoder)?,
            dismissals: Decode::decode(decoder)?,
            appeals: Decode::decode(decoder)?,
            settlement: Decode::decode(decoder)?,
            history: Vec::new(),
        };
        let len = usize::try_from(u64::decode(decoder)?)
            .map_err(|_| DecodeError::Other("a history longer than memory"))?;
        match histories {
            Histories::Read => dispute.history = read_history(decoder, len)?,
            Histories::Skip => skip(decoder.reader(), len)?,
        }
        Ok(dispute)
    }
}

/// The `len` bytes of a history, decoded: they must hold exactly its items.
/// Decoded where the reader buffers them (most histories are a few hundred
/// bytes), else from a copy.
fn read_history<D: Decoder>(decoder: &mut D, len: usize) -> Result<Vec<HistoryItem>, DecodeError> {
    decoder.claim_bytes_read(len)?;
    let config = *decoder.config();
    let reader = decoder.reader();
    if let Some(bytes) = reader.peek_read(len) {
        let history = history_in(bytes, config)?;
        reader.consume(len);
        return Ok(history);
    }
    let mut bytes = Vec::with_capacity(len.min(STEP));
    while bytes.len() < len {
        let start = bytes.len();
        bytes.resize(start + (len - start).min(STEP), 0);
        reader.read(&mut bytes[start..])?;
    }
    history_in(&bytes, config)
}

/// The history that `bytes` hold, to their last byte. Its item count is
/// checked against them before room is made for the items: each item is
/// at least a byte.
fn history_in<C: Config>(bytes: &[u8], config: C) -> Result<Vec<HistoryItem>, DecodeError> {
    let mut reader = SliceReader::new(bytes);
    let mut decoder = DecoderImpl::new(&mut reader, config, ());
    let count = u64::decode(&mut decoder)?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&count| count <= bytes.len())
        .ok_or(DecodeError::Other("a history of more items than bytes"))?;
    let mut history = Vec::with_capacity(count);
    for _ in 0..count {
        history.push(HistoryItem::decode(&mut decoder)?);
    }
    if reader.peek_read(1).is_some() {
        return Err(DecodeError::Other(
            "a history that ends before its length says",
        ));
    }
    Ok(history)
}

/// Reads past `len` bytes.
fn skip<R: Reader>(reader: &mut R, mut len: usize) -> Result<(), DecodeError> {
    if reader.peek_read(len).is_some() {
        reader.consume(len);
        return Ok(());
    }
    let mut scratch = [0u8; 4096];
    while len > 0 {
        let n = len.min(scratch.len());
        reader.read(&mut scratch[..n])?;
        len -= n;
    }
    Ok(())
}

/// A dispute decoded with [`Histories::Skip`], for containers that decode
/// their items with [`Decode`].
pub(crate) struct WithoutHistory(pub(crate) Dispute);

impl<Context> Decode<Context> for WithoutHistory {
    fn decode<D: Decoder<Context = Context>>(decoder: &mut D) -> Result<Self, DecodeError> {
        Dispute::decode_with(decoder, Histories::Skip).map(WithoutHistory)
    }
}

bincode::impl_borrow_decode!(Dispute);

#[cfg(test)]
mod tests {
    use bincode::config::standard;
    use docket_model::{Event, Projection};

    use super::*;
    use crate::Disputes;

    /// A dispute with a history of a filing and two docket entries.
    fn dispute() -> Dispute {
        let mut state = Disputes::new();
        for (seq, json) in [
            r#"{"id":"f","kind":"dispute.filed","effective":"2020-01-01","dispute":"d","title":"A v. B","forum":{"court":"ded"},"nature":"patent","plaintiffs":["a"],"defendants":["b"]}"#,
            r#"{"id":"e1","kind":"dispute.entry","effective":"2020-01-02","dispute":"d","description":"Complaint"}"#,
            r#"{"id":"e2","kind":"dispute.entry","effective":"2020-01-03","dispute":"d","description":"Answer"}"#,
        ]
        .into_iter()
        .enumerate()
        {
            state.apply(seq as u64, &Event::from_json(json).unwrap());
        }
        state.get("d").unwrap().clone()
    }

    fn decode(bytes: &[u8], histories: Histories) -> Result<(Dispute, usize), DecodeError> {
        match histories {
            Histories::Read => bincode::decode_from_slice(bytes, standard()),
            Histories::Skip => bincode::decode_from_slice(bytes, standard())
                .map(|(WithoutHistory(dispute), used)| (dispute, used)),
        }
    }

    #[test]
    fn a_history_is_read_or_skipped_after_its_length() {
        let dispute = dispute();
        assert_eq!(dispute.history.len(), 3);
        let bytes = bincode::encode_to_vec(&dispute, standard()).unwrap();
        let history = bincode::encode_to_vec(&dispute.history, standard()).unwrap();
        // The history's bytes end the encoding.
        assert!(bytes.ends_with(&history));
        let (read, used) = decode(&bytes, Histories::Read).unwrap();
        assert_eq!((read, used), (dispute.clone(), bytes.len()));
        let (skipped, used) = decode(&bytes, Histories::Skip).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(
            skipped,
            Dispute {
                history: Vec::new(),
                ..dispute
            }
        );
    }

    #[test]
    fn a_history_that_disagrees_with_its_length_is_refused() {
        let dispute = dispute();
        let bytes = bincode::encode_to_vec(&dispute, standard()).unwrap();
        let history = bincode::encode_to_vec(&dispute.history, standard()).unwrap();
        let head = &bytes[..bytes.len() - history.len() - 1];
        assert_eq!(usize::from(bytes[head.len()]), history.len());
        // Longer than its items: they end before it does.
        let mut longer = head.to_vec();
        longer.push(u8::try_from(history.len() + 1).unwrap());
        longer.extend_from_slice(&history);
        longer.push(0);
        assert!(decode(&longer, Histories::Read).is_err());
        // Longer than the stream, or shorter than its items.
        let mut cut = bytes.clone();
        cut.pop();
        let mut shorter = head.to_vec();
        shorter.push(u8::try_from(history.len() - 1).unwrap());
        shorter.extend_from_slice(&history[..history.len() - 1]);
        for bad in [&cut, &shorter] {
            assert!(decode(bad, Histories::Read).is_err());
        }
        assert!(decode(&cut, Histories::Skip).is_err());
    }
}
