//! Terminal correctness without a terminal: mouse events (wheel scrolls the pane under the
//! pointer, a click focuses a pane or a tab), the `[keys]` table in key handling and in the
//! help overlay, wide characters that keep every border in its column, the narrow layouts
//! (side pane at 40-60 columns, compact under 80) as whole-screen snapshots, and a seeded
//! property test that mashes keys, clicks, the wheel and resizes in every pane and state.
//! Test-only.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::config::{KeyList, parse_key};
use crate::protocol::*;
use crate::store::OwnerState;

use super::fixture::{ch, draw, draw_buffer, empty_app, key, populated_app, record, watch};
use super::keys_config::Keymap;
use super::panes::PaneId;
use super::{Action, App, Mode};

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Action> {
    app.on_mouse(mouse(MouseEventKind::Down(MouseButton::Left), column, row))
}

/// The middle of `pane`'s rectangle in the last frame.
fn middle(app: &App, pane: PaneId) -> (u16, u16) {
    let rect = app
        .pane_rects()
        .into_iter()
        .find(|(p, _)| *p == pane)
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("{pane:?} not drawn"));
    (rect.x + rect.width / 2, rect.y + rect.height / 2)
}

#[test]
fn a_click_focuses_the_pane_under_it() {
    let mut app = populated_app(Mode::Owner);
    draw(&mut app, 120, 40);
    for pane in [PaneId::Logs, PaneId::Chat, PaneId::Tasks, PaneId::Memory] {
        let (x, y) = middle(&app, pane);
        assert_eq!(click(&mut app, x, y), vec![]);
        assert_eq!(app.focused(), pane);
        draw(&mut app, 120, 40);
    }
    // The status bar is no pane: focus stays.
    click(&mut app, 5, 39);
    assert_eq!(app.focused(), PaneId::Memory);
}

#[test]
fn a_click_on_a_tab_shows_that_pane_in_the_narrow_layout() {
    let mut app = populated_app(Mode::Owner);
    let screen = draw(&mut app, 70, 24);
    let strip = screen.lines().next().unwrap_or_default();
    let x = strip.find("3 Logs").expect("logs tab") as u16 + 1;
    click(&mut app, x, 0);
    assert_eq!(app.focused(), PaneId::Logs);
    assert!(draw(&mut app, 70, 24).contains("3 Logs"));
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer_not_the_focused_one() {
    let mut app = populated_app(Mode::Owner);
    draw(&mut app, 120, 40);
    assert_eq!(app.focused(), PaneId::Agents);
    assert!(app.logs_following());
    let (x, y) = middle(&app, PaneId::Logs);
    app.on_mouse(mouse(MouseEventKind::ScrollUp, x, y));
    assert!(!app.logs_following(), "the wheel up pauses the logs");
    assert_eq!(
        app.focused(),
        PaneId::Agents,
        "the wheel does not move focus"
    );
    let before = draw(&mut app, 120, 40);
    // Down to the end follows again.
    for _ in 0..200 {
        app.on_mouse(mouse(MouseEventKind::ScrollDown, x, y));
    }
    let after = draw(&mut app, 120, 40);
    assert_ne!(before, after);
}

#[test]
fn the_wheel_scrolls_help_and_clicks_do_nothing_under_an_overlay() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('?'));
    let top = draw(&mut app, 80, 24);
    app.on_mouse(mouse(MouseEventKind::ScrollDown, 40, 12));
    let scrolled = draw(&mut app, 80, 24);
    assert_ne!(top, scrolled, "help scrolled");
    click(&mut app, 70, 20);
    assert!(app.help_open());
    assert_eq!(app.focused(), PaneId::Agents);
}

#[test]
fn mouse_events_before_any_frame_or_on_a_tiny_terminal_are_ignored() {
    let mut app = populated_app(Mode::Owner);
    assert_eq!(click(&mut app, 3, 3), vec![]);
    app.on_mouse(mouse(MouseEventKind::ScrollDown, 3, 3));
    draw(&mut app, 20, 5);
    assert_eq!(click(&mut app, 3, 3), vec![]);
    assert_eq!(app.focused(), PaneId::Agents);
}

fn keys(pairs: &[(&str, &[&str])]) -> Keymap {
    let table: BTreeMap<String, KeyList> = pairs
        .iter()
        .map(|(name, keys)| {
            let list = keys.iter().map(|k| parse_key(k).expect("key")).collect();
            (name.to_string(), KeyList(list))
        })
        .collect();
    Keymap::from_config(&table).expect("valid [keys]")
}

