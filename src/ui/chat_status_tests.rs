//! The chat's commands, history, multi-line input and streaming reply, the status bar's
//! budget, cache rate and fallback hop, and replay's position bar: App tests driven by keys,
//! and snapshots at 120x40, 80x24 and 50x20. Test-only.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{ch, draw, key, populated_app, record, type_text};
use super::replay_run::{Position, position_line};
use super::theme::Theme;
use super::{Action, App, Mode};
use crate::protocol::{AgentId, ChatRole, Command, Event, LlmCallId, Millis, RunId};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 20)];

/// Types `text` in chat and presses Enter; returns the actions of the Enter.
fn send(app: &mut App, text: &str) -> Vec<Action> {
    if app.browsing() {
        app.on_key(ch('i'));
    }
    type_text(app, text);
    app.on_key(key(KeyCode::Enter))
}

fn chat_app() -> App {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('5'));
    app
}

#[test]
fn slash_status_answers_in_chat_with_the_runs_numbers() {
    let mut app = chat_app();
    app.set_budget(Some(5.0));
    assert!(send(&mut app, "/status").is_empty());
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("warroom: run 7"), "{screen}");
    assert!(screen.contains("tasks"), "{screen}");
    assert!(screen.contains("of the $5.00 budget"), "{screen}");
}

#[test]
fn slash_cancel_asks_first() {
    let mut app = chat_app();
    assert!(send(&mut app, "/cancel").is_empty());
    assert!(draw(&mut app, 120, 40).contains("Cancel run 7?"));
    assert_eq!(
        app.on_key(ch('y')),
        vec![Action::Submit(Command::CancelRun { run: RunId(7) })]
    );
    assert!(send(&mut app, "/cancel").is_empty());
    assert!(app.on_key(ch('n')).is_empty());
    assert!(!draw(&mut app, 120, 40).contains("Cancel run 7?"));
}

#[test]
fn slash_budget_model_and_unknown_answer_without_sending() {
    let mut app = chat_app();
    assert!(send(&mut app, "/budget 5").is_empty());
    assert!(send(&mut app, "/model").is_empty());
    assert!(send(&mut app, "/frobnicate").is_empty());
    app.on_key(key(KeyCode::Esc));
    app.on_key(ch('z'));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("the budget cannot be changed during a run"),
        "{screen}"
    );
    assert!(screen.contains("latest call: openai/gpt-4.1"), "{screen}");
    assert!(screen.contains("unknown command /frobnicate"), "{screen}");
}

#[test]
fn up_and_down_walk_the_history() {
    let mut app = chat_app();
    send(&mut app, "first");
    send(&mut app, "second");
    app.on_key(key(KeyCode::Up));
    app.on_key(key(KeyCode::Up));
    let sent = app.on_key(key(KeyCode::Enter));
    assert_eq!(
        sent,
        vec![Action::Submit(Command::SendChat {
            text: "first".into()
        })]
    );
    type_text(&mut app, "draft");
    app.on_key(key(KeyCode::Up));
    app.on_key(key(KeyCode::Down));
    let sent = app.on_key(key(KeyCode::Enter));
    assert_eq!(
        sent,
        vec![Action::Submit(Command::SendChat {
            text: "draft".into()
        })]
    );
}

#[test]
fn alt_enter_adds_a_line_and_enter_sends_both() {
    let mut app = chat_app();
    app.on_key(ch('i'));
    type_text(&mut app, "one");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    type_text(&mut app, "two");
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![Action::Submit(Command::SendChat {
            text: "one\ntwo".into()
        })]
    );
}

fn streaming_app() -> App {
    let mut app = chat_app();
    app.apply(&[
        record(
            500,
            Event::ChatMessagePosted {
                role: ChatRole::Planner,
                text: "The fix widens the year:\n```rust\nfn widen(y: u32) -> u32 {\n    if y < 100 { 2000 + y } else { y }\n}\n```\nThen the test passes."
                    .into(),
            },
        ),
        record(
            501,
            Event::LlmCallBegan {
                call: LlmCallId(40),
                agent: AgentId(1),
                provider: "anthropic".into(),
                model: "claude-sonnet-4".into(),
            },
        ),
        record(
            502,
            Event::LlmDelta {
                call: LlmCallId(40),
                agent: AgentId(1),
                text: "Next I will run the whole".into(),
            },
        ),
    ]);
    app
}

#[test]
fn the_planners_reply_streams_and_code_keeps_its_shape() {
    for (w, h) in SIZES {
        let mut app = streaming_app();
        if w >= 80 {
            app.on_key(ch('z'));
        }
        let screen = draw(&mut app, w, h);
        assert!(screen.contains("Next I will run the whole"), "{screen}");
        assert!(screen.contains("│     if y < 100"), "{screen}");
        insta::assert_snapshot!(format!("chat_code_streaming_{w}x{h}"), screen);
    }
}

fn fell_back_app() -> App {
    let mut app = populated_app(Mode::Owner);
    app.set_budget(Some(2.0));
    app.apply(&[record(
        600,
        Event::LlmFellBack {
            call: LlmCallId(41),
            agent: AgentId(1),
            from: "anthropic/claude-sonnet-4".into(),
            to: "openai/gpt-4.1".into(),
            reason: "429".into(),
        },
    )]);
    app
}

#[test]
fn the_status_bar_at_each_width() {
    for (w, h) in SIZES {
        let mut app = fell_back_app();
        let screen = draw(&mut app, w, h);
        let bar = screen.lines().last().unwrap_or_default().to_string();
        assert!(bar.starts_with("run 7 working"), "{w}: {bar}");
        insta::assert_snapshot!(format!("status_bar_{w}x{h}"), bar);
    }
    let mut app = fell_back_app();
    let wide = draw(&mut app, 120, 40);
    let bar = wide.lines().last().unwrap_or_default();
    assert!(bar.contains("/$2.00"), "{bar}");
    assert!(bar.contains("fell back to"), "{bar}");
}

#[test]
fn the_replay_position_bar_at_each_size() {
    for (w, h) in SIZES {
        let mut app = populated_app(Mode::Replay);
        let position = Position {
            at: 1234,
            of: 56_789,
            time: Some(Millis(1_700_000_584_000)),
            playing: if w == 80 { Some(100) } else { None },
        };
        app.set_replay_bar(Some(position_line(
            position,
            usize::from(w),
            &Theme::new(true),
        )));
        let screen = draw(&mut app, w, h);
        assert!(screen.lines().next().unwrap_or_default().contains("1,234"));
        insta::assert_snapshot!(format!("replay_{w}x{h}"), screen);
    }
}

#[test]
fn replay_mode_is_read_only() {
    let mut app = populated_app(Mode::Replay);
    app.on_key(ch('i'));
    assert!(type_text(&mut app, "x").is_empty());
    assert!(app.browsing());
    assert_eq!(app.on_key(ch('q')), vec![Action::Quit]);
}
