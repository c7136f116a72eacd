//! Fold tests: folding a run's events from nothing must give the same agents, tasks and
//! approvals as loading a snapshot of the same run's final state (written out by hand in the
//! fixture), and the same screen. Test-only.

use crate::protocol::{ApprovalId, ApprovalSubject, EventId, Millis, RunState};
use crate::store::{ApprovalRow, Page, RunSnapshot};

use super::fixture::{self, RUN, T0, draw};
use super::views::RunView;
use super::views::agents::AgentsView;
use super::views::tasks::TasksView;
use super::{App, Mode};

fn folded() -> RunView {
    let mut view = RunView::for_run(RUN, 2000);
    for record in fixture::records() {
        view.apply(&record);
    }
    view.refresh();
    view
}

fn final_snapshot() -> RunSnapshot {
    let records = fixture::records();
    let chat = records
        .iter()
        .filter(|r| matches!(r.event, crate::protocol::Event::ChatMessagePosted { .. }))
        .cloned()
        .collect();
    let logs = records
        .iter()
        .filter(|r| r.event.log_level().is_some())
        .cloned()
        .collect();
    RunSnapshot {
        run: fixture::run_row(RunState::Working, 34_650, 0.1876),
        agents: fixture::final_agents(),
        tasks: fixture::final_tasks(),
        approvals: vec![
            ApprovalRow {
                id: ApprovalId(2),
                agent: crate::protocol::AgentId(4),
                subject: ApprovalSubject::Command {
                    command: "rm -rf ../calendar-baseline/target".into(),
                    reason: "path outside the worktree".into(),
                },
                requested_at: Millis(T0),
                stale_files: Vec::new(),
            },
            ApprovalRow {
                id: ApprovalId(3),
                agent: crate::protocol::AgentId(4),
                subject: ApprovalSubject::Patch {
                    diff: "--- a/src/dates.rs\n+++ b/src/dates.rs\n".into(),
                    files: vec!["src/dates.rs".into(), "tests/dates.rs".into()],
                },
                requested_at: Millis(T0),
                stale_files: Vec::new(),
            },
        ],
        chat: Page {
            records: chat,
            ..Page::default()
        },
        logs: Page {
            records: logs,
            ..Page::default()
        },
        memory: records
            .iter()
            .rev()
            .filter_map(|r| match &r.event {
                crate::protocol::Event::MemoryWritten {
                    memory,
                    memory_kind,
                    text,
                    ..
                } => Some(crate::store::MemoryRow {
                    id: *memory,
                    kind: memory_kind.as_str().into(),
                    text: text.clone(),
                    pinned: false,
                    created_at: r.at,
                }),
                _ => None,
            })
            .collect(),
        last_event: EventId(records.len() as i64),
    }
}

fn agents_shape(view: &AgentsView) -> Vec<String> {
    view.rows()
        .iter()
        .map(|r| {
            let a = view.get(r.id).unwrap();
            format!(
                "{}{} {:?} {} {:?} {}/{} {:.4} sub {} {:.4}",
                r.prefix,
                a.label(),
                a.parent,
                a.model,
                a.status,
                a.input_tokens,
                a.output_tokens,
                a.cost_usd,
                r.subtree.tokens,
                r.subtree.cost_usd
            )
        })
        .collect()
}

fn tasks_shape(view: &TasksView) -> Vec<String> {
    view.lines()
        .iter()
        .map(|l| {
            let t = view.get(l.id).unwrap();
            format!(
                "{}#{} {} {:?} {:?} {:?} {} {:.2} {}/{} {:.3}",
                l.prefix,
                t.id,
                t.title,
                t.deps,
                t.owner,
                t.status,
                t.attempts,
                t.progress,
                l.done,
                l.descendants,
                l.fraction
            )
        })
        .collect()
}

#[test]
fn agents_fold_equals_snapshot() {
    let folded = folded();
    let loaded = RunView::from_snapshot(Some(&final_snapshot()), 2000);
    assert_eq!(agents_shape(&folded.agents), agents_shape(&loaded.agents));
    assert_eq!(folded.agents.total(), loaded.agents.total());
    assert_eq!(folded.agents.len(), 7);
}

#[test]
fn tasks_fold_equals_snapshot() {
    let folded = folded();
    let loaded = RunView::from_snapshot(Some(&final_snapshot()), 2000);
    assert_eq!(tasks_shape(&folded.tasks), tasks_shape(&loaded.tasks));
    assert_eq!(folded.tasks.len(), 15);
    assert_eq!(folded.tasks.done(), 4);
}

#[test]
fn status_fold_equals_snapshot() {
    let folded = folded();
    let loaded = RunView::from_snapshot(Some(&final_snapshot()), 2000);
    let ids = |v: &RunView| {
        v.approvals
            .pending()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&folded), ids(&loaded));
    assert_eq!(folded.status.state, loaded.status.state);
    assert_eq!(folded.status.run, loaded.status.run);
    assert_eq!(folded.chat, loaded.chat);
    assert_eq!(folded.logs.lines(), loaded.logs.lines());
}

#[test]
fn the_screen_is_the_same_either_way() {
    let mut from_events = App::new(Mode::Owner, fixture::options());
    from_events.apply(&fixture::records());
    from_events.set_clock(fixture::clock());
    let mut from_snapshot = App::new(Mode::Owner, fixture::options());
    from_snapshot.load(Some(final_snapshot()));
    from_snapshot.set_clock(fixture::clock());
    assert_eq!(
        draw(&mut from_events, 120, 40),
        draw(&mut from_snapshot, 120, 40)
    );
}

#[test]
fn replayed_records_are_not_counted_twice() {
    let mut view = folded();
    let before = agents_shape(&view.agents);
    for record in fixture::records() {
        assert!(!view.apply(&record));
    }
    view.refresh();
    assert_eq!(agents_shape(&view.agents), before);
}
