//! The approval inbox's keys: `y` approves the selected approval (a patch with rejected hunks
//! only in part: the partial diff is built here with `crate::hunks::partial`), `n` asks why and
//! denies, `a` asks how far and approves with an "always allow" grant of the command's prefix,
//! `e` edits a command and approves the edited line, Space accepts or rejects a hunk. What is
//! decided goes out as [`Action::Submit`]; the queue changes only when the decision comes back
//! as an event, so two screens deciding one approval both show the first decision.

use crate::protocol::{ApprovalId, ApprovalSubject, Command, Decision, GrantScope, RunId};

use super::super::keymap::KeyAction;
use super::super::panes::inbox::PromptKind;
use super::super::views::approvals::Pending;
use super::submit::{self, NOTHING_WAITING, Submission};
use super::{Action, App, Overlay};

impl App {
    /// `A`: opens the inbox.
    pub(super) fn open_inbox(&mut self) {
        self.overlay = Overlay::Inbox;
        if self.view.approvals.is_empty() {
            self.hint = Some(NOTHING_WAITING.into());
        }
    }

    /// A key in the inbox (no prompt open).
    pub(super) fn on_inbox_key(&mut self, action: KeyAction) -> Vec<Action> {
        match action {
            KeyAction::CloseInbox => self.overlay = Overlay::None,
            KeyAction::Quit => return self.quit(),
            KeyAction::ToggleHelp => {
                self.help.reset();
                self.overlay = Overlay::Help;
                self.help_from_inbox = true;
            }
            KeyAction::ToggleHunk => self.toggle_hunk(),
            KeyAction::InboxApprove => return self.inbox_approve(),
            KeyAction::InboxDeny => self.open_prompt(PromptKind::Deny),
            KeyAction::InboxAlways => self.open_prompt(PromptKind::Scope),
            KeyAction::InboxEdit => self.open_prompt(PromptKind::Edit),
            other => {
                if !self.inbox.navigate(other, &self.view.approvals) {
                    self.hint = Some("that key does nothing in the inbox (? for help)".into());
                }
            }
        }
        Vec::new()
    }

    /// Enter or Esc while typing a reason or a command.
    pub(super) fn on_prompt_key(&mut self, action: KeyAction) -> Vec<Action> {
        if action == KeyAction::Quit {
            return self.quit();
        }
        let Some(prompt) = self.inbox.prompt.take() else {
            return Vec::new();
        };
        if action != KeyAction::PromptSend {
            self.hint = Some("cancelled: nothing was sent".into());
            return Vec::new();
        }
        let typed = prompt.input.lines().join(" ");
        let Some((run, pending)) = self.waiting(prompt.approval) else {
            return Vec::new();
        };
        let decision = match (prompt.kind, &*pending.subject) {
            (PromptKind::Edit, ApprovalSubject::Command { command, .. }) => {
                let edited = typed.trim();
                if edited.is_empty() {
                    self.hint = Some("an empty command runs nothing: n denies it instead".into());
                    self.inbox.prompt = Some(prompt);
                    return Vec::new();
                }
                if edited == command.trim() {
                    Decision::Approved
                } else {
                    Decision::ApprovedEdited {
                        command: edited.to_string(),
                    }
                }
            }
            _ => Decision::Denied {
                reason: typed.trim().to_string(),
            },
        };
        self.send_decision(run, &pending, decision, None)
    }

    /// `r` or `R` (or Esc) when asked how far "always allow" reaches.
    pub(super) fn on_scope_key(&mut self, action: KeyAction) -> Vec<Action> {
        if action == KeyAction::Quit {
            return self.quit();
        }
        let Some(prompt) = self.inbox.prompt.take() else {
            return Vec::new();
        };
        let scope = match action {
            KeyAction::ScopeRun => GrantScope::Run,
            KeyAction::ScopeRepo => GrantScope::Repo,
            _ => {
                self.hint = Some("cancelled: nothing was sent".into());
                return Vec::new();
            }
        };
        let Some((run, pending)) = self.waiting(prompt.approval) else {
            return Vec::new();
        };
        let ApprovalSubject::Command { command, .. } = &*pending.subject else {
            return Vec::new();
        };
        let prefix = crate::core::team::policy::grant_prefix(command);
        let grant = Command::GrantPrefix { run, prefix, scope };
        self.send_decision(run, &pending, Decision::Approved, Some(grant))
    }

