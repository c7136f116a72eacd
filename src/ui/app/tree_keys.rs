//! The keys of the two tree panes and of the yes/no question they open: Space expands or
//! collapses an agent's or a task's subtree; Enter focuses an agent (its live detail shows and
//! the logs filter to it) or opens a task's details; Esc undoes either; `X` asks before
//! cancelling a task's subtree, and `y` sends the cancel (the quit question's keys answer it). Watch mode says why it sends nothing.

use crate::protocol::{Command, TaskStatus};

use super::super::keymap::KeyAction;
use super::super::panes::PaneId;
use super::{Action, App, Overlay};

impl App {
    /// A tree key in `pane` (Space, Enter, Esc, x).
    pub(super) fn on_tree_key(&mut self, pane: PaneId, action: KeyAction) -> Vec<Action> {
        match (pane, action) {
            (PaneId::Agents, KeyAction::ToggleExpand) => {
                self.hint = self.agents.toggle(&self.view.agents);
            }
            (PaneId::Tasks, KeyAction::ToggleExpand) => {
                self.hint = self.tasks.toggle(&self.view.tasks);
            }
            (PaneId::Agents, KeyAction::FocusAgent) => {
                match self.agents.selected(&self.view.agents) {
                    Some(agent) => {
                        self.agents.set_focused_agent(Some(agent));
                        self.hint = Some(format!(
                            "focused {}: logs show only it; Esc shows everyone again",
                            self.view.agents.label(agent)
                        ));
                        return self.focus_agent(Some(agent));
                    }
                    None => self.hint = Some("no agent to focus yet".into()),
                }
            }
            (PaneId::Agents, KeyAction::Unfocus) if self.agents.focused_agent().is_some() => {
                self.agents.set_focused_agent(None);
                return self.focus_agent(None);
            }
            (PaneId::Tasks, KeyAction::TaskDetail) => {
                self.hint = self.tasks.toggle_detail(&self.view.tasks);
            }
            (PaneId::Tasks, KeyAction::Unfocus) if self.tasks.detail_open() => {
                self.tasks.close_detail();
            }
            (PaneId::Memory, KeyAction::Unfocus) => return self.on_memory_key(action),
            (_, KeyAction::Unfocus) => self.back(),
            (PaneId::Tasks, KeyAction::CancelTask) => self.ask_cancel_task(),
            _ => {}
        }
        Vec::new()
    }

    /// Esc with nothing of the pane's own to close: unzoom, or clear the notice.
    pub(super) fn back(&mut self) {
        if self.zoomed {
            self.zoomed = false;
        } else if self.notice.is_some() {
            self.notice = None;
        } else {
            self.hint = Some("nothing to close (? for help)".into());
        }
    }

    fn ask_cancel_task(&mut self) {
        let Some(task) = self.tasks.selected(&self.view.tasks) else {
            self.hint = Some("no task to cancel yet".into());
            return;
        };
        if !self.mode.can_send() {
            self.hint = Some(format!(
                "read-only: task #{task} cannot be cancelled from watch mode"
            ));
            return;
        }
        let Some(run) = self.view.run() else {
            self.hint = Some("no run is shown".into());
            return;
        };
        let Some(t) = self.view.tasks.get(task) else {
            return;
        };
        if matches!(
            t.status,
            TaskStatus::Done | TaskStatus::Failed | TaskStatus::Cancelled
        ) {
            self.hint = Some(format!(
                "task #{task} is already {}; nothing to cancel",
                t.status.as_str()
            ));
            return;
        }
        let below = self.view.tasks.open_descendants(task);
        let question = match below {
            0 => format!("Cancel task #{task} {}?", t.title),
            n => format!(
                "Cancel task #{task} {} and its {n} unfinished subtask{}?",
                t.title,
                if n == 1 { "" } else { "s" }
            ),
        };
        self.confirm = Some((Command::CancelTask { run, task }, question));
        self.overlay = Overlay::ConfirmCommand;
    }
}
