//! What `warroom replay` needs of the App: its run view to fold into (the replay engine steps
//! it forward and restores checkpoints into it), and a position bar on the top row. Nothing
//! here reads the store; the replay loop does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::super::views::RunView;
use super::App;

impl App {
    /// The view a replay folds into; the screen is redrawn after.
    pub fn replay_view_mut(&mut self) -> &mut RunView {
        self.dirty = true;
        &mut self.view
    }

    /// Whether keys browse the panes (no overlay open, not typing): replay's keys apply.
    pub fn browsing(&self) -> bool {
        self.overlay == super::Overlay::None && !self.chat.is_typing()
    }

    /// Shows `line` on the top row (the replay's position bar); `None` removes it.
    pub fn set_replay_bar(&mut self, line: Option<Line<'static>>) {
        self.replay_bar = line;
        self.dirty = true;
    }

    /// Draws the position bar, if any, and returns the area left for the rest.
    pub(super) fn draw_replay_bar(&self, frame: &mut Frame) -> Rect {
        let area = frame.area();
        let Some(line) = &self.replay_bar else {
            return area;
        };
        if area.height < 2 {
            return area;
        }
        frame
            .buffer_mut()
            .set_line(area.x, area.y, line, area.width);
        Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        }
    }
}
