//! The memory inspector's keys and the store's answers: h/l change the tab, `/` types a
//! search, Enter opens an entry's detail, `e` edits it in a tui-textarea (Enter saves with
//! `EditMemory`, Esc cancels), `p` pins or unpins (`PinMemory`), `X` asks before forgetting
//! (`ForgetMemory`). A search or a tab becomes [`Action::SearchMemory`], which the run loop
//! answers off the UI thread through [`App::on_memory_found`]; until then the pane says
//! "searching…". In watch mode the keys that would change memory say why they do nothing.

use crossterm::event::KeyEvent;

use crate::protocol::Command;

use super::super::keymap::KeyAction;
use super::super::panes::memory::{InputKind, Typed};
use super::super::views::memory::MemoryFound;
use super::{Action, App, Overlay};

impl App {
    /// The store's answer to an [`Action::SearchMemory`]; an answer to an older query than
    /// the one the pane waits for is dropped.
    pub fn on_memory_found(&mut self, found: MemoryFound) {
        if self.memory.answered(&found.query) {
            self.view.memory.set_found(found);
            self.dirty = true;
        }
    }

    /// A memory search the store could not run.
    pub fn on_memory_error(&mut self, query: &crate::ui::views::memory::MemoryQuery, why: String) {
        if self.memory.answered(query) {
            self.notice = Some(format!("memory search failed: {why}"));
            self.dirty = true;
        }
    }

    /// A key of the memory group with the inspector focused.
    pub(super) fn on_memory_key(&mut self, action: KeyAction) -> Vec<Action> {
        match action {
            KeyAction::NextTab | KeyAction::PrevTab => {
                let query = self.memory.switch_tab(action == KeyAction::NextTab);
                return vec![Action::SearchMemory(query)];
            }
            KeyAction::StartSearch => self.memory.start_search(),
            KeyAction::MemoryDetail => {
                let Some(entry) = self.memory.selected(&self.view.memory) else {
                    self.hint = Some("no memory entry to open".into());
                    return Vec::new();
                };
                let known = entry.provenance;
                let open = !self.memory.detail_open();
                self.memory.set_detail(open);
                // A snapshot's entries come without provenance: ask the store for the tab.
                if open && !known && !self.memory.searching() {
                    return vec![Action::SearchMemory(self.memory.query())];
                }
            }
            KeyAction::Unfocus if self.memory.detail_open() => self.memory.set_detail(false),
            KeyAction::Unfocus if !self.memory.words().is_empty() => {
                let query = self.memory.clear_search();
                return vec![Action::SearchMemory(query)];
            }
            KeyAction::Unfocus => self.back(),
            KeyAction::EditMemory | KeyAction::PinMemory | KeyAction::ForgetMemory => {
                return self.change_memory(action);
            }
            _ => {}
        }
        Vec::new()
    }

    /// A key while the memory input is open: Enter uses what was typed, Esc drops it.
    pub(super) fn on_memory_input_key(&mut self, action: KeyAction) -> Vec<Action> {
        match action {
            KeyAction::Quit => self.quit(),
            KeyAction::PromptCancel => {
                self.hint = Some(match self.memory.cancel_input() {
                    Some(InputKind::Edit(id)) => format!("memory #{id} left as it was"),
                    _ => "search closed".to_string(),
                });
                Vec::new()
            }
            KeyAction::PromptSend => match self.memory.finish_input() {
                Some(Typed::Search(query)) => vec![Action::SearchMemory(query)],
                Some(Typed::Edit(id, text)) if text.is_empty() => {
                    self.hint = Some(format!(
                        "memory #{id} not saved: it cannot be empty (X forgets it)"
                    ));
                    Vec::new()
                }
                Some(Typed::Edit(id, text)) => {
                    if !self.mode.can_send() {
                        self.hint = Some("read-only: nothing is saved from watch mode".into());
                        return Vec::new();
                    }
                    self.hint = Some(format!("saving memory #{id}"));
                    vec![Action::Submit(Command::EditMemory { memory: id, text })]
                }
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Gives a key that is not a binding to the memory input.
    pub(super) fn type_in_memory(&mut self, key: KeyEvent) {
        self.memory.type_key(key);
    }

    fn change_memory(&mut self, action: KeyAction) -> Vec<Action> {
        let Some(entry) = self.memory.selected(&self.view.memory).cloned() else {
            self.hint = Some("no memory entry selected".into());
            return Vec::new();
        };
        if !self.mode.can_send() {
            let what = match action {
                KeyAction::EditMemory => "edited",
                KeyAction::PinMemory => "pinned",
                _ => "forgotten",
            };
            self.hint = Some(format!(
                "read-only: memory #{} cannot be {what} from watch mode",
                entry.id
            ));
            return Vec::new();
        }
        match action {
            KeyAction::EditMemory => {
                self.memory.start_edit(&entry);
                Vec::new()
            }
            KeyAction::PinMemory => {
                let pinned = !entry.pinned;
                self.hint = Some(format!(
                    "{} memory #{}",
                    if pinned { "pinning" } else { "unpinning" },
                    entry.id
                ));
                vec![Action::Submit(Command::PinMemory {
                    memory: entry.id,
                    pinned,
                })]
            }
            _ => {
                let question = format!(
                    "Forget memory #{} ({})? Agents will no longer see it.",
                    entry.id, entry.kind
                );
                self.confirm = Some((Command::ForgetMemory { memory: entry.id }, question));
                self.overlay = Overlay::ConfirmCommand;
                Vec::new()
            }
        }
    }
}
