//! The chat pane: the conversation wrapped to the pane's width (newest at the bottom,
//! scrollable, lines built by [`chat_lines`](super::chat_lines)) and the input (a
//! tui-textarea that grows to a few lines; Alt-Enter adds a line). Holds the draft, the
//! history of sent inputs (Up/Down at the input's first/last line), the screen's own answers,
//! whether the person is typing, and the scroll position; turning the draft into a Command is
//! the App's job, and in watch mode the input is shown disabled. While an approval waits, its
//! words (given by the App) stay pinned above the input, so the request is in view while the
//! person answers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;
use tui_textarea::TextArea;

use super::super::keymap::KeyAction;
use super::super::text::{self, fit};
use super::super::theme::Theme;
use super::super::views::chat::ChatView;
use super::chat_lines::{Notes, lines_newest_first};
use super::{PaneId, empty, frame};

/// The most sent inputs remembered.
const HISTORY_KEPT: usize = 100;
/// The most rows the input grows to while typing.
const INPUT_ROWS: u16 = 4;

/// What the input line says when the person is not typing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputNote {
    /// Owner mode; whether a run is active decides what Enter would send.
    Owner {
        /// A run is active (messages go to the planner).
        active: bool,
    },
    /// Watch mode: the input is disabled, and this says why.
    ReadOnly(String),
}

/// The chat pane.
#[derive(Debug, Clone)]
pub struct ChatPane {
    input: TextArea<'static>,
    typing: bool,
    scroll: usize,
    height: usize,
    /// Sent inputs, oldest first.
    history: Vec<String>,
    /// While browsing the history: which entry is shown, and the draft it replaced.
    browsing: Option<(usize, String)>,
    notes: Notes,
}

impl Default for ChatPane {
    fn default() -> Self {
        ChatPane {
            input: empty_input(),
            typing: false,
            scroll: 0,
            height: 0,
            history: Vec::new(),
            browsing: None,
            notes: Notes::default(),
        }
    }
}

impl ChatPane {
    /// Whether keys go to the input.
    pub fn is_typing(&self) -> bool {
        self.typing
    }

    /// Sends keys to the input from now on.
    pub fn start_typing(&mut self) {
        self.typing = true;
        self.scroll = 0;
    }

    /// Stops sending keys to the input; the draft stays.
    pub fn stop_typing(&mut self) {
        self.typing = false;
    }

    /// Gives a key to the input: Alt-Enter adds a line; Up on the first line and Down on
    /// the last one walk the history of sent inputs; anything else edits.
    pub fn type_key(&mut self, key: KeyEvent) {
        let (row, _) = self.input.cursor();
        let last = self.input.lines().len().saturating_sub(1);
        match key.code {
            KeyCode::Enter if key.modifiers.contains(KeyModifiers::ALT) => {
                self.input.insert_newline();
            }
            KeyCode::Up if row == 0 && key.modifiers.is_empty() => self.older(),
            KeyCode::Down if row == last && key.modifiers.is_empty() => self.newer(),
            _ => {
                self.input.input(key);
            }
        }
    }

    /// Remembers a sent input for Up/Down (a repeat of the newest is kept once).
    pub fn remember(&mut self, text: &str) {
        self.browsing = None;
        if text.trim().is_empty() || self.history.last().is_some_and(|h| h == text) {
            return;
        }
        self.history.push(text.to_string());
        if self.history.len() > HISTORY_KEPT {
            self.history.remove(0);
        }
    }

    /// Answers in the chat with the screen's own words (not stored, not sent).
    pub fn say(&mut self, view: &ChatView, words: &str) {
        self.notes.push(view, words);
        self.scroll = 0;
    }

    fn older(&mut self) {
        let at = match &self.browsing {
            Some((0, _)) => return,
            Some((i, _)) => i - 1,
            None if self.history.is_empty() => return,
            None => self.history.len() - 1,
        };
        let stash = match self.browsing.take() {
            Some((_, stash)) => stash,
            None => self.draft(),
        };
        self.show(&self.history[at].clone());
        self.browsing = Some((at, stash));
    }

    fn newer(&mut self) {
        let Some((at, stash)) = self.browsing.take() else {
            return;
        };
        if at + 1 < self.history.len() {
            self.show(&self.history[at + 1].clone());
            self.browsing = Some((at + 1, stash));
        } else {
            self.show(&stash);
        }
    }

    fn show(&mut self, text: &str) {
        self.input = empty_input();
        self.input.insert_str(text);
    }

    /// The draft, lines joined.
    pub fn draft(&self) -> String {
        self.input.lines().join("\n")
    }

    /// Replaces the draft with `text`, the cursor at its end (a prefilled `/deny 3 `).
    pub fn set_draft(&mut self, text: &str) {
        self.input = empty_input();
        self.input.insert_str(text);
    }

    /// Empties the input after a send.
    pub fn clear(&mut self) {
        self.input = empty_input();
        self.browsing = None;
    }

    /// Scrolls the conversation; returns whether the key was a list move.
    pub fn navigate(&mut self, action: KeyAction) -> bool {
        let page = self.height.max(1);
        self.scroll = match action {
            KeyAction::Up => self.scroll.saturating_add(1),
            KeyAction::Down => self.scroll.saturating_sub(1),
            KeyAction::PageUp => self.scroll.saturating_add(page),
            KeyAction::PageDown => self.scroll.saturating_sub(page),
            KeyAction::Top => usize::MAX / 2,
            KeyAction::Bottom => 0,
            _ => return false,
        };
        true
    }

