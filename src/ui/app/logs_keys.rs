//! The logs pane's own keys and filters: the agent filter the family tree sets on Enter
//! ([`App::focus_agent`]), and the level, kind and agent cycles, search, wrap, timestamps,
//! selection and copy keys of the logs pane. A filter change reloads the window from the
//! store; a search that runs out of loaded lines continues into older pages.

use crate::protocol::AgentId;
use crate::store::LogFilter;

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
