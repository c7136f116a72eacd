//! Snapshots of the approval inbox at 120x40, 80x24 and 50x20 (empty, a command, a patch's
//! diff with a rejected hunk, a stale patch, an open prompt, a refusal) and a key-mashing test
//! over 500 approvals, a 5,000-line diff and a binary diff: no key sequence panics or sends
//! anything but decisions and grants, at any size. Test-only.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::protocol::*;

use super::fixture::record;
use super::fixture::{RUN, ch, draw, key, type_text};
use super::inbox_tests::{attach, inbox_app, open, stale};
use super::{Action, App, Mode};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 20)];

fn snap(name: &str, app: &mut App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("inbox_{name}_{w}x{h}"), draw(app, w, h));
    }
}

#[test]
fn inbox_empty() {
    let mut app = super::fixture::empty_app(Mode::Owner);
    app.on_key(ch('A'));
    snap("empty", &mut app);
}

#[test]
fn inbox_patch_with_a_rejected_hunk() {
    let mut app = open(Mode::Owner);
    app.on_key(ch(']'));
    app.on_key(ch(' '));
    snap("patch", &mut app);
}

#[test]
fn inbox_command() {
    let mut app = open(attach());
    app.on_key(ch('j'));
    snap("command", &mut app);
}

#[test]
fn inbox_stale_patch() {
    let mut app = inbox_app(Mode::Owner);
    app.apply(&[stale(6, &["src/dates.rs", "README.md"])]);
    app.on_key(ch('A'));
    snap("stale", &mut app);
}

#[test]
fn inbox_deny_prompt_and_edit_prompt() {
    let mut app = open(Mode::Owner);
    app.on_key(ch('n'));
    type_text(&mut app, "the README line is wrong");
    snap("deny_prompt", &mut app);
    app.on_key(key(KeyCode::Esc));
    app.on_key(ch('j'));
    app.on_key(ch('a'));
    snap("scope_prompt", &mut app);
}

#[test]
fn inbox_refusal_and_outcome() {
    let mut app = open(Mode::Owner);
    for _ in 0..3 {
        app.on_key(ch(' '));
        app.on_key(ch(']'));
    }
    app.on_key(ch('y'));
    snap("nothing_accepted", &mut app);
    app.apply(&[record(
        6,
        Event::ApprovalDecided {
            approval: ApprovalId(1),
            decision: Decision::Denied {
                reason: "no network".into(),
            },
            by: "attach pid 77".into(),
        },
    )]);
    snap("decided_elsewhere", &mut app);
}

#[test]
fn the_status_bar_badge_counts_what_waits() {
    let mut app = inbox_app(Mode::Owner);
    for (w, h) in SIZES {
        let screen = draw(&mut app, w, h);
        let bar = screen.lines().last().unwrap_or_default().to_string();
        assert!(bar.contains('2'), "{w}x{h}: {bar}");
        insta::assert_snapshot!(format!("inbox_badge_{w}x{h}"), bar);
    }
}

/// 500 approvals (every tenth a patch), one patch of 5,000 lines, one binary patch.
fn crowded() -> App {
    let mut app = inbox_app(Mode::Owner);
    let big: String =
        std::iter::once("--- a/big.txt\n+++ b/big.txt\n@@ -1,2500 +1,2500 @@\n".to_string())
            .chain((0..2500).map(|i| format!("-old line {i} \x1b[31mred\x1b[0m\n+new line {i}\n")))
            .collect();
    let binary = "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nGIT binary patch\nliteral 5\nMcmZ?wbhH6\x00\x07\x1b]0;pwned\x07\n\n";
    let mut records = Vec::new();
    for n in 0..500u32 {
        let subject = match n {
            0 => ApprovalSubject::Patch {
                diff: big.clone(),
                files: vec!["big.txt".into()],
            },
            1 => ApprovalSubject::Patch {
                diff: binary.into(),
                files: vec!["logo.png".into()],
            },
            n if n % 10 == 0 => ApprovalSubject::Patch {
                diff: super::inbox_tests::DIFF.into(),
                files: vec!["src/dates.rs".into()],
            },
            n => ApprovalSubject::Command {
                command: format!("make target-{n} \u{1b}[2J"),
                reason: "outside the worktree".into(),
            },
        };
        records.push(record(
            100 + i64::from(n),
            Event::ApprovalRequested {
                approval: ApprovalId(100 + n),
                agent: AgentId(2),
                subject,
            },
        ));
    }
    app.apply(&records);
    app
}

#[test]
fn the_big_diff_and_the_binary_one_read_well() {
    let mut app = crowded();
    assert_eq!(app.view().approvals.len(), 502);
    app.on_key(ch('A'));
    app.on_key(ch('j'));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("big.txt"), "{screen}");
    assert!(
        screen.contains("-old line 0 red"),
        "escapes are cleaned: {screen}"
    );
    app.on_key(ch('j'));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("binary file: not shown"), "{screen}");
    assert!(
        !screen.contains("pwned") && !screen.contains("McmZ"),
        "{screen}"
    );
    app.on_key(ch('G'));
    assert!(draw(&mut app, 80, 24).contains("#599"));
}

/// A small deterministic generator (xorshift), so a failure replays exactly.
struct Keys(u64);

impl Keys {
    fn next(&mut self) -> KeyEvent {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        const CHARS: &[char] = &[
            'y', 'n', 'a', 'e', 'A', 'j', 'k', 'J', 'K', 'g', 'G', ']', '[', ' ', 'r', 'R', 'x',
            '?', 'q', 'i', 'd', '1', 'z', 'é', '字',
        ];
        const CODES: &[KeyCode] = &[
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Backspace,
            KeyCode::PageDown,
            KeyCode::PageUp,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Tab,
            KeyCode::Left,
            KeyCode::Delete,
        ];
        let pick = (self.0 >> 8) as usize;
        if pick % 4 == 0 {
            KeyEvent::new(CODES[pick / 4 % CODES.len()], KeyModifiers::NONE)
        } else {
            ch(CHARS[pick % CHARS.len()])
        }
    }
}

#[test]
fn mashing_keys_in_a_crowded_inbox_never_panics_or_sends_strange_things() {
    for (seed, mode) in [
        (7u64, Mode::Owner),
        (99, attach()),
        (12345, super::fixture::watch()),
    ] {
        let mut app = crowded();
        app.set_mode_for_test(mode);
        app.on_key(ch('A'));
        let mut keys = Keys(seed);
        for step in 0..3000 {
            let k = keys.next();
            for action in app.on_key(k) {
                match action {
                    Action::Submit(Command::DecideApproval { run, .. })
                    | Action::Submit(Command::GrantPrefix { run, .. }) => assert_eq!(run, RUN),
                    Action::Submit(Command::SendChat { .. })
                    | Action::Submit(Command::SubmitGoal { .. })
                    | Action::Quit
                    | Action::FetchLogs(_) => {}
                    other => panic!("step {step}: unexpected {other:?}"),
                }
                assert!(mode.can_send() || matches!(action, Action::Quit | Action::FetchLogs(_)));
            }
            if step % 50 == 0 {
                let (w, h) = [(120, 40), (80, 24), (50, 20), (40, 10), (200, 60)][step / 50 % 5];
                draw(&mut app, w, h);
            }
            // Some decisions come back, as they would from the core.
            if step % 97 == 0 {
                if let Some(first) = app.view().approvals.first().map(|p| p.id) {
                    app.apply(&[record(
                        10_000 + step as i64,
                        Event::ApprovalDecided {
                            approval: first,
                            decision: Decision::Approved,
                            by: "owner".into(),
                        },
                    )]);
                }
            }
        }
    }
}
