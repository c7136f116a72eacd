//! What tests look at without drawing: read-only accessors to the App's private state.
//! Test-only; changes nothing.

use super::super::panes::PaneId;
use super::super::views::RunView;
use super::{App, Overlay};

impl App {
    pub(crate) fn focused(&self) -> PaneId {
        self.focus
    }

    pub(crate) fn is_zoomed(&self) -> bool {
        self.zoomed
    }

    pub(crate) fn help_open(&self) -> bool {
        self.overlay == Overlay::Help
    }

    pub(crate) fn asking_to_quit(&self) -> bool {
        self.overlay == Overlay::ConfirmQuit
    }

    pub(crate) fn is_typing(&self) -> bool {
        self.chat.is_typing()
    }

    pub(crate) fn logs_following(&self) -> bool {
        self.logs.is_following()
    }

    pub(crate) fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    pub(crate) fn status_notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    pub(crate) fn view(&self) -> &RunView {
        &self.view
    }

    pub(crate) fn is_inbox_open(&self) -> bool {
        self.overlay == Overlay::Inbox
    }

    /// The same screen in another mode (the one test-only mutator: a fixture in any mode).
    pub(crate) fn set_mode_for_test(&mut self, mode: super::Mode) {
        self.mode = mode;
    }
}
