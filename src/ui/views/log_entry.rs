//! One line of the logs window: an event described in words (`log_text`), cleaned once so
//! drawing never sees an escape sequence, with tool output's colours kept as style runs
//! (`ansi`). A model call's streamed deltas join one line. Pure: no IO, no ratatui.

use crate::protocol::{AgentId, Event, EventId, LlmCallId, LogLevel, Millis, Record};

use super::super::text::{self, MAX_LINE_CHARS};
use super::ansi::{self, StyleRun};
use super::log_text::describe;

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
    /// The colours the raw text asked for (empty: the level's colour).
    pub runs: Vec<StyleRun>,
    /// The raw size in bytes, when the words were cut.
    pub cut_from: Option<usize>,
    chars: usize,
    raw_bytes: usize,
    pub(super) stream: Option<LlmCallId>,
    pub(super) starts_run: bool,
}

impl LogEntry {
    /// The line for `record`, `None` if the logs pane does not show its event.
    pub fn from_record(record: &Record) -> Option<LogEntry> {
        let described = describe(&record.event)?;
        let (cleaned, runs, truncated) = if described.stream.is_some() {
            let c = text::clean_fragment(&described.text, MAX_LINE_CHARS);
            (c.text, Vec::new(), c.truncated)
        } else {
            let s = ansi::clean_styled(&described.text, MAX_LINE_CHARS);
            (s.text, s.runs, s.truncated)
        };
        let raw_bytes = described.text.len();
        Some(LogEntry {
            id: record.id,
            at: record.at,
            level: described.level,
            agent: record.event.agent(),
            chars: cleaned.chars().count(),
            cut_from: truncated.then_some(raw_bytes),
            text: cleaned,
            runs,
            raw_bytes,
            stream: described.stream,
            starts_run: matches!(record.event, Event::RunStarted { .. }),
        })
    }

    /// The model call whose deltas this line joins.
    pub fn stream(&self) -> Option<LlmCallId> {
        self.stream
    }

    /// Joins the next delta of the same model call onto this line.
    pub(super) fn absorb(&mut self, next: &Record) -> bool {
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
