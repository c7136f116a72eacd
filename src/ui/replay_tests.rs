//! The replay engine against a vector source: stepping forward and back lands on the same
//! view as folding from the start, across checkpoints.

use super::*;
use crate::protocol::{ChatRole, Event, Record};

struct Vector(Vec<Record>);

impl Source for Vector {
    fn after(&mut self, after: EventId, limit: usize) -> Result<Page, String> {
        let records: Vec<Record> = self
            .0
            .iter()
            .filter(|r| r.id > after)
            .take(limit)
            .cloned()
            .collect();
        Ok(Page {
            last_id: records.last().map(|r| r.id),
            records,
            skipped: Vec::new(),
        })
    }
}

fn events(n: i64) -> Vec<Record> {
    let mut out = vec![Record {
        id: EventId(1),
        run: RunId(1),
        at: Millis(1000),
        event: Event::RunStarted {
            goal: "g".into(),
            repo: "r".into(),
        },
    }];
    for i in 2..=n {
        out.push(Record {
            id: EventId(i * 2),
            run: RunId(1),
            at: Millis(1000 + i),
            event: Event::ChatMessagePosted {
                role: ChatRole::User,
                text: format!("message {i}"),
            },
        });
    }
    out
}

fn replay(n: i64, every: usize) -> Replay<Vector> {
    let records = events(n);
    let ids = records.iter().map(|r| r.id).collect();
    Replay::with_spacing(Vector(records), RunId(1), ids, 50, every)
}

fn fresh(n: usize) -> RunView {
    let mut r = replay(100, 1_000_000);
    let mut view = RunView::for_run(RunId(1), 50);
    r.seek(n, &mut view).unwrap();
    view
}

fn last_text(view: &RunView) -> Option<String> {
    view.chat
        .messages()
        .back()
        .map(|m| m.paragraphs[0].text.clone())
}

#[test]
fn back_and_forth_matches_a_fold_from_the_start() {
    let mut r = replay(100, 7);
    let mut view = RunView::for_run(RunId(1), 50);
    r.seek(100, &mut view).unwrap();
    assert_eq!(r.position(), 100);
    assert_eq!(r.checkpoints(), 100 / 7 + 1);
    for target in [99, 50, 49, 7, 6, 1, 0, 63] {
        r.seek(target, &mut view).unwrap();
        assert_eq!(r.position(), target);
        let expected = fresh(target);
        assert_eq!(view.chat.messages().len(), expected.chat.messages().len());
        assert_eq!(last_text(&view), last_text(&expected), "at {target}");
    }
}

#[test]
fn steps_are_clamped_and_report_time_and_id() {
    let mut r = replay(10, 4);
    let mut view = RunView::for_run(RunId(1), 50);
    r.step(-5, &mut view).unwrap();
    assert_eq!(r.position(), 0);
    assert_eq!(r.event_id(), None);
    r.step(3, &mut view).unwrap();
    assert_eq!(r.event_id(), Some(EventId(6)));
    assert_eq!(r.at(), Some(Millis(1003)));
    r.step(1_000, &mut view).unwrap();
    assert_eq!(r.position(), 10);
    assert_eq!(last_text(&view).as_deref(), Some("message 10"));
    r.step(-1, &mut view).unwrap();
    assert_eq!(last_text(&view).as_deref(), Some("message 9"));
}
