//! Applying events, in replay order, to the three projections: on two
//! threads for a long replay, and what becomes of each event once applied.

use docket_disputes::Disputes;
use docket_holdings::Holdings;
use docket_model::{Event, Projection};
use docket_relations::Relations;

use super::{EventSink, Projections};

/// An event on its way into the projections: taken out of the decoded
/// parts (and dropped or handed over once applied), or a corrected copy,
/// borrowed.
// Boxing the large variant would cost an allocation per event replayed.
#[allow(clippy::large_enum_variant)]
pub(super) enum Ordered<'a> {
    Taken(Event),
    Corrected(&'a Event),
}

impl Ordered<'_> {
    fn event(&self) -> &Event {
        match self {
            Ordered::Taken(event) => event,
            Ordered::Corrected(event) => event,
        }
    }
}

/// Where the events replay took out of their parts go once applied:
/// dropped, or handed over in batches to a caller that has more to do
/// with them (see [`super::replay_handing_over`]).
pub(super) struct Handover<'h> {
    to: Option<EventSink<'h>>,
    batch: Vec<(u64, Event)>,
}

impl<'h> Handover<'h> {
    /// Events handed over at a time.
    const BATCH: usize = 1024;

    pub(super) fn new(to: Option<EventSink<'h>>) -> Self {
        Handover {
            to,
            batch: Vec::new(),
        }
    }

    fn is_wanted(&self) -> bool {
        self.to.is_some()
    }

    /// Takes an applied event: a taken one is handed over (in a batch); a
    /// corrected copy is replay's own, borrowed, and not handed over.
    fn take(&mut self, seq: u64, event: Ordered<'_>) {
        if let (Some(to), Ordered::Taken(event)) = (&mut self.to, event) {
            self.batch.push((seq, event));
            if self.batch.len() >= Self::BATCH {
                to(std::mem::take(&mut self.batch));
            }
        }
    }

    /// Hands over `events` (those replay never took) and what is batched.
    pub(super) fn finish(mut self, events: impl Iterator<Item = (u64, Event)>) {
        if let Some(to) = &mut self.to {
            self.batch.extend(events);
            if !self.batch.is_empty() {
                to(std::mem::take(&mut self.batch));
            }
        }
    }
}

/// From this many events on, replay applies docket-disputes on one thread
/// and docket-holdings and docket-relations on another: below it, starting
/// a thread costs more than it saves (narrowed reads replay a few dozen).
pub(super) const PARALLEL_APPLY_FROM: usize = 20_000;

/// Events handed from the first thread to the second at a time.
const APPLY_BATCH: usize = 1024;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Applies `count` events (in order) to the three projections; the
/// latest instant applied.
pub(super) fn apply<'a>(
    count: usize,
    events: &mut dyn Iterator<Item = (i64, u64, Ordered<'a>)>,
    handover: &mut Handover<'_>,
) -> (Projections, i64) {
    if count >= PARALLEL_APPLY_FROM && cores() > 1 {
        apply_on_two_threads(events, handover)
    } else {
        apply_on_one_thread(events, handover)
    }
}

fn apply_on_one_thread<'a>(
    events: &mut dyn Iterator<Item = (i64, u64, Ordered<'a>)>,
    handover: &mut Handover<'_>,
) -> (Projections, i64) {
    let mut projections = Projections::default();
    let mut max_instant = i64::MIN;
    for (instant, seq, event) in events {
        projections.apply(seq, event.event());
        max_instant = max_instant.max(instant);
        handover.take(seq, event);
    }
    (projections, max_instant)
}

/// Applies `events` (in order) to docket-holdings and docket-relations on
/// this thread while a second thread applies them, in the same order, to
/// docket-disputes. The projections are independent of each other, so each
/// sees exactly the sequence it would see alone. At a million events
/// docket-disputes takes longer than the other two together (0.35 s against
/// 0.15 s), so this thread also takes the events out of their parts in
/// order, and drops (or hands over) them when the other hands them back.
pub(super) fn apply_on_two_threads<'a>(
    events: &mut dyn Iterator<Item = (i64, u64, Ordered<'a>)>,
    handover: &mut Handover<'_>,
) -> (Projections, i64) {
    std::thread::scope(|scope| {
        let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<(u64, Ordered<'a>)>>(4);
        // Applied batches come back to be emptied here: dropping the events
        // is then off the busier thread, and the vectors are used again.
        let (returner, returned) = std::sync::mpsc::channel::<Vec<(u64, Ordered<'a>)>>();
        let disputes = std::thread::Builder::new()
            .name("docket-replay".to_owned())
            .spawn_scoped(scope, move || {
                let mut disputes = Disputes::default();
                for batch in batches {
                    for (seq, event) in &batch {
                        disputes.apply(*seq, event.event());
                    }
                    // Dropped here instead if the calling thread has hung
                    // up (it only does so while unwinding).
                    let _ = returner.send(batch);
                }
                disputes
            });
        // Out of threads: all three here.
        let Ok(disputes) = disputes else {
            return apply_on_one_thread(events, handover);
        };
        let mut empty = |mut applied: Vec<(u64, Ordered<'a>)>| {
            if handover.is_wanted() {
                for (seq, event) in applied.drain(..) {
                    handover.take(seq, event);
                }
            } else {
                applied.clear();
            }
            applied
        };
        let mut holdings = Holdings::default();
        let mut relations = Relations::default();
        let mut max_instant = i64::MIN;
        let mut batch = Vec::with_capacity(APPLY_BATCH);
        for (instant, seq, event) in events {
            holdings.apply(seq, event.event());
            relations.apply(seq, event.event());
            max_instant = max_instant.max(instant);
            batch.push((seq, event));
            if batch.len() == APPLY_BATCH {
                let next = match returned.try_recv() {
                    Ok(applied) => empty(applied),
                    Err(_) => Vec::with_capacity(APPLY_BATCH),
                };
                let full = std::mem::replace(&mut batch, next);
                // The receiver only hangs up by panicking, which the join
                // below passes on.
                if sender.send(full).is_err() {
                    break;
                }
            }
        }
        let _ = sender.send(batch);
        drop(sender);
        let disputes = disputes
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // Every batch not yet emptied is back (the other thread has ended).
        for applied in returned.try_iter() {
            empty(applied);
        }
        let projections = Projections {
            disputes,
            holdings,
            relations,
        };
        (projections, max_instant)
    })
}
