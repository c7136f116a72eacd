//! The approval inbox driven with keys on the App: the queue's order (patches first, then
//! oldest), `A` / Esc, `y`, `n` with a reason, `a` with its scope, `e` with an edited line,
//! Space and `]`/`[` over hunks (the partial diff sent is `hunks::partial`'s), stale marks,
//! the outcome of a decision made elsewhere, watch mode refusing, attach mode sending. The
//! fixture (`inbox_app`) is shared with the snapshot, key-mashing and alert tests. Test-only.

use crossterm::event::KeyCode;

use crate::protocol::*;
use crate::store::OwnerState;

use super::fixture::{RUN, T0, ch, draw, key, record, type_text, watch};
use super::{Action, App, Mode};

pub const DIFF: &str = "diff --git a/src/dates.rs b/src/dates.rs
index 1111111..2222222 100644
--- a/src/dates.rs
+++ b/src/dates.rs
@@ -1,3 +1,4 @@
 fn year(y: u32) -> u32 {
-    y
+    if y < 100 { 2000 + y } else { y }
+    // two-digit years
 }
@@ -20,3 +21,3 @@ fn month(m: u32) -> u32 {
     let m = m;
-    m
+    m.clamp(1, 12)
 }
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1,2 @@
 # dates
+Two-digit years are read as 20xx.
";

pub fn attach() -> Mode {
    Mode::Attach {
        owner: OwnerState::Alive {
            pid: 4242,
            heartbeat_age_ms: 200,
        },
    }
}

/// A run whose observer asks to run a command (approval 1), then whose planner asks to apply
/// a three-hunk patch (approval 2).
pub fn inbox_app(mode: Mode) -> App {
    let mut app = App::new(mode, super::fixture::options());
    let mut records = super::fixture::two_agents("observer");
    records.extend([
        record(
            4,
            Event::ApprovalRequested {
                approval: ApprovalId(1),
                agent: AgentId(2),
                subject: ApprovalSubject::Command {
                    command: "cargo update --workspace".into(),
                    reason: "needs network".into(),
                },
            },
        ),
        record(
            5,
            Event::ApprovalRequested {
                approval: ApprovalId(2),
                agent: AgentId(1),
                subject: ApprovalSubject::Patch {
                    diff: DIFF.into(),
                    files: vec!["src/dates.rs".into(), "README.md".into()],
                },
            },
        ),
    ]);
    app.apply(&records);
    app.set_clock(Millis(T0 + 65_000));
    app
}

/// Event `id`: approval 2's files changed in the working tree since it was asked.
pub fn stale(id: i64, files: &[&str]) -> Record {
    let files = files.iter().map(|f| f.to_string()).collect();
    record(
        id,
        Event::ApprovalStale {
            approval: ApprovalId(2),
            files,
        },
    )
}

pub fn decide(approval: u32, decision: Decision) -> Action {
    Action::Submit(Command::DecideApproval {
        run: RUN,
        approval: ApprovalId(approval),
        decision,
    })
}

fn decided(id: i64, approval: u32, by: &str) -> Record {
    record(
        id,
        Event::ApprovalDecided {
            approval: ApprovalId(approval),
            decision: Decision::Approved,
            by: by.into(),
        },
    )
}

pub fn open(mode: Mode) -> App {
    let mut app = inbox_app(mode);
    assert_eq!(app.on_key(ch('A')), vec![]);
    app
}

#[test]
fn the_queue_puts_the_patch_apply_first_then_the_oldest() {
    let queue = |app: &App| -> Vec<u32> {
        let pending = app.view().approvals.pending();
        pending.iter().map(|p| p.id.0).collect()
    };
    assert_eq!(queue(&inbox_app(Mode::Owner)), vec![2, 1]);
    let mut app = inbox_app(Mode::Owner);
    app.apply(&[record(
        6,
        Event::ApprovalRequested {
            approval: ApprovalId(3),
            agent: AgentId(2),
            subject: ApprovalSubject::Command {
                command: "git push".into(),
                reason: "network".into(),
            },
        },
    )]);
    assert_eq!(queue(&app), vec![2, 1, 3]);
}

