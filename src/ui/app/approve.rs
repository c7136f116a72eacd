//! Deciding approvals from the keyboard: `a` approves the oldest waiting approval of the run
//! shown, `d` puts `/deny N ` in the chat input so the person can say why before Enter, and
//! the words pinned in chat about what waits. A viewer's screen sends nothing (watch mode is
//! read-only: its run loop has no way to the core), so there the keys say how to decide from a
//! shell instead. Every press answers in the status bar.

use crate::protocol::Decision;

use super::super::panes::PaneId;
use super::submit::{self, NOTHING_WAITING, Submission};
use super::{Action, App, Mode};

impl App {
    /// `a`: approve the oldest waiting approval.
    pub(super) fn approve_oldest(&mut self) -> Vec<Action> {
        let (Some(run), Some(oldest)) = (self.view.run(), self.view.approvals.first()) else {
            self.hint = Some(NOTHING_WAITING.into());
            return Vec::new();
        };
        let approval = oldest.id;
        if !self.mode.can_send() {
            self.hint = Some(format!(
                "read-only: decide in a shell: warroom approve {approval} --run {run}"
            ));
            return Vec::new();
        }
        match submit::decide(run, approval, Decision::Approved) {
            Submission::Send(command, said) => {
                self.hint = Some(said);
                vec![Action::Submit(command)]
            }
            Submission::Help
            | Submission::Refuse(_)
            | Submission::Confirm(..)
            | Submission::Say(_) => Vec::new(),
        }
    }

    /// `d`: focus chat with `/deny N ` typed, for the person to add why and press Enter. A
    /// draft of something else is never overwritten.
    pub(super) fn start_deny(&mut self) {
        let (Some(run), Some(oldest)) = (self.view.run(), self.view.approvals.first()) else {
            self.hint = Some(NOTHING_WAITING.into());
            return;
        };
        let approval = oldest.id;
        if !self.mode.can_send() {
            self.hint = Some(format!(
                "read-only: decide in a shell: warroom deny {approval} --run {run} --reason \"...\""
            ));
            return;
        }
        self.focus = PaneId::Chat;
        let draft = self.chat.draft();
        if !draft.trim().is_empty() && !draft.trim_start().starts_with("/deny") {
            self.chat.start_typing();
            self.hint = Some(format!(
                "chat holds a draft; send or clear it, then d again (or type /deny {approval} <why>)"
            ));
            return;
        }
        self.chat.set_draft(&format!("/deny {approval} "));
        self.chat.start_typing();
        self.hint = Some(format!(
            "type why approval {approval} is denied, Enter sends (Esc stops)"
        ));
    }

    /// What chat pins above its input while an approval waits: who asks for what, and how to
    /// answer (the keys, or the chat commands while typing, when keys type).
    pub(super) fn waiting_words(&self) -> Option<String> {
        let oldest = self.view.approvals.first()?;
        let id = oldest.id;
        let how = match self.mode {
            Mode::Owner | Mode::Attach { .. } if self.chat.is_typing() => {
                "/approve N · /deny N <why>".to_string()
            }
            Mode::Owner | Mode::Attach { .. } => {
                let k = self.keys.decide_keys();
                format!(
                    "{} approve · {} deny · {} inbox",
                    k.approve, k.deny, k.inbox
                )
            }
            Mode::Watch { .. } => format!("read-only: warroom approve/deny {id}"),
            Mode::Replay => format!("replay: approval {id} waited here"),
        };
        let more = match self.view.approvals.len() - 1 {
            0 => String::new(),
            n => format!(" · {n} more waiting"),
        };
        Some(format!(
            "approval {id} · {} asks to {} · {how}{more}",
            self.view.agents.label(oldest.agent),
            oldest.asked.words()
        ))
    }
}
