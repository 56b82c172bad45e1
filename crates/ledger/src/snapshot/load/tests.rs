//! The two-thread load against the one-stream read, and reading the
//! entities or the tie alone.

use super::*;
use crate::snapshot::layout::WithoutHistories;
use crate::snapshot::{
    BUILD, EncodedState, SNAPSHOT_LIMIT, SNAPSHOT_VERSION, StateRef, compressed, snapshot_file,
};
use docket_model::Projection;

/// The projections of the founding example, with its eleven disputes
/// (so that the first half holds six), and its snapshot file.
fn example() -> (Projections, Vec<u8>) {
    let text = include_str!("../../../../../examples/amazon-nokia.ndjson");
    let events = (0u64..)
        .zip(text.lines().filter(|l| !l.trim().is_empty()))
        .map(|(seq, line)| (seq, docket_model::Event::from_json(line).unwrap()))
        .collect();
    let projections = crate::replay::project(events);
    assert_eq!(projections.disputes.len(), 11);
    let state = EncodedState::new(7, &projections, &[]).unwrap();
    let file = snapshot_file(45, [9; 32], &state).unwrap();
    (projections, file)
}

/// A file of the example's state after `tie`, its disputes written as
/// `first` (after the rest of the state) and `later` (with the
/// anomalies).
fn file_of(
    tie: &[u8],
    first: impl bincode::Encode,
    later: impl bincode::Encode,
    projections: &Projections,
) -> Vec<u8> {
    let start = (
        7i64,
        &projections.holdings,
        &projections.relations,
        Vec::<Revision>::new(),
        first,
    );
    let halves = [compressed(start), compressed(later)];
    let [Some(start), Some(later)] = halves else {
        panic!("the halves compress")
    };
    [tie, &start, &later].concat()
}

fn same(a: &Snapshot, b: &Snapshot) -> bool {
    (a.version, &a.build, a.size, a.head, a.max_instant)
        == (b.version, &b.build, b.size, b.head, b.max_instant)
        && a.projections == b.projections
        && a.revisions == b.revisions
}

#[test]
fn the_two_halves_decode_as_the_whole_stream_does() {
    let (projections, file) = example();
    assert!(frames::<3>(&file).is_some(), "the tie and two halves");
    let halves = decode_in_two(&file, SNAPSHOT_LIMIT, Histories::Read).unwrap();
    let whole: Snapshot = decode_stored(&file, SNAPSHOT_LIMIT).unwrap();
    assert!(same(&halves, &whole));
    assert_eq!(*halves.projections, projections);
    // Without the histories, on two threads or one: the same state but
    // for every dispute's history.
    let skipped = decode_in_two(&file, SNAPSHOT_LIMIT, Histories::Skip).unwrap();
    let WithoutHistories(one_stream) = decode_stored(&file, SNAPSHOT_LIMIT).unwrap();
    assert!(same(&skipped, &one_stream));
    assert!(projections.disputes.iter().any(|d| !d.history.is_empty()));
    let p = &skipped.projections;
    assert_eq!(
        (&p.holdings, &p.relations, p.disputes.anomalies()),
        (
            &projections.holdings,
            &projections.relations,
            projections.disputes.anomalies()
        )
    );
    let cleared = |d: &docket_disputes::Dispute| docket_disputes::Dispute {
        history: Vec::new(),
        ..d.clone()
    };
    assert!(
        p.disputes.iter().eq(projections
            .disputes
            .iter()
            .map(cleared)
            .collect::<Vec<_>>()
            .iter())
    );
    assert_eq!(
        (halves.size, halves.head, halves.max_instant),
        (45, [9; 32], 7)
    );
    // The frames hold, as one stream, the snapshot's own encoding.
    let snapshot = Snapshot {
        version: SNAPSHOT_VERSION,
        build: BUILD.to_owned(),
        size: 45,
        head: [9; 32],
        max_instant: 7,
        projections: Arc::new(projections.clone()),
        revisions: Arc::new(Vec::new()),
    };
    let mut stream = Vec::new();
    zstd::stream::read::Decoder::new(&file[..])
        .unwrap()
        .read_to_end(&mut stream)
        .unwrap();
    assert_eq!(stream, bincode::encode_to_vec(&snapshot, config()).unwrap());

    // The same stream framed otherwise is read as one stream: in one
    // frame after the tie (as builds before the halves wrote it), or
    // split at another dispute.
    let tie = frames::<3>(&file).unwrap()[0];
    let state = StateRef {
        max_instant: 7,
        projections: &projections,
        revisions: &[],
    };
    let one_frame = [tie, &compressed(state).unwrap()].concat();
    assert!(decode_in_two(&one_frame, SNAPSHOT_LIMIT, Histories::Read).is_none());
    let whole: Snapshot = decode_stored(&one_frame, SNAPSHOT_LIMIT).unwrap();
    assert!(same(&halves, &whole));
    for at in [0, 5, 7, 11] {
        let (first, later) = projections.disputes.encode_in_two(at);
        let framed = file_of(tie, first, later, &projections);
        assert!(
            decode_in_two(&framed, SNAPSHOT_LIMIT, Histories::Read).is_none(),
            "split at {at}"
        );
        let whole: Snapshot = decode_stored(&framed, SNAPSHOT_LIMIT).unwrap();
        assert!(same(&halves, &whole), "split at {at}");
    }
}

