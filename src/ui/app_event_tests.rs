//! The App fed events, pages and sizes: log following and paging, resizing down to nothing,
//! switching runs, notices and skipped rows, the redraw flag, themes, hostile text, and the
//! cost of drawing a big run. Test-only.

use crossterm::event::KeyCode;
use ratatui::style::Color;

use crate::protocol::*;
use crate::store::{Page, SkippedRow};

use super::fixture::{self, ch, draw, draw_buffer, key, populated_app, populated_with};
use super::{Action, App, LogRequest, Mode, UiOptions};

#[test]
fn logs_scrolling_pauses_follow_and_g_resumes() {
    let mut app = populated_app(Mode::Owner);
    draw(&mut app, 120, 40);
    app.on_key(ch('3'));
    assert!(app.logs_following());
    app.on_key(key(KeyCode::Up));
    assert!(!app.logs_following());
    assert!(draw(&mut app, 120, 40).contains("paused"));
    // New lines do not move a paused screen.
    let before = draw(&mut app, 120, 40);
    app.apply(&[Record {
        id: EventId(5000),
        run: fixture::RUN,
        at: fixture::clock(),
        event: Event::LogLine {
            agent: None,
            level: LogLevel::Info,
            text: "late line".into(),
        },
    }]);
    let after = draw(&mut app, 120, 40);
    assert!(!after.contains("late line"));
    assert_eq!(before.lines().nth(5), after.lines().nth(5));
    app.on_key(ch('G'));
    assert!(app.logs_following());
    assert!(draw(&mut app, 120, 40).contains("late line"));
}

#[test]
fn the_top_of_the_window_fetches_older_pages_and_g_fetches_the_newest() {
    let options = UiOptions {
        log_window: 12,
        ..fixture::options()
    };
    let mut app = populated_with(Mode::Owner, options);
    draw(&mut app, 120, 40);
    app.on_key(ch('3'));
    let oldest = app.view().logs.lines().front().unwrap().id;
    let actions = app.on_key(ch('g'));
    let [Action::FetchLogs(request)] = actions.as_slice() else {
        panic!("expected a fetch, got {actions:?}");
    };
    assert_eq!(request.before, Some(oldest));
    assert_eq!(request.run, fixture::RUN);
    // The loop reads the page; it is prepended and the window stays bounded.
    let all = fixture::records();
    let older: Vec<Record> = all
        .iter()
        .filter(|r| r.id < oldest && r.event.log_level().is_some())
        .cloned()
        .collect();
    let page_records = older[older.len().saturating_sub(request.limit)..].to_vec();
    app.on_log_page(
        request.clone(),
        Page {
            records: page_records,
            ..Page::default()
        },
    );
    let logs = &app.view().logs;
    assert!(logs.lines().len() <= 12);
    assert!(logs.lines().front().unwrap().id < oldest);
    assert!(logs.is_detached());
    // Following again asks for the newest page, which replaces the window.
    let actions = app.on_key(ch('G'));
    let [Action::FetchLogs(newest)] = actions.as_slice() else {
        panic!("expected a fetch, got {actions:?}");
    };
    assert_eq!(newest.before, None);
    let newest_records: Vec<Record> = all
        .iter()
        .filter(|r| r.event.log_level().is_some())
        .cloned()
        .collect();
    let page = Page {
        records: newest_records[newest_records.len() - 12..].to_vec(),
        ..Page::default()
    };
    app.on_log_page(newest.clone(), page);
    assert!(!app.view().logs.is_detached());
    assert!(app.logs_following());
    assert!(draw(&mut app, 120, 40).contains("checkpoint saved"));
    // A page for another run or an answered request changes nothing.
    app.on_log_page(
        LogRequest {
            run: RunId(99),
            ..newest.clone()
        },
        Page::default(),
    );
    app.on_log_page(newest.clone(), Page::default());
    assert!(draw(&mut app, 120, 40).contains("checkpoint saved"));
}

#[test]
fn resizing_to_tiny_and_back_never_panics() {
    let mut app = populated_app(Mode::Owner);
    for (w, h) in [
        (120, 40),
        (10, 5),
        (1, 1),
        (0, 0),
        (40, 10),
        (39, 9),
        (200, 3),
        (3, 200),
        (80, 24),
    ] {
        let screen = draw(&mut app, w, h);
        if w > 0 && h > 0 && (w < 40 || h < 10) {
            assert!(screen.contains("small") || w < 10, "{w}x{h}: {screen}");
        }
    }
    assert!(draw(&mut app, 10, 5).contains("too"));
}

#[test]
fn a_new_run_switches_the_view_and_keeps_memory() {
    let mut app = populated_app(Mode::Owner);
    assert_eq!(app.current_run(), Some(fixture::RUN));
    let memory = app.view().memory.entries().len();
    let changed = app.apply(&[Record {
        id: EventId(9000),
        run: RunId(8),
        at: fixture::clock(),
        event: Event::RunStarted {
            goal: "add a --json flag".into(),
            repo: "/r".into(),
        },
    }]);
    assert!(changed);
    assert_eq!(app.current_run(), Some(RunId(8)));
    assert!(app.view().agents.is_empty());
    assert_eq!(app.view().memory.entries().len(), memory);
    assert!(draw(&mut app, 120, 40).contains("run 8 planning"));
    // Events of another run do not leak in.
    app.apply(&[Record {
        id: EventId(9001),
        run: fixture::RUN,
        at: fixture::clock(),
        event: Event::LogLine {
            agent: None,
            level: LogLevel::Error,
            text: "old run".into(),
        },
    }]);
    assert!(!draw(&mut app, 120, 40).contains("old run"));
}

