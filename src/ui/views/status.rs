//! The run's headline as a fold: which run, its goal, its lifecycle state, when it started and
//! ended, the models chosen, the model of the latest call and the last fallback hop, and how
//! many model calls warroom's response cache answered. The approvals that wait are the
//! approvals view's. Pure: no IO, no ratatui.

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
    /// The provider and model of the latest model call ("openai/gpt-4o-mini").
    pub model: Option<String>,
    /// The latest fallback hop: (from, to).
    pub fell_back: Option<(String, String)>,
    /// Every fallback target seen in this run, oldest first, without repeats.
    pub fallbacks: Vec<String>,
    /// Model calls that ended.
    pub calls: u64,
    /// Of those, the ones warroom's response cache answered.
    pub cache_hits: u64,
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
            ..StatusView::default()
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
                self.model = None;
                self.fell_back = None;
                self.fallbacks.clear();
                self.calls = 0;
                self.cache_hits = 0;
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
            Event::LlmCallBegan {
                provider, model, ..
            } => self.model = Some(format!("{provider}/{model}")),
            Event::LlmFellBack { from, to, .. } => {
                self.model = Some(to.clone());
                if !self.fallbacks.contains(to) {
                    self.fallbacks.push(to.clone());
                }
                self.fell_back = Some((from.clone(), to.clone()));
            }
            Event::LlmCallEnded { cache_hit, .. } => {
                self.calls += 1;
                self.cache_hits += u64::from(*cache_hit);
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

    /// The share of model calls the response cache answered, in whole percent (`None`
    /// before the first call ends).
    pub fn cache_rate(&self) -> Option<u64> {
        (self.calls > 0).then(|| (self.cache_hits * 100 + self.calls / 2) / self.calls)
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

    fn ended(hit: bool) -> Event {
        Event::LlmCallEnded {
            call: crate::protocol::LlmCallId(1),
            agent: crate::protocol::AgentId(1),
            input_tokens: 1,
            output_tokens: 1,
            cached_tokens: 0,
            cost_usd: 0.0,
            ttft_ms: None,
            latency_ms: 1,
            cache_hit: hit,
            outcome: crate::protocol::CallOutcome::Ok,
        }
    }

    #[test]
    fn cache_rate_and_fallback_hops_are_folded() {
        let mut view = StatusView::for_run(RunId(1));
        assert_eq!(view.cache_rate(), None);
        for hit in [true, false, false] {
            view.apply(Millis(1), &ended(hit));
        }
        assert_eq!(view.cache_rate(), Some(33));
        view.apply(
            Millis(2),
            &Event::LlmCallBegan {
                call: crate::protocol::LlmCallId(2),
                agent: crate::protocol::AgentId(1),
                provider: "openai".into(),
                model: "gpt-4o".into(),
            },
        );
        assert_eq!(view.model.as_deref(), Some("openai/gpt-4o"));
        view.apply(
            Millis(3),
            &Event::LlmFellBack {
                call: crate::protocol::LlmCallId(2),
                agent: crate::protocol::AgentId(1),
                from: "openai/gpt-4o".into(),
                to: "local/qwen".into(),
                reason: "429".into(),
            },
        );
        assert_eq!(view.model.as_deref(), Some("local/qwen"));
        assert_eq!(view.fallbacks, vec!["local/qwen".to_string()]);
        assert_eq!(
            view.fell_back,
            Some(("openai/gpt-4o".into(), "local/qwen".into()))
        );
    }
}
