//! The logs pane driven as a person would: search (`/`, `n`, `N`) with highlights and its way
//! into older pages, level / kind / agent filters (keys and `App::focus_agent`) that reload
//! from a real SQLite store, wrap and times, selection and OSC 52 copy, follow paused with a
//! count of new lines, two agents streaming at once, hostile text, and paging 100,000 lines
//! from a real store with a small window. Test-only.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use crate::paths::RepoPaths;
use crate::protocol::*;
use crate::store::{LogKind, OwnedStore, Reader, StoreOptions};

use super::fixture::{self, ch, draw, draw_buffer, key, record, two_agents, type_text};
use super::{Action, App, Mode, UiOptions};

const WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn line(agent: Option<u32>, level: LogLevel, text: &str) -> Event {
    Event::LogLine {
        agent: agent.map(AgentId),
        level,
        text: text.into(),
    }
}

fn options(window: usize) -> UiOptions {
    UiOptions {
        log_window: window,
        ..fixture::options()
    }
}

/// A run of `n` numbered lines by the analyst (agent 2), "needle" in lines 10, 50 and 90.
fn numbered(n: usize) -> App {
    let mut records = two_agents("analyst");
    for i in 0..n {
        let words = if [10, 50, 90].contains(&i) {
            format!("line {i} has the needle")
        } else {
            format!("line {i}")
        };
        records.push(record(4 + i as i64, line(Some(2), LogLevel::Info, &words)));
    }
    let mut app = App::new(Mode::Owner, options(2000));
    app.apply(&records);
    app.set_clock(fixture::clock());
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    draw(&mut app, 120, 40);
    app
}

fn search(app: &mut App, words: &str) -> Vec<Action> {
    app.on_key(ch('/'));
    type_text(app, words);
    app.on_key(key(KeyCode::Enter))
}

/// A real store with a run; `events` appended in order.
pub(super) fn store_with(events: Vec<Event>) -> (tempfile::TempDir, Reader, RunId) {
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let run = rt
        .block_on(owned.store.create_run(fixture::GOAL, "/repo"))
        .unwrap();
    for event in events {
        owned.store.append_blocking(run, event).unwrap();
    }
    owned.store.flush_blocking().unwrap();
    owned.close().unwrap();
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    (dir, reader, run)
}

/// An App showing the store's run as a screen starts (snapshot with the window's lines).
fn app_over(reader: &Reader, run: RunId, window: usize) -> App {
    let mut app = App::new(Mode::Owner, options(window));
    app.load(reader.snapshot(run, window).unwrap());
    app.set_clock(fixture::clock());
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    draw(&mut app, 120, 40);
    app
}

/// Answers every page the App asks for from the store, as the run loop's query thread does;
/// returns how many pages were read.
fn pump(app: &mut App, reader: &Reader, actions: Vec<Action>) -> usize {
    let mut pending: Vec<_> = actions
        .into_iter()
        .filter_map(|a| match a {
            Action::FetchLogs(r) => Some(r),
            _ => None,
        })
        .collect();
    let mut pages = 0;
    while let Some(request) = pending.pop() {
        let page = reader
            .log_lines(request.run, request.filter, request.before, request.limit)
            .unwrap();
        app.on_log_page(request, page);
        pages += 1;
        pending.extend(app.take_log_fetches());
        draw(app, 120, 40);
    }
    pages
}

/// The column where `s` starts in a drawn row (every character here is one column wide).
fn col(row: &str, s: &str) -> usize {
    row[..row.find(s).unwrap()].chars().count()
}

fn texts(app: &App) -> Vec<String> {
    app.view()
        .logs
        .lines()
        .iter()
        .map(|e| e.text.clone())
        .collect()
}

