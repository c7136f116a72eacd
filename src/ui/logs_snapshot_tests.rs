//! Snapshot tests of the logs pane, zoomed, at 120x40, 80x24 and 50x20: empty, typical (tool
//! output in colour, a model stream, a search standing on a highlighted match), paused with
//! new lines counted, and error lines read through the errors filter from a real store. The
//! `.snap` files under `src/ui/snapshots/` are the reviewed screens. Test-only.

use crossterm::event::KeyCode;

use crate::protocol::*;

use super::fixture::{self, ch, draw, key, record, two_agents, type_text};
use super::logs_tests::store_with;
use super::{Action, App, Mode};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 20)];

fn log(id: i64, agent: Option<u32>, level: LogLevel, text: &str) -> Record {
    record(
        id,
        Event::LogLine {
            agent: agent.map(AgentId),
            level,
            text: text.into(),
        },
    )
}

/// A short run: tool output with colours, a streamed model reply, warnings and an error.
fn typical() -> App {
    let mut records = two_agents("analyst");
    records.extend([
        log(4, None, LogLevel::Info, "run is working: tasks delegated"),
        record(
            5,
            Event::ToolCallBegan {
                call: ToolCallId(1),
                agent: AgentId(2),
                tool: "exec".into(),
                args: r#"{"cmd":"cargo test"}"#.into(),
            },
        ),
        record(
            6,
            Event::ToolOutputDelta {
                call: ToolCallId(1),
                agent: AgentId(2),
                stream: OutputStream::Stdout,
                text: "test dates::leap ... \u{1b}[32mok\u{1b}[0m".into(),
            },
        ),
        record(
            7,
            Event::ToolOutputDelta {
                call: ToolCallId(1),
                agent: AgentId(2),
                stream: OutputStream::Stdout,
                text: "test dates::parse_dates ... \u{1b}[1;31mFAILED\u{1b}[0m".into(),
            },
        ),
        record(
            8,
            Event::LlmDelta {
                call: LlmCallId(1),
                agent: AgentId(1),
                text: "parse_dates fails on two-digit years; ".into(),
            },
        ),
        record(
            9,
            Event::LlmDelta {
                call: LlmCallId(1),
                agent: AgentId(1),
                text: "the analyst should widen them.".into(),
            },
        ),
        log(10, Some(2), LogLevel::Warn, "dateutil is not a dependency"),
        log(
            11,
            Some(2),
            LogLevel::Error,
            "panicked at src/dates.rs:41: year out of range",
        ),
    ]);
    let mut app = App::new(Mode::Owner, fixture::options());
    app.apply(&records);
    app.set_clock(fixture::clock());
    app.on_key(ch('3'));
    app
}

fn zoomed(app: &mut App, w: u16, h: u16) -> String {
    if w >= 80 {
        app.on_key(ch('z'));
    }
    let screen = draw(app, w, h);
    if w >= 80 {
        app.on_key(ch('z'));
    }
    screen
}

#[test]
fn logs_empty() {
    for (w, h) in SIZES {
        let mut app = App::new(Mode::Owner, fixture::options());
        app.on_key(ch('3'));
        insta::assert_snapshot!(format!("logs_empty_{w}x{h}"), zoomed(&mut app, w, h));
    }
}

#[test]
fn logs_typical_with_a_search() {
    for (w, h) in SIZES {
        let mut app = typical();
        app.on_key(ch('/'));
        type_text(&mut app, "dates");
        app.on_key(key(KeyCode::Enter));
        insta::assert_snapshot!(format!("logs_search_{w}x{h}"), zoomed(&mut app, w, h));
    }
}

#[test]
fn logs_paused_with_new_lines() {
    for (w, h) in SIZES {
        let mut app = typical();
        zoomed(&mut app, w, h);
        app.on_key(key(KeyCode::PageUp));
        let late: Vec<Record> = (0..4)
            .map(|i| log(100 + i, None, LogLevel::Info, "late line"))
            .collect();
        app.apply(&late);
        insta::assert_snapshot!(format!("logs_paused_{w}x{h}"), zoomed(&mut app, w, h));
    }
}

/// Error lines, read back from a real store through the errors filter (times off: the
/// store stamps real times).
#[test]
fn logs_errors_from_the_store() {
    let mut events: Vec<Event> = two_agents("analyst")
        .into_iter()
        .skip(1)
        .map(|r| r.event)
        .collect();
    for i in 0..30 {
        events.push(match i % 3 {
            0 => Event::ErrorRaised {
                agent: Some(AgentId(2)),
                source: "tool".into(),
                message: format!("cargo test exited 101 (attempt {i})"),
            },
            1 => Event::LogLine {
                agent: Some(AgentId(1)),
                level: LogLevel::Info,
                text: format!("retrying the analyst ({i})"),
            },
            _ => Event::LogLine {
                agent: None,
                level: LogLevel::Error,
                text: format!("\u{1b}[31mstore busy\u{1b}[0m, retried ({i})"),
            },
        });
    }
    let (_dir, reader, run) = store_with(events);
    for (w, h) in SIZES {
        let mut app = App::new(Mode::Owner, fixture::options());
        app.load(reader.snapshot(run, 2000).unwrap());
        app.set_clock(fixture::clock());
        app.on_key(ch('3'));
        app.on_key(ch('t'));
        let mut actions = Vec::new();
        for _ in 0..4 {
            actions = app.on_key(ch('f'));
        }
        for action in actions {
            if let Action::FetchLogs(r) = action {
                let page = reader
                    .log_lines(r.run, r.filter, r.before, r.limit)
                    .unwrap();
                app.on_log_page(r, page);
            }
        }
        insta::assert_snapshot!(format!("logs_errors_{w}x{h}"), zoomed(&mut app, w, h));
    }
}
