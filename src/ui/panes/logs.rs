//! The logs pane: one line per log entry (time, level tag, agent, words), following the
//! newest line until the person scrolls up; scrolling to the top of the window asks for the
//! older page, `G` follows again (asking for the newest page if older pages pushed it out).
//! Holds only the follow flag and the scroll anchor; the window itself is the `LogsView`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::protocol::RunId;

use super::super::format;
use super::super::keymap::KeyAction;
use super::super::text::{self, pad};
use super::super::theme::Theme;
use super::super::views::agents::AgentsView;
use super::super::views::logs::{LogRequest, LogsView};
use super::{PaneId, empty, frame};

/// The widest agent column.
const MAX_AGENT_COLUMNS: usize = 14;

/// The logs pane.
#[derive(Debug, Clone)]
pub struct LogsPane {
    follow: bool,
    /// While paused: the sequence number (see `LogsView::base`) of the top line shown.
    top: i64,
    height: usize,
    timestamps: bool,
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
            height: 0,
            timestamps,
        }
    }

    /// Whether the pane follows the newest line.
    #[cfg(test)]
    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Follows the newest line again (a new run starts in follow mode).
    pub fn reset(&mut self) {
        self.follow = true;
        self.top = 0;
    }

    /// Scrolls for a list key.
    pub fn navigate(
        &mut self,
        action: KeyAction,
        view: &mut LogsView,
        run: Option<RunId>,
    ) -> Scrolled {
        let len = view.lines().len() as i64;
        let page = self.height.max(1) as i64;
        let bottom_top = (len - page).max(0);
        let current = if self.follow {
            bottom_top
        } else {
            (self.top - view.base()).clamp(0, bottom_top)
        };
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
        let target = target.clamp(0, bottom_top);
        if target >= bottom_top && matches!(action, KeyAction::Down | KeyAction::PageDown) {
            if view.is_detached() {
                out.hint = Some("newer lines are not loaded; press G to follow the newest".into());
            } else {
                self.follow = true;
                return out;
            }
        }
        self.follow = false;
        self.top = view.base() + target;
        if target == 0 {
            out.fetch = run.and_then(|r| view.request_older(r));
            if out.fetch.is_none() && !view.has_older() && !view.is_loading() {
                out.hint = Some("this is the run's first log line".into());
            }
        }
        out
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
        let inner_h = usize::from(area.height.saturating_sub(2));
        let bottom_top = len.saturating_sub(inner_h);
        let top = if self.follow {
            bottom_top
        } else {
            usize::try_from(self.top - view.base())
                .unwrap_or(0)
                .min(bottom_top)
        };
        let inner = frame(
            buf,
            area,
            PaneId::Logs,
            &self.detail(view, top, inner_h),
            focused,
            theme,
        );
        self.height = usize::from(inner.height);
        if inner.is_empty() {
            return;
        }
        if len == 0 {
            let words = if view.is_loading() {
                "loading…"
            } else {
                "no log lines yet"
            };
            empty(buf, inner, words, theme);
            return;
        }
        let rows: Vec<_> = view
            .lines()
            .range(top..(top + self.height).min(len))
            .collect();
        let agent_w = rows
            .iter()
            .map(|e| e.agent.map_or(7, |a| text::width(&agents.label(a))))
            .max()
            .unwrap_or(7)
            .min(MAX_AGENT_COLUMNS)
            .min(usize::from(inner.width) / 4);
        let show_time = self.timestamps && inner.width >= 60;
        let lead = if show_time { 9 } else { 0 } + 4 + agent_w + 1;
        let room = usize::from(inner.width).saturating_sub(lead);
        for (y, entry) in (inner.y..).zip(rows) {
            let mut spans = Vec::with_capacity(8);
            if show_time {
                spans.push(Span::styled(
                    format!("{} ", format::clock(entry.at)),
                    theme.dim(),
                ));
            }
            spans.push(Span::styled(entry.level.tag(), theme.level(entry.level)));
            spans.push(Span::raw(" "));
            let who = entry
                .agent
                .map_or_else(|| "warroom".to_string(), |a| agents.label(a));
            spans.push(Span::styled(pad(&who, agent_w), theme.dim()));
            spans.push(Span::raw(" "));
            // A cut line always shows that it was cut, and by how much, whatever the width.
            match entry.cut_from {
                Some(bytes) => {
                    let suffix = format!("… ({bytes} bytes)");
                    let words = text::head(&entry.text, room.saturating_sub(text::width(&suffix)));
                    spans.push(Span::styled(words, theme.log_text(entry.level)));
                    spans.push(Span::styled(suffix, theme.dim()));
                }
                None => spans.push(Span::styled(
                    text::fit(&entry.text, room),
                    theme.log_text(entry.level),
                )),
            }
            buf.set_line(inner.x, y, &Line::from(spans), inner.width);
        }
    }

    fn detail(&self, view: &LogsView, top: usize, height: usize) -> String {
        let len = view.lines().len();
        let mut parts = Vec::new();
        if self.follow {
            parts.push("following".to_string());
        } else {
            let last = (top + height).min(len);
            parts.push(format!(
                "paused {}-{last} of {len} · G follows",
                (top + 1).min(last)
            ));
        }
        if view.unseen() > 0 {
            parts.push(format!("{} newer", view.unseen()));
        }
        if view.is_loading() {
            parts.push("loading…".to_string());
        }
        parts.join(" · ")
    }
}