#[test]
fn slash_searches_from_the_bottom_and_n_goes_older() {
    let mut app = numbered(100);
    assert!(search(&mut app, "needle").is_empty());
    assert!(!app.logs_following());
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("/needle"), "{screen}");
    assert!(screen.contains("▸analyst"), "{screen}");
    assert!(screen.contains("line 90 has the needle"));
    app.on_key(ch('n'));
    let screen = draw(&mut app, 120, 40);
    let marked = screen.lines().find(|l| l.contains('▸')).unwrap();
    assert!(marked.contains("line 50 has the needle"), "{screen}");
    app.on_key(ch('n'));
    assert!(draw(&mut app, 120, 40).contains("line 10 has the needle"));
    app.on_key(ch('n'));
    assert_eq!(
        app.hint(),
        Some("no more matches for \"needle\" (back to the run's first line)")
    );
    app.on_key(ch('N'));
    let screen = draw(&mut app, 120, 40);
    let marked = screen.lines().find(|l| l.contains('▸')).unwrap();
    assert!(marked.contains("line 50"), "{screen}");
    app.on_key(ch('N'));
    app.on_key(ch('N'));
    assert_eq!(app.hint(), Some("no more matches for \"needle\" (below)"));
}

#[test]
fn matches_are_highlighted_and_smart_case() {
    let mut app = numbered(100);
    search(&mut app, "NEEDLE");
    assert_eq!(
        app.hint(),
        Some("no more matches for \"NEEDLE\" (back to the run's first line)")
    );
    search(&mut app, "needle");
    let buf = draw_buffer(&mut app, 120, 40);
    let text = fixture::text_of(&buf);
    let (y, row) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("line 90 has the needle"))
        .unwrap();
    let x = col(row, "needle");
    let cell = &buf[(x as u16, y as u16)];
    assert_eq!(cell.bg, Color::Yellow, "the current match stands out");
    let before = &buf[(x as u16 - 2, y as u16)];
    assert_ne!(before.bg, Color::Yellow);
}

#[test]
fn the_search_prompt_edits_cancels_and_quits() {
    let mut app = numbered(20);
    app.on_key(ch('/'));
    type_text(&mut app, "linx");
    app.on_key(key(KeyCode::Backspace));
    type_text(&mut app, "e 3");
    assert!(draw(&mut app, 120, 40).contains("/line 3█"));
    // Keys that mean something in the pane are typed while the prompt is open.
    assert!(app.logs_following());
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.hint(), Some("search cancelled"));
    assert!(!draw(&mut app, 120, 40).contains("/line 3"));
    app.on_key(ch('/'));
    let quit = app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(quit == vec![Action::Quit] || app.asking_to_quit());
    // An empty search clears it; n then says how to start one.
    let mut app = numbered(20);
    search(&mut app, "");
    assert_eq!(app.hint(), Some("search cleared"));
    app.on_key(ch('n'));
    assert_eq!(app.hint(), Some("no search yet: / starts one"));
}

#[test]
fn scrolling_up_pauses_and_counts_new_lines() {
    let mut app = numbered(100);
    app.on_key(ch('k'));
    assert!(draw(&mut app, 120, 40).contains("Logs paused "));
    let late: Vec<Record> = (0..3)
        .map(|i| record(500 + i, line(None, LogLevel::Info, "late")))
        .collect();
    app.apply(&late);
    assert!(draw(&mut app, 120, 40).contains("paused, 3 new"));
    app.on_key(ch('G'));
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("following") && screen.contains("late"));
}

#[test]
fn wrap_and_times_toggle() {
    let mut app = numbered(5);
    let long = format!("start {} end-of-line", "word ".repeat(40));
    app.apply(&[record(100, line(Some(2), LogLevel::Warn, &long))]);
    let screen = draw(&mut app, 80, 24);
    assert!(!screen.contains("end-of-line"));
    assert!(screen.contains("22:13:"));
    app.on_key(ch('w'));
    assert_eq!(app.hint(), Some("long lines wrap"));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("end-of-line"), "{screen}");
    assert!(screen.contains("· wrap"));
    app.on_key(ch('t'));
    assert_eq!(app.hint(), Some("times hidden"));
    assert!(!draw(&mut app, 80, 24).contains("22:13:"));
    app.on_key(ch('t'));
    app.on_key(ch('w'));
    assert_eq!(app.hint(), Some("long lines are cut to one row"));
    assert!(!draw(&mut app, 80, 24).contains("end-of-line"));
}