#[test]
fn capital_a_opens_the_inbox_and_esc_closes_it() {
    let mut app = open(Mode::Owner);
    assert!(app.is_inbox_open());
    assert!(draw(&mut app, 80, 24).contains("Approvals"));
    app.on_key(key(KeyCode::Esc));
    assert!(!app.is_inbox_open());
    app.on_key(ch('A'));
    app.on_key(ch('A'));
    assert!(!app.is_inbox_open(), "A toggles");
    app.on_key(ch('A'));
    app.on_key(ch('q'));
    assert!(
        !app.is_inbox_open(),
        "q closes the inbox rather than quitting"
    );
}

#[test]
fn y_approves_the_selected_approval() {
    let mut app = open(Mode::Owner);
    assert_eq!(app.on_key(ch('y')), vec![decide(2, Decision::Approved)]);
    assert!(app.hint().is_some_and(|h| h.contains("approve approval 2")));
    app.on_key(ch('j'));
    assert_eq!(app.on_key(ch('y')), vec![decide(1, Decision::Approved)]);
    assert!(
        draw(&mut app, 120, 40).contains("sent"),
        "sent ones are marked"
    );
}

#[test]
fn n_asks_why_and_enter_sends_the_denial() {
    let mut app = open(Mode::Owner);
    assert_eq!(app.on_key(ch('n')), vec![]);
    assert!(app.hint().is_some_and(|h| h.contains("why approval 2")));
    // Keys type now: y and n are letters of the reason, not decisions.
    assert_eq!(type_text(&mut app, "not yet, any"), vec![]);
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![decide(
            2,
            Decision::Denied {
                reason: "not yet, any".into()
            }
        )]
    );
    assert!(app.is_inbox_open());
}

#[test]
fn esc_cancels_a_prompt_and_sends_nothing() {
    let mut app = open(Mode::Owner);
    app.on_key(ch('n'));
    type_text(&mut app, "because");
    assert_eq!(app.on_key(key(KeyCode::Esc)), vec![]);
    assert_eq!(app.hint(), Some("cancelled: nothing was sent"));
    assert!(app.is_inbox_open(), "Esc closed only the prompt");
    assert_eq!(app.on_key(ch('y')), vec![decide(2, Decision::Approved)]);
}

#[test]
fn a_asks_how_far_then_approves_with_a_grant() {
    let mut app = open(Mode::Owner);
    app.on_key(ch('a'));
    assert!(
        app.hint().is_some_and(|h| h.contains("patch")),
        "a patch has no prefix to allow: {:?}",
        app.hint()
    );
    app.on_key(ch('j'));
    assert_eq!(app.on_key(ch('a')), vec![]);
    assert!(draw(&mut app, 120, 40).contains("always allow `cargo update`"));
    assert!(
        app.on_key(ch('x')).is_empty(),
        "other keys ask again, send nothing"
    );
    assert_eq!(
        app.on_key(ch('r')),
        vec![
            decide(1, Decision::Approved),
            Action::Submit(Command::GrantPrefix {
                run: RUN,
                prefix: "cargo update".into(),
                scope: GrantScope::Run,
            })
        ]
    );
    app.on_key(ch('a'));
    let sent = app.on_key(ch('R'));
    assert_eq!(
        sent[1],
        Action::Submit(Command::GrantPrefix {
            run: RUN,
            prefix: "cargo update".into(),
            scope: GrantScope::Repo,
        })
    );
    app.on_key(ch('a'));
    assert_eq!(app.on_key(key(KeyCode::Esc)), vec![]);
}

