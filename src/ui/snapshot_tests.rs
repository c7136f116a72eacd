//! Snapshot tests of every pane, the help overlay, the quit question and the too-small
//! floor, at 120x40 (wide), 80x24 (medium) and 50x20 (compact), empty and populated. The
//! `.snap` files under `src/ui/snapshots/` are the reviewed screens. Test-only.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{draw, empty_app, populated_app, watch};
use super::{App, Mode};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 20)];

fn press(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
}

fn app_in(state: &str) -> App {
    match state {
        "empty" => empty_app(Mode::Owner),
        _ => populated_app(Mode::Owner),
    }
}

#[test]
fn whole_screens() {
    for state in ["empty", "populated"] {
        for (w, h) in SIZES {
            let mut app = app_in(state);
            insta::assert_snapshot!(format!("screen_{state}_{w}x{h}"), draw(&mut app, w, h));
        }
    }
}

#[test]
fn every_pane_focused_and_zoomed() {
    let names = ["agents", "tasks", "logs", "memory", "chat"];
    for state in ["empty", "populated"] {
        for (w, h) in SIZES {
            for (i, name) in names.iter().enumerate() {
                let mut app = app_in(state);
                draw(&mut app, w, h);
                press(&mut app, char::from(b'1' + i as u8));
                if w >= 80 {
                    press(&mut app, 'z');
                }
                insta::assert_snapshot!(
                    format!("pane_{}_{name}_{state}_{w}x{h}", i + 1),
                    draw(&mut app, w, h)
                );
            }
        }
    }
}

#[test]
fn help_overlay() {
    for (w, h) in SIZES {
        let mut app = populated_app(Mode::Owner);
        press(&mut app, '?');
        insta::assert_snapshot!(format!("help_{w}x{h}"), draw(&mut app, w, h));
    }
}

#[test]
fn quit_question() {
    for (w, h) in SIZES {
        let mut app = populated_app(Mode::Owner);
        press(&mut app, 'q');
        insta::assert_snapshot!(format!("quit_{w}x{h}"), draw(&mut app, w, h));
    }
}

#[test]
fn too_small() {
    for (w, h) in [(39, 10), (60, 9), (20, 5), (1, 1)] {
        let mut app = populated_app(Mode::Owner);
        insta::assert_snapshot!(format!("too_small_{w}x{h}"), draw(&mut app, w, h));
    }
}

#[test]
fn watch_mode() {
    for (w, h) in [(120, 40), (60, 20)] {
        let mut app = populated_app(watch());
        press(&mut app, '5');
        insta::assert_snapshot!(format!("watch_chat_{w}x{h}"), draw(&mut app, w, h));
    }
    let mut app = populated_app(Mode::Watch {
        owner: crate::store::OwnerState::NoOwner,
    });
    insta::assert_snapshot!("watch_owner_gone_80x24", draw(&mut app, 80, 24));
}

#[test]
fn typing_in_chat() {
    let mut app = populated_app(Mode::Owner);
    press(&mut app, 'i');
    for c in "keep it small, q?".chars() {
        press(&mut app, c);
    }
    insta::assert_snapshot!("typing_80x24", draw(&mut app, 80, 24));
}

#[test]
fn hint_for_a_key_that_does_nothing() {
    let mut app = populated_app(Mode::Owner);
    press(&mut app, 'x');
    insta::assert_snapshot!("hint_50x20", draw(&mut app, 50, 20));
}

#[test]
fn collapsed_tasks_and_scrolled_logs() {
    let mut app = populated_app(Mode::Owner);
    draw(&mut app, 120, 40);
    press(&mut app, '2');
    press(&mut app, 'j');
    press(&mut app, ' ');
    press(&mut app, '3');
    for _ in 0..5 {
        press(&mut app, 'k');
    }
    insta::assert_snapshot!("collapsed_and_paused_120x40", draw(&mut app, 120, 40));
}

#[test]
fn the_smallest_screen_drawn() {
    for pane in ['1', '2', '3', '4', '5'] {
        let mut app = populated_app(Mode::Owner);
        press(&mut app, pane);
        insta::assert_snapshot!(format!("floor_{pane}_40x10"), draw(&mut app, 40, 10));
    }
}