#[test]
fn v_selects_and_y_copies_plain_text() {
    let mut app = numbered(10);
    app.apply(&[record(
        50,
        line(
            Some(2),
            LogLevel::Info,
            "\u{1b}[31mred\u{1b}[0m \u{1b}]52;c;ZXZpbA==\u{7}tail",
        ),
    )]);
    app.on_key(ch('v'));
    assert!(app.hint().unwrap().starts_with("selecting"));
    app.on_key(ch('k'));
    app.on_key(ch('k'));
    assert!(draw(&mut app, 120, 40).contains("selecting 3 · v ends"));
    app.on_key(ch('v'));
    assert_eq!(app.hint(), Some("3 lines selected: y copies, v clears"));
    app.on_key(ch('y'));
    assert_eq!(app.hint(), Some("copied 3 lines to the clipboard (OSC 52)"));
    let copied = app.take_copy().unwrap();
    assert_eq!(copied.lines().count(), 3);
    assert!(copied.contains("INF analyst#2 line 8\n"), "{copied}");
    assert!(copied.ends_with("INF analyst#2 red tail\n"), "{copied}");
    assert!(!copied.contains('\u{1b}') && !copied.contains('\u{7}'));
    assert_eq!(app.take_copy(), None, "copied once");
    // Without a selection, y copies the line in focus (the bottom one).
    app.on_key(ch('y'));
    assert_eq!(app.hint(), Some("copied 1 line to the clipboard (OSC 52)"));
    assert!(app.take_copy().unwrap().ends_with("red tail\n"));
    // v, v, v clears.
    app.on_key(ch('v'));
    app.on_key(ch('v'));
    app.on_key(ch('v'));
    assert_eq!(app.hint(), Some("selection cleared"));
}

#[test]
fn two_agents_streaming_at_once_keep_their_own_lines() {
    let mut records = two_agents("analyst");
    let delta = |id, agent: u32, call: u32, text: &str| {
        record(
            id,
            Event::LlmDelta {
                call: LlmCallId(call),
                agent: AgentId(agent),
                text: text.into(),
            },
        )
    };
    records.extend([
        delta(4, 1, 1, "The plan"),
        delta(5, 2, 2, "I will"),
        delta(6, 1, 1, " is simple"),
        delta(7, 2, 2, " read dates.rs"),
        delta(8, 1, 1, "."),
    ]);
    let mut app = App::new(Mode::Owner, options(100));
    app.apply(&records);
    let lines = texts(&app);
    assert!(
        lines.contains(&"The plan is simple.".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"I will read dates.rs".to_string()),
        "{lines:?}"
    );
}

#[test]
fn hostile_log_text_never_reaches_the_terminal() {
    let mut app = numbered(3);
    let hostile = "\u{1b}[2J\u{1b}[1;1Hmoved\u{1b}]0;owned title\u{7}\u{1b}]52;c;cm0gLXJm\u{7}\u{9b}31m\u{1b}[?1049h ok";
    app.apply(&[record(40, line(None, LogLevel::Error, hostile))]);
    let buf = draw_buffer(&mut app, 120, 40);
    for cell in buf.content() {
        assert!(!cell.symbol().chars().any(|c| c.is_control()), "{cell:?}");
    }
    let screen = fixture::text_of(&buf);
    assert!(screen.contains("moved ok"), "{screen}");
    assert!(!screen.contains("owned title") && !screen.contains("cm0gLXJm"));
}

#[test]
fn tool_output_keeps_its_colours() {
    let mut records = two_agents("analyst");
    records.push(record(
        4,
        Event::ToolOutputDelta {
            call: ToolCallId(1),
            agent: AgentId(2),
            stream: OutputStream::Stdout,
            text: "\u{1b}[32mok\u{1b}[0m plain \u{1b}[1;31mFAILED\u{1b}[0m".into(),
        },
    ));
    let mut app = App::new(Mode::Owner, options(100));
    app.apply(&records);
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    let buf = draw_buffer(&mut app, 120, 40);
    let text = fixture::text_of(&buf);
    let (y, row) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("ok plain FAILED"))
        .unwrap();
    let at = |s: &str| &buf[(col(row, s) as u16, y as u16)];
    assert_eq!(at("ok").fg, Color::Green);
    assert_eq!(at("FAILED").fg, Color::Red);
    assert!(
        at("FAILED")
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
    // With colour off, the emphasis stays and the colours go.
    let mut plain = App::new(
        Mode::Owner,
        UiOptions {
            color: false,
            ..options(100)
        },
    );
    plain.apply(&records);
    plain.on_key(ch('3'));
    plain.on_key(ch('z'));
    let buf = draw_buffer(&mut plain, 120, 40);
    let cell = &buf[(col(row, "FAILED") as u16, y as u16)];
    assert_eq!(cell.fg, Color::Reset);
    assert!(cell.modifier.contains(ratatui::style::Modifier::BOLD));
}