#[test]
fn e_edits_the_command_and_enter_approves_the_edited_line() {
    let mut app = open(Mode::Owner);
    app.on_key(ch('j'));
    app.on_key(ch('e'));
    assert!(draw(&mut app, 120, 40).contains("> cargo update --workspace"));
    for _ in 0.."--workspace".len() {
        app.on_key(key(KeyCode::Backspace));
    }
    type_text(&mut app, "-p chrono --offline");
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![decide(
            1,
            Decision::ApprovedEdited {
                command: "cargo update -p chrono --offline".into()
            }
        )]
    );
    // Unchanged is a plain approval; emptied is refused and the prompt stays.
    app.on_key(ch('e'));
    assert_eq!(
        app.on_key(key(KeyCode::Enter)),
        vec![decide(1, Decision::Approved)]
    );
    app.on_key(ch('e'));
    for _ in 0..40 {
        app.on_key(key(KeyCode::Backspace));
    }
    assert_eq!(app.on_key(key(KeyCode::Enter)), vec![]);
    assert!(app.hint().is_some_and(|h| h.contains("empty command")));
    assert_eq!(app.on_key(key(KeyCode::Esc)), vec![]);
    app.on_key(ch('k'));
    app.on_key(ch('e'));
    assert!(
        app.hint()
            .is_some_and(|h| h.contains("only a command can be edited"))
    );
}

#[test]
fn space_rejects_a_hunk_and_y_sends_only_the_accepted_ones() {
    let mut app = open(Mode::Owner);
    app.on_key(ch(']'));
    assert_eq!(app.on_key(ch(' ')), vec![]);
    assert_eq!(
        app.hint(),
        Some("hunk 2 rejected: y applies only the accepted ones")
    );
    let expected = crate::hunks::partial(DIFF, &[true, false, true]).unwrap();
    assert!(!expected.contains("clamp"));
    assert_eq!(
        app.on_key(ch('y')),
        vec![decide(2, Decision::ApprovedPartial { diff: expected })]
    );
    // Space again accepts it: the whole patch.
    app.on_key(ch(' '));
    assert_eq!(app.hint(), Some("hunk 2 accepted"));
    assert_eq!(app.on_key(ch('y')), vec![decide(2, Decision::Approved)]);
}

#[test]
fn every_hunk_rejected_sends_nothing() {
    let mut app = open(Mode::Owner);
    for _ in 0..3 {
        app.on_key(ch(' '));
        app.on_key(ch(']'));
    }
    assert_eq!(app.on_key(ch('y')), vec![]);
    assert_eq!(
        app.hint(),
        Some("not sent: no hunk is accepted; deny the patch instead")
    );
}

#[test]
fn hunk_and_scroll_keys_move_the_detail() {
    let mut app = open(Mode::Owner);
    draw(&mut app, 80, 24);
    app.on_key(ch(']'));
    app.on_key(ch(']'));
    app.on_key(ch(']'));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("▌✓ @@ -1 +1,2 @@"), "{screen}");
    app.on_key(ch('['));
    app.on_key(ch('['));
    app.on_key(ch('['));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("▌✓ @@ -1,3 +1,4 @@"), "{screen}");
    for c in ['J', 'J', 'K'] {
        assert_eq!(app.on_key(ch(c)), vec![]);
    }
    app.on_key(key(KeyCode::PageDown));
    app.on_key(key(KeyCode::PageUp));
    assert!(draw(&mut app, 80, 24).contains("src/dates.rs"));
    assert_eq!(app.hint(), None, "every scroll key is a real key");
    app.on_key(ch('G'));
    assert!(draw(&mut app, 80, 24).contains("cargo update --workspace"));
    app.on_key(ch('g'));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Up));
    assert_eq!(app.on_key(ch('y')), vec![decide(2, Decision::Approved)]);
}

#[test]
fn a_stale_approval_is_marked() {
    let mut app = open(Mode::Owner);
    app.apply(&[stale(6, &["src/dates.rs"])]);
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("STALE"), "{screen}");
    assert!(screen.contains("changed in your working tree since it was asked: src/dates.rs"));
    assert_eq!(app.on_key(ch('y')), vec![decide(2, Decision::Approved)]);
    assert!(app.hint().is_some_and(|h| h.contains("stale")));
}

