//! The logs pane's own keys and filters: the agent filter the family tree sets on Enter
//! ([`App::focus_agent`]), and the level, kind and agent cycles, search, wrap, timestamps,
//! selection and copy keys of the logs pane. A filter change reloads the window from the
//! store; a search that runs out of loaded lines continues into older pages.

use crate::protocol::{AgentId, LogLevel};
use crate::store::{LogFilter, LogKind};

use super::super::keymap::KeyAction;
use super::super::views::logs::LogRequest;
use super::{Action, App};

impl App {
    /// Shows only `agent`'s log lines (`None`: every agent's and warroom's). The window is
    /// reloaded from the store with the new filter: the returned action asks for its newest
    /// page, and the pane follows the newest line again.
    #[must_use = "the returned action fetches the filtered page from the store"]
    pub fn focus_agent(&mut self, agent: Option<AgentId>) -> Vec<Action> {
        let filter = LogFilter {
            agent,
            ..self.view.logs.filter()
        };
        self.set_log_filter(filter)
    }

    fn set_log_filter(&mut self, filter: LogFilter) -> Vec<Action> {
        self.dirty = true;
        let run = self.view.run();
        let request = self.view.logs.set_filter(filter, run);
        if request.is_some() || run.is_none() {
            self.logs.reset();
        }
        request.map(Action::FetchLogs).into_iter().collect()
    }
}

impl App {
    /// The logs pane's own keys.
    pub(super) fn on_logs_key(&mut self, action: KeyAction) -> Vec<Action> {
        let run = self.view.run();
        let filter = self.view.logs.filter();
        match action {
            KeyAction::SearchLogs => self.logs.start_search(),
            KeyAction::NextMatch | KeyAction::PrevMatch => {
                let older = action == KeyAction::NextMatch;
                let scrolled = self.logs.next_match(&mut self.view.logs, run, older);
                self.hint = scrolled.hint;
                return scrolled.fetch.map(Action::FetchLogs).into_iter().collect();
            }
            KeyAction::ToggleWrap => self.hint = Some(self.logs.toggle_wrap()),
            KeyAction::ToggleTimestamps => self.hint = Some(self.logs.toggle_timestamps()),
            KeyAction::CycleLevel => {
                let min_level = next_in(&LEVELS, filter.min_level);
                self.hint = Some(match min_level {
                    Some(level) => format!("showing {} lines and worse", level.tag()),
                    None => "showing every level".into(),
                });
                return self.set_log_filter(LogFilter {
                    min_level,
                    ..filter
                });
            }
            KeyAction::CycleKind => {
                let kind = next_in(&LogKind::ALL, filter.kind);
                self.hint = Some(match kind {
                    Some(kind) => format!("showing {} only", kind.word()),
                    None => "showing every kind of line".into(),
                });
                return self.set_log_filter(LogFilter { kind, ..filter });
            }
            KeyAction::CycleAgent => {
                let ids: Vec<AgentId> = self.view.agents.rows().iter().map(|r| r.id).collect();
                let agent = next_in(&ids, filter.agent);
                self.hint = Some(match agent {
                    Some(a) => format!("showing {}'s lines only", self.view.agents.label(a)),
                    None => "showing every agent's lines".into(),
                });
                return self.set_log_filter(LogFilter { agent, ..filter });
            }
            KeyAction::ToggleSelect => {
                self.hint = Some(self.logs.toggle_selection(&self.view.logs))
            }
            KeyAction::CopyLines => {
                self.hint = Some(match self.logs.copy(&self.view.logs, &self.view.agents) {
                    Some(copied) => format!(
                        "copied {} line{} to the clipboard (OSC 52){}",
                        copied.lines,
                        if copied.lines == 1 { "" } else { "s" },
                        if copied.cut {
                            "; the rest is over the terminal's limit"
                        } else {
                            ""
                        }
                    ),
                    None => "no log lines to copy".into(),
                });
            }
            _ => {}
        }
        Vec::new()
    }

    /// Keys while the logs search words are typed.
    pub(super) fn on_log_search_key(&mut self, action: KeyAction) -> Vec<Action> {
        match action {
            KeyAction::PromptSend => {
                let run = self.view.run();
                let scrolled = self.logs.send_search(&mut self.view.logs, run);
                self.hint = scrolled.hint;
                scrolled.fetch.map(Action::FetchLogs).into_iter().collect()
            }
            KeyAction::PromptCancel => {
                self.hint = Some(self.logs.cancel_search());
                Vec::new()
            }
            KeyAction::Quit => self.quit(),
            _ => Vec::new(),
        }
    }

    /// After a page of log lines came in: a search going on into older pages continues.
    pub(super) fn after_log_page(&mut self) {
        let run = self.view.run();
        if let Some(hint) = self.logs.after_page(&mut self.view.logs, run) {
            self.hint = Some(hint);
        }
    }

    /// Text the person copied, for the run loop to send to the clipboard (OSC 52, see
    /// `ui::clipboard::osc52`); `None` when nothing was copied since the last call.
    pub fn take_copy(&mut self) -> Option<String> {
        self.logs.take_copied()
    }

    /// Pages of log lines to read that no key press returned (a search going on into older
    /// pages); the run loop reads them like [`Action::FetchLogs`].
    pub fn take_log_fetches(&mut self) -> Vec<LogRequest> {
        self.logs.take_fetches()
    }
}

/// The levels `l` cycles through after "all".
const LEVELS: [LogLevel; 3] = [LogLevel::Info, LogLevel::Warn, LogLevel::Error];

/// The item after `current` in `all`, `None` (everything) after the last, the first after
/// `None`.
fn next_in<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => all.first().copied(),
        Some(c) => all
            .iter()
            .position(|x| *x == c)
            .and_then(|i| all.get(i + 1))
            .copied(),
    }
}
