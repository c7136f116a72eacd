//! The memory inspector pane: a tab strip by kind, a search line, the entries one per line
//! (pinned marker, flag, kind, words cut to the width), and the selected entry below (a
//! footer, or with Enter its full detail and provenance, `memory_detail`). Holds the
//! selection, the tab, the search words, the query waiting for the store, and the tui-textarea
//! input while the person types a search or edits an entry. Never folds events and never does
//! IO: a search becomes a [`MemoryQuery`] the App hands to the run loop.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use tui_textarea::TextArea;

use crate::protocol::MemoryId;

use super::super::format;
use super::super::keymap::KeyAction;
use super::super::text::{self, fit, pad};
use super::super::theme::Theme;
use super::super::views::memory::{
    MemoryEntry, MemoryQuery, MemoryView, TABS, kind_label, tab_label,
};
use super::{Cursor, PaneId, agent_focus, empty, footer, frame, memory_detail};

/// The kind column.
const KIND_COLUMNS: usize = 7;

/// What the input line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Search words.
    Search,
    /// A new text for this entry.
    Edit(MemoryId),
}

/// The input open in the pane.
#[derive(Debug)]
pub struct Input {
    /// What it is for.
    pub kind: InputKind,
    /// The words typed so far.
    pub area: TextArea<'static>,
}

/// What the person finished typing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Search for these words (a query to run).
    Search(MemoryQuery),
    /// Save this text for the entry.
    Edit(MemoryId, String),
}

/// The memory pane.
#[derive(Debug, Default)]
pub struct MemoryPane {
    cursor: Cursor,
    selected: Option<MemoryId>,
    tab: usize,
    words: String,
    seq: u64,
    pending: Option<MemoryQuery>,
    detail: bool,
    input: Option<Input>,
}

impl MemoryPane {
    /// Moves the selection; returns whether the key was a list move.
    pub fn navigate(&mut self, action: KeyAction, view: &MemoryView) -> bool {
        let len = self.list(view).len();
        self.sync(view);
        let moved = self.cursor.navigate(action, len);
        self.selected = self.list(view).get(self.cursor.selected).map(|e| e.id);
        moved
    }

