//! The debouncer: gathers changed paths until the tree has been quiet for a while, so a save
//! that touches a file three times (create, write, close) or a `git checkout` of a hundred
//! files becomes one batch. A pure state machine over [`Instant`]s (monotonic, so a wall clock
//! that jumps cannot stretch or cut a wait); the watcher's loop feeds it and sleeps until
//! [`Debouncer::deadline`]. No IO, no clock reads of its own.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Paths waiting for the tree to go quiet.
#[derive(Debug, Clone)]
pub struct Debouncer {
    quiet: Duration,
    max_wait: Duration,
    paths: BTreeSet<String>,
    first_at: Option<Instant>,
    last_at: Option<Instant>,
}

impl Debouncer {
    /// A batch is released once no change came for `quiet`, or at the latest `max_wait` after
    /// its first change (so a tree that never stops changing still reports).
    pub fn new(quiet: Duration, max_wait: Duration) -> Self {
        Debouncer {
            quiet,
            max_wait: max_wait.max(quiet),
            paths: BTreeSet::new(),
            first_at: None,
            last_at: None,
        }
    }

    /// Records a changed path (relative to the repository) seen at `now`.
    pub fn push(&mut self, path: String, now: Instant) {
        self.paths.insert(path);
        self.first_at.get_or_insert(now);
        self.last_at = Some(now);
    }

    /// When the waiting batch is due; `None` when nothing waits.
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first_at?, self.last_at?);
        Some((last + self.quiet).min(first + self.max_wait))
    }

    /// The batch, sorted and without duplicates, when it is due at `now`; otherwise `None`
    /// and the paths keep waiting.
    pub fn take(&mut self, now: Instant) -> Option<Vec<String>> {
        if self.deadline().is_none_or(|due| now < due) {
            return None;
        }
        self.first_at = None;
        self.last_at = None;
        Some(std::mem::take(&mut self.paths).into_iter().collect())
    }

    /// Drops whatever waits (the run ended; there is nowhere to report it).
    pub fn clear(&mut self) {
        self.paths.clear();
        self.first_at = None;
        self.last_at = None;
    }

    /// How many distinct paths wait.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_becomes_one_sorted_batch_after_the_quiet_time() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(50 * MS, 1000 * MS);
        assert_eq!(d.deadline(), None);
        d.push("src/b.rs".into(), t0);
        d.push("src/a.rs".into(), t0 + 10 * MS);
        d.push("src/b.rs".into(), t0 + 20 * MS);
        assert_eq!(d.deadline(), Some(t0 + 70 * MS));
        assert_eq!(d.take(t0 + 69 * MS), None, "not quiet long enough");
        assert_eq!(d.len(), 2);
        assert_eq!(
            d.take(t0 + 70 * MS),
            Some(vec!["src/a.rs".to_string(), "src/b.rs".to_string()])
        );
        assert!(d.is_empty());
        assert_eq!(d.deadline(), None);
        assert_eq!(d.take(t0 + 500 * MS), None, "nothing left");
    }

    #[test]
    fn a_tree_that_never_goes_quiet_still_reports_at_the_cap() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(50 * MS, 200 * MS);
        for i in 0..30 {
            d.push(format!("f{i}"), t0 + i * 10 * MS);
        }
        assert_eq!(d.deadline(), Some(t0 + 200 * MS));
        let batch = d.take(t0 + 200 * MS).unwrap();
        assert_eq!(batch.len(), 30);
    }

    #[test]
    fn waits_are_measured_from_instants_not_the_wall_clock() {
        // The debouncer never reads a clock: a wall-clock jump (NTP, suspend, a person setting
        // the date) reaches it only as the monotonic instants it is given.
        let t0 = Instant::now();
        let mut d = Debouncer::new(50 * MS, 50 * MS);
        d.push("a".into(), t0 + 100 * MS);
        // An instant earlier than the change (cannot happen with a monotonic clock, but must
        // not release or panic either).
        assert_eq!(d.take(t0), None);
        assert!(d.take(t0 + 150 * MS).is_some());
    }

    #[test]
    fn clear_drops_the_waiting_batch() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(50 * MS, 100 * MS);
        d.push("a".into(), t0);
        d.clear();
        assert_eq!(d.deadline(), None);
        assert_eq!(d.take(t0 + 1000 * MS), None);
    }

    #[test]
    fn max_wait_is_never_shorter_than_the_quiet_time() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(80 * MS, 10 * MS);
        d.push("a".into(), t0);
        assert_eq!(d.deadline(), Some(t0 + 80 * MS));
    }
}
