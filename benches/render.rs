//! Target 2: one frame of the screen over a large run (1,000,000 events, 10,000 tasks, 200
//! agents in the database): p99 <= 2 ms.
//!
//! The database is built once through the real store with `synth::write_run` and cached under
//! `target/tmp/warroom-bench/`. Then, as `warroom watch` does at start: `Reader::snapshot`
//! (the default log window) -> `App::load`. Each measured frame first folds a small batch of
//! new records (`App::apply`, as the run loop does between frames; timed apart), then draws
//! with `Terminal::draw(|f| app.render(f))`, which renders every pane into the buffer, diffs
//! it with the previous one and hands the changed cells to the backend. Backends:
//!
//! - `test`: ratatui's `TestBackend` (the target's measurement);
//! - `ansi`: `CrosstermBackend` writing into a byte counter, i.e. the escape sequences a real
//!   terminal would receive (also reports bytes per frame);
//! - `ansi-full`: the same after `Terminal::clear()` each frame, so every cell is re-sent
//!   (the cost of a resize or a first frame).

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use warroom::paths::RepoPaths;
use warroom::protocol::{Event, EventId, Millis, Record, RunId};
use warroom::store::{OwnerState, Reader, RunSnapshot};
use warroom::synth::{Generator, Scenario};
use warroom::ui::{App, Mode, UiOptions};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const TARGET: Duration = Duration::from_millis(2);
/// Records folded before each frame: about one frame's worth at 1,000 events/s.
const BATCH: usize = 16;
const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 20)];

fn main() -> Res<()> {
    if common::skip_unless_bench("render") {
        return Ok(());
    }
    banner("render");
    let scenario = common::big_scenario();
    let repo = common::cached_repo(scenario, false)?;
    let paths = RepoPaths::new(&repo)?;
    let reader = Reader::open(&paths.db, Duration::from_secs(5))?;
    let run = reader
        .latest_run()?
        .ok_or("the cached database has no run")?;
    let options = UiOptions::default();
    let started = Instant::now();
    let snapshot = reader
        .snapshot(run.id, options.log_window)?
        .ok_or("no snapshot")?;
    let snapshot_time = started.elapsed();
    println!(
        "database: {} events, {} agents, {} tasks, run {}; snapshot: {} log lines, {} chat, read in {} ms; {}",
        snapshot.last_event.0,
        snapshot.agents.len(),
        snapshot.tasks.len(),
        run.id,
        snapshot.logs.records.len(),
        snapshot.chat.records.len(),
        ms(snapshot_time),
        common::machine()
    );
    // New records come from the same kind of run (another seed), after the database's last id.
    let setup = Generator::new(Scenario {
        events: 0,
        ..scenario
    })
    .count();
    let mut feed = Feed {
        events: Generator::new(Scenario {
            events: u64::MAX,
            seed: 11,
            ..scenario
        })
        .skip(setup),
        next: snapshot.last_event.0 + 1,
        run: run.id,
    };
    let plan = Plan {
        frames: size(2_000, 200),
        warmup: size(50, 10),
    };
    println!(
        "{} measured frames per row after {} warm-up frames; {BATCH} new records folded before each frame",
        plan.frames, plan.warmup
    );
    println!();
    println!(
        "{:<8} {:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}  target p99 <= {} ms",
        "size",
        "backend",
        "load ms",
        "apply p50",
        "apply p99",
        "draw p50",
        "draw p99",
        "draw max",
        "apply+draw",
        "bytes/frame",
        ms(TARGET)
    );
    let mut worst = Duration::ZERO;
    let (mut with_task, mut without_task) = (Vec::new(), Vec::new());
    for (width, height) in SIZES {
        for backend in [Kind::Test, Kind::Ansi, Kind::AnsiFull] {
            let row = measure(
                &snapshot,
                &mut feed,
                options,
                (width, height),
                backend,
                plan,
            )?;
            let (apply, draw, both) = (
                Stats::of(&row.frames.apply),
                Stats::of(&row.frames.draw),
                Stats::of(&row.frames.both),
            );
            if backend == Kind::Test {
                worst = worst.max(draw.p99);
            }
            with_task.extend_from_slice(&row.frames.apply_tasks);
            without_task.extend_from_slice(&row.frames.apply_other);
            println!(
                "{:<8} {:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}  {}",
                format!("{width}x{height}"),
                backend.name(),
                ms(row.load),
                ms(apply.p50),
                ms(apply.p99),
                ms(draw.p50),
                ms(draw.p99),
                ms(draw.max),
                ms(both.p99),
                row.bytes_per_frame,
                verdict(draw.p99 <= TARGET)
            );
        }
    }
    let (with, without) = (Stats::of(&with_task), Stats::of(&without_task));
    println!();
    println!(
        "apply, batches with a TaskProgressed/TaskStatusChanged: n {} p50 {} ms p99 {} ms; without: n {} p50 {} ms p99 {} ms",
        with.n,
        ms(with.p50),
        ms(with.p99),
        without.n,
        ms(without.p50),
        ms(without.p99)
    );
    println!(
        "worst draw p99 on TestBackend: {} ms   target <= {} ms   {}",
        ms(worst),
        ms(TARGET),
        verdict(worst <= TARGET)
    );
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Test,
    Ansi,
    AnsiFull,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Test => "test",
            Kind::Ansi => "ansi",
            Kind::AnsiFull => "ansi-full",
        }
    }
}