#[test]
fn the_entities_are_read_without_the_disputes() {
    let (projections, file) = example();
    let (tie, holdings) = read_entities(&file[..]).unwrap();
    assert_eq!((tie.size, tie.head), (45, [9; 32]));
    assert_eq!(holdings, projections.holdings);
    // The tie alone, from its frame; none from a cut one.
    let tie = read_tie(&file).unwrap();
    assert_eq!((tie.size, tie.head), (45, [9; 32]));
    assert!(read_tie(&file[..5]).is_none());
    // Whatever the frames: here, the state in one.
    let [tie_frame, ..] = frames::<3>(&file).unwrap();
    let state = StateRef {
        max_instant: 7,
        projections: &projections,
        revisions: &[],
    };
    let one_frame = [tie_frame, &compressed(state).unwrap()].concat();
    assert_eq!(
        read_entities(&one_frame[..]).unwrap().1,
        projections.holdings
    );
    // Cut after the holdings: they are still read.
    let start = compressed((7i64, &projections.holdings)).unwrap();
    let cut = [tie_frame, &start].concat();
    assert_eq!(read_entities(&cut[..]).unwrap().1, projections.holdings);
    // Another version or build may lay its state out otherwise: its
    // tie is refused before anything after it is read.
    for (version, build) in [(SNAPSHOT_VERSION - 1, BUILD), (SNAPSHOT_VERSION, "0.0.0")] {
        let other = compressed((version, build, 45u64, [9u8; 32])).unwrap();
        let [_, first, later] = frames::<3>(&file).unwrap();
        let file = [&other[..], first, later].concat();
        assert!(read_entities(&file[..]).is_none(), "{version} {build}");
        assert!(decode_in_two(&file, SNAPSHOT_LIMIT, Histories::Read).is_none());
        assert!(decode_stored::<Snapshot>(&file, SNAPSHOT_LIMIT).is_none());
    }
    assert!(read_entities(&file[..tie_frame.len() + 5]).is_none());
}

#[test]
fn damaged_or_oversized_halves_are_refused() {
    let (_, file) = example();
    let [tie, first, later] = frames::<3>(&file).unwrap();
    let total = {
        let mut bytes = Vec::new();
        zstd::stream::read::Decoder::new(&file[..])
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes.len()
    };
    // With the histories or without them, on two threads or one.
    let refused = |bytes: &[u8], limit: usize| {
        decode_in_two(bytes, limit, Histories::Read).is_none()
            && decode_in_two(bytes, limit, Histories::Skip).is_none()
            && decode_stored::<Snapshot>(bytes, limit).is_none()
            && decode_stored::<WithoutHistories>(bytes, limit).is_none()
    };
    // Cut short, a frame too many, a half missing, or one byte over
    // the limit.
    assert!(refused(&file[..file.len() - 3], SNAPSHOT_LIMIT));
    assert!(refused(&[&file[..], later].concat(), SNAPSHOT_LIMIT));
    assert!(refused(&[tie, later].concat(), SNAPSHOT_LIMIT));
    assert!(refused(&[tie, first].concat(), SNAPSHOT_LIMIT));
    assert!(decode_in_two(&file, total, Histories::Read).is_some());
    assert!(decode_in_two(&file, total, Histories::Skip).is_some());
    assert!(refused(&file, total - 1));
    // A second half that decompresses to bytes the first half's count
    // does not fit.
    let mut later_bytes = Vec::new();
    zstd::stream::read::Decoder::new(later)
        .unwrap()
        .read_to_end(&mut later_bytes)
        .unwrap();
    later_bytes.push(0);
    let longer = [tie, first, &zstd::encode_all(&later_bytes[..], 1).unwrap()].concat();
    assert!(refused(&longer, SNAPSHOT_LIMIT));
    // A first half that ends before the disputes' count: the second
    // half's thread, never told how many to read, gives up.
    let no_count = [tie, &compressed(7i64).unwrap(), later].concat();
    assert!(refused(&no_count, SNAPSHOT_LIMIT));
    // A part that claims more than its half of the limit is left to the
    // one-stream read, which decides.
    let small = bincode::config::standard().with_limit::<1024>();
    assert!(decode_in_two_within(&file, SNAPSHOT_LIMIT, small, Histories::Read).is_none());
    assert!(decode_stored::<Snapshot>(&file, SNAPSHOT_LIMIT).is_some());
}

