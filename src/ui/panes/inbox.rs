//! The approval inbox's screen state: which approval is selected in the queue, how far its
//! detail is scrolled, which hunk of a patch is current and which hunks the person rejected,
//! and the small prompt that asks for a deny reason, an edited command or a grant's scope.
//! The queue itself is the `ApprovalsView` fold; turning a choice into a command is the App's
//! job (`app/inbox.rs`), drawing is `inbox_draw.rs`. The diff of the selected approval is
//! indexed once per selection (`DiffView`), never per frame.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crossterm::event::KeyEvent;
use ratatui::style::Style;
use tui_textarea::TextArea;

use super::super::keymap::KeyAction;
use super::super::views::approvals::{ApprovalsView, Pending};
use super::super::views::diff::DiffView;
use super::Cursor;
use crate::protocol::{ApprovalId, ApprovalSubject};

/// What the inbox's prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// Why the approval is denied.
    Deny,
    /// The command line to run instead.
    Edit,
    /// How far "always allow" reaches (answered with a key, nothing typed).
    Scope,
}

/// An open prompt, for one approval.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it asks.
    pub kind: PromptKind,
    /// The approval it is about.
    pub approval: ApprovalId,
    /// What has been typed.
    pub input: TextArea<'static>,
}

/// The inbox.
#[derive(Debug, Clone, Default)]
pub struct InboxPane {
    /// The queue's selection and scroll.
    pub list: Cursor,
    /// The selected approval's detail, indexed.
    pub(super) shown: Option<(ApprovalId, DiffView)>,
    /// The first detail row drawn.
    pub(super) scroll: usize,
    /// How many detail rows were drawn last time (a page).
    pub(super) detail_height: usize,
    /// The current part (hunk) of the selected patch.
    pub(super) part: usize,
    rejected: HashMap<ApprovalId, Vec<bool>>,
    sent: HashSet<ApprovalId>,
    /// The open prompt.
    pub prompt: Option<Prompt>,
}

