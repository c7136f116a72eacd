//! The mouse, when the terminal reports it (`[ui] mouse`, never in watch mode): the wheel
//! scrolls the pane under the pointer (or help, when it is open), a left click focuses the
//! pane under it or, in the narrow layout, the tab clicked. Everything else is ignored, as are
//! clicks while a question or the inbox is open. Also where the `[keys]` table is handed in.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::super::keymap::KeyAction;
use super::super::keys_config::Keymap;
use super::super::panes::{PaneId, tabs};
use super::{Action, App, Overlay};

/// Rows one wheel notch scrolls.
const WHEEL_ROWS: usize = 3;

impl App {
    /// Uses the person's key table (the `[keys]` config over the built-in one) from now on.
    pub fn set_keys(&mut self, keys: Keymap) {
        self.keys = keys;
        self.dirty = true;
    }

    /// Handles one mouse event; returns what the run loop should do.
    pub fn on_mouse(&mut self, event: MouseEvent) -> Vec<Action> {
        let at = Position::new(event.column, event.row);
        let step = match event.kind {
            MouseEventKind::ScrollUp => KeyAction::Up,
            MouseEventKind::ScrollDown => KeyAction::Down,
            MouseEventKind::Down(MouseButton::Left) => {
                self.click(at);
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        match self.overlay {
            Overlay::Help => {
                for _ in 0..WHEEL_ROWS {
                    self.help.navigate(step);
                }
                self.dirty = true;
                Vec::new()
            }
            Overlay::None => {
                let Some(pane) = self.pane_at(at) else {
                    return Vec::new();
                };
                self.dirty = true;
                self.hint = None;
                let mut actions = Vec::new();
                for _ in 0..WHEEL_ROWS {
                    actions.extend(self.navigate(pane, step));
                }
                actions.dedup();
                actions
            }
            _ => Vec::new(),
        }
    }

    fn click(&mut self, at: Position) {
        if self.overlay != Overlay::None {
            return;
        }
        let tab = self
            .last_screen
            .as_ref()
            .and_then(|s| s.tabs)
            .filter(|strip| strip.contains(at))
            .and_then(|strip| tabs::at(strip, at.x));
        if let Some(pane) = tab.or_else(|| self.pane_at(at)) {
            if pane != self.focus {
                self.focus = pane;
                self.hint = None;
                self.dirty = true;
            }
        }
    }

    /// The pane drawn at `at` in the last frame.
    fn pane_at(&self, at: Position) -> Option<PaneId> {
        let screen = self.last_screen.as_ref()?;
        screen
            .panes
            .iter()
            .find(|(_, rect): &&(PaneId, Rect)| rect.contains(at))
            .map(|(pane, _)| *pane)
    }

    /// The panes of the last frame and where they were drawn (tests).
    #[cfg(test)]
    pub(crate) fn pane_rects(&self) -> Vec<(PaneId, Rect)> {
        self.last_screen
            .as_ref()
            .map(|s| s.panes.clone())
            .unwrap_or_default()
    }
}
