//! Deciding approvals from the screen, driven by keys on a TestBackend: `a` approves the
//! oldest waiting one, `d` prefills `/deny N ` in chat, `/approve` and `/deny` pick by number,
//! nothing waiting and watch mode answer in the status bar instead of sending; a snapshot's
//! pending approvals count like folded ones; the status bar and chat show what waits (with a
//! patch's files and +/- counts, subjects cleaned of escapes) at 80x24 and 60x20. The log
//! lines of the repo, test and patch events are tested in `views/log_text.rs`. Test-only.

use crossterm::event::KeyCode;

use crate::protocol::*;
use crate::store::{ApprovalRow, RunSnapshot};

use super::fixture::{self, RUN, T0, ch, draw, key, populated_app, record, type_text, watch};
use super::panes::PaneId;
use super::{Action, App, Mode};

const DIFF: &str = "diff --git a/src/dates.rs b/src/dates.rs\n--- a/src/dates.rs\n+++ b/src/dates.rs\n@@ -1,3 +1,4 @@\n fn year(y: u32) -> u32 {\n-    y\n+    if y < 100 { 2000 + y } else { y }\n+    // two-digit years\n }\n";

fn decided(id: i64, approval: u32) -> Record {
    record(
        id,
        Event::ApprovalDecided {
            approval: ApprovalId(approval),
            decision: Decision::Approved,
            by: "owner".into(),
        },
    )
}

fn patch_subject() -> ApprovalSubject {
    ApprovalSubject::Patch {
        diff: DIFF.into(),
        files: vec!["src/dates.rs".into()],
    }
}

/// A run of two agents whose verifier asks to apply a patch (approval 5).
fn patch_waiting(mode: Mode) -> App {
    let mut app = App::new(mode, fixture::options());
    let mut records = fixture::two_agents("verifier");
    records.push(record(
        4,
        Event::ApprovalRequested {
            approval: ApprovalId(5),
            agent: AgentId(2),
            subject: patch_subject(),
        },
    ));
    app.apply(&records);
    app.set_clock(fixture::clock());
    app
}

fn approve(approval: u32) -> Action {
    Action::Submit(Command::DecideApproval {
        run: RUN,
        approval: ApprovalId(approval),
        decision: Decision::Approved,
    })
}

fn deny(approval: u32, reason: &str) -> Action {
    Action::Submit(Command::DecideApproval {
        run: RUN,
        approval: ApprovalId(approval),
        decision: Decision::Denied {
            reason: reason.into(),
        },
    })
}

fn status_bar(app: &mut App, width: u16, height: u16) -> String {
    let screen = draw(app, width, height);
    screen.lines().last().unwrap_or_default().to_string()
}

#[test]
fn a_approves_the_first_in_the_queue_then_the_next() {
    // The fixture's approval 1 was denied; 2 (a command) and 3 (a patch) wait. The patch's
    // apply blocks the whole run, so it comes first.
    let mut app = populated_app(Mode::Owner);
    assert_eq!(app.on_key(ch('a')), vec![approve(3)]);
    assert!(app.hint().is_some_and(|h| h.contains("approve approval 3")));
    app.apply(&[decided(10_000, 3)]);
    assert_eq!(app.on_key(ch('a')), vec![approve(2)]);
    app.apply(&[decided(10_001, 2)]);
    assert_eq!(app.on_key(ch('a')), vec![]);
    assert_eq!(app.hint(), Some("nothing is waiting for approval"));
}

#[test]
fn nothing_waiting_is_said_not_ignored() {
    let mut app = fixture::empty_app(Mode::Owner);
    for c in ['a', 'd'] {
        assert_eq!(app.on_key(ch(c)), vec![]);
        assert_eq!(app.hint(), Some("nothing is waiting for approval"));
    }
    assert!(
        !app.is_typing(),
        "d with nothing waiting does not start typing"
    );
    app.on_key(ch('i'));
    type_text(&mut app, "/approve");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![]);
    assert_eq!(app.hint(), Some("nothing is waiting for approval"));
}

#[test]
fn d_prefills_a_deny_and_enter_sends_the_reason() {
    let mut app = populated_app(Mode::Owner);
    assert_eq!(app.on_key(ch('d')), vec![]);
    assert_eq!(app.focused(), PaneId::Chat);
    assert!(app.is_typing());
    assert!(
        draw(&mut app, 80, 24).contains("› /deny 3"),
        "the draft shows in the input"
    );
    type_text(&mut app, "no deletes outside the worktree");
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![deny(3, "no deletes outside the worktree")]
    );
}

#[test]
fn d_keeps_a_draft_of_something_else() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('i'));
    type_text(&mut app, "half a thought");
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.on_key(ch('d')), vec![]);
    assert!(app.is_typing());
    assert!(app.hint().is_some_and(|h| h.contains("/deny 3")));
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![Action::Submit(Command::SendChat {
            text: "half a thought".into()
        })],
        "the person's draft was not replaced"
    );
}

#[test]
fn chat_commands_pick_by_number() {
    let mut app = populated_app(Mode::Owner);
    app.on_key(ch('i'));
    type_text(&mut app, "/approve 3");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![approve(3)]);
    type_text(&mut app, "/approve");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![approve(3)]);
    type_text(&mut app, "/deny 2 the command deletes too much");
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![deny(2, "the command deletes too much")]
    );
    type_text(&mut app, "/deny too broad");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![deny(3, "too broad")]);
    type_text(&mut app, "/deny");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![deny(3, "")]);
    // A number that does not wait is refused and named; the draft stays to be fixed.
    type_text(&mut app, "/approve 1");
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![]);
    assert_eq!(app.hint(), Some("approval 1 is not waiting; waiting: 3, 2"));
    assert!(draw(&mut app, 80, 24).contains("/approve 1"));
}

