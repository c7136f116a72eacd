//! The App driven by keys on a TestBackend: focus, help, zoom, quitting, chat commands,
//! watch mode, hints for keys that do nothing, and every key in every pane and mode without a
//! panic. Test-only.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::protocol::*;
use crate::store::OwnerState;

use super::fixture::{self, ch, draw, empty_app, key, populated_app, type_text, watch};
use super::panes::PaneId;
use super::{Action, App, Mode};

#[test]
fn focus_moves_with_tab_backtab_and_digits() {
    let mut app = populated_app(Mode::Owner);
    assert_eq!(app.focused(), PaneId::Agents);
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.focused(), PaneId::Tasks);
    app.on_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
    app.on_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
    assert_eq!(app.focused(), PaneId::Chat);
    for (c, pane) in ['1', '2', '3', '4', '5'].into_iter().zip(PaneId::ALL) {
        app.on_key(ch(c));
        assert_eq!(app.focused(), pane);
    }
    // The focused pane's border is the thick one.
    let screen = draw(&mut app, 120, 40);
    assert!(screen.lines().any(|l| l.contains("┏ 5 Chat")), "{screen}");
}

#[test]
fn help_opens_and_closes() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('?'));
    assert!(app.help_open());
    assert!(draw(&mut app, 80, 24).contains("Help"));
    app.on_key(ch('j'));
    assert!(app.help_open());
    app.on_key(ch('?'));
    assert!(!app.help_open());
    app.on_key(ch('?'));
    app.on_key(key(KeyCode::Esc));
    assert!(!app.help_open());
}

#[test]
fn zoom_toggles_and_esc_unzooms() {
    let mut app = populated_app(Mode::Owner);
    draw(&mut app, 120, 40);
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    assert!(app.is_zoomed());
    let screen = draw(&mut app, 120, 40);
    assert!(!screen.contains("1 Agents"), "{screen}");
    app.on_key(ch('z'));
    assert!(!app.is_zoomed());
    app.on_key(ch('z'));
    app.on_key(key(KeyCode::Esc));
    assert!(!app.is_zoomed());
    // The narrow layout shows one pane already; z says so instead of doing nothing.
    draw(&mut app, 50, 20);
    app.on_key(ch('z'));
    assert!(!app.is_zoomed());
    assert!(app.hint().is_some_and(|h| h.contains("one pane")));
}

#[test]
fn q_quits_at_once_without_an_active_run() {
    let mut app = empty_app(Mode::Owner);
    assert_eq!(app.on_key(ch('q')), vec![Action::Quit]);
    let mut done = populated_app(Mode::Owner);
    done.apply(&[Record {
        id: EventId(10_000),
        run: fixture::RUN,
        at: fixture::clock(),
        event: Event::RunFinished {
            state: RunState::Done,
            summary: "fixed".into(),
        },
    }]);
    assert_eq!(done.on_key(ch('q')), vec![Action::Quit]);
}

#[test]
fn q_asks_while_a_run_is_active() {
    let mut app = populated_app(Mode::Owner);
    assert_eq!(app.on_key(ch('q')), vec![]);
    assert!(app.asking_to_quit());
    assert!(draw(&mut app, 80, 24).contains("Quit warroom anyway?"));
    assert_eq!(app.on_key(ch('x')), vec![]);
    assert!(app.asking_to_quit(), "other keys keep the question open");
    assert_eq!(app.on_key(ch('n')), vec![]);
    assert!(!app.asking_to_quit());
    app.on_key(ch('q'));
    assert_eq!(app.on_key(ch('y')), vec![Action::Quit]);
    // Ctrl-C asks too.
    let mut app = populated_app(Mode::Owner);
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.asking_to_quit());
}

#[test]
fn watch_mode_quits_at_once() {
    let mut app = populated_app(watch());
    assert_eq!(app.on_key(ch('q')), vec![Action::Quit]);
}

