//! Snapshots of the family tree, task and memory panes beyond their plain lists, at 120x40,
//! 80x24 and 50x20: a focused agent's live detail (typical, and with nothing sent yet), a
//! collapsed subtree, a task's details and the cancel question, and the memory inspector's
//! tabs, search (answered, waiting, nothing found, with a warning), detail, editor and forget
//! question. Wide characters sit in titles and context labels. Test-only.

use crossterm::event::KeyCode;

use super::fixture::{ch, draw, key, populated_app, type_text};
use super::memory_tests::stored;
use super::tree_fixture::detailed_app;
use super::views::memory::MemoryFound;
use super::{Action, App, Mode};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 20)];

/// Focuses `pane`, zooms it where the layout has room, and presses `keys`.
fn open(app: &mut App, w: u16, h: u16, pane: char, keys: &[KeyCode]) -> Vec<Action> {
    draw(app, w, h);
    app.on_key(ch(pane));
    if w >= 80 {
        app.on_key(ch('z'));
    }
    keys.iter().flat_map(|k| app.on_key(key(*k))).collect()
}

fn snap(name: &str, app: &mut App, w: u16, h: u16) {
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(app, w, h));
}

#[test]
fn agents_focused_collapsed_and_empty_detail() {
    let j = KeyCode::Char('j');
    for (w, h) in SIZES {
        let mut app = detailed_app(Mode::Owner);
        open(&mut app, w, h, '1', &[j, j, KeyCode::Enter]);
        snap("agent_focused", &mut app, w, h);
        let mut app = populated_app(Mode::Owner);
        open(&mut app, w, h, '1', &[j, j, KeyCode::Char(' ')]);
        snap("agent_collapsed", &mut app, w, h);
        let mut app = populated_app(Mode::Owner);
        open(&mut app, w, h, '1', &[j, j, j, j, j, j, KeyCode::Enter]);
        snap("agent_focused_nothing_yet", &mut app, w, h);
    }
}

#[test]
fn task_details_and_the_cancel_question() {
    for (w, h) in SIZES {
        let mut app = detailed_app(Mode::Owner);
        let row = app
            .view()
            .tasks
            .line_of(crate::protocol::TaskId(7))
            .unwrap();
        let mut keys = vec![KeyCode::Char('j'); row];
        keys.push(KeyCode::Enter);
        open(&mut app, w, h, '2', &keys);
        snap("task_detail", &mut app, w, h);
        app.on_key(ch('X'));
        snap("task_cancel_question", &mut app, w, h);
    }
}

#[test]
fn memory_tabs_detail_editor_and_forget() {
    for (w, h) in SIZES {
        let mut app = populated_app(Mode::Owner);
        open(
            &mut app,
            w,
            h,
            '4',
            &[KeyCode::Char('l'), KeyCode::Char('l')],
        );
        snap("memory_tab_fixes", &mut app, w, h);
        let mut app = populated_app(Mode::Owner);
        open(&mut app, w, h, '4', &[KeyCode::Enter]);
        snap("memory_detail", &mut app, w, h);
        app.on_key(ch('e'));
        snap("memory_editing", &mut app, w, h);
        app.on_key(key(KeyCode::Esc));
        app.on_key(ch('X'));
        snap("memory_forget_question", &mut app, w, h);
    }
}

#[test]
fn memory_search_states() {
    for (w, h) in SIZES {
        let mut app = populated_app(Mode::Owner);
        open(&mut app, w, h, '4', &[KeyCode::Char('/')]);
        type_text(&mut app, "年 years");
        snap("memory_search_typing", &mut app, w, h);
        let Some(Action::SearchMemory(query)) = app.on_key(key(KeyCode::Enter)).pop() else {
            panic!("Enter searches");
        };
        snap("memory_searching", &mut app, w, h);
        app.on_memory_found(MemoryFound {
            query: query.clone(),
            entries: vec![
                stored(
                    14,
                    "error_resolution",
                    "two-digit years: widen to 20xx (日本語)",
                ),
                stored(3, "task_summary", "fixed the 年 parser for two-digit years"),
            ],
            semantic: false,
            warnings: vec!["semantic search left out: the embeddings server did not answer".into()],
        });
        snap("memory_found_with_warning", &mut app, w, h);
        app.on_key(ch('/'));
        type_text(&mut app, "x");
        let Some(Action::SearchMemory(query)) = app.on_key(key(KeyCode::Enter)).pop() else {
            panic!("Enter searches");
        };
        app.on_memory_found(MemoryFound {
            query,
            entries: Vec::new(),
            semantic: true,
            warnings: Vec::new(),
        });
        snap("memory_nothing_found", &mut app, w, h);
    }
}
