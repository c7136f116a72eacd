//! The memory inspector driven by keys: tabs by kind, a search that runs off the UI thread
//! (the App asks, says "searching…", takes the answer and drops a stale one), the detail with
//! provenance, editing in the textarea (Enter saves, Esc cancels), pin / unpin, forget after a
//! yes, and watch mode saying why nothing changes. Test-only.

use crossterm::event::KeyCode;

use crate::protocol::*;
use crate::ui::views::memory::{MemoryEntry, MemoryFound, MemoryQuery};

use super::fixture::{self, ch, draw, key, populated_app, type_text, watch};
use super::{Action, App, Mode};

fn memory_app(mode: Mode) -> App {
    let mut app = populated_app(mode);
    draw(&mut app, 120, 40);
    app.on_key(ch('4'));
    app.on_key(ch('z'));
    app
}

fn asked(actions: &[Action]) -> MemoryQuery {
    match actions {
        [Action::SearchMemory(query)] => query.clone(),
        other => panic!("expected one memory search, got {other:?}"),
    }
}

/// An entry as the store would give it, with provenance.
pub fn stored(id: i64, kind: &str, text: &str) -> MemoryEntry {
    MemoryEntry {
        id: MemoryId(id),
        kind: kind.into(),
        text: text.into(),
        pinned: false,
        created_at: Millis(fixture::T0),
        provenance: true,
        run: Some(RunId(6)),
        task: Some(TaskId(2)),
        agent: Some(AgentId(2)),
        source_event: Some(EventId(77)),
        edited_at: Some(Millis(fixture::T0 + 60_000)),
        flagged: Some("src/dates.rs changed since".into()),
    }
}

#[test]
fn tabs_filter_by_kind_and_ask_the_store() {
    let mut app = memory_app(Mode::Owner);
    let query = asked(&app.on_key(ch('l')));
    assert_eq!(
        (query.kind, query.text.as_str()),
        (Some("task_summary"), "")
    );
    let query = asked(&app.on_key(ch('l')));
    assert_eq!(query.kind, Some("error_resolution"));
    // Before the answer, the newest entries of the kind are listed.
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("two-digit years"), "{screen}");
    assert!(!screen.contains("minimal patches"), "{screen}");
    asked(&app.on_key(key(KeyCode::Left)));
    let query = asked(&app.on_key(ch('h')));
    assert_eq!(query.kind, None, "back to all");
    asked(&app.on_key(ch('h')));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("baseline: 41 passed"),
        "scratchpad wraps: {screen}"
    );
    assert!(!screen.contains("minimal patches"), "{screen}");
}

#[test]
fn a_search_waits_for_its_answer_and_drops_a_stale_one() {
    let mut app = memory_app(Mode::Owner);
    assert!(app.on_key(ch('/')).is_empty());
    assert!(
        type_text(&mut app, "years q").is_empty(),
        "keys type, q does not quit"
    );
    let first = asked(&app.on_key(key(KeyCode::Enter)));
    assert_eq!(first.text, "years q");
    assert!(draw(&mut app, 120, 40).contains("searching"));
    app.on_key(ch('/'));
    for _ in 0..2 {
        app.on_key(key(KeyCode::Backspace));
    }
    let second = asked(&app.on_key(key(KeyCode::Enter)));
    assert!(second.seq > first.seq);
    app.on_memory_found(MemoryFound {
        query: first,
        entries: vec![stored(1, "repo_fact", "stale answer")],
        semantic: false,
        warnings: Vec::new(),
    });
    assert!(!draw(&mut app, 120, 40).contains("stale answer"));
    app.on_memory_found(MemoryFound {
        query: second,
        entries: vec![stored(14, "error_resolution", "two-digit years: widen")],
        semantic: true,
        warnings: Vec::new(),
    });
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("“years” · text + semantic · Esc clears"),
        "{screen}"
    );
    assert!(screen.contains("1 shown"), "{screen}");
    let cleared = asked(&app.on_key(key(KeyCode::Esc)));
    assert_eq!(cleared.text, "");
}

#[test]
fn esc_in_the_search_input_closes_it_and_a_failure_is_told() {
    let mut app = memory_app(Mode::Owner);
    app.on_key(ch('/'));
    type_text(&mut app, "abc");
    assert!(app.on_key(key(KeyCode::Esc)).is_empty());
    assert_eq!(app.hint(), Some("search closed"));
    let query = asked(&app.on_key(ch('l')));
    app.on_memory_error(&query, "database is locked".into());
    assert_eq!(
        app.status_notice(),
        Some("memory search failed: database is locked")
    );
}

