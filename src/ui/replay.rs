//! The replay engine of `warroom replay`: a position in a past run's events, moved forward by
//! folding the next events into the screen's [`RunView`] and backward by restoring the
//! nearest checkpoint at or before the target (a clone of the view taken every
//! [`CHECKPOINT_EVERY`] events on the way forward) and folding from there. So a step back in
//! a 1,000,000-event run folds at most that many events, never the whole run. Reads through
//! a [`Source`] (the store in the binary, a vector in tests); draws nothing; the replay loop
//! (`replay_run`) owns the terminal.

use crate::protocol::{EventId, Millis, RunId};
use crate::store::Page;

use super::views::RunView;

/// Events between two checkpoints.
pub const CHECKPOINT_EVERY: usize = 10_000;
/// The most events read from the source at once.
const CHUNK: usize = 2_000;

/// Where the events come from.
pub trait Source {
    /// Up to `limit` events of the run after `after`, oldest first (`last_id` counts rows
    /// skipped as unreadable too).
    fn after(&mut self, after: EventId, limit: usize) -> Result<Page, String>;
}

/// A position in a run's events.
#[derive(Debug)]
pub struct Replay<S> {
    source: S,
    run: RunId,
    ids: Vec<EventId>,
    pos: usize,
    at: Option<Millis>,
    every: usize,
    checkpoints: Vec<(RunView, Option<Millis>)>,
    log_window: usize,
}

impl<S: Source> Replay<S> {
    /// A replay of `run`, whose events have `ids` (oldest first), at position 0 (nothing
    /// folded). `view` is reset to an empty view of the run.
    pub fn new(source: S, run: RunId, ids: Vec<EventId>, log_window: usize) -> Self {
        Replay::with_spacing(source, run, ids, log_window, CHECKPOINT_EVERY)
    }

    /// [`new`](Self::new) with checkpoints every `every` events (tests use small ones).
    pub fn with_spacing(
        source: S,
        run: RunId,
        ids: Vec<EventId>,
        log_window: usize,
        every: usize,
    ) -> Self {
        Replay {
            source,
            run,
            ids,
            pos: 0,
            at: None,
            every: every.max(1),
            checkpoints: vec![(RunView::for_run(run, log_window), None)],
            log_window,
        }
    }

    /// How many events have been folded (0 to [`len`](Self::len)).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How many events the run has.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the run has no events.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// When the last folded event happened.
    pub fn at(&self) -> Option<Millis> {
        self.at
    }

    /// The id of the last folded event.
    pub fn event_id(&self) -> Option<EventId> {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.ids.get(i).copied())
    }

    /// How many checkpoints are held.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Moves by `delta` events (negative goes back), clamped to the run.
    pub fn step(&mut self, delta: i64, view: &mut RunView) -> Result<(), String> {
        let target = if delta < 0 {
            self.pos.saturating_sub(delta.unsigned_abs() as usize)
        } else {
            self.pos.saturating_add(delta as usize)
        };
        self.seek(target, view)
    }

    /// Moves to `target` events folded (clamped to the run).
    pub fn seek(&mut self, target: usize, view: &mut RunView) -> Result<(), String> {
        let target = target.min(self.ids.len());
        let k = (target / self.every).min(self.checkpoints.len() - 1);
        // Back, or forward past a checkpoint already taken: start from the checkpoint.
        if target < self.pos || k * self.every > self.pos || self.pos == 0 {
            let (saved, at) = &self.checkpoints[k];
            *view = saved.clone();
            self.at = *at;
            self.pos = k * self.every;
        }
        self.fold_to(target, view)?;
        view.refresh();
        Ok(())
    }

    fn fold_to(&mut self, target: usize, view: &mut RunView) -> Result<(), String> {
        while self.pos < target {
            let next_checkpoint = (self.pos / self.every + 1) * self.every;
            let want = (target.min(next_checkpoint) - self.pos).min(CHUNK);
            let after = self.event_id().unwrap_or(EventId(0));
            let page = self.source.after(after, want)?;
            let Some(last) = page.last_id else {
                // The store holds fewer events than listed (deleted meanwhile): stop here.
                self.ids.truncate(self.pos);
                break;
            };
            for record in &page.records {
                view.apply(record);
                self.at = Some(record.at);
            }
            self.pos = match self.ids.binary_search(&last) {
                Ok(i) => i + 1,
                Err(_) => return Err(format!("event {} is not one of run {}", last.0, self.run)),
            };
            if self.pos % self.every == 0 && self.pos / self.every == self.checkpoints.len() {
                view.refresh();
                self.checkpoints.push((view.clone(), self.at));
            }
        }
        Ok(())
    }

    /// The log window's size the views are made with.
    pub fn log_window(&self) -> usize {
        self.log_window
    }
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
