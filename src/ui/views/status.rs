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
    /// The models the team uses and how they were chosen.
    pub models: Option<String>,
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
            models: None,
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
                self.models = None;
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
            Event::ModelsChosen { summary } => self.models = Some(summary.clone()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_models_chosen_are_kept_until_the_next_run() {
        let mut view = StatusView::for_run(RunId(1));
        let chosen = Event::ModelsChosen {
            summary: "qwen (a server answers on 127.0.0.1:8080)".into(),
        };
        assert!(view.apply(Millis(1), &chosen));
        assert_eq!(
            view.models.as_deref(),
            Some("qwen (a server answers on 127.0.0.1:8080)")
        );
        let started = Event::RunStarted {
            goal: "g".into(),
            repo: "r".into(),
        };
        view.apply(Millis(2), &started);
        assert_eq!(view.models, None);
    }
}