#[test]
fn a_decision_made_elsewhere_shows_on_every_screen_and_closes_the_draft() {
    let mut owner = open(Mode::Owner);
    let mut attached = open(attach());
    attached.on_key(ch('n'));
    type_text(&mut attached, "half-written");
    for app in [&mut owner, &mut attached] {
        app.apply(&[decided(6, 2, "owner")]);
        assert!(draw(app, 120, 40).contains("approval 2 approved by owner"));
    }
    assert_eq!(
        attached.hint(),
        Some("approval 2 approved by owner; your draft was not sent")
    );
    // The selection stays on what is left.
    assert_eq!(
        attached.on_key(ch('y')),
        vec![decide(1, Decision::Approved)]
    );
    // A later decision for the same approval (the loser) changes nothing.
    owner.apply(&[record(
        7,
        Event::ApprovalDecided {
            approval: ApprovalId(2),
            decision: Decision::Denied {
                reason: String::new(),
            },
            by: "viewer".into(),
        },
    )]);
    assert!(draw(&mut owner, 120, 40).contains("approval 2 approved by owner"));
}

#[test]
fn watch_mode_decides_nothing() {
    let mut app = open(watch());
    for c in ['y', 'n', 'a', 'e'] {
        assert_eq!(app.on_key(ch(c)), vec![]);
        assert!(
            app.hint().is_some_and(|h| h.contains("read-only")),
            "{c}: {:?}",
            app.hint()
        );
    }
    assert!(draw(&mut app, 80, 24).contains("read-only"));
}

#[test]
fn attach_mode_sends_like_the_owner_and_says_it_is_attached() {
    let mut app = open(attach());
    assert_eq!(app.on_key(ch('y')), vec![decide(2, Decision::Approved)]);
    app.on_key(key(KeyCode::Esc));
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("attach, owner pid 4242"), "{screen}");
    app.on_key(ch('i'));
    assert!(app.is_typing(), "an attached screen chats");
}

#[test]
fn help_opens_over_the_inbox_and_closes_back_to_it() {
    let mut app = open(Mode::Owner);
    app.on_key(ch('?'));
    assert!(app.help_open());
    let mut seen = draw(&mut app, 120, 40);
    for _ in 0..6 {
        app.on_key(key(KeyCode::PageDown));
        seen.push_str(&draw(&mut app, 120, 40));
    }
    assert!(seen.contains("Approval inbox (A)"), "{seen}");
    assert!(seen.contains("accept or reject the hunk"), "{seen}");
    app.on_key(key(KeyCode::Esc));
    assert!(app.is_inbox_open(), "back in the inbox");
    app.on_key(key(KeyCode::Esc));
    app.on_key(ch('?'));
    app.on_key(key(KeyCode::Esc));
    assert!(
        !app.is_inbox_open(),
        "help from a pane closes back to the pane"
    );
}

#[test]
fn ctrl_c_quits_from_the_inbox_and_its_prompts_and_n_cancels_the_scope() {
    let ctrl_c = crossterm::event::KeyEvent::new(
        KeyCode::Char('c'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    // An attached screen quits at once (the run goes on in the owner).
    let mut app = open(attach());
    assert_eq!(app.on_key(ctrl_c), vec![Action::Quit]);
    let mut app = open(attach());
    app.on_key(ch('n'));
    assert_eq!(app.on_key(ctrl_c), vec![Action::Quit]);
    let mut app = open(attach());
    app.on_key(ch('j'));
    app.on_key(ch('a'));
    assert_eq!(app.on_key(ch('n')), vec![], "n cancels the scope question");
    assert_eq!(app.hint(), Some("cancelled: nothing was sent"));
    app.on_key(ch('a'));
    assert_eq!(app.on_key(ctrl_c), vec![Action::Quit]);
    // The owner of an active run is asked first.
    let mut app = open(Mode::Owner);
    assert_eq!(app.on_key(ctrl_c), vec![]);
    assert!(app.asking_to_quit());
}
