//! The logs as a bounded window: at most `capacity` lines of the run's log held in memory,
//! never the whole log. Live lines append at the bottom (streamed model deltas of one call
//! join one line); scrolling back asks for older pages (`LogRequest`) and prepends them,
//! dropping from the bottom; following again replaces the window with the newest page. Each
//! line is cleaned once, here, so drawing never sees an escape sequence. Pure: no IO.

use std::collections::VecDeque;

use crate::protocol::{AgentId, Event, EventId, LlmCallId, LogLevel, Millis, Record, RunId};
use crate::store::{LogFilter, Page};

use super::super::text::{self, MAX_LINE_CHARS};
use super::log_text::describe;

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

/// One line of the window, cleaned for display.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// The (first) event of the line.
    pub id: EventId,
    /// When it happened.
    pub at: Millis,
    /// Its severity.
    pub level: LogLevel,
    /// Who logged it, `None` for warroom itself.
    pub agent: Option<AgentId>,
    /// The cleaned words, at most [`MAX_LINE_CHARS`] characters.
    pub text: String,
    /// The raw size in bytes, when the words were cut.
    pub cut_from: Option<usize>,
    chars: usize,
    raw_bytes: usize,
    stream: Option<LlmCallId>,
    starts_run: bool,
}

impl LogEntry {
    /// The line for `record`, `None` if the logs pane does not show its event.
    pub fn from_record(record: &Record) -> Option<LogEntry> {
        let described = describe(&record.event)?;
        let cleaned = if described.stream.is_some() {
            text::clean_fragment(&described.text, MAX_LINE_CHARS)
        } else {
            text::clean_line(&described.text, MAX_LINE_CHARS)
        };
        let raw_bytes = described.text.len();
        Some(LogEntry {
            id: record.id,
            at: record.at,
            level: described.level,
            agent: record.event.agent(),
            chars: cleaned.text.chars().count(),
            cut_from: cleaned.truncated.then_some(raw_bytes),
            text: cleaned.text,
            raw_bytes,
            stream: described.stream,
            starts_run: matches!(record.event, Event::RunStarted { .. }),
        })
    }

    /// Joins the next delta of the same model call onto this line.
    fn absorb(&mut self, next: &Record) -> bool {
        let Event::LlmDelta {
            call, text: raw, ..
        } = &next.event
        else {
            return false;
        };
        if self.stream != Some(*call) || self.agent != next.event.agent() {
            return false;
        }
        self.raw_bytes += raw.len();
        if self.cut_from.is_none() {
            let room = MAX_LINE_CHARS.saturating_sub(self.chars);
            let cleaned = text::clean_fragment(raw, room.max(1));
            if room == 0 || cleaned.truncated {
                self.cut_from = Some(self.raw_bytes);
            }
            if room > 0 {
                self.chars += cleaned.text.chars().count();
                self.text.push_str(&cleaned.text);
            }
        } else {
            self.cut_from = Some(self.raw_bytes);
        }
        true
    }
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
}

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

    fn passes(&self, record: &Record) -> bool {
        let agent_ok = self
            .filter
            .agent
            .is_none_or(|a| record.event.agent() == Some(a));
        let level_ok = self
            .filter
            .min_level
            .is_none_or(|min| record.event.log_level().is_some_and(|l| l >= min));
        agent_ok && level_ok
    }

    /// The run's first event has nothing before it.
    fn front_may_have_older(&self) -> bool {
        self.lines.front().is_some_and(|e| !e.starts_run)
    }

    fn append(&mut self, record: &Record) {
        if let Some(last) = self.lines.back_mut() {
            if last.absorb(record) {
                return;
            }
        }
        if let Some(entry) = LogEntry::from_record(record) {
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
        for record in page.records.iter().filter(|r| r.id < oldest) {
            if older.back_mut().is_some_and(|last| last.absorb(record)) {
                continue;
            }
            if let Some(entry) = LogEntry::from_record(record) {
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
