//! An adversarial decode suite: random and mutated byte strings fed to every
//! decoder, with no panic and no single allocation past a bound.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use docket_ledger::SecretKey;
use docket_log::{Entry, Header};
use docket_model::{Event, PublicKey};

/// Tracks, per thread, the largest allocation requested while armed, so the
/// suite can tell whether a decoder trusted a length it read from input.
pub struct Watch;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// The only unsafe code in the project: a `GlobalAlloc` must be an unsafe
// impl. It forwards every call to `System` unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
        }
    });
}

/// Runs `f` and returns the largest single allocation it made.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|l| l.set(0));
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    LARGEST.with(Cell::get)
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    /// A valid sample with a few bytes flipped, inserted, removed or cut.
    fn mutate(&mut self, sample: &[u8]) -> Vec<u8> {
        let mut out = sample.to_vec();
        for _ in 0..1 + self.below(3) {
            match self.below(5) {
                0 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] ^= 1 << self.below(8);
                }
                1 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] = self.next() as u8;
                }
                2 => {
                    let i = self.below(out.len() + 1);
                    out.insert(i, self.next() as u8);
                }
                3 if !out.is_empty() => {
                    out.remove(self.below(out.len()));
                }
                _ => out.truncate(self.below(out.len() + 1)),
            }
        }
        out
    }
}

/// The example's events as JSON, payloads (signed and not) and stored entries.
type Samples = (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>);

/// Valid inputs to mutate: the example's events as JSON, payloads (signed
/// and not) and stored entries.
fn samples() -> Samples {
    let example =
        std::fs::read_to_string(crate::support::repo_file("examples/amazon-nokia.ndjson")).unwrap();
    let key = SecretKey::from_text(&format!(
        "docket ed25519 secret key v1\n{}\n",
        "ab".repeat(32)
    ))
    .unwrap();
    let (mut json, mut payloads, mut entries) = (Vec::new(), Vec::new(), Vec::new());
    for (seq, line) in example.lines().enumerate() {
        json.push(line.as_bytes().to_vec());
        let event = Event::from_json(line).unwrap();
        let payload = event.encode().unwrap();
        payloads.push(event.encode_signed(&key.sign(&event).unwrap()).unwrap());
        let header = Header {
            version: 1,
            seq: seq as u64,
            recorded_at: 1,
            payload_len: payload.len() as u32,
            prev_hash: [7; 32],
        };
        entries.push(
            Entry {
                header,
                payload: payload.clone(),
            }
            .to_bytes(),
        );
        payloads.push(payload);
    }
    // A signed checkpoint note, to mutate for the note parser.
    let mut note = docket_ledger::Checkpoint {
        origin: "docket:test".into(),
        size: 45,
        root: [1; 32],
        head: [2; 32],
        signatures: Vec::new(),
    };
    note.sign(&key, "docket");
    json.push(note.to_note().into_bytes());
    (json, payloads, entries)
}

#[test]
fn ten_thousand_hostile_inputs_per_decoder_never_panic_or_overallocate() {
    // Room for the largest legitimate payload (1 MiB) plus decoder overhead;
    // a decoder that trusts a hostile length prefix asks for far more.
    const BOUND: usize = 8 << 20;
    // The watch itself works: it sees a large allocation.
    let seen = largest_allocation(|| drop(std::hint::black_box(vec![0u8; 3 << 20])));
    assert!(
        seen >= 3 << 20,
        "the allocation watch saw only {seen} bytes"
    );
    let (json, payloads, entries) = samples();
    let mut noise = Noise(0x5eed_d0c4_e7ed_0001);
    let mut worst = 0;
    for round in 0..10_000 {
        let len = noise.below(600);
        let random = noise.bytes(len);
        let json_input = if round % 2 == 0 {
            noise.mutate(&json[round % json.len()])
        } else {
            random.clone()
        };
        let payload_input = if round % 2 == 0 {
            noise.mutate(&payloads[round % payloads.len()])
        } else {
            random.clone()
        };
        let entry_input = if round % 2 == 0 {
            noise.mutate(&entries[round % entries.len()])
        } else {
            random.clone()
        };
        let text = String::from_utf8_lossy(&random).into_owned();
        worst = worst.max(largest_allocation(|| {
            let _ = Event::from_json_bytes(&json_input);
            let _ = Event::decode(&payload_input);
            let _ = Event::decode_signed(&payload_input);
            let _ = Entry::from_bytes(&entry_input);
            let _ = Header::from_bytes(&entry_input);
            let _ = PublicKey::new(&text);
            let _ = SecretKey::from_text(&text);
            let _ = docket_ledger::parse_events(&String::from_utf8_lossy(&json_input));
            let _ = docket_ledger::parse_instant(&text);
            let _ = docket_ledger::Checkpoint::parse(&String::from_utf8_lossy(&json_input));
            let _ = docket_ledger::Checkpoint::parse(&text);
            let _ = docket_ledger::Proof::from_json(&String::from_utf8_lossy(&json_input));
            let _ = docket_ledger::Bundle::from_json(&text);
        }));
    }
    assert!(worst <= BOUND, "a decoder allocated {worst} bytes at once");
}
