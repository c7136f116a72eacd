//! The run's headline as a fold: which run, its goal, its lifecycle state, when it started and
//! ended. The approvals that wait are the approvals view's. Pure: no IO, no ratatui.

use crate::protocol::{Event, Millis, RunId, RunState};
use crate::store::RunSnapshot;

/// The run's headline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusView {
    /// The run shown, `None` before any run.
    pub run: Option<RunId>,
    /// The person's goal.
    pub goal: String,
    /// Its lifecycle state (`None` until known).
    pub state: Option<RunState>,
    /// Why it is in that state, or the final summary.
    pub reason: String,
    /// When it began.
    pub started_at: Option<Millis>,
    /// When it ended.
    pub finished_at: Option<Millis>,
}

impl StatusView {
    /// A view of `run` with nothing known yet.
    pub fn for_run(run: RunId) -> Self {
        StatusView {
            run: Some(run),
            ..StatusView::default()
        }
    }

    /// The headline of a snapshot.
    pub fn from_snapshot(snapshot: &RunSnapshot) -> Self {
        let run = &snapshot.run;
        StatusView {
            run: Some(run.id),
            goal: run.goal.clone(),
            state: Some(run.state),
            reason: run.summary.clone(),
            started_at: Some(run.started_at),
            finished_at: run.finished_at,
        }
    }

    /// Whether a run is shown and has not ended.
    pub fn is_active(&self) -> bool {
        self.run.is_some() && self.state.is_some_and(|s| !s.is_terminal())
    }

    /// Folds one event; returns whether anything changed.
    pub fn apply(&mut self, at: Millis, event: &Event) -> bool {
        match event {
            Event::RunStarted { goal, .. } => {
                self.goal.clone_from(goal);
                self.state = Some(RunState::Planning);
                self.started_at = Some(at);
                self.finished_at = None;
                self.reason.clear();
            }
            Event::RunStateChanged { state, reason } => {
                self.state = Some(*state);
                self.reason.clone_from(reason);
            }
            Event::RunFinished { state, summary } => {
                self.state = Some(*state);
                self.reason.clone_from(summary);
                self.finished_at = Some(at);
            }
            _ => return false,
        }
        true
    }

    /// How long the run has taken, up to `now` while it goes on.
    pub fn elapsed_ms(&self, now: Millis) -> Option<i64> {
        let start = self.started_at?;
        Some(self.finished_at.unwrap_or(now).0 - start.0)
    }
}