    /// Draws the pane; `waiting` is the words of the approval that waits, if one does.
    // Each argument is a different thing the pane draws from; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        view: &ChatView,
        note: &InputNote,
        waiting: Option<&str>,
        focused: bool,
        theme: &Theme,
    ) {
        let detail = match (self.typing, note) {
            (true, _) => {
                "typing · Enter sends · Esc stops · Alt-Enter new line · ↑ history".to_string()
            }
            (false, InputNote::ReadOnly(_)) => "read-only".to_string(),
            (false, InputNote::Owner { .. }) if self.scroll > 0 => {
                "scrolled · G to the newest".to_string()
            }
            (false, InputNote::Owner { .. }) => String::new(),
        };
        let inner = frame(buf, area, PaneId::Chat, &detail, focused, theme);
        if inner.is_empty() {
            return;
        }
        let rows = if self.typing {
            let lines = u16::try_from(self.input.lines().len()).unwrap_or(INPUT_ROWS);
            lines
                .clamp(1, INPUT_ROWS)
                .min(inner.height.saturating_sub(2).max(1))
        } else {
            1
        };
        let input_row = Rect {
            y: inner.bottom() - rows,
            height: rows,
            ..inner
        };
        let mut messages = Rect {
            height: inner.height - rows,
            ..inner
        };
        if messages.height >= 3 {
            let rule = "─".repeat(usize::from(inner.width));
            buf.set_stringn(
                inner.x,
                input_row.y - 1,
                rule,
                usize::from(inner.width),
                theme.dim(),
            );
            messages.height -= 1;
        }
        self.render_input(buf, input_row, note, theme);
        if let Some(words) = waiting {
            messages = pin_waiting(buf, messages, words, theme);
        }
        self.height = usize::from(messages.height);
        if view.messages().is_empty() && view.streaming().is_none() && self.notes.all().is_empty() {
            let words = match note {
                InputNote::Owner { active: false } => "No run yet: type a goal here to start one.",
                _ => "no messages yet",
            };
            empty(buf, messages, words, theme);
            return;
        }
        self.render_messages(buf, messages, view, theme);
    }

    fn render_input(&mut self, buf: &mut Buffer, row: Rect, note: &InputNote, theme: &Theme) {
        let prompt_w = 2.min(row.width);
        buf.set_stringn(
            row.x,
            row.y,
            "› ",
            usize::from(prompt_w),
            if self.typing {
                theme.bold()
            } else {
                theme.dim()
            },
        );
        let rest = Rect {
            x: row.x + prompt_w,
            width: row.width - prompt_w,
            ..row
        };
        if self.typing {
            let placeholder = match note {
                InputNote::Owner { active: true } => "message the planner · /goal <text> · /cancel",
                _ => "describe a goal to start a run",
            };
            self.input.set_placeholder_text(placeholder);
            self.input.set_placeholder_style(theme.dim());
            (&self.input).render(rest, buf);
            return;
        }
        let draft = self.draft();
        let words = match note {
            InputNote::ReadOnly(why) => why.clone(),
            _ if !draft.is_empty() => format!("{} (i to edit)", draft.replace('\n', " ")),
            InputNote::Owner { active: true } => "press i to message the planner".to_string(),
            InputNote::Owner { active: false } => "press i to type a goal".to_string(),
        };
        buf.set_stringn(
            rest.x,
            rest.y,
            fit(&words, usize::from(rest.width)),
            usize::from(rest.width),
            theme.dim(),
        );
    }

    /// Wraps messages from the newest back, only as far as the screen (plus scroll) reaches.
    fn render_messages(&mut self, buf: &mut Buffer, area: Rect, view: &ChatView, theme: &Theme) {
        let width = usize::from(area.width);
        let height = usize::from(area.height);
        let want = height.saturating_add(self.scroll);
        let lines: Vec<Line<'static>> = lines_newest_first(view, &self.notes, width, want, theme);
        self.scroll = self.scroll.min(lines.len().saturating_sub(height));
        let shown = lines
            .iter()
            .skip(self.scroll)
            .take(height)
            .collect::<Vec<_>>();
        let top = area.y + (height - shown.len()) as u16;
        for (y, line) in (top..).zip(shown.into_iter().rev()) {
            buf.set_line(area.x, y, line, area.width);
        }
    }
}

/// Draws the waiting approval's words at the bottom of `area` (at most three lines, one on a
/// short pane); returns the space left above them.
fn pin_waiting(buf: &mut Buffer, area: Rect, words: &str, theme: &Theme) -> Rect {
    if area.is_empty() {
        return area;
    }
    let width = usize::from(area.width);
    let most = if area.height >= 6 { 3 } else { 1 };
    let mut lines = text::wrap(words, width);
    if lines.len() > most {
        lines.truncate(most);
        if let Some(last) = lines.last_mut() {
            *last = fit(&format!("{last} …"), width);
        }
    }
    let used = lines.len() as u16;
    let top = area.bottom() - used;
    for (y, line) in (top..).zip(&lines) {
        buf.set_stringn(area.x, y, line, width, theme.hint());
    }
    Rect {
        height: area.height - used,
        ..area
    }
}

fn empty_input() -> TextArea<'static> {
    let mut input = TextArea::default();
    input.set_cursor_line_style(Style::default());
    input
}
