//! The family tree and task panes driven by keys: Space collapses and expands, Enter focuses
//! an agent (the logs filter to it, its stream and context show) or opens a task's details,
//! Esc undoes either, `X` asks before cancelling a task's subtree and `y` sends the cancel;
//! watch mode says why it cancels nothing. Test-only.

use crossterm::event::KeyCode;

use crate::protocol::*;

use super::fixture::{self, ch, draw, key, populated_app, watch};
use super::tree_fixture::{detail_records, detailed_app};
use super::{Action, App, Mode};

fn focus(app: &mut App, pane: char, down: usize) {
    draw(app, 120, 40);
    app.on_key(ch(pane));
    app.on_key(ch('z'));
    for _ in 0..down {
        app.on_key(ch('j'));
    }
}

#[test]
fn space_collapses_and_expands_an_agents_children() {
    let mut app = populated_app(Mode::Owner);
    focus(&mut app, '1', 2);
    assert!(draw(&mut app, 120, 40).contains("qa#5"));
    app.on_key(ch(' '));
    let screen = draw(&mut app, 120, 40);
    assert!(!screen.contains("qa#5"), "{screen}");
    assert!(
        screen.contains("▸"),
        "a collapsed agent is marked: {screen}"
    );
    app.on_key(ch(' '));
    assert!(draw(&mut app, 120, 40).contains("qa#5"));
    // A leaf has nothing to expand, and says so.
    app.on_key(ch('j'));
    app.on_key(ch(' '));
    assert_eq!(app.hint(), Some("qa#5 has no children to expand"));
}

#[test]
fn enter_focuses_an_agent_and_esc_unfocuses_it() {
    let mut app = detailed_app(Mode::Owner);
    focus(&mut app, '1', 2);
    let actions = app.on_key(key(KeyCode::Enter));
    let Some(Action::FetchLogs(request)) = actions.first() else {
        panic!("the logs reload filtered to the agent: {actions:?}");
    };
    assert_eq!(request.filter.agent, Some(AgentId(3)));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("context 6490 / 200.0k tokens (3%) in 4 parts"),
        "{screen}"
    );
    assert!(screen.contains("read_file src/dates.rs"), "{screen}");
    assert!(
        screen.contains("memory injected for task #7: #12 #14 (340 tokens)"),
        "{screen}"
    );
    assert!(screen.contains("live: call #50 streaming…"), "{screen}");
    assert!(screen.contains("widen them before comparing."), "{screen}");
    // The stream grows as deltas arrive.
    app.apply(&[fixture::record(
        6000,
        Event::LlmDelta {
            call: LlmCallId(50),
            agent: AgentId(3),
            text: " Done thinking.".into(),
        },
    )]);
    assert!(draw(&mut app, 120, 40).contains("Done thinking."));
    let actions = app.on_key(key(KeyCode::Esc));
    let Some(Action::FetchLogs(request)) = actions.first() else {
        panic!("the logs reload for everyone: {actions:?}");
    };
    assert_eq!(request.filter.agent, None);
    assert!(!draw(&mut app, 120, 40).contains("live: call"));
    // Then Esc does what it does elsewhere: unzoom, then nothing.
    assert!(app.on_key(key(KeyCode::Esc)).is_empty());
    assert!(!app.is_zoomed());
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.hint(), Some("nothing to close (? for help)"));
}

#[test]
fn a_focused_agent_without_context_says_so() {
    let mut app = populated_app(Mode::Owner);
    focus(&mut app, '1', 6);
    app.on_key(key(KeyCode::Enter));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("context: nothing sent to a model yet"),
        "{screen}"
    );
    assert!(screen.contains("live: no model call yet"), "{screen}");
}

#[test]
fn enter_opens_task_details_and_esc_closes_them() {
    let mut app = detailed_app(Mode::Owner);
    let row = app.view().tasks.line_of(TaskId(7)).unwrap();
    focus(&mut app, '2', row);
    app.on_key(key(KeyCode::Enter));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains(
            "patch 1 by analyst#3 · src/dates.rs · refuted: test_parse_dates still fails"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("verified: target passes, no regressions"),
        "{screen}"
    );
    assert!(
        screen.contains("tests patch 1 · pytest -q · exit 1 · 41 passed, 1 failed"),
        "{screen}"
    );
    assert!(screen.contains("waits for #6 (done)"), "{screen}");
    assert!(
        screen.contains("✓p2"),
        "the verdict column shows the latest: {screen}"
    );
    app.on_key(key(KeyCode::Esc));
    assert!(!draw(&mut app, 120, 40).contains("waits for #6"));
}

#[test]
fn space_collapses_a_task() {
    let mut app = populated_app(Mode::Owner);
    focus(&mut app, '2', 1);
    app.on_key(ch(' '));
    let screen = draw(&mut app, 120, 40);
    assert!(
        !screen.contains("Detect build and test commands"),
        "{screen}"
    );
    app.on_key(ch(' '));
    assert!(draw(&mut app, 120, 40).contains("Detect build and test commands"));
}

#[test]
fn x_asks_before_cancelling_a_subtree() {
    let mut app = populated_app(Mode::Owner);
    let row = app.view().tasks.line_of(TaskId(5)).unwrap();
    focus(&mut app, '2', row);
    assert!(app.on_key(ch('X')).is_empty());
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains("Cancel task #5 Patch the date parser and its"),
        "{screen}"
    );
    assert!(app.on_key(ch('n')).is_empty());
    assert_eq!(app.hint(), Some("left as it was; nothing sent"));
    app.on_key(ch('X'));
    let sent = app.on_key(ch('y'));
    assert_eq!(
        sent,
        vec![Action::Submit(Command::CancelTask {
            run: fixture::RUN,
            task: TaskId(5)
        })]
    );
    assert_eq!(
        app.hint(),
        Some("sent: Cancel task #5 Patch the date parser and its 2 unfinished subtasks")
    );
}

#[test]
fn a_finished_task_and_watch_mode_cancel_nothing() {
    let mut app = populated_app(Mode::Owner);
    let row = app.view().tasks.line_of(TaskId(3)).unwrap();
    focus(&mut app, '2', row);
    assert!(app.on_key(ch('X')).is_empty());
    assert_eq!(
        app.hint(),
        Some("task #3 is already done; nothing to cancel")
    );
    let mut app = populated_app(watch());
    focus(&mut app, '2', 0);
    assert!(app.on_key(ch('X')).is_empty());
    assert_eq!(
        app.hint(),
        Some("read-only: task #1 cannot be cancelled from watch mode")
    );
}

#[test]
fn records_fold_into_the_detail_whatever_the_batch() {
    let mut one = populated_app(Mode::Owner);
    for record in detail_records() {
        one.apply(&[record]);
    }
    let all = detailed_app(Mode::Owner);
    assert_eq!(
        one.view().agents.detail(AgentId(3)),
        all.view().agents.detail(AgentId(3))
    );
}
