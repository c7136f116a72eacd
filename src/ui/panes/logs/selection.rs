//! Selecting log lines to copy: `v` starts a selection at the line the search stands on (or
//! the bottom line shown), `j`/`k` and the page keys move its end, `v` ends it and `v` again
//! clears it; `y` copies the selected lines (or, without a selection, that one line) as plain
//! text: time, level, agent and words, never an escape sequence. The run loop sends the text
//! to the terminal's clipboard with OSC 52 (`ui::clipboard`).

use super::super::super::clipboard::MAX_BYTES;
use super::super::super::format;
use super::super::super::keymap::KeyAction;
use super::super::super::views::agents::AgentsView;
use super::super::super::views::logs::LogsView;
use super::{LogsPane, Scrolled};
use crate::protocol::RunId;

/// The lines a selection holds, by sequence number (see `LogsView::base`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    anchor: Option<i64>,
    cursor: i64,
    moving: bool,
}

/// What `y` copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// How many lines.
    pub lines: usize,
    /// Whether lines were left out to stay under the terminal's size limit.
    pub cut: bool,
}

impl Selection {
    /// Whether keys move the selection's end.
    pub fn is_moving(&self) -> bool {
        self.anchor.is_some() && self.moving
    }

    /// Whether line `seq` is selected.
    pub fn contains(&self, seq: i64) -> bool {
        self.range().is_some_and(|(a, b)| (a..=b).contains(&seq))
    }

    pub fn title(&self) -> Option<String> {
        let (a, b) = self.range()?;
        let n = b - a + 1;
        Some(match self.moving {
            true => format!("selecting {n} · v ends"),
            false => format!("{n} selected · y copies"),
        })
    }

    fn range(&self) -> Option<(i64, i64)> {
        let anchor = self.anchor?;
        Some((anchor.min(self.cursor), anchor.max(self.cursor)))
    }
}

impl LogsPane {
    /// Starts, ends or clears the selection; returns what to tell.
    pub fn toggle_selection(&mut self, view: &LogsView) -> String {
        let sel = &mut self.selection;
        match (sel.anchor, sel.moving) {
            (Some(_), true) => {
                sel.moving = false;
                let n = sel.range().map_or(0, |(a, b)| b - a + 1);
                format!(
                    "{n} line{} selected: y copies, v clears",
                    plural(n as usize)
                )
            }
            (Some(_), false) => {
                self.selection = Selection::default();
                "selection cleared".into()
            }
            (None, _) => {
                let Some(seq) = self.focus_line(view) else {
                    return "no log lines to select".into();
                };
                let top = self.top_index(view) as i64;
                self.pause_at(view, top);
                self.selection = Selection {
                    anchor: Some(seq),
                    cursor: seq,
                    moving: true,
                };
                "selecting: j/k and PgUp/PgDn extend, v ends, y copies".into()
            }
        }
    }

    /// Copies the selection (or the line in focus) for the clipboard; the selection ends.
    pub fn copy(&mut self, view: &LogsView, agents: &AgentsView) -> Option<Copied> {
        let (first, last) = match self.selection.range() {
            Some(range) => range,
            None => {
                let seq = self.focus_line(view)?;
                (seq, seq)
            }
        };
        self.selection = Selection::default();
        let mut text = String::new();
        let mut lines = 0;
        let mut cut = false;
        for seq in first..=last {
            let Some(entry) = usize::try_from(seq - view.base())
                .ok()
                .and_then(|i| view.lines().get(i))
            else {
                continue;
            };
            let who = entry
                .agent
                .map_or_else(|| "warroom".to_string(), |a| agents.label(a));
            let time = if self.timestamps {
                format!("{} ", format::clock(entry.at))
            } else {
                String::new()
            };
            let line = format!("{time}{} {who} {}\n", entry.level.tag(), entry.text);
            if text.len() + line.len() > MAX_BYTES {
                cut = true;
                break;
            }
            text.push_str(&line);
            lines += 1;
        }
        if lines == 0 {
            return None;
        }
        self.copied = Some(text);
        Some(Copied { lines, cut })
    }

    /// Moves the selection's end for a list key, scrolling to keep it in sight.
    pub(super) fn move_selection(
        &mut self,
        action: KeyAction,
        view: &mut LogsView,
        run: Option<RunId>,
    ) -> Scrolled {
        let mut out = Scrolled::default();
        let len = view.lines().len() as i64;
        if len == 0 {
            return out;
        }
        let page = self.height.max(1) as i64;
        let at = (self.selection.cursor - view.base()).clamp(0, len - 1);
        let target = match action {
            KeyAction::Up => at - 1,
            KeyAction::Down => at + 1,
            KeyAction::PageUp => at - page,
            KeyAction::PageDown => at + page,
            KeyAction::Top => 0,
            KeyAction::Bottom => len - 1,
            _ => return out,
        }
        .clamp(0, len - 1);
        self.selection.cursor = view.base() + target;
        let top = self.top_index(view) as i64;
        if target < top {
            self.pause_at(view, target);
        } else if target >= top + page {
            self.pause_at(view, target - page + 1);
        }
        if target == 0 {
            out.fetch = run.and_then(|r| view.request_older(r));
        }
        out
    }

    /// The line the search stands on if shown, else the bottom line shown.
    fn focus_line(&self, view: &LogsView) -> Option<i64> {
        let len = view.lines().len();
        if len == 0 {
            return None;
        }
        let top = self.top_index(view);
        let bottom = (top + self.height.max(1)).min(len) - 1;
        let shown = view.base() + top as i64..=view.base() + bottom as i64;
        Some(match self.search.current() {
            Some(seq) if shown.contains(&seq) => seq,
            _ => view.base() + bottom as i64,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