    /// After events changed the queue: keep the selection on its approval, close a prompt
    /// whose approval was decided, and say how the latest one was decided on every screen that
    /// showed it waiting (`waiting`: the queue before the batch), whoever decided first. One
    /// asked and decided within a batch (a catch-up, a replay) is no news.
    pub(super) fn after_approvals(&mut self, selected: Option<ApprovalId>, waiting: &[ApprovalId]) {
        self.inbox.reselect(selected, &self.view.approvals);
        let closed = self.inbox.prune(&self.view.approvals);
        let news =
            self.view.approvals.decided().is_some_and(|o| {
                waiting.contains(&o.id) && self.view.approvals.get(o.id).is_none()
            });
        if news {
            if let Some(words) = self.outcome_words() {
                self.hint = Some(match closed {
                    Some(_) => format!("{words}; your draft was not sent"),
                    None => words,
                });
            }
        }
    }

    /// "approval 3 approved by owner", for the latest decision seen.
    pub(super) fn outcome_words(&self) -> Option<String> {
        let o = self.view.approvals.decided()?;
        Some(format!("approval {} {} by {}", o.id, o.verb, o.by))
    }

    fn toggle_hunk(&mut self) {
        self.hint = Some(match self.inbox.toggle_part(&self.view.approvals) {
            Some((n, true)) => format!("hunk {n} accepted"),
            Some((n, false)) => format!("hunk {n} rejected: y applies only the accepted ones"),
            None => "Space accepts or rejects a hunk of a patch; this is no patch".into(),
        });
    }

    fn inbox_approve(&mut self) -> Vec<Action> {
        let Some((run, pending)) = self.deciding() else {
            return Vec::new();
        };
        let decision = match &*pending.subject {
            ApprovalSubject::Patch { diff, .. } => {
                let parts = self
                    .inbox
                    .diff_of(&self.view.approvals)
                    .map_or(0, |d| d.parts());
                let accepted = self.inbox.accepted(pending.id, parts);
                if accepted.iter().all(|a| *a) {
                    Decision::Approved
                } else {
                    match crate::hunks::partial(diff, &accepted) {
                        Ok(part) => Decision::ApprovedPartial { diff: part },
                        Err(e) => {
                            self.hint = Some(format!("not sent: {e}"));
                            return Vec::new();
                        }
                    }
                }
            }
            ApprovalSubject::Command { .. } => Decision::Approved,
        };
        self.send_decision(run, &pending, decision, None)
    }

    fn open_prompt(&mut self, kind: PromptKind) {
        let Some((_, pending)) = self.deciding() else {
            return;
        };
        let command = match &*pending.subject {
            ApprovalSubject::Command { command, .. } => Some(command.clone()),
            ApprovalSubject::Patch { .. } => None,
        };
        match (kind, command) {
            (PromptKind::Deny, _) => {
                self.inbox.open_prompt(kind, pending.id, "");
                self.hint = Some(format!(
                    "type why approval {} is denied, Enter sends, Esc cancels",
                    pending.id
                ));
            }
            (PromptKind::Edit, Some(command)) => {
                self.inbox.open_prompt(kind, pending.id, command.trim());
                self.hint = Some("edit the command; Enter approves the edited line".into());
            }
            (PromptKind::Scope, Some(_)) => self.inbox.open_prompt(kind, pending.id, ""),
            (_, None) => {
                self.hint = Some(format!(
                    "approval {} is a patch: only a command can be {}",
                    pending.id,
                    if kind == PromptKind::Edit {
                        "edited (Space rejects hunks)"
                    } else {
                        "always allowed"
                    }
                ));
            }
        }
    }

    /// The selected approval and its run, when this screen may decide it; else a hint.
    fn deciding(&mut self) -> Option<(RunId, Pending)> {
        let id = self.inbox.selected(&self.view.approvals)?.id;
        if !self.mode.can_send() {
            let run = self.view.run()?;
            self.hint = Some(format!(
                "read-only: decide with `warroom attach`, or in a shell: warroom approve {id} --run {run}"
            ));
            return None;
        }
        self.waiting(id)
    }

    /// Approval `id` if it still waits (a hint says so when it does not).
    fn waiting(&mut self, id: ApprovalId) -> Option<(RunId, Pending)> {
        match (self.view.run(), self.view.approvals.get(id)) {
            (Some(run), Some(p)) => Some((run, p.clone())),
            _ => {
                self.hint = Some(format!("approval {id} no longer waits"));
                None
            }
        }
    }

    fn send_decision(
        &mut self,
        run: RunId,
        pending: &Pending,
        decision: Decision,
        grant: Option<Command>,
    ) -> Vec<Action> {
        let Submission::Send(command, mut said) = submit::decide(run, pending.id, decision) else {
            return Vec::new();
        };
        if !pending.stale.is_empty() {
            said.push_str(" (stale: the apply refuses lines you changed since)");
        }
        let mut actions = vec![Action::Submit(command)];
        if let Some(grant) = grant {
            said.push_str(" and always allow its prefix");
            actions.push(Action::Submit(grant));
        }
        self.inbox.mark_sent(pending.id);
        self.hint = Some(said);
        actions
    }
}