    /// The entries listed now: the store's answer to the current tab and words, or, before it
    /// comes, the newest entries of the tab's kind (nothing while words are searched).
    pub fn list<'a>(&self, view: &'a MemoryView) -> Vec<&'a MemoryEntry> {
        let kind = self.kind();
        match view.found() {
            Some(f) if f.query.kind == kind && f.query.text == self.words => {
                f.entries.iter().collect()
            }
            _ if self.words.is_empty() => view.newest(kind),
            _ => Vec::new(),
        }
    }

    /// The selected entry.
    pub fn selected<'a>(&mut self, view: &'a MemoryView) -> Option<&'a MemoryEntry> {
        self.sync(view);
        let id = self.selected?;
        self.list(view).into_iter().find(|e| e.id == id)
    }

    /// The kind of the shown tab.
    pub fn kind(&self) -> Option<&'static str> {
        TABS.get(self.tab).copied().flatten()
    }

    /// Moves to the next (`forward`) or previous tab; returns the listing to ask the store for.
    pub fn switch_tab(&mut self, forward: bool) -> MemoryQuery {
        self.tab = if forward {
            (self.tab + 1) % TABS.len()
        } else {
            (self.tab + TABS.len() - 1) % TABS.len()
        };
        self.cursor = Cursor::default();
        self.selected = None;
        self.query()
    }

    /// A new query for the current tab and words (it becomes the one waited for).
    pub fn query(&mut self) -> MemoryQuery {
        self.seq += 1;
        let query = MemoryQuery {
            seq: self.seq,
            text: self.words.clone(),
            kind: self.kind(),
        };
        self.pending = Some(query.clone());
        query
    }

    /// Whether `query` is the one waited for; it is no longer waited for after this.
    pub fn answered(&mut self, query: &MemoryQuery) -> bool {
        if self.pending.as_ref().is_some_and(|p| p.seq == query.seq) {
            self.pending = None;
            return true;
        }
        false
    }

    /// Whether a query waits for the store.
    pub fn searching(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether the detail is open.
    pub fn detail_open(&self) -> bool {
        self.detail
    }

    /// Opens or closes the detail.
    pub fn set_detail(&mut self, open: bool) {
        self.detail = open;
    }

    /// The search words in use.
    pub fn words(&self) -> &str {
        &self.words
    }

    /// Drops the search words; returns the listing to ask for.
    pub fn clear_search(&mut self) -> MemoryQuery {
        self.words.clear();
        self.cursor = Cursor::default();
        self.selected = None;
        self.query()
    }

    /// Whether an input is open (keys are typed into it).
    pub fn is_typing(&self) -> bool {
        self.input.is_some()
    }

    /// What the open input is for.
    pub fn input_kind(&self) -> Option<InputKind> {
        self.input.as_ref().map(|i| i.kind)
    }

    /// Opens the search input, holding the current words.
    pub fn start_search(&mut self) {
        self.open_input(InputKind::Search, &self.words.clone());
    }

    /// Opens the editor on `entry`'s text (the detail shows it).
    pub fn start_edit(&mut self, entry: &MemoryEntry) {
        self.detail = true;
        self.open_input(InputKind::Edit(entry.id), &entry.text);
    }

    /// Gives a key to the open input.
    pub fn type_key(&mut self, key: KeyEvent) {
        if let Some(input) = &mut self.input {
            input.area.input(key);
        }
    }

    /// Closes the input without using it.
    pub fn cancel_input(&mut self) -> Option<InputKind> {
        self.input.take().map(|i| i.kind)
    }

    /// Closes the input and says what was typed.
    pub fn finish_input(&mut self) -> Option<Typed> {
        let input = self.input.take()?;
        let text = input.area.lines().join(" ").trim().to_string();
        Some(match input.kind {
            InputKind::Search => {
                self.words = text;
                self.cursor = Cursor::default();
                self.selected = None;
                Typed::Search(self.query())
            }
            InputKind::Edit(id) => Typed::Edit(id, text),
        })
    }

    /// Draws the pane.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        view: &MemoryView,
        focused: bool,
        theme: &Theme,
    ) {
        let entries = self.list(view);
        let pinned = entries.iter().filter(|e| e.pinned).count();
        let detail = match (entries.len(), pinned) {
            (0, _) => String::new(),
            (n, 0) => format!("{n} shown"),
            (n, p) => format!("{n} shown · {p} pinned"),
        };
        let inner = frame(buf, area, PaneId::Memory, &detail, focused, theme);
        if inner.height < 3 {
            return;
        }
        self.draw_tabs(buf, inner, theme);
        self.draw_search(buf, row(inner, 1), view, theme);
        let body = Rect {
            y: inner.y + 2,
            height: inner.height - 2,
            ..inner
        };
        if entries.is_empty() {
            let words = match (self.searching(), self.words.is_empty(), self.tab) {
                (true, _, _) => "searching…",
                (false, false, _) => "nothing matches; / to search again, Esc clears",
                (false, true, 0) => "memory is empty; agents write what they learn here",
                (false, true, _) => "no entries of this kind; h/l change the tab",
            };
            empty(buf, body, words, theme);
            if let Some(input) = &self.input {
                if let InputKind::Edit(_) = input.kind {
                    memory_detail::editor(buf, body, input, theme);
                }
            }
            return;
        }
        self.sync(view);
        let entries = self.list(view);
        let chosen = entries.get(self.cursor.selected).copied();
        let list = match (chosen, self.detail || self.input_is_edit()) {
            (Some(entry), true) => {
                let (list, below) = agent_focus::split(body);
                match &self.input {
                    Some(input) if matches!(input.kind, InputKind::Edit(_)) => {
                        memory_detail::editor(buf, below, input, theme)
                    }
                    _ => memory_detail::render(buf, below, entry, theme),
                }
                list
            }
            (Some(e), false) => {
                let about = format!(
                    "#{} {} · {} · {}",
                    e.id,
                    e.kind,
                    format::clock(e.created_at),
                    e.text
                );
                footer(buf, body, &about, 4, theme)
            }
            (None, _) => body,
        };
        let text_w = usize::from(list.width).saturating_sub(KIND_COLUMNS + 5);
        let range = self.cursor.window(usize::from(list.height), entries.len());
        for (y, i) in (list.y..).zip(range) {
            let entry = entries[i];
            let selected = i == self.cursor.selected;
            let spans = vec![
                Span::raw(if selected && focused { "›" } else { " " }),
                Span::styled(if entry.pinned { "*" } else { " " }, theme.pinned()),
                Span::styled(
                    if entry.flagged.is_some() { "!" } else { " " },
                    theme.warning(),
                ),
                Span::raw(" "),
                Span::styled(pad(kind_label(&entry.kind), KIND_COLUMNS), theme.dim()),
                Span::raw(" "),
                Span::raw(fit(&entry.text, text_w)),
            ];
            buf.set_line(list.x, y, &Line::from(spans), list.width);
            if selected {
                buf.set_style(Rect::new(list.x, y, list.width, 1), theme.selected(focused));
            }
        }
    }

    fn input_is_edit(&self) -> bool {
        matches!(self.input_kind(), Some(InputKind::Edit(_)))
    }

    fn open_input(&mut self, kind: InputKind, text: &str) {
        let mut area = TextArea::default();
        area.set_cursor_line_style(Style::default());
        area.insert_str(text);
        self.input = Some(Input { kind, area });
    }

    fn draw_tabs(&self, buf: &mut Buffer, inner: Rect, theme: &Theme) {
        let width = usize::from(inner.width);
        let long: usize = TABS.iter().map(|k| text::width(tab_label(*k)) + 2).sum();
        let brief: usize = TABS
            .iter()
            .map(|k| k.map_or(3, |kind| kind_label(kind).len()) + 2)
            .sum();
        if width < brief {
            // Too narrow for every tab: the shown one, with the keys that change it.
            let words = format!(
                " ‹h {} l› {}/{} ",
                tab_label(self.kind()),
                self.tab + 1,
                TABS.len()
            );
            buf.set_line(
                inner.x,
                inner.y,
                &Line::from(Span::styled(fit(&words, width), theme.tab(true))),
                inner.width,
            );
            return;
        }
        let short = width < long;
        let spans: Vec<Span> = TABS
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let name = match (short, k) {
                    (true, Some(kind)) => kind_label(kind),
                    _ => tab_label(*k),
                };
                Span::styled(format!(" {name} "), theme.tab(i == self.tab))
            })
            .collect();
        buf.set_line(inner.x, inner.y, &Line::from(spans), inner.width);
    }

    fn draw_search(&self, buf: &mut Buffer, area: Rect, view: &MemoryView, theme: &Theme) {
        if let Some(input) = self.input.as_ref().filter(|i| i.kind == InputKind::Search) {
            buf.set_string(area.x, area.y, "/ ", theme.bold());
            let field = Rect {
                x: area.x + 2,
                width: area.width.saturating_sub(2),
                ..area
            };
            (&input.area).render(field, buf);
            return;
        }
        let width = usize::from(area.width);
        let (words, style) = if self.searching() && !self.words.is_empty() {
            (format!("searching “{}”…", self.words), theme.hint())
        } else if !self.words.is_empty() {
            let how = match view.found() {
                Some(f) if f.semantic => "text + semantic",
                _ => "text",
            };
            let warn = view
                .found()
                .and_then(|f| f.warnings.first())
                .map_or(String::new(), |w| format!(" · {w}"));
            let style = if warn.is_empty() {
                theme.bold()
            } else {
                theme.warning()
            };
            (
                format!("“{}” · {how} · Esc clears{warn}", self.words),
                style,
            )
        } else {
            (
                "/ search · Enter detail · e edit · p pin · X forget".to_string(),
                theme.dim(),
            )
        };
        buf.set_stringn(area.x, area.y, fit(&words, width), width, style);
    }

    fn sync(&mut self, view: &MemoryView) {
        let list = self.list(view);
        match self
            .selected
            .and_then(|id| list.iter().position(|e| e.id == id))
        {
            Some(i) => self.cursor.selected = i,
            None => {
                let i = self.cursor.selected.min(list.len().saturating_sub(1));
                self.selected = list.get(i).map(|e| e.id);
            }
        }
    }
}

/// Row `i` of `area`, one line high.
fn row(area: Rect, i: u16) -> Rect {
    Rect {
        y: area.y + i,
        height: 1,
        ..area
    }
}
