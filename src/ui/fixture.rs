//! Test fixtures for the UI: a realistic run as events (seven agents in a tree with every
//! status, fifteen nested tasks, about forty log lines including ANSI colours, a 1 MB line and
//! wide characters, memory, chat, two pending approvals), the same run's final state as store
//! rows written out by hand, a fixed clock, and helpers that draw an App on a TestBackend.
//! Test-only; touches no files.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::protocol::*;
use crate::store::{Page, RunRow, RunSnapshot};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, App, Mode, UiOptions};

mod events;
mod rows;

pub use events::records;
pub use rows::{final_agents, final_tasks, memory_rows};

/// The run.
pub const RUN: RunId = RunId(7);
/// When it started: 22:13:20 UTC.
pub const T0: i64 = 1_700_000_000_000;
/// The goal.
pub const GOAL: &str = "the test `parse_dates` fails, fix it";

/// Twelve minutes and five seconds after the start.
pub fn clock() -> Millis {
    Millis(T0 + 725_000)
}

/// Options with colour and timestamps on.
pub fn options() -> UiOptions {
    UiOptions {
        color: true,
        log_timestamps: true,
        log_window: 2000,
    }
}

/// A snapshot holding only the run row and the repository's memory, so the rest of the
/// screen comes from folding [`records`].
pub fn bare_snapshot() -> RunSnapshot {
    RunSnapshot {
        run: run_row(RunState::Planning, 0, 0.0),
        agents: Vec::new(),
        tasks: Vec::new(),
        approvals: Vec::new(),
        chat: Page::default(),
        logs: Page::default(),
        memory: memory_rows(),
        last_event: EventId(0),
    }
}

/// The run's row.
pub fn run_row(state: RunState, tokens: u64, cost_usd: f64) -> RunRow {
    RunRow {
        id: RUN,
        goal: GOAL.into(),
        repo: "/home/dev/calendar".into(),
        state,
        summary: String::new(),
        started_at: Millis(T0),
        finished_at: None,
        tokens,
        cost_usd,
    }
}

/// A screen with nothing loaded.
pub fn empty_app(mode: Mode) -> App {
    let mut app = App::new(mode, options());
    app.load(None);
    app.set_clock(clock());
    app
}

/// A screen showing the fixture run.
pub fn populated_app(mode: Mode) -> App {
    populated_with(mode, options())
}

/// [`populated_app`] with other options.
pub fn populated_with(mode: Mode, options: UiOptions) -> App {
    let mut app = App::new(mode, options);
    app.load(Some(bare_snapshot()));
    app.apply(&records());
    app.set_clock(clock());
    app
}

/// A record of the fixture run: event `id`, `id` seconds after the start.
pub fn record(id: i64, event: Event) -> Record {
    Record {
        id: EventId(id),
        run: RUN,
        at: Millis(T0 + id * 1000),
        event,
    }
}

/// Records 1 to 3: the run starts, then a planner (agent 1) and its `role` child (agent 2).
pub fn two_agents(role: &str) -> Vec<Record> {
    let spawn = |id: i64, agent: u32, parent: Option<AgentId>, role: &str, model: &str| {
        record(
            id,
            Event::AgentSpawned {
                agent: AgentId(agent),
                parent,
                role: role.into(),
                model: model.into(),
            },
        )
    };
    let started = Event::RunStarted {
        goal: GOAL.into(),
        repo: "/home/dev/calendar".into(),
    };
    vec![
        record(1, started),
        spawn(2, 1, None, "planner", "gpt-4o"),
        spawn(3, 2, Some(AgentId(1)), role, "gpt-4o-mini"),
    ]
}

/// Watch mode with a live owner.
pub fn watch() -> Mode {
    Mode::Watch {
        owner: crate::store::OwnerState::Alive {
            pid: 4242,
            heartbeat_age_ms: 300,
        },
    }
}

/// Draws `app` at `width` x `height` and returns the buffer.
pub fn draw_buffer(app: &mut App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.render(f)).unwrap();
    terminal.backend().buffer().clone()
}

/// Draws `app` and returns the screen as text, one line per row, trailing spaces trimmed.
pub fn draw(app: &mut App, width: u16, height: u16) -> String {
    text_of(&draw_buffer(app, width, height))
}

/// A buffer as text; cells hidden behind a wide character are skipped.
pub fn text_of(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width).max(1);
    let mut out = String::new();
    for row in buffer.content.chunks(width) {
        let mut line = String::new();
        let mut skip = 0usize;
        for cell in row {
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            skip = skip
                .max(unicode_width::UnicodeWidthStr::width(cell.symbol()))
                .saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A named key press.
pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// A character key press (with shift for capitals, as terminals report them).
pub fn ch(c: char) -> KeyEvent {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

/// Types `text` key by key; returns every action.
pub fn type_text(app: &mut App, text: &str) -> Vec<Action> {
    text.chars().flat_map(|c| app.on_key(ch(c))).collect()
}
