//! The logs as a bounded window: at most `capacity` lines of the run's log held in memory,
//! never the whole log. Live lines append at the bottom (streamed model deltas of one call
//! join one line, even while several agents stream at once); scrolling back asks for older
//! pages (`LogRequest`) and prepends them, dropping from the bottom; following again replaces
//! the window with the newest page. A filter (agent, level, kind) applies to live lines and
//! to the pages alike; changing it reloads the window. Each line is cleaned once
//! (`log_entry`), so drawing never sees an escape sequence. Pure: no IO.

use std::collections::VecDeque;

use crate::protocol::{Event, EventId, LlmCallId, Record, RunId};
use crate::store::{LogFilter, Page};

pub use super::log_entry::LogEntry;

/// A page of log lines the screen asks the run loop to read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// The run.
    pub run: RunId,
    /// Which lines.
    pub filter: LogFilter,
    /// Lines older than this id; `None` for the newest.
    pub before: Option<EventId>,
    /// At most this many.
    pub limit: usize,
}

/// The window over the run's log.
#[derive(Debug, Clone)]
pub struct LogsView {
    lines: VecDeque<LogEntry>,
    capacity: usize,
    base: i64,
    filter: LogFilter,
    has_older: bool,
    detached: bool,
    unseen: usize,
    in_flight: Option<LogRequest>,
    held: VecDeque<Record>,
    /// Model calls still streaming, with the sequence number of their line.
    open: Vec<(LlmCallId, i64)>,
}

/// The most model calls joined at once; an older stream's next delta starts a new line.
const MAX_OPEN_STREAMS: usize = 32;

impl LogsView {
    /// An empty window of at most `capacity` lines.
    pub fn new(capacity: usize) -> Self {
        LogsView {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            base: 0,
            filter: LogFilter::default(),
            has_older: false,
            detached: false,
            unseen: 0,
            in_flight: None,
            held: VecDeque::new(),
            open: Vec::new(),
        }
    }

    /// A window holding the newest lines of a snapshot's log page.
    pub fn from_page(page: &Page, capacity: usize) -> Self {
        let mut view = LogsView::new(capacity);
        for record in &page.records {
            view.append(record);
        }
        view.has_older = view.front_may_have_older();
        view
    }

    /// Folds one live record; returns whether the window (or its "newer" count) changed.
    pub fn apply(&mut self, record: &Record) -> bool {
        if record.event.log_level().is_none() || !self.passes(record) {
            return false;
        }
        if self.in_flight.as_ref().is_some_and(|r| r.before.is_none()) {
            self.held.push_back(record.clone());
            if self.held.len() > self.capacity {
                self.held.pop_front();
            }
            return false;
        }
        if self.detached {
            self.unseen += 1;
            return true;
        }
        self.append(record);
        true
    }

    /// Asks for the page before the oldest line, unless none exists or the newest page is on
    /// its way (it replaces the window). Asking again replaces an unanswered request.
    pub fn request_older(&mut self, run: RunId) -> Option<LogRequest> {
        if !self.has_older || self.in_flight.as_ref().is_some_and(|r| r.before.is_none()) {
            return None;
        }
        let request = LogRequest {
            run,
            filter: self.filter,
            before: Some(self.lines.front()?.id),
            limit: self.page_size(),
        };
        self.in_flight = Some(request.clone());
        Some(request)
    }

    /// Asks for the newest page when older pages pushed the newest lines out of the window.
    /// Asking again replaces an unanswered request.
    pub fn request_newest(&mut self, run: RunId) -> Option<LogRequest> {
        if !self.detached {
            return None;
        }
        let request = LogRequest {
            run,
            filter: self.filter,
            before: None,
            limit: self.capacity,
        };
        self.in_flight = Some(request.clone());
        Some(request)
    }

    /// The filter lines pass.
    pub fn filter(&self) -> LogFilter {
        self.filter
    }

    /// Shows only lines passing `filter`: the window empties and the newest page of matching
    /// lines is asked for (`None` without a run, or when the filter did not change).
    pub fn set_filter(&mut self, filter: LogFilter, run: Option<RunId>) -> Option<LogRequest> {
        if filter == self.filter {
            return None;
        }
        self.filter = filter;
        self.base += self.lines.len() as i64;
        self.lines.clear();
        self.open.clear();
        self.held.clear();
        self.detached = false;
        self.unseen = 0;
        self.has_older = false;
        self.in_flight = None;
        let request = LogRequest {
            run: run?,
            filter,
            before: None,
            limit: self.capacity,
        };
        self.in_flight = Some(request.clone());
        Some(request)
    }