#[test]
fn notices_and_skipped_rows_reach_the_status_bar() {
    let mut app = populated_app(Mode::Owner);
    app.on_skipped(&[
        SkippedRow {
            id: EventId(3),
            kind: "agent_teleported".into(),
            reason: "unknown variant".into(),
        },
        SkippedRow {
            id: EventId(4),
            kind: "other".into(),
            reason: "bad".into(),
        },
    ]);
    assert!(
        app.status_notice()
            .is_some_and(|n| n.contains("skipped 2") && n.contains("agent_teleported"))
    );
    assert!(draw(&mut app, 120, 40).contains("skipped 2 unreadable"));
    app.notice("store: database is locked");
    assert!(draw(&mut app, 120, 40).contains("store: database is locked"));
    app.on_key(key(KeyCode::Esc));
    assert!(app.status_notice().is_none());
}

#[test]
fn redraw_flag_follows_changes() {
    let mut app = populated_app(Mode::Owner);
    draw(&mut app, 80, 24);
    app.mark_drawn();
    assert!(!app.needs_redraw());
    assert!(!app.apply(&[]));
    assert!(!app.needs_redraw());
    app.on_key(ch('j'));
    assert!(app.needs_redraw());
    app.mark_drawn();
    app.set_clock(Millis(fixture::clock().0 + 1000));
    app.mark_drawn();
    assert!(app.needs_redraw(), "the elapsed time ticked");
}

#[test]
fn colours_are_ansi_16_or_none() {
    let mut colored = populated_app(Mode::Owner);
    colored.on_key(ch('?'));
    let buffer = draw_buffer(&mut colored, 120, 40);
    let mut seen = 0;
    for cell in &buffer.content {
        for color in [cell.fg, cell.bg] {
            assert!(
                !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                "{color:?}"
            );
            seen += usize::from(color != Color::Reset);
        }
    }
    assert!(seen > 0);
    let options = UiOptions {
        color: false,
        ..fixture::options()
    };
    let mut plain = populated_with(Mode::Owner, options);
    for setup in [None, Some('?'), Some('q')] {
        if let Some(c) = setup {
            plain.on_key(ch(c));
        }
        let buffer = draw_buffer(&mut plain, 120, 40);
        assert!(
            buffer
                .content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
        );
    }
}

#[test]
fn hostile_text_cannot_reach_the_terminal() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    let buffer = draw_buffer(&mut app, 120, 40);
    for cell in &buffer.content {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "{:?}",
            cell.symbol()
        );
    }
    let screen = fixture::text_of(&buffer);
    assert!(
        screen.contains("test result: ok. 41 passed; 1 failed"),
        "{screen}"
    );
    assert!(screen.contains("(1048593 bytes)"), "{screen}");
}

#[test]
fn a_big_run_draws_and_keeps_the_log_window_bounded() {
    let mut records = vec![Record {
        id: EventId(1),
        run: fixture::RUN,
        at: Millis(fixture::T0),
        event: Event::RunStarted {
            goal: "big".into(),
            repo: "/r".into(),
        },
    }];
    let mut id = 1;
    let mut push = |event: Event| {
        id += 1;
        records.push(Record {
            id: EventId(id),
            run: fixture::RUN,
            at: Millis(fixture::T0),
            event,
        });
    };
    for a in 1..=200u32 {
        let parent = if a == 1 {
            None
        } else {
            Some(AgentId(a / 4 + 1).min(AgentId(a - 1)))
        };
        push(Event::AgentSpawned {
            agent: AgentId(a),
            parent,
            role: "analyst".into(),
            model: "m".into(),
        });
        push(Event::AgentUsageUpdated {
            agent: AgentId(a),
            input_tokens: 100,
            output_tokens: 10,
            cost_usd: 0.001,
        });
    }
    for t in 1..=10_000u32 {
        let parent = if t == 1 {
            None
        } else {
            Some(TaskId((t - 1) / 8 + 1))
        };
        push(Event::TaskCreated {
            task: TaskId(t),
            parent,
            title: format!("task {t}"),
            deps: vec![],
            owner: None,
        });
        if t % 3 == 0 {
            push(Event::TaskStatusChanged {
                task: TaskId(t),
                status: TaskStatus::Done,
                attempt: 1,
            });
        }
    }
    for i in 0..3000 {
        push(Event::LogLine {
            agent: Some(AgentId(i % 200 + 1)),
            level: LogLevel::Info,
            text: format!("line {i}"),
        });
    }
    let mut app = App::new(Mode::Owner, fixture::options());
    app.apply(&records);
    app.set_clock(fixture::clock());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).unwrap();
    terminal.draw(|f| app.render(f)).unwrap();
    // Timing belongs in benches/ (no thresholds in tests on a shared machine); here the frames
    // must simply draw with this much data while keys move the selection.
    for i in 0..50 {
        app.on_key(ch(if i % 2 == 0 { 'j' } else { '2' }));
        terminal.draw(|f| app.render(f)).unwrap();
    }
    assert_eq!(
        app.view().logs.lines().len(),
        2000,
        "the window stays bounded"
    );
}