/// A run mixing every kind of line, stored for real.
fn mixed_store() -> (tempfile::TempDir, Reader, RunId) {
    // The planner (agent 1) and the analyst (agent 2), without a second run start.
    let mut events: Vec<Event> = two_agents("analyst")
        .into_iter()
        .skip(1)
        .map(|r| r.event)
        .collect();
    for i in 0..300 {
        events.push(match i % 5 {
            0 => line(None, LogLevel::Info, &format!("warroom note {i}")),
            1 => Event::ToolOutputDelta {
                call: ToolCallId(i),
                agent: AgentId(2),
                stream: OutputStream::Stdout,
                text: format!("\u{1b}[32mtool out {i}\u{1b}[0m"),
            },
            2 => Event::LlmDelta {
                call: LlmCallId(i),
                agent: AgentId(1),
                text: format!("model says {i}"),
            },
            3 => line(Some(2), LogLevel::Error, &format!("analyst error {i}")),
            _ => line(Some(1), LogLevel::Warn, &format!("planner warning {i}")),
        });
    }
    store_with(events)
}

#[test]
fn level_kind_and_agent_keys_filter_the_store_pages_too() {
    let (_dir, reader, run) = mixed_store();
    let mut app = app_over(&reader, run, 40);
    // l: INF and worse, then WRN and worse, then ERR only.
    let actions = app.on_key(ch('l'));
    assert_eq!(app.hint(), Some("showing INF lines and worse"));
    assert_eq!(pump(&mut app, &reader, actions), 1);
    assert!(texts(&app).iter().all(|t| !t.starts_with("tool out")));
    let actions = app.on_key(ch('l'));
    pump(&mut app, &reader, actions);
    let actions = app.on_key(ch('l'));
    pump(&mut app, &reader, actions);
    assert!(draw(&mut app, 120, 40).contains("≥ERR"));
    assert!(texts(&app).iter().all(|t| t.starts_with("analyst error")));
    assert_eq!(texts(&app).len(), 40, "a full window of matching lines");
    // Paging back keeps the filter.
    let actions = app.on_key(ch('g'));
    pump(&mut app, &reader, actions);
    assert!(texts(&app).len() > 40 || texts(&app).len() == 40);
    assert!(texts(&app).iter().all(|t| t.starts_with("analyst error")));
    let actions = app.on_key(ch('l'));
    assert_eq!(app.hint(), Some("showing every level"));
    pump(&mut app, &reader, actions);
    // f: kinds in turn.
    let expect = [
        (LogKind::Tool, "tool out"),
        (LogKind::Model, "model says"),
        (LogKind::Warroom, "warroom note"),
        (LogKind::Errors, "analyst error"),
    ];
    for (kind, start) in expect {
        let actions = app.on_key(ch('f'));
        assert_eq!(
            app.hint(),
            Some(format!("showing {} only", kind.word()).as_str())
        );
        pump(&mut app, &reader, actions);
        let lines = texts(&app);
        assert!(!lines.is_empty());
        assert!(
            lines.iter().all(|t| t.starts_with(start)),
            "{kind:?}: {lines:?}"
        );
        // Live lines pass the same filter.
        let tool = record(
            10_000 + kind as i64,
            Event::ToolOutputDelta {
                call: ToolCallId(999),
                agent: AgentId(2),
                stream: OutputStream::Stdout,
                text: "live tool line".into(),
            },
        );
        app.apply(&[Record { run, ..tool }]);
        let shown = texts(&app).iter().any(|t| t == "live tool line");
        assert_eq!(shown, kind == LogKind::Tool, "{kind:?}");
    }
    let actions = app.on_key(ch('f'));
    assert_eq!(app.hint(), Some("showing every kind of line"));
    pump(&mut app, &reader, actions);
    // c: each agent in turn, then everyone.
    let actions = app.on_key(ch('c'));
    assert_eq!(app.hint(), Some("showing planner#1's lines only"));
    pump(&mut app, &reader, actions);
    let planner = texts(&app);
    assert!(
        planner
            .iter()
            .all(|t| t.starts_with("planner warning") || t.starts_with("model says"))
    );
    let actions = app.on_key(ch('c'));
    pump(&mut app, &reader, actions);
    let actions = app.on_key(ch('c'));
    assert_eq!(app.hint(), Some("showing every agent's lines"));
    pump(&mut app, &reader, actions);
    assert!(texts(&app).iter().any(|t| t.starts_with("warroom note")));
}