#[test]
fn watch_mode_sends_nothing_and_says_how_to_decide() {
    let mut app = populated_app(watch());
    assert_eq!(app.on_key(ch('a')), vec![]);
    assert_eq!(
        app.hint(),
        Some("read-only: decide in a shell: warroom approve 3 --run 7")
    );
    assert_eq!(app.on_key(ch('d')), vec![]);
    assert!(
        app.hint()
            .is_some_and(|h| h.contains("warroom deny 3 --run 7"))
    );
    assert!(!app.is_typing());
    let bar = status_bar(&mut app, 120, 40);
    assert!(bar.contains("approval 3"), "{bar}");
    assert!(
        !bar.contains("a approve"),
        "a viewer is not offered keys: {bar}"
    );
}

#[test]
fn pending_approvals_load_from_the_snapshot() {
    let mut app = App::new(Mode::Owner, fixture::options());
    let mut snapshot: RunSnapshot = fixture::bare_snapshot();
    snapshot.approvals = vec![ApprovalRow {
        id: ApprovalId(4),
        agent: AgentId(9),
        subject: ApprovalSubject::Command {
            command: "curl https://example.com".into(),
            reason: "needs network".into(),
        },
        requested_at: Millis(T0),
        stale_files: Vec::new(),
    }];
    snapshot.last_event = EventId(50);
    app.load(Some(snapshot));
    app.set_clock(fixture::clock());
    app.on_key(ch('5'));
    app.on_key(ch('z'));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains(
            "approval 4 · agent#9 asks to run `curl https://example.com` (needs network)"
        ),
        "{screen}"
    );
    assert_eq!(app.on_key(ch('a')), vec![approve(4)]);
    // The decision arrives as an event after the snapshot; the approval stops waiting.
    app.apply(&[decided(51, 4)]);
    assert!(app.view().approvals.is_empty());
    let screen = draw(&mut app, 120, 40);
    assert!(
        !screen.contains("approval 4 ·"),
        "chat no longer pins it: {screen}"
    );
    assert!(!screen.contains("approval 4 waiting"), "{screen}");
}

#[test]
fn chat_and_logs_show_what_a_patch_changes() {
    let mut app = patch_waiting(Mode::Owner);
    app.on_key(ch('5'));
    app.on_key(ch('z'));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("approval 5 · verifier#2 asks to apply a patch (+2 -1) to 1 file:"),
        "{screen}"
    );
    app.on_key(ch('z'));
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("approval 5 asked: apply a patch (+2 -1) to 1 file: src/dates.rs"),
        "{screen}"
    );
}

#[test]
fn status_bar_fits_each_width() {
    let mut app = patch_waiting(Mode::Owner);
    for (width, height) in [(120, 40), (80, 24), (60, 20)] {
        let bar = status_bar(&mut app, width, height);
        assert!(
            bar.contains("1 waiting · approval 5: a approve · d deny"),
            "{width}: {bar}"
        );
    }
    // Two waiting: the badge counts them; the inbox key shows where there is room.
    let mut two = populated_app(Mode::Owner);
    let bar = status_bar(&mut two, 120, 40);
    assert!(
        bar.contains("2 waiting · approval 3: a approve · d deny · A inbox"),
        "{bar}"
    );
    // A hint keeps room to be read: the approval shortens instead.
    two.on_key(ch('x'));
    let bar = status_bar(&mut two, 60, 20);
    assert!(bar.contains("2 waiting · 3: a/d · A"), "{bar}");
    assert!(bar.contains("key x does"), "{bar}");
    let bar = status_bar(&mut two, 40, 10);
    assert!(bar.contains("2!"), "{bar}");
    assert!(bar.contains("key x"), "{bar}");
}

#[test]
fn snapshots_of_a_waiting_patch() {
    for (w, h) in [(80, 24), (60, 20)] {
        let mut app = patch_waiting(Mode::Owner);
        app.on_key(ch('5'));
        insta::assert_snapshot!(format!("approval_waiting_{w}x{h}"), draw(&mut app, w, h));
    }
    let mut app = patch_waiting(Mode::Owner);
    app.on_key(ch('d'));
    type_text(&mut app, "keep the old year rule");
    insta::assert_snapshot!("approval_denying_60x20", draw(&mut app, 60, 20));
}

#[test]
fn subjects_are_cleaned_of_escapes() {
    let mut app = patch_waiting(Mode::Owner);
    app.apply(&[record(
        5,
        Event::ApprovalDecided {
            approval: ApprovalId(5),
            decision: Decision::Denied {
                reason: String::new(),
            },
            by: "owner".into(),
        },
    )]);
    app.apply(&[record(
        6,
        Event::ApprovalRequested {
            approval: ApprovalId(6),
            agent: AgentId(2),
            subject: ApprovalSubject::Command {
                command: "rm -rf /tmp/x\u{1b}[2J\u{1b}[31m".into(),
                reason: "outside\nthe worktree".into(),
            },
        },
    )]);
    app.on_key(ch('5'));
    app.on_key(ch('z'));
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("asks to run `rm -rf /tmp/x` (outside the worktree)"),
        "{screen}"
    );
}
