//! The logs pane: one line per log entry (time, level tag, agent, words in the tool's own
//! colours), following the newest line until the person scrolls up ("paused, N new"); going
//! above the window asks for the older page, `G` follows again (asking for the newest page if
//! older pages pushed it out). Also: wrap and timestamps toggles, `/` search with highlighted
//! matches and `n`/`N` (continuing into older pages from the store), and a `v` selection that
//! `y` copies. Holds only screen state (follow flag, scroll anchor, search, selection); the
//! window itself is the `LogsView`, the filters live there too.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::protocol::RunId;

use super::super::format;
use super::super::keymap::KeyAction;
use super::super::text::{self, pad};
use super::super::theme::Theme;
use super::super::views::agents::AgentsView;
use super::super::views::log_search::{self, Query};
use super::super::views::logs::{LogRequest, LogsView};
use super::log_rows;
use super::{PaneId, empty, frame};

mod search;
mod selection;

/// The widest agent column.
const MAX_AGENT_COLUMNS: usize = 14;

/// The logs pane.
#[derive(Debug, Clone)]
pub struct LogsPane {
    follow: bool,
    /// While paused: the sequence number (see `LogsView::base`) of the top line shown.
    top: i64,
    /// The sequence number one past the newest line when following stopped.
    paused_end: i64,
    height: usize,
    room: usize,
    timestamps: bool,
    wrap: bool,
    search: search::Search,
    selection: selection::Selection,
    /// Text copied and not yet written to the terminal.
    copied: Option<String>,
    /// Pages asked for outside a key press (a search going on into older pages).
    fetches: Vec<LogRequest>,
}

/// What a key did in the logs pane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scrolled {
    /// A page the run loop should read.
    pub fetch: Option<LogRequest>,
    /// Something to tell the person.
    pub hint: Option<String>,
}

impl LogsPane {
    /// A pane that follows the newest line; `timestamps` shows each line's time.
    pub fn new(timestamps: bool) -> Self {
        LogsPane {
            follow: true,
            top: 0,
            paused_end: 0,
            height: 0,
            room: 80,
            timestamps,
            wrap: false,
            search: search::Search::default(),
            selection: selection::Selection::default(),
            copied: None,
            fetches: Vec::new(),
        }
    }

    /// Whether the pane follows the newest line.
    #[cfg(test)]
    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Follows the newest line again (a new run, a new filter); the search words stay.
    pub fn reset(&mut self) {
        self.follow = true;
        self.top = 0;
        self.search.stop();
        self.selection = selection::Selection::default();
    }

    /// Scrolls for a list key (with a selection open, moves its end instead).
    pub fn navigate(
        &mut self,
        action: KeyAction,
        view: &mut LogsView,
        run: Option<RunId>,
    ) -> Scrolled {
        if self.selection.is_moving() {
            return self.move_selection(action, view, run);
        }
        let len = view.lines().len() as i64;
        let bottom_top = self.bottom_top(view) as i64;
        let page = self.height.max(1) as i64;
        let current = self.top_index(view) as i64;
        let mut out = Scrolled::default();
        let target = match action {
            KeyAction::Up => current - 1,
            KeyAction::Down => current + 1,
            KeyAction::PageUp => current - page,
            KeyAction::PageDown => current + page,
            KeyAction::Top => 0,
            KeyAction::Bottom => {
                self.follow = true;
                if view.is_detached() {
                    out.fetch = run.and_then(|r| view.request_newest(r));
                }
                return out;
            }
            _ => return out,
        };
        let target = target.clamp(0, bottom_top.min(len));
        if target >= bottom_top && matches!(action, KeyAction::Down | KeyAction::PageDown) {
            if view.is_detached() {
                out.hint = Some("newer lines are not loaded; press G to follow the newest".into());
            } else {
                self.follow = true;
                return out;
            }
        }
        self.pause_at(view, target);
        if target == 0 {
            out.fetch = run.and_then(|r| view.request_older(r));
            if out.fetch.is_none() && !view.has_older() && !view.is_loading() {
                out.hint = Some("this is the run's first log line".into());
            }
        }
        out
    }