#[test]
fn chat_typing_sends_the_right_commands() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('5'));
    app.on_key(key(KeyCode::Enter));
    assert!(app.is_typing());
    assert!(
        type_text(&mut app, "q1?z").is_empty(),
        "keys type while typing"
    );
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![Action::Submit(Command::SendChat {
            text: "q1?z".into()
        })]
    );
    assert!(app.is_typing(), "still typing after a send");
    type_text(&mut app, "/goal add a --json flag");
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![Action::Submit(Command::SubmitGoal {
            text: "add a --json flag".into()
        })]
    );
    type_text(&mut app, "/cancel");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![], "asks first");
    assert_eq!(
        app.on_key(ch('y')),
        vec![Action::Submit(Command::CancelRun { run: fixture::RUN })]
    );
    app.on_key(ch('i'));
    type_text(&mut app, "/nope");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![]);
    assert!(draw(&mut app, 120, 40).contains("warroom: unknown command"));
    type_text(&mut app, "/nope");
    app.on_key(key(KeyCode::Esc));
    assert!(!app.is_typing());
    // The draft survives leaving and coming back.
    app.on_key(ch('i'));
    app.on_key(key(KeyCode::Backspace));
    app.on_key(key(KeyCode::Esc));
    assert!(draw(&mut app, 80, 24).contains("/nop (i to edit)"));
}

#[test]
fn empty_input_says_so_and_no_run_means_a_goal() {
    let mut app = empty_app(Mode::Owner);
    app.on_key(ch('i'));
    assert_eq!(app.focused(), PaneId::Chat);
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![]);
    assert!(app.hint().is_some_and(|h| h.contains("nothing to send")));
    type_text(&mut app, "make this repo start");
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![Action::Submit(Command::SubmitGoal {
            text: "make this repo start".into()
        })]
    );
}

#[test]
fn watch_mode_refuses_to_send() {
    let mut app = populated_app(watch());
    app.on_key(ch('5'));
    app.on_key(key(KeyCode::Enter));
    assert!(!app.is_typing());
    assert!(app.hint().is_some_and(|h| h.contains("read-only")));
    app.on_key(ch('i'));
    assert!(!app.is_typing());
    let actions = type_text(&mut app, "hello");
    assert!(actions.iter().all(|a| !matches!(a, Action::Submit(_))));
    assert!(draw(&mut app, 80, 24).contains("key o does nothing here"));
    app.on_key(ch('5'));
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains("viewer, read-only, owner pid 4242"),
        "{screen}"
    );
    assert!(
        screen.contains("read-only: watching owner pid 4242"),
        "{screen}"
    );
    app.set_owner(OwnerState::NoOwner);
    assert!(draw(&mut app, 80, 24).contains("owner exited"));
}

#[test]
fn every_key_in_every_pane_and_mode_is_safe() {
    let mut keys: Vec<KeyEvent> = (0x20u8..0x7f).map(|b| ch(char::from(b))).collect();
    for code in [
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::Null,
    ] {
        keys.push(key(code));
    }
    keys.extend((1..=12).map(|n| key(KeyCode::F(n))));
    keys.extend(
        "acdeghjklnuwxyz"
            .chars()
            .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
    keys.push(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT));
    keys.push(KeyEvent::new(KeyCode::Char('é'), KeyModifiers::NONE));
    keys.push(KeyEvent::new(KeyCode::Char('日'), KeyModifiers::NONE));
    let modes: [fn() -> App; 4] = [
        || empty_app(Mode::Owner),
        || populated_app(Mode::Owner),
        || populated_app(watch()),
        || {
            populated_app(Mode::Watch {
                owner: OwnerState::NoOwner,
            })
        },
    ];
    for make in modes {
        for size in [(120, 40), (50, 20)] {
            for pane in ['1', '2', '3', '4', '5'] {
                let mut app = make();
                draw(&mut app, size.0, size.1);
                app.on_key(ch(pane));
                for k in &keys {
                    app.on_key(*k);
                    // Leave overlays and typing so every key meets the pane too.
                    app.on_key(key(KeyCode::Esc));
                    app.on_key(ch('n'));
                    draw(&mut app, size.0, size.1);
                    app.on_key(ch(pane));
                }
            }
        }
    }
}

#[test]
fn unmapped_keys_leave_a_hint() {
    let mut app = populated_app(Mode::Owner);
    for k in [
        ch('x'),
        key(KeyCode::F(7)),
        KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL),
    ] {
        app.on_key(k);
        assert!(
            app.hint().is_some_and(|h| h.contains("does nothing here")),
            "{k:?}"
        );
    }
    assert!(draw(&mut app, 80, 24).contains("key C-w does nothing here"));
    // Key releases are not presses.
    let release = KeyEvent {
        kind: KeyEventKind::Release,
        ..ch('x')
    };
    app.mark_drawn();
    assert_eq!(app.on_key(release), vec![]);
}
