//! The bell and OSC 9 notification of a new approval, as the App reports it to the run loop
//! (`App::take_alert`): once per new approval, only on screens that can answer (owner and
//! attach, not watch), never for approvals already waiting in a snapshot. The bytes written
//! to the terminal are tested in `notify.rs`, the raw pane output in `tests/attach_e2e.rs`.
//! Test-only.

use crate::protocol::*;

use super::App;
use super::Mode;
use super::fixture::{T0, record, watch};
use super::inbox_tests::{attach, inbox_app};

#[test]
fn a_new_approval_rings_once_where_someone_can_answer() {
    for (mode, rings) in [(Mode::Owner, true), (attach(), true), (watch(), false)] {
        let mut app = inbox_app(mode);
        let first = app.take_alert();
        assert_eq!(first.is_some(), rings, "{mode:?}");
        if rings {
            assert_eq!(
                first.as_deref(),
                Some("warroom: 2 new approvals; 2 waiting"),
                "two arrived in one batch"
            );
        }
        assert_eq!(app.take_alert(), None, "rings once");
        app.apply(&[record(
            9,
            Event::ApprovalRequested {
                approval: ApprovalId(7),
                agent: AgentId(2),
                subject: ApprovalSubject::Command {
                    command: "curl example.com".into(),
                    reason: "needs network".into(),
                },
            },
        )]);
        let next = app.take_alert();
        if rings {
            assert_eq!(
                next.as_deref(),
                Some(
                    "warroom: approval 7 waits: observer#2 asks to run `curl example.com` (needs network)"
                )
            );
        } else {
            assert_eq!(next, None);
        }
    }
}

#[test]
fn approvals_from_a_snapshot_do_not_ring() {
    let mut app = App::new(Mode::Owner, super::fixture::options());
    let mut snapshot = super::fixture::bare_snapshot();
    snapshot.approvals = vec![crate::store::ApprovalRow {
        id: ApprovalId(4),
        agent: AgentId(9),
        subject: ApprovalSubject::Command {
            command: "curl https://example.com".into(),
            reason: "needs network".into(),
        },
        requested_at: Millis(T0),
        stale_files: vec!["a.txt".into()],
    }];
    app.load(Some(snapshot));
    assert_eq!(app.take_alert(), None);
    assert_eq!(app.view().approvals.pending()[0].stale, vec!["a.txt"]);
}