    /// Wraps long lines over several rows, or cuts them to one; returns what to tell.
    pub fn toggle_wrap(&mut self) -> String {
        self.wrap = !self.wrap;
        if self.wrap {
            "long lines wrap"
        } else {
            "long lines are cut to one row"
        }
        .into()
    }

    /// Shows or hides each line's time; returns what to tell.
    pub fn toggle_timestamps(&mut self) -> String {
        self.timestamps = !self.timestamps;
        match self.timestamps {
            true if self.room + 9 < 60 => "times on (hidden under 60 columns)".into(),
            true => "times shown".into(),
            false => "times hidden".into(),
        }
    }

    /// Takes a typed key while the search words are being typed.
    pub fn type_key(&mut self, key: KeyEvent) {
        let ctrl_alt = key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if !ctrl_alt => self.search.push(c),
            KeyCode::Backspace => self.search.pop(),
            _ => {}
        }
    }

    /// Text to put on the clipboard, once.
    pub fn take_copied(&mut self) -> Option<String> {
        self.copied.take()
    }

    /// Pages to read that no key press returned.
    pub fn take_fetches(&mut self) -> Vec<LogRequest> {
        std::mem::take(&mut self.fetches)
    }

    /// Whether the search words are being typed.
    pub fn is_typing(&self) -> bool {
        self.search.is_typing()
    }

    /// Draws the pane.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        view: &LogsView,
        agents: &AgentsView,
        focused: bool,
        theme: &Theme,
    ) {
        let len = view.lines().len();
        self.height = usize::from(area.height.saturating_sub(2));
        let top = self.top_index(view);
        let detail = self.detail(view, agents, top);
        let inner = frame(buf, area, PaneId::Logs, &detail, focused, theme);
        self.height = usize::from(inner.height);
        if inner.is_empty() {
            return;
        }
        let mut body = inner;
        if let Some(prompt) = self.search.prompt() {
            let y = inner.y + inner.height - 1;
            let line = Line::from(vec![
                Span::styled("/", theme.bold()),
                Span::raw(text::fit(
                    &prompt,
                    usize::from(inner.width).saturating_sub(2),
                )),
                Span::styled("█", theme.dim()),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
            body.height -= 1;
            self.height = usize::from(body.height);
        }
        if body.is_empty() {
            return;
        }
        if len == 0 {
            let words = match (view.is_loading(), view.filter() == Default::default()) {
                (true, _) => "loading…",
                (false, true) => "no log lines yet",
                (false, false) => "no log lines match the filter (c, l, f change it)",
            };
            empty(buf, body, words, theme);
            return;
        }
        let agent_w = view
            .lines()
            .range(top..(top + self.height).min(len))
            .map(|e| e.agent.map_or(7, |a| text::width(&agents.label(a))))
            .max()
            .unwrap_or(7)
            .min(MAX_AGENT_COLUMNS)
            .min(usize::from(body.width) / 4);
        let show_time = self.timestamps && body.width >= 60;
        let lead = if show_time { 9 } else { 0 } + 4 + agent_w + 1;
        self.room = usize::from(body.width).saturating_sub(lead).max(1);
        let query = self.search.query();
        let mut y = body.y;
        for (i, entry) in view.lines().iter().enumerate().skip(top) {
            if y >= body.y + body.height {
                break;
            }
            let seq = view.base() + i as i64;
            let selected = self.selection.contains(seq);
            let extra = if selected {
                theme.selected(focused)
            } else {
                Style::new()
            };
            let current = self.search.current() == Some(seq);
            let cells = log_rows::cells(entry, query, current, theme);
            let mark = log_rows::cut_mark_len(entry);
            let rows = log_rows::layout(cells, self.room, self.wrap, mark);
            for (r, row) in rows.iter().enumerate() {
                if y >= body.y + body.height {
                    break;
                }
                let mut spans = Vec::with_capacity(8);
                if r == 0 {
                    if show_time {
                        spans.push(Span::styled(
                            format!("{} ", format::clock(entry.at)),
                            theme.dim(),
                        ));
                    }
                    spans.push(Span::styled(entry.level.tag(), theme.level(entry.level)));
                    spans.push(Span::raw(if current { "▸" } else { " " }));
                    let who = entry
                        .agent
                        .map_or_else(|| "warroom".to_string(), |a| agents.label(a));
                    spans.push(Span::styled(pad(&who, agent_w), theme.dim()));
                    spans.push(Span::raw(" "));
                } else {
                    spans.push(Span::raw(" ".repeat(lead)));
                }
                for span in &mut spans {
                    span.style = span.style.patch(extra);
                }
                spans.extend(log_rows::spans(row, extra));
                buf.set_line(body.x, y, &Line::from(spans), body.width);
                y += 1;
            }
        }
    }

    /// The index of the top line shown.
    fn top_index(&self, view: &LogsView) -> usize {
        let bottom_top = self.bottom_top(view);
        if self.follow {
            bottom_top
        } else {
            usize::try_from(self.top - view.base())
                .unwrap_or(0)
                .min(bottom_top)
        }
    }

    /// The top line when the newest line is at the bottom.
    fn bottom_top(&self, view: &LogsView) -> usize {
        let lines = view.lines();
        let height = self.height.max(1);
        if !self.wrap {
            return lines.len().saturating_sub(height);
        }
        let mut used = 0;
        for (i, entry) in lines.iter().enumerate().rev() {
            used += log_rows::row_count(entry, self.room, true);
            if used > height {
                return (i + 1).min(lines.len().saturating_sub(1));
            }
        }
        0
    }

    /// Stops following with line `index` at the top.
    fn pause_at(&mut self, view: &LogsView, index: i64) {
        if self.follow {
            self.paused_end = view.base() + view.lines().len() as i64;
        }
        self.follow = false;
        self.top = view.base() + index;
    }

    /// Lines that came in since following stopped.
    fn new_since_pause(&self, view: &LogsView) -> i64 {
        let end = view.base() + view.lines().len() as i64;
        (end - self.paused_end).max(0) + view.unseen() as i64
    }

    fn detail(&self, view: &LogsView, agents: &AgentsView, top: usize) -> String {
        let len = view.lines().len();
        let mut parts = Vec::new();
        if self.follow {
            parts.push("following".to_string());
        } else {
            let last = (top + self.height).min(len);
            let new = self.new_since_pause(view);
            let state = if new > 0 {
                format!("paused, {new} new ·")
            } else {
                "paused".to_string()
            };
            parts.push(format!(
                "{state} {}-{last} of {len} · G follows",
                (top + 1).min(last)
            ));
        }
        let filter = view.filter();
        if let Some(agent) = filter.agent {
            parts.push(agents.label(agent));
        }
        if let Some(level) = filter.min_level {
            parts.push(format!("≥{}", level.tag()));
        }
        if let Some(kind) = filter.kind {
            parts.push(kind.word().to_string());
        }
        if self.wrap {
            parts.push("wrap".to_string());
        }
        if let Some(words) = self.search.title() {
            parts.push(words);
        }
        if let Some(words) = self.selection.title() {
            parts.push(words);
        }
        if view.is_loading() {
            parts.push("loading…".to_string());
        }
        parts.join(" · ")
    }
}

/// The nearest line of the window matching `query`, before (`older`) or after index `from`.
fn find(view: &LogsView, query: &Query, from: i64, older: bool) -> Option<usize> {
    log_search::find(view.lines(), query, from, older)
}