#[test]
fn focus_agent_filters_the_logs_to_one_agent() {
    let (_dir, reader, run) = mixed_store();
    let mut app = app_over(&reader, run, 50);
    let actions = app.focus_agent(Some(AgentId(2)));
    assert!(matches!(&actions[..], [Action::FetchLogs(r)] if r.filter.agent == Some(AgentId(2))));
    pump(&mut app, &reader, actions);
    let lines = texts(&app);
    assert_eq!(lines.len(), 50);
    assert!(
        lines
            .iter()
            .all(|t| t.starts_with("tool out") || t.starts_with("analyst error"))
    );
    assert!(draw(&mut app, 120, 40).contains("following · analyst#2"));
    assert!(
        app.focus_agent(Some(AgentId(2))).is_empty(),
        "no change, no page"
    );
    let actions = app.focus_agent(None);
    pump(&mut app, &reader, actions);
    assert!(texts(&app).iter().any(|t| t.starts_with("warroom note")));
}

#[test]
fn an_empty_filter_result_says_how_to_change_it() {
    let (_dir, reader, run) = store_with(vec![line(None, LogLevel::Info, "only info")]);
    let mut app = app_over(&reader, run, 50);
    for _ in 0..3 {
        let actions = app.on_key(ch('l'));
        pump(&mut app, &reader, actions);
    }
    assert!(draw(&mut app, 120, 40).contains("no log lines match the filter"));
}

/// 100,000 lines in a real store, a window of 200: paging up and down, jumping to the top,
/// following again, and a search that reads older pages until it finds the first line.
#[test]
fn pages_through_100_000_stored_lines_with_a_small_window() {
    let events: Vec<Event> = (0..100_000)
        .map(|i| {
            let words = if i == 3 {
                "line 3 the oldest needle".to_string()
            } else {
                format!("line {i}")
            };
            line(Some(1), LogLevel::Info, &words)
        })
        .collect();
    let (_dir, reader, run) = store_with(events);
    let mut app = app_over(&reader, run, 200);
    assert_eq!(texts(&app).last().map(String::as_str), Some("line 99999"));
    // PgUp until the window pages older lines in; memory stays bounded.
    let mut pages = 0;
    for _ in 0..40 {
        let actions = app.on_key(key(KeyCode::PageUp));
        pages += pump(&mut app, &reader, actions);
        assert!(app.view().logs.lines().len() <= 200);
    }
    assert!(pages > 0);
    assert!(app.view().logs.is_detached());
    let screen = draw(&mut app, 120, 40);
    assert!(!screen.contains("line 99999"), "{screen}");
    // G follows the newest again.
    let actions = app.on_key(ch('G'));
    pump(&mut app, &reader, actions);
    assert!(draw(&mut app, 120, 40).contains("line 99999"));
    // The search reads older pages, 200 at most per n, then says so; n goes on.
    let mut first = Some(search(&mut app, "oldest needle"));
    let mut presses = 0;
    loop {
        let actions = match first.take() {
            Some(actions) => actions,
            None => app.on_key(ch('n')),
        };
        presses += 1;
        pump(&mut app, &reader, actions);
        assert!(app.view().logs.lines().len() <= 200);
        if draw(&mut app, 120, 40).contains("line 3 the oldest needle") {
            break;
        }
        let hint = app.hint().unwrap_or_default().to_string();
        assert!(hint.contains("n searches further back"), "{hint}");
        assert!(presses < 20, "the search never got there");
    }
    assert!(presses > 1, "100,000 lines need more than one n");
    let actions = app.on_key(ch('n'));
    pump(&mut app, &reader, actions);
    assert!(
        app.hint().unwrap().starts_with("no more matches"),
        "{:?}",
        app.hint()
    );
}
