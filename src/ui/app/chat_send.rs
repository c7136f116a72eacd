//! Sending what was typed in chat: the draft becomes a command for the core, a question to
//! confirm first (`/cancel`), an answer of the screen's own in the chat (`/status`,
//! `/budget`, `/model`, an unknown command) or a hint saying why nothing was sent. The
//! meaning of a text is `submit`'s; this only acts on it (the yes/no is `tree_keys`').

use super::submit::{self, Shown, Submission};
use super::{Action, App, Overlay};

impl App {
    /// The run's budget in dollars (`[budget] run_usd`), for the status bar and `/budget`.
    pub fn set_budget(&mut self, usd: Option<f64>) {
        self.budget_usd = usd;
        self.dirty = true;
    }

    /// Enter while typing: acts on the draft.
    pub(super) fn send_chat(&mut self) -> Vec<Action> {
        if !self.mode.can_send() {
            self.chat.stop_typing();
            self.hint = Some("read-only: nothing is sent from here".into());
            return Vec::new();
        }
        let draft = self.chat.draft();
        let shown = Shown {
            active: self.view.run().filter(|_| self.view.status.is_active()),
            run: self.view.run(),
            approvals: &self.view.approvals,
            view: &self.view,
            budget_usd: self.budget_usd,
            now: self.now(),
        };
        let submission = submit::parse(&draft, shown);
        if !matches!(submission, Submission::Refuse(_)) {
            self.chat.remember(draft.trim());
        }
        match submission {
            Submission::Send(command, said) => {
                self.chat.clear();
                self.hint = Some(said);
                vec![Action::Submit(command)]
            }
            Submission::Confirm(command, question) => {
                self.chat.clear();
                self.chat.stop_typing();
                self.confirm = Some((command, question));
                self.overlay = Overlay::ConfirmCommand;
                Vec::new()
            }
            Submission::Say(words) => {
                self.chat.clear();
                self.chat.say(&self.view.chat, &words);
                Vec::new()
            }
            Submission::Help => {
                self.chat.clear();
                self.chat.stop_typing();
                self.help.reset();
                self.overlay = Overlay::Help;
                self.help_from_inbox = false;
                Vec::new()
            }
            Submission::Refuse(why) => {
                self.hint = Some(why);
                Vec::new()
            }
        }
    }
}