struct Feed<I> {
    events: I,
    next: i64,
    run: RunId,
}

impl<I: Iterator<Item = Event>> Feed<I> {
    fn batch(&mut self) -> Vec<Record> {
        (&mut self.events)
            .take(BATCH)
            .map(|event| {
                let id = EventId(self.next);
                self.next += 1;
                Record {
                    id,
                    run: self.run,
                    at: Millis::now(),
                    event,
                }
            })
            .collect()
    }
}

/// Counts what a terminal would receive (shared: the backend owns the writer).
#[derive(Default, Clone)]
struct Counter(Rc<Cell<u64>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len() as u64);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One row of the table: a size and a backend.
struct Row {
    load: Duration,
    frames: Frames,
    bytes_per_frame: u64,
}

/// The samples of the measured frames.
#[derive(Default)]
struct Frames {
    /// `App::apply` of the batch before the frame.
    apply: Vec<Duration>,
    /// The same, split: batches with a task status/progress event, and the others.
    apply_tasks: Vec<Duration>,
    apply_other: Vec<Duration>,
    /// `Terminal::draw`.
    draw: Vec<Duration>,
    /// Both.
    both: Vec<Duration>,
}

/// How many frames, and how many unmeasured ones first.
#[derive(Clone, Copy)]
struct Plan {
    frames: usize,
    warmup: usize,
}

fn measure<I: Iterator<Item = Event>>(
    snapshot: &RunSnapshot,
    feed: &mut Feed<I>,
    options: UiOptions,
    (width, height): (u16, u16),
    kind: Kind,
    plan: Plan,
) -> Res<Row> {
    let snapshot = snapshot.clone();
    let started = Instant::now();
    let mut app = App::new(
        Mode::Watch {
            owner: OwnerState::NoOwner,
        },
        options,
    );
    app.load(Some(snapshot));
    let load = started.elapsed();
    match kind {
        Kind::Test => {
            let mut terminal = Terminal::new(TestBackend::new(width, height))?;
            let frames = frames_on(&mut terminal, &mut app, feed, plan, false)?;
            Ok(Row {
                load,
                frames,
                bytes_per_frame: 0,
            })
        }
        Kind::Ansi | Kind::AnsiFull => {
            let counter = Counter::default();
            let backend = CrosstermBackend::new(counter.clone());
            let mut terminal = Terminal::with_options(
                backend,
                TerminalOptions {
                    viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
                },
            )?;
            let before = counter.0.get();
            let frames = frames_on(&mut terminal, &mut app, feed, plan, kind == Kind::AnsiFull)?;
            let written = counter.0.get() - before;
            Ok(Row {
                load,
                frames,
                bytes_per_frame: written / (plan.frames + plan.warmup) as u64,
            })
        }
    }
}

/// Folds a batch and draws, `plan` times; `full` clears the terminal first so every cell is
/// sent again.
fn frames_on<B: Backend, I: Iterator<Item = Event>>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    feed: &mut Feed<I>,
    plan: Plan,
    full: bool,
) -> Res<Frames> {
    let mut out = Frames::default();
    for n in 0..plan.warmup + plan.frames {
        let batch = feed.batch();
        if full {
            terminal.clear()?;
        }
        let t0 = Instant::now();
        app.apply(&batch);
        let t1 = Instant::now();
        terminal.draw(|frame| app.render(frame))?;
        let t2 = Instant::now();
        app.mark_drawn();
        if n < plan.warmup {
            continue;
        }
        let touches_tasks = batch.iter().any(|r| {
            matches!(
                r.event,
                Event::TaskProgressed { .. } | Event::TaskStatusChanged { .. }
            )
        });
        if touches_tasks {
            out.apply_tasks.push(t1 - t0);
        } else {
            out.apply_other.push(t1 - t0);
        }
        out.apply.push(t1 - t0);
        out.draw.push(t2 - t1);
        out.both.push(t2 - t0);
    }
    Ok(out)
}