#[test]
fn remapped_keys_work_and_help_shows_them() {
    let mut app = populated_app(Mode::Owner);
    app.set_keys(keys(&[("approve", &["Y"]), ("toggle_help", &["f1"])]));
    app.on_key(ch('a'));
    assert!(app.hint().is_some_and(|h| h.contains("does nothing")));
    let sent = app.on_key(ch('Y'));
    assert!(
        matches!(
            sent.as_slice(),
            [Action::Submit(Command::DecideApproval { .. })]
        ),
        "{sent:?}"
    );
    app.on_key(ch('?'));
    assert!(!app.help_open(), "? no longer opens help");
    app.on_key(key(KeyCode::F(1)));
    assert!(app.help_open());
    let help = draw(&mut app, 120, 40);
    let approve = help
        .lines()
        .find(|l| l.contains("approve the first waiting approval"))
        .expect("approve line");
    assert!(approve.contains(" Y "), "{approve}");
    let toggle = help
        .lines()
        .find(|l| l.contains("show or hide this help"))
        .expect("help line");
    assert!(toggle.contains("F1"), "{toggle}");
    // The overlay's own footer follows the table too.
    let mut app = populated_app(Mode::Owner);
    app.set_keys(keys(&[
        ("close_help", &["esc", "f2"]),
        ("down", &["ctrl-n"]),
    ]));
    app.on_key(ch('?'));
    let help = draw(&mut app, 120, 40);
    assert!(help.contains(" Esc/F2 close · C-n/k scroll "), "{help}");
}

/// Each pane's right border stays in its column on every row.
fn assert_borders_aligned(app: &App, buf: &Buffer) {
    for (pane, rect) in app.pane_rects() {
        let x = rect.right() - 1;
        for y in rect.top()..rect.bottom() {
            let symbol = buf[(x, y)].symbol();
            assert!(
                "│┃┐┓┘┛╮╯".contains(symbol),
                "{pane:?}: {symbol:?} at ({x}, {y}) where its border belongs"
            );
        }
    }
}

fn wide_app() -> App {
    let mut app = populated_app(Mode::Owner);
    let wide = [
        Event::TaskCreated {
            task: TaskId(90),
            parent: None,
            title: "修复日历重叠的预订 🗓️ 检查时区边界 ✅ 再测一次".into(),
            deps: Vec::new(),
            owner: Some(AgentId(1)),
        },
        Event::LogLine {
            agent: Some(AgentId(1)),
            level: LogLevel::Info,
            text: "テスト結果: 全部で１２件 🎉🎉🎉 成功、失敗なし — 終わり ".repeat(3),
        },
        Event::LogLine {
            agent: Some(AgentId(2)),
            level: LogLevel::Warn,
            text: "한국어 로그 줄 👩‍💻 emoji zwj and combining é̃ marks".into(),
        },
        Event::ChatMessagePosted {
            role: ChatRole::Planner,
            text: "计划：先读 booking.py 然后写测试 🧪".into(),
        },
    ];
    let records: Vec<Record> = wide
        .into_iter()
        .enumerate()
        .map(|(i, e)| record(500 + i as i64, e))
        .collect();
    app.apply(&records);
    app
}

#[test]
fn wide_characters_keep_every_border_in_its_column() {
    for (w, h) in [(120, 40), (80, 24), (50, 20)] {
        for pane in ['1', '2', '3', '5'] {
            let mut app = wide_app();
            app.on_key(ch(pane));
            let buf = draw_buffer(&mut app, w, h);
            assert_borders_aligned(&app, &buf);
        }
    }
    let mut app = wide_app();
    app.on_key(ch('3'));
    insta::assert_snapshot!("wide_characters_80x24", draw(&mut app, 80, 24));
}

#[test]
fn narrow_whole_screens() {
    for (w, h) in [(40, 20), (50, 20), (60, 30), (70, 24)] {
        let mut app = populated_app(Mode::Owner);
        insta::assert_snapshot!(format!("narrow_{w}x{h}"), draw(&mut app, w, h));
    }
    let mut app = empty_app(Mode::Owner);
    insta::assert_snapshot!("narrow_empty_50x20", draw(&mut app, 50, 20));
}