#[test]
fn enter_shows_provenance_and_asks_for_it_when_unknown() {
    let mut app = memory_app(Mode::Owner);
    // Entry 14 came from an event: its provenance is known.
    assert!(app.on_key(key(KeyCode::Enter)).is_empty());
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("run 7 · task #7 · agent #3 · event"),
        "{screen}"
    );
    app.on_key(key(KeyCode::Esc));
    app.on_key(ch('j'));
    app.on_key(ch('j'));
    // Entry 12 came from the snapshot: the detail asks the store for the tab.
    let query = asked(&app.on_key(key(KeyCode::Enter)));
    app.on_memory_found(MemoryFound {
        query,
        entries: vec![stored(12, "repo_fact", "tests run offline")],
        semantic: false,
        warnings: Vec::new(),
    });
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("flagged: src/dates.rs changed since"),
        "{screen}"
    );
    assert!(
        screen.contains("run 6 · task #2 · agent #2 · event 77 · edited"),
        "{screen}"
    );
}

#[test]
fn e_edits_in_a_textarea_enter_saves_esc_cancels() {
    let mut app = memory_app(Mode::Owner);
    assert!(app.on_key(ch('e')).is_empty());
    assert!(draw(&mut app, 120, 40).contains("editing memory #14 · Enter saves · Esc cancels"));
    app.on_key(key(KeyCode::End));
    type_text(&mut app, " (and 19xx above 70)");
    let saved = app.on_key(key(KeyCode::Enter));
    assert_eq!(
        saved,
        vec![Action::Submit(Command::EditMemory {
            memory: MemoryId(14),
            text: "two-digit years: widen to 20xx before validating the day (and 19xx above 70)"
                .into()
        })]
    );
    app.on_key(ch('e'));
    type_text(&mut app, "xyz");
    assert!(app.on_key(key(KeyCode::Esc)).is_empty());
    assert_eq!(app.hint(), Some("memory #14 left as it was"));
    // An emptied entry is not saved.
    app.on_key(ch('e'));
    for _ in 0..80 {
        app.on_key(key(KeyCode::Backspace));
    }
    assert!(app.on_key(key(KeyCode::Enter)).is_empty());
    assert_eq!(
        app.hint(),
        Some("memory #14 not saved: it cannot be empty (X forgets it)")
    );
}

#[test]
fn p_pins_and_unpins_and_the_event_shows_it() {
    let mut app = memory_app(Mode::Owner);
    let pin = app.on_key(ch('p'));
    assert_eq!(
        pin,
        vec![Action::Submit(Command::PinMemory {
            memory: MemoryId(14),
            pinned: true
        })]
    );
    app.apply(&[fixture::record(
        7000,
        Event::MemoryPinned {
            memory: MemoryId(14),
            pinned: true,
        },
    )]);
    assert!(draw(&mut app, 120, 40).contains("5 shown · 3 pinned"));
    let unpin = app.on_key(ch('p'));
    assert_eq!(
        unpin,
        vec![Action::Submit(Command::PinMemory {
            memory: MemoryId(14),
            pinned: false
        })]
    );
}

#[test]
fn x_forgets_after_a_yes() {
    let mut app = memory_app(Mode::Owner);
    assert!(app.on_key(ch('X')).is_empty());
    assert!(draw(&mut app, 80, 24).contains("Forget memory #14"));
    assert!(app.on_key(key(KeyCode::Esc)).is_empty());
    app.on_key(ch('X'));
    assert_eq!(
        app.on_key(ch('y')),
        vec![Action::Submit(Command::ForgetMemory {
            memory: MemoryId(14)
        })]
    );
}

#[test]
fn watch_mode_says_why_memory_keys_change_nothing() {
    let mut app = memory_app(watch());
    for (c, what) in [('e', "edited"), ('p', "pinned"), ('X', "forgotten")] {
        assert!(app.on_key(ch(c)).is_empty());
        assert_eq!(
            app.hint().map(str::to_string),
            Some(format!(
                "read-only: memory #14 cannot be {what} from watch mode"
            ))
        );
    }
    // Searching only reads, so it works.
    app.on_key(ch('/'));
    type_text(&mut app, "years");
    asked(&app.on_key(key(KeyCode::Enter)));
}