impl InboxPane {
    /// The selected approval.
    pub fn selected<'v>(&self, view: &'v ApprovalsView) -> Option<&'v Pending> {
        view.pending().get(self.list.selected)
    }

    /// Moves the selection (list keys) or scrolls the detail; returns whether it was one of
    /// those keys.
    pub fn navigate(&mut self, action: KeyAction, view: &ApprovalsView) -> bool {
        let page = self.detail_height.max(1);
        match action {
            KeyAction::DetailDown => self.scroll = self.scroll.saturating_add(1),
            KeyAction::DetailUp => self.scroll = self.scroll.saturating_sub(1),
            KeyAction::DetailPageDown => self.scroll = self.scroll.saturating_add(page),
            KeyAction::DetailPageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyAction::NextHunk | KeyAction::PrevHunk => self.step_part(action, view),
            _ => {
                let before = self.list.selected;
                let moved = self.list.navigate(action, view.len());
                if self.list.selected != before {
                    self.scroll = 0;
                    self.part = 0;
                }
                return moved;
            }
        }
        true
    }

    /// Keeps the selection on approval `id` after the queue changed (one was added before it,
    /// or decided); when `id` left, the same position holds the next one.
    pub fn reselect(&mut self, id: Option<ApprovalId>, view: &ApprovalsView) {
        if let Some(at) = id.and_then(|id| view.pending().iter().position(|p| p.id == id)) {
            self.list.selected = at;
        }
        self.list.selected = self.list.selected.min(view.len().saturating_sub(1));
    }

    /// Accepts or rejects the current part of the selected patch; returns the part's number
    /// (from 1) and whether it is now accepted, or `None` when the selection is no patch.
    pub fn toggle_part(&mut self, view: &ApprovalsView) -> Option<(usize, bool)> {
        let (id, parts) = self.patch_parts(view)?;
        let part = self.part.min(parts - 1);
        let flags = self
            .rejected
            .entry(id)
            .or_insert_with(|| vec![false; parts]);
        let flag = flags.get_mut(part)?;
        *flag = !*flag;
        Some((part + 1, !*flag))
    }

    /// The accepted flag of every part of approval `id` (all accepted unless toggled).
    pub fn accepted(&self, id: ApprovalId, parts: usize) -> Vec<bool> {
        match self.rejected.get(&id) {
            Some(flags) if flags.len() == parts => flags.iter().map(|r| !r).collect(),
            _ => vec![true; parts],
        }
    }

    /// Whether part `part` of approval `id` is rejected.
    pub fn is_rejected(&self, id: ApprovalId, part: usize) -> bool {
        self.rejected
            .get(&id)
            .and_then(|f| f.get(part))
            .copied()
            .unwrap_or(false)
    }

    /// The indexed diff of the selected approval (indexed now if the selection changed);
    /// `None` when it is no patch.
    pub fn diff_of(&mut self, view: &ApprovalsView) -> Option<&DiffView> {
        let pending = self.selected(view)?;
        let ApprovalSubject::Patch { diff, .. } = &*pending.subject else {
            self.shown = None;
            return None;
        };
        let id = pending.id;
        if self.shown.as_ref().map(|(shown, _)| *shown) != Some(id) {
            self.shown = Some((id, DiffView::new(Arc::from(diff.as_str()))));
            self.scroll = 0;
            self.part = 0;
        }
        self.shown.as_ref().map(|(_, d)| d)
    }

    /// Notes that a decision for `id` was sent (shown until the decision comes back).
    pub fn mark_sent(&mut self, id: ApprovalId) {
        self.sent.insert(id);
    }

    /// Whether a decision for `id` was sent from here.
    pub fn was_sent(&self, id: ApprovalId) -> bool {
        self.sent.contains(&id)
    }

    /// Opens a prompt about `approval`, its input holding `text`.
    pub fn open_prompt(&mut self, kind: PromptKind, approval: ApprovalId, text: &str) {
        let mut input = TextArea::default();
        input.set_cursor_line_style(Style::default());
        input.insert_str(text);
        self.prompt = Some(Prompt {
            kind,
            approval,
            input,
        });
    }

    /// Gives a key to the prompt's input.
    pub fn type_key(&mut self, key: KeyEvent) {
        if let Some(prompt) = &mut self.prompt {
            prompt.input.input(key);
        }
    }

    /// Forgets what belongs to approvals that no longer wait; returns the prompt it closed,
    /// if its approval was decided (elsewhere, or by this screen).
    pub fn prune(&mut self, view: &ApprovalsView) -> Option<Prompt> {
        let waiting = |id: &ApprovalId| view.get(*id).is_some();
        self.rejected.retain(|id, _| waiting(id));
        self.sent.retain(waiting);
        if self.shown.as_ref().is_some_and(|(id, _)| !waiting(id)) {
            self.shown = None;
        }
        match &self.prompt {
            Some(p) if !waiting(&p.approval) => self.prompt.take(),
            _ => None,
        }
    }

    fn patch_parts(&mut self, view: &ApprovalsView) -> Option<(ApprovalId, usize)> {
        let parts = self.diff_of(view)?.parts();
        let id = self.selected(view)?.id;
        (parts > 0).then_some((id, parts))
    }

    /// Moves to the next or previous part and scrolls it to the top of the detail.
    fn step_part(&mut self, action: KeyAction, view: &ApprovalsView) {
        let Some((_, parts)) = self.patch_parts(view) else {
            return;
        };
        self.part = match action {
            KeyAction::NextHunk => (self.part + 1).min(parts - 1),
            _ => self.part.saturating_sub(1),
        };
        if let Some(start) = self
            .shown
            .as_ref()
            .and_then(|(_, d)| d.part_start(self.part))
        {
            self.scroll = start;
        }
    }
}