#[test]
fn a_dispute_in_both_halves_keeps_its_later_value_as_one_stream_does() {
    let (projections, file) = example();
    let tie = frames::<3>(&file).unwrap()[0];
    let disputes: Vec<_> = projections.disputes.iter().collect();
    let at = first_part(disputes.len());
    // The second half repeats the first dispute's id, with the last
    // dispute's record, before its own disputes; one fewer of those,
    // so that the count still fits.
    let id = |i: usize| disputes[i].id.clone();
    let mut later: docket_model::SlugMap<docket_disputes::Dispute> =
        [(id(0), disputes[disputes.len() - 1].clone())]
            .into_iter()
            .collect();
    later.extend((at + 1..disputes.len()).map(|i| (id(i), disputes[i].clone())));
    let (first, _) = projections.disputes.encode_in_two(at);
    let (_, later) = later.encode_in_two(0);
    let no_anomalies = Vec::<docket_model::Anomaly>::new();
    let crafted = file_of(tie, first, (later, no_anomalies), &projections);
    let halves = decode_in_two(&crafted, SNAPSHOT_LIMIT, Histories::Read).unwrap();
    let whole: Snapshot = decode_stored(&crafted, SNAPSHOT_LIMIT).unwrap();
    assert!(same(&halves, &whole));
    let first_id = disputes[0].id.as_str();
    assert_eq!(
        halves.projections.disputes.get(first_id),
        disputes.last().copied()
    );
    assert_eq!(halves.projections.disputes.len(), disputes.len() - 1);
}

/// What the whole stream, decompressed then decoded, gives (as the
/// snapshot was loaded before it was loaded on two threads).
fn at_once<T: bincode::Decode<()>>(compressed: &[u8]) -> Option<T> {
    let decoder = zstd::stream::read::Decoder::new(compressed).ok()?;
    let mut bytes = Vec::new();
    decoder
        .take(SNAPSHOT_LIMIT as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() > SNAPSHOT_LIMIT {
        return None;
    }
    let (value, read) = bincode::decode_from_slice(&bytes, config()).ok()?;
    (read == bytes.len()).then_some(value)
}

fn stored<T: bincode::Decode<()>>(compressed: &[u8]) -> Option<T> {
    decode_stored(compressed, SNAPSHOT_LIMIT)
}

#[test]
fn pieces_decode_as_the_whole_stream_does() {
    // Values of nine bytes each: several pieces, crossed mid-value.
    let wide: Vec<u64> = (0..500_000u64).map(|i| (i << 40) | 7).collect();
    // Exactly two pieces: a five-byte length and the bytes. Keep it: a
    // later frame that does not decompress is refused for that alone
    // only when the value ends on a piece's end (otherwise the helper
    // drops the partial piece it was reading, and decoding fails).
    let exact: Vec<u8> = (0..2 * PIECE - 5).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        bincode::encode_to_vec(&exact, config()).unwrap().len(),
        2 * PIECE
    );
    let streams = |bytes: &[u8]| {
        let compressed = zstd::encode_all(bytes, 1).unwrap();
        let mut longer = bytes.to_vec();
        longer.push(0);
        [
            compressed.clone(),
            compressed[..compressed.len() - 3].to_vec(),
            zstd::encode_all(&bytes[..bytes.len() - 1], 1).unwrap(),
            zstd::encode_all(&longer[..], 1).unwrap(),
            // Whole, then a frame that does not decompress.
            [&compressed[..], b"not a zstd frame"].concat(),
            bytes[..1000].to_vec(),
            Vec::new(),
        ]
    };
    let bytes = bincode::encode_to_vec(&wide, config()).unwrap();
    assert!(bytes.len() > 4 * PIECE, "{}", bytes.len());
    let [whole, rest @ ..] = streams(&bytes);
    assert_eq!(stored::<Vec<u64>>(&whole), Some(wide));
    for damaged in rest {
        assert_eq!(stored::<Vec<u64>>(&damaged), None);
        assert_eq!(at_once::<Vec<u64>>(&damaged), None);
    }
    let bytes = bincode::encode_to_vec(&exact, config()).unwrap();
    let [whole, rest @ ..] = streams(&bytes);
    assert_eq!(stored::<Vec<u8>>(&whole), Some(exact.clone()));
    for damaged in rest {
        assert_eq!(stored::<Vec<u8>>(&damaged), None);
        assert_eq!(at_once::<Vec<u8>>(&damaged), None);
    }
    // A stream one byte past the limit is refused, even though the
    // value it holds decodes.
    assert_eq!(decode_stored::<Vec<u8>>(&whole, 2 * PIECE), Some(exact));
    assert_eq!(decode_stored::<Vec<u8>>(&whole, 2 * PIECE - 1), None);
}
