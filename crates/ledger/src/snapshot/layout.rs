//! The stored snapshot's stream: its tie, then its state, in the order
//! that lets a reader stop early (docs/format.md §4.5).

use std::sync::Arc;

use bincode::{Decode, Encode};
use docket_disputes::Histories;
use docket_holdings::Holdings;
use docket_log::Hash;

use super::{BUILD, SNAPSHOT_VERSION, Snapshot};
use crate::replay::{Projections, Revision};

/// The fields a snapshot starts with: enough to tell whether it belongs to
/// the current head without decoding the projections.
#[derive(Decode)]
pub(super) struct Tie {
    pub(super) version: u32,
    pub(super) build: String,
    pub(super) size: u64,
    pub(super) head: Hash,
}

impl Tie {
    /// Whether this build wrote the snapshot, so that it reads what follows
    /// as it was written.
    pub(super) fn is_current(&self) -> bool {
        self.version == SNAPSHOT_VERSION && self.build == BUILD
    }
}

/// A snapshot's state as the stored stream holds it after the tie: the
/// latest instant, the holdings, the relations and the revisions (a few
/// MB at a million events), then the disputes (most of the rest). The
/// entities come before the disputes so that a view of one entity reads
/// them without decoding any dispute ([`super::load::read_entities`]).
#[derive(Clone, Copy)]
pub(super) struct StateRef<'a> {
    pub(super) max_instant: i64,
    pub(super) projections: &'a Projections,
    pub(super) revisions: &'a [Revision],
}

impl Encode for StateRef<'_> {
    fn encode<E: bincode::enc::Encoder>(
        &self,
        encoder: &mut E,
    ) -> Result<(), bincode::error::EncodeError> {
        self.max_instant.encode(encoder)?;
        self.projections.holdings.encode(encoder)?;
        self.projections.relations.encode(encoder)?;
        self.revisions.encode(encoder)?;
        self.projections.disputes.encode(encoder)
    }
}

/// What a [`StateRef`] encodes, decoded.
pub(super) struct DecodedState {
    max_instant: i64,
    projections: Projections,
    revisions: Vec<Revision>,
}

impl<Context> Decode<Context> for DecodedState {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        DecodedState::decode_with(decoder, Histories::Read)
    }
}

impl DecodedState {
    /// Reads the state, each dispute's history as `histories` says.
    fn decode_with<D: bincode::de::Decoder>(
        decoder: &mut D,
        histories: Histories,
    ) -> Result<Self, bincode::error::DecodeError> {
        let max_instant = i64::decode(decoder)?;
        let holdings = Holdings::decode(decoder)?;
        let relations = docket_relations::Relations::decode(decoder)?;
        let revisions = Vec::decode(decoder)?;
        let disputes = docket_disputes::Disputes::decode_with(decoder, histories)?;
        Ok(DecodedState {
            max_instant,
            projections: Projections {
                disputes,
                holdings,
                relations,
            },
            revisions,
        })
    }
}

/// The stream a whole snapshot is, as one value (the files are written in
/// parts, by `EncodedState`).
#[cfg(test)]
impl Encode for Snapshot {
    fn encode<E: bincode::enc::Encoder>(
        &self,
        encoder: &mut E,
    ) -> Result<(), bincode::error::EncodeError> {
        (self.version, &self.build, self.size, self.head).encode(encoder)?;
        StateRef {
            max_instant: self.max_instant,
            projections: &self.projections,
            revisions: &self.revisions,
        }
        .encode(encoder)
    }
}

impl<Context> Decode<Context> for Snapshot {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Snapshot::decode_with(decoder, Histories::Read)
    }
}

/// A stored snapshot read with every dispute's history left out
/// ([`Histories::Skip`]).
pub(super) struct WithoutHistories(pub(super) Snapshot);

impl<Context> Decode<Context> for WithoutHistories {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Snapshot::decode_with(decoder, Histories::Skip).map(WithoutHistories)
    }
}

impl Snapshot {
    fn decode_with<D: bincode::de::Decoder>(
        decoder: &mut D,
        histories: Histories,
    ) -> Result<Self, bincode::error::DecodeError> {
        let tie = Tie::decode(decoder)?;
        // Another build's state may be laid out otherwise: misread, its
        // bytes could claim anything.
        if !tie.is_current() {
            return Err(bincode::error::DecodeError::Other(
                "a snapshot of another version or build",
            ));
        }
        let state = DecodedState::decode_with(decoder, histories)?;
        Ok(Snapshot::of(tie, state))
    }

    pub(super) fn of(tie: Tie, state: DecodedState) -> Snapshot {
        Snapshot {
            version: tie.version,
            build: tie.build,
            size: tie.size,
            head: tie.head,
            max_instant: state.max_instant,
            projections: Arc::new(state.projections),
            revisions: Arc::new(state.revisions),
        }
    }
}
