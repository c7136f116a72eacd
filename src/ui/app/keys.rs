//! Key handling: a press is resolved through the key table for what the person is doing
//! (browsing a pane, typing, reading help, answering the quit question) and becomes a change
//! of screen state and maybe [`Action`]s. Every press either does something or leaves a short
//! hint in the status bar; none is silently dropped and none can panic.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::super::keymap::{self, Context, KeyAction};
use super::super::layout::Kind;
use super::super::panes::PaneId;
use super::super::panes::inbox::PromptKind;
use super::{Action, App, Mode, Overlay};

impl App {
    /// Handles one key press; returns what the run loop should do.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Action> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        self.dirty = true;
        self.hint = None;
        let context = self.context();
        let Some(action) = self.keys.resolve(context, &key) else {
            if context == Context::Typing {
                self.chat.type_key(key);
                return Vec::new();
            }
            if context == Context::InboxPrompt {
                self.inbox.type_key(key);
                return Vec::new();
            }
            if context == Context::MemoryInput {
                self.type_in_memory(key);
                return Vec::new();
            }
            if context == Context::LogSearch {
                self.logs.type_key(key);
                return Vec::new();
            }
            let name = keymap::describe(&key);
            self.hint = Some(match context {
                Context::Quit => format!("key {name}: press y to quit or n to stay"),
                Context::Help => format!("key {name} does nothing in help (? or Esc closes it)"),
                Context::InboxScope => format!("key {name}: r this run, R every run, Esc cancels"),
                Context::Inbox => format!("key {name} does nothing in the inbox (? for help)"),
                _ => format!("key {name} does nothing here (? for help)"),
            });
            return Vec::new();
        };
        match context {
            Context::Quit => self.on_quit_key(action),
            Context::Help => self.on_help_key(action),
            Context::Typing => self.on_typing_key(action),
            Context::Inbox => self.on_inbox_key(action),
            Context::InboxPrompt => self.on_prompt_key(action),
            Context::InboxScope => self.on_scope_key(action),
            Context::MemoryInput => self.on_memory_input_key(action),
            Context::LogSearch => self.on_log_search_key(action),
            Context::Pane(pane) => self.on_pane_key(pane, action, &key),
        }
    }

    fn context(&self) -> Context {
        match self.overlay {
            Overlay::ConfirmQuit | Overlay::ConfirmCommand => Context::Quit,
            Overlay::Help => Context::Help,
            Overlay::Inbox => match self.inbox.prompt.as_ref().map(|p| p.kind) {
                None => Context::Inbox,
                Some(PromptKind::Scope) => Context::InboxScope,
                Some(_) => Context::InboxPrompt,
            },
            Overlay::None if self.chat.is_typing() => Context::Typing,
            Overlay::None if self.memory.is_typing() => Context::MemoryInput,
            Overlay::None if self.focus == PaneId::Logs && self.logs.is_typing() => {
                Context::LogSearch
            }
            Overlay::None => Context::Pane(self.focus),
        }
    }

    fn on_quit_key(&mut self, action: KeyAction) -> Vec<Action> {
        if self.overlay == Overlay::ConfirmCommand {
            self.overlay = Overlay::None;
            let yes = self
                .confirm
                .take()
                .filter(|_| action == KeyAction::ConfirmQuit);
            let Some((command, question)) = yes else {
                self.hint = Some("left as it was; nothing sent".into());
                return Vec::new();
            };
            self.hint = Some(format!("sent: {}", question.trim_end_matches('?')));
            return vec![Action::Submit(command)];
        }
        self.overlay = Overlay::None;
        match action {
            KeyAction::ConfirmQuit => vec![Action::Quit],
            _ => {
                self.hint = Some("still here".into());
                Vec::new()
            }
        }
    }

    fn on_help_key(&mut self, action: KeyAction) -> Vec<Action> {
        if action == KeyAction::CloseHelp {
            // Help opened from the inbox goes back to it.
            self.overlay = if self.help_from_inbox {
                Overlay::Inbox
            } else {
                Overlay::None
            };
        } else {
            self.help.navigate(action);
        }
        Vec::new()
    }

    fn on_typing_key(&mut self, action: KeyAction) -> Vec<Action> {
        match action {
            KeyAction::Send => self.send_chat(),
            KeyAction::StopTyping => {
                self.chat.stop_typing();
                Vec::new()
            }
            KeyAction::Quit => self.quit(),
            _ => Vec::new(),
        }
    }

    fn on_pane_key(&mut self, pane: PaneId, action: KeyAction, key: &KeyEvent) -> Vec<Action> {
        match action {
            KeyAction::Quit => return self.quit(),
            KeyAction::ToggleHelp => {
                self.help.reset();
                self.overlay = Overlay::Help;
                self.help_from_inbox = false;
            }
            KeyAction::FocusNext => self.focus = self.focus.next(),
            KeyAction::FocusPrev => self.focus = self.focus.prev(),
            KeyAction::FocusNumber => {
                if let Some(p) = keymap_digit(key).and_then(PaneId::from_digit) {
                    self.focus = p;
                }
            }
            KeyAction::ToggleZoom if self.kind == Kind::Compact => {
                self.hint =
                    Some("the narrow layout already shows one pane; Tab or 1-5 switch".into());
            }
            KeyAction::ToggleZoom => self.zoomed = !self.zoomed,
            KeyAction::Back if self.zoomed => self.zoomed = false,
            KeyAction::Back if self.notice.is_some() => self.notice = None,
            KeyAction::Back => self.hint = Some("nothing to close (? for help)".into()),
            KeyAction::TypeInChat | KeyAction::StartTyping => {
                self.focus = PaneId::Chat;
                self.start_typing();
            }
            KeyAction::Approve => return self.approve_oldest(),
            KeyAction::Deny => self.start_deny(),
            KeyAction::OpenInbox => self.open_inbox(),
            KeyAction::ToggleExpand
            | KeyAction::FocusAgent
            | KeyAction::Unfocus
            | KeyAction::TaskDetail
            | KeyAction::CancelTask => return self.on_tree_key(pane, action),
            KeyAction::NextTab
            | KeyAction::PrevTab
            | KeyAction::StartSearch
            | KeyAction::MemoryDetail
            | KeyAction::EditMemory
            | KeyAction::PinMemory
            | KeyAction::ForgetMemory => return self.on_memory_key(action),
            KeyAction::SearchLogs
            | KeyAction::NextMatch
            | KeyAction::PrevMatch
            | KeyAction::CycleLevel
            | KeyAction::CycleKind
            | KeyAction::CycleAgent
            | KeyAction::ToggleWrap
            | KeyAction::ToggleTimestamps
            | KeyAction::ToggleSelect
            | KeyAction::CopyLines => return self.on_logs_key(action),
            KeyAction::Up
            | KeyAction::Down
            | KeyAction::PageUp
            | KeyAction::PageDown
            | KeyAction::Top
            | KeyAction::Bottom => return self.navigate(pane, action),
            KeyAction::Send
            | KeyAction::StopTyping
            | KeyAction::CloseHelp
            | KeyAction::ConfirmQuit
            | KeyAction::CancelQuit
            | KeyAction::CloseInbox
            | KeyAction::DetailDown
            | KeyAction::DetailUp
            | KeyAction::DetailPageDown
            | KeyAction::DetailPageUp
            | KeyAction::NextHunk
            | KeyAction::PrevHunk
            | KeyAction::ToggleHunk
            | KeyAction::InboxApprove
            | KeyAction::InboxDeny
            | KeyAction::InboxAlways
            | KeyAction::InboxEdit
            | KeyAction::PromptSend
            | KeyAction::PromptCancel
            | KeyAction::ScopeRun
            | KeyAction::ScopeRepo => {}
        }
        Vec::new()
    }

    pub(super) fn navigate(&mut self, pane: PaneId, action: KeyAction) -> Vec<Action> {
        match pane {
            PaneId::Agents => {
                self.agents.navigate(action, &self.view.agents);
            }
            PaneId::Tasks => {
                self.tasks.navigate(action, &self.view.tasks);
            }
            PaneId::Memory => {
                self.memory.navigate(action, &self.view.memory);
            }
            PaneId::Chat => {
                self.chat.navigate(action);
            }
            PaneId::Logs => {
                let run = self.view.run();
                let scrolled = self.logs.navigate(action, &mut self.view.logs, run);
                self.hint = scrolled.hint;
                return scrolled.fetch.map(Action::FetchLogs).into_iter().collect();
            }
        }
        Vec::new()
    }

    pub(super) fn quit(&mut self) -> Vec<Action> {
        if self.mode == Mode::Owner && self.view.status.is_active() {
            self.chat.stop_typing();
            self.overlay = Overlay::ConfirmQuit;
            Vec::new()
        } else {
            vec![Action::Quit]
        }
    }

    fn start_typing(&mut self) {
        match self.mode {
            Mode::Owner | Mode::Attach { .. } => self.chat.start_typing(),
            Mode::Watch { .. } | Mode::Replay => {
                self.hint = Some(format!("{}: typing is off here", self.mode_words().long));
            }
        }
    }
}

/// The digit of a pressed digit key.
fn keymap_digit(key: &KeyEvent) -> Option<char> {
    match key.code {
        crossterm::event::KeyCode::Char(c) if c.is_ascii_digit() => Some(c),
        _ => None,
    }
}