    /// Takes in a page the run loop read for `request`; returns whether the window changed.
    pub fn on_page(&mut self, request: &LogRequest, page: &Page) -> bool {
        if self.in_flight.as_ref() != Some(request) {
            return false;
        }
        self.in_flight = None;
        match request.before {
            Some(before) => self.prepend(before, request.limit, page),
            None => self.replace(request.limit, page),
        }
        true
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> &VecDeque<LogEntry> {
        &self.lines
    }

    /// A number for the oldest line that stays with it while lines come and go, so a paused
    /// screen can keep its place: line `i` has sequence `base() + i`.
    pub fn base(&self) -> i64 {
        self.base
    }

    /// Whether older lines exist in the store.
    pub fn has_older(&self) -> bool {
        self.has_older
    }

    /// Whether the newest lines were dropped to make room for older ones.
    pub fn is_detached(&self) -> bool {
        self.detached
    }

    /// Live lines that arrived while detached.
    pub fn unseen(&self) -> usize {
        self.unseen
    }

    /// Whether a page is on its way.
    pub fn is_loading(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The most lines held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn page_size(&self) -> usize {
        (self.capacity / 4).clamp(1, 500)
    }

    /// Lines are asked for this many at a time when scrolling back.
    pub fn page_len(&self) -> usize {
        self.page_size()
    }

    fn passes(&self, record: &Record) -> bool {
        let agent_ok = self
            .filter
            .agent
            .is_none_or(|a| record.event.agent() == Some(a));
        let level_ok = self
            .filter
            .min_level
            .is_none_or(|min| record.event.log_level().is_some_and(|l| l >= min));
        let kind_ok = self.filter.kind.is_none_or(|k| k.matches(&record.event));
        agent_ok && level_ok && kind_ok
    }

    /// The run's first event has nothing before it.
    fn front_may_have_older(&self) -> bool {
        self.lines.front().is_some_and(|e| !e.starts_run)
    }

    fn append(&mut self, record: &Record) {
        if let Event::LlmDelta { call, .. } = &record.event {
            let line = self
                .open
                .iter()
                .find(|(c, _)| c == call)
                .map(|(_, seq)| seq - self.base);
            let entry = line
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| self.lines.get_mut(i));
            if entry.is_some_and(|e| e.absorb(record)) {
                return;
            }
        }
        if let Event::LlmCallEnded { call, .. } = &record.event {
            self.open.retain(|(c, _)| c != call);
        }
        if let Some(entry) = LogEntry::from_record(record) {
            if let Some(call) = entry.stream() {
                self.open.retain(|(c, _)| *c != call);
                if self.open.len() >= MAX_OPEN_STREAMS {
                    self.open.remove(0);
                }
                self.open.push((call, self.base + self.lines.len() as i64));
            }
            self.lines.push_back(entry);
        }
        while self.lines.len() > self.capacity {
            self.lines.pop_front();
            self.base += 1;
            self.has_older = true;
        }
    }

    fn prepend(&mut self, before: EventId, limit: usize, page: &Page) {
        let oldest = self.lines.front().map_or(before, |e| e.id.min(before));
        let mut older: VecDeque<LogEntry> = VecDeque::new();
        let mut open: Vec<(LlmCallId, usize)> = Vec::new();
        for record in page.records.iter().filter(|r| r.id < oldest) {
            if let Event::LlmDelta { call, .. } = &record.event {
                let line = open.iter().find(|(c, _)| c == call).map(|(_, i)| *i);
                let entry = line.and_then(|i| older.get_mut(i));
                if entry.is_some_and(|e| e.absorb(record)) {
                    continue;
                }
            }
            if let Some(entry) = LogEntry::from_record(record) {
                if let Some(call) = entry.stream() {
                    open.retain(|(c, _)| *c != call);
                    open.push((call, older.len()));
                }
                older.push_back(entry);
            }
        }
        let reached_start = page.records.len() < limit
            || matches!(
                page.records.first(),
                Some(Record {
                    event: Event::RunStarted { .. },
                    ..
                })
            );
        self.has_older = !reached_start && !older.is_empty();
        while let Some(entry) = older.pop_back() {
            self.lines.push_front(entry);
            self.base -= 1;
        }
        while self.lines.len() > self.capacity {
            self.lines.pop_back();
            self.detached = true;
        }
    }

    fn replace(&mut self, limit: usize, page: &Page) {
        self.base += self.lines.len() as i64;
        self.lines.clear();
        self.open.clear();
        self.detached = false;
        self.unseen = 0;
        self.has_older = false;
        for record in &page.records {
            self.append(record);
        }
        self.has_older |= page.records.len() >= limit && self.front_may_have_older();
        let newest = page.last_id.or(page.records.last().map(|r| r.id));
        for record in std::mem::take(&mut self.held) {
            if newest.is_none_or(|n| record.id > n) {
                self.append(&record);
            }
        }
    }
}