/// xorshift64*: a small seeded generator, so a failure names the seed that found it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_key(rng: &mut Rng) -> KeyEvent {
    use KeyCode::{BackTab, Backspace, Delete, Down, End, Enter, Esc, F, Home, Left, Null};
    use KeyCode::{PageDown, PageUp, Right, Tab, Up};
    #[rustfmt::skip]
    let codes = [
        Up, Down, Left, Right, Home, End, PageUp, PageDown, Tab, BackTab, Enter, Esc, Backspace,
        Delete, Null, F(1), F(12),
    ];
    match rng.below(10) {
        0..=5 => ch(char::from(0x20 + rng.below(0x5f) as u8)),
        6 | 7 => key(codes[rng.below(codes.len() as u64) as usize]),
        8 => KeyEvent::new(
            KeyCode::Char(char::from(b'a' + rng.below(26) as u8)),
            KeyModifiers::CONTROL,
        ),
        _ => ch(['日', 'é', '🎉', '\u{7}', '\u{1b}'][rng.below(5) as usize]),
    }
}

fn random_mouse(rng: &mut Rng, w: u16, h: u16) -> MouseEvent {
    let kinds = [
        MouseEventKind::ScrollUp,
        MouseEventKind::ScrollDown,
        MouseEventKind::Down(MouseButton::Left),
        MouseEventKind::Down(MouseButton::Right),
        MouseEventKind::Moved,
    ];
    mouse(
        kinds[rng.below(kinds.len() as u64) as usize],
        rng.below(u64::from(w) + 2) as u16,
        rng.below(u64::from(h) + 2) as u16,
    )
}

/// Random keys, mouse events and resizes (down to 1x1) in every mode, from every pane: no
/// panic, every frame fills the terminal, and each pane drawn lies inside it.
#[test]
fn mashing_keys_mouse_and_resizes_never_panics() {
    let modes: [fn() -> App; 5] = [
        || empty_app(Mode::Owner),
        || populated_app(Mode::Owner),
        || wide_app(),
        || populated_app(watch()),
        || {
            populated_app(Mode::Attach {
                owner: OwnerState::NoOwner,
            })
        },
    ];
    for seed in 1..=60u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut app = modes[(seed % modes.len() as u64) as usize]();
        app.on_key(ch(char::from(b'1' + (seed % 5) as u8)));
        let (mut w, mut h) = (120u16, 40u16);
        for _ in 0..300 {
            match rng.below(12) {
                0 => {
                    w = 1 + rng.below(200) as u16;
                    h = 1 + rng.below(60) as u16;
                }
                1 => {
                    app.on_mouse(random_mouse(&mut rng, w, h));
                }
                _ => {
                    app.on_key(random_key(&mut rng));
                }
            }
            if rng.below(3) == 0 {
                let buf = draw_buffer(&mut app, w, h);
                assert_eq!(buf.area, Rect::new(0, 0, w, h), "seed {seed}");
                for (pane, rect) in app.pane_rects() {
                    assert!(
                        buf.area.contains(rect.as_position()) && rect.right() <= w,
                        "seed {seed}: {pane:?} at {rect:?} outside {w}x{h}"
                    );
                }
            }
        }
        // Whatever state it was left in, the screen still draws at a normal size.
        let screen = draw(&mut app, 80, 24);
        assert_eq!(screen.lines().count(), 24, "seed {seed}");
    }
}

#[test]
fn the_status_bar_and_chat_name_the_remapped_approval_keys() {
    let mut app = populated_app(Mode::Owner);
    app.set_keys(keys(&[("approve", &["Y"]), ("deny", &["D"])]));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("Y approve · D deny"),
        "the bar or chat still names the default keys:\n{screen}"
    );
    assert!(!screen.contains("a approve"), "{screen}");
}

#[test]
fn help_lists_the_fixed_chat_and_replay_keys_too() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('?'));
    assert!(app.help_open());
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&draw(&mut app, 120, 40));
        app.on_key(key(KeyCode::PageDown));
    }
    assert!(seen.contains("Alt-Enter"), "{seen}");
    assert!(
        seen.contains("Replay, warroom replay (fixed keys)"),
        "{seen}"
    );
    assert!(seen.contains("play faster / slower"), "{seen}");
}

#[test]
fn the_side_pane_names_the_remapped_keys() {
    let mut app = populated_app(Mode::Owner);
    app.set_keys(keys(&[("approve", &["Y"]), ("open_inbox", &["I"])]));
    let screen = draw(&mut app, 50, 20);
    assert!(screen.contains("I inbox · Y approve"), "{screen}");
    assert!(!screen.contains("a approve"), "{screen}");
}
