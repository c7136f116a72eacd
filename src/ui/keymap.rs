//! The key table: every key binding, its group and its one-line description. Key handling
//! resolves presses through this table and the help overlay renders this table, so help never
//! lies. Owns no state and draws nothing; what an action does is the App's business.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::panes::PaneId;

/// What a key asks for, before the App decides what that means right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAction {
    /// Quit (asking first while a run is active in owner mode).
    Quit,
    /// Open or close the help overlay.
    ToggleHelp,
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Focus the pane whose number was typed.
    FocusNumber,
    /// Zoom the focused pane, or unzoom.
    ToggleZoom,
    /// Unzoom, or clear the notice.
    Back,
    /// Focus chat and start typing.
    TypeInChat,
    /// Approve the oldest waiting approval.
    Approve,
    /// Start denying the oldest waiting approval (chat gets `/deny N `).
    Deny,
    /// Previous row / scroll up.
    Up,
    /// Next row / scroll down.
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// First row / oldest line.
    Top,
    /// Last row / newest line (and follow, in the logs).
    Bottom,
    /// Expand or collapse the selected task.
    ToggleExpand,
    /// Start typing in the chat input.
    StartTyping,
    /// Send the chat input.
    Send,
    /// Stop typing, keeping the draft.
    StopTyping,
    /// Close the help overlay.
    CloseHelp,
    /// Yes, quit.
    ConfirmQuit,
    /// No, stay.
    CancelQuit,
    /// Open the approval inbox.
    OpenInbox,
    /// Close the approval inbox.
    CloseInbox,
    /// Scroll the inbox's detail down a line.
    DetailDown,
    /// Scroll the inbox's detail up a line.
    DetailUp,
    /// Scroll the inbox's detail down a page.
    DetailPageDown,
    /// Scroll the inbox's detail up a page.
    DetailPageUp,
    /// Go to the patch's next hunk.
    NextHunk,
    /// Go to the patch's previous hunk.
    PrevHunk,
    /// Accept or reject the current hunk.
    ToggleHunk,
    /// Approve the selected approval (only the accepted hunks of a patch).
    InboxApprove,
    /// Deny the selected approval, with a reason typed next.
    InboxDeny,
    /// Approve the selected command and always allow its prefix (asks run or repo).
    InboxAlways,
    /// Edit the selected command, then approve the edited line.
    InboxEdit,
    /// Send what was typed in the inbox's prompt.
    PromptSend,
    /// Close the inbox's prompt without sending.
    PromptCancel,
    /// The grant reaches this run only.
    ScopeRun,
    /// The grant reaches every run of the repository.
    ScopeRepo,
    /// Type words to search the logs.
    SearchLogs,
    /// The next matching log line, older.
    NextMatch,
    /// The previous matching log line, newer.
    PrevMatch,
    /// Cycle the logs' level threshold.
    CycleLevel,
    /// Cycle the logs' kind filter.
    CycleKind,
    /// Cycle the logs' agent filter.
    CycleAgent,
    /// Wrap long log lines, or cut them.
    ToggleWrap,
    /// Show or hide log times.
    ToggleTimestamps,
    /// Start, end or clear a selection of log lines.
    ToggleSelect,
    /// Copy the selected log lines to the clipboard (OSC 52).
    CopyLines,
    /// Focus the selected agent: logs filter to it, its live detail shows.
    FocusAgent,
    /// Unfocus the agent (or unzoom / clear the notice, like Esc elsewhere).
    Unfocus,
    /// Open or close the selected task's details.
    TaskDetail,
    /// Cancel the selected task and its subtree (asks first).
    CancelTask,
    /// The memory inspector's next tab.
    NextTab,
    /// The memory inspector's previous tab.
    PrevTab,
    /// Type words to search memory.
    StartSearch,
    /// Open or close the selected memory entry's detail.
    MemoryDetail,
    /// Edit the selected memory entry.
    EditMemory,
    /// Pin or unpin the selected memory entry.
    PinMemory,
    /// Forget the selected memory entry (asks first).
    ForgetMemory,
}

/// One key as written in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character (shift allowed, so `G` and `?` match).
    Char(char),
    /// Control plus a letter.
    Ctrl(char),
    /// A named key.
    Code(KeyCode),
}

/// Where a binding applies; also the help overlay's headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Any pane, when not typing.
    Global,
    /// The list in the focused pane.
    Lists,
    /// The agents pane.
    Agents,
    /// The tasks pane.
    Tasks,
    /// The memory inspector.
    Memory,
    /// Typing a memory search or editing an entry.
    MemoryInput,
    /// The logs pane.
    Logs,
    /// Typing the logs search words.
    LogSearch,
    /// The chat pane.
    Chat,
    /// While typing in chat; other keys edit the text.
    Typing,
    /// While the help overlay is open.
    Help,
    /// While the quit question is open.
    Quit,
    /// The approval inbox.
    Inbox,
    /// Typing a reason or an edited command in the inbox.
    InboxPrompt,
    /// Choosing how far an "always allow" reaches.
    InboxScope,
}

/// One line of the table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Where it applies.
    pub group: Group,
    /// The keys that trigger it.
    pub keys: &'static [Key],
    /// What they ask for.
    pub action: KeyAction,
    /// The help overlay's words.
    pub help: &'static str,
}

/// What the person is doing, which decides which groups apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Browsing with this pane focused.
    Pane(PaneId),
    /// Typing in the chat input.
    Typing,
    /// Reading help.
    Help,
    /// Answering the quit question.
    Quit,
    /// In the approval inbox.
    Inbox,
    /// Typing in the inbox's prompt.
    InboxPrompt,
    /// Choosing a grant's scope in the inbox.
    InboxScope,
    /// Typing the logs search words.
    LogSearch,
    /// Typing in the memory inspector's search or editor.
    MemoryInput,
}

use Key::{Char, Code, Ctrl};

/// Every binding, in the order help shows them. One line per binding, so it reads as a table.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(Group::Global, &[Char('?')], KeyAction::ToggleHelp, "show or hide this help"),
    bind(Group::Global, &[Char('q'), Ctrl('c')], KeyAction::Quit, "quit (asks first while a run is active)"),
    bind(Group::Global, &[Code(KeyCode::Tab)], KeyAction::FocusNext, "next pane"),
    bind(Group::Global, &[Code(KeyCode::BackTab)], KeyAction::FocusPrev, "previous pane"),
    bind(Group::Global, &[Char('1'), Char('2'), Char('3'), Char('4'), Char('5')], KeyAction::FocusNumber, "agents, tasks, logs, memory, chat"),
    bind(Group::Global, &[Char('z')], KeyAction::ToggleZoom, "zoom the focused pane (z again to unzoom)"),
    bind(Group::Global, &[Code(KeyCode::Esc)], KeyAction::Back, "unzoom, or clear the notice"),
    bind(Group::Global, &[Char('i')], KeyAction::TypeInChat, "type in chat: a message, /goal <text>, /cancel"),
    bind(Group::Global, &[Char('a')], KeyAction::Approve, "approve the first waiting approval (patch applies first, then the oldest)"),
    bind(Group::Global, &[Char('d')], KeyAction::Deny, "deny it (type why, then Enter)"),
    bind(Group::Global, &[Char('A')], KeyAction::OpenInbox, "the approval inbox: every waiting approval, with its diff"),
    bind(Group::Lists, &[Char('j'), Code(KeyCode::Down)], KeyAction::Down, "next row"),
    bind(Group::Lists, &[Char('k'), Code(KeyCode::Up)], KeyAction::Up, "previous row"),
    bind(Group::Lists, &[Code(KeyCode::PageDown)], KeyAction::PageDown, "next page"),
    bind(Group::Lists, &[Code(KeyCode::PageUp)], KeyAction::PageUp, "previous page"),
    bind(Group::Lists, &[Char('g'), Code(KeyCode::Home)], KeyAction::Top, "first row"),
    bind(Group::Lists, &[Char('G'), Code(KeyCode::End)], KeyAction::Bottom, "last row"),
    bind(Group::Agents, &[Code(KeyCode::Enter)], KeyAction::FocusAgent, "focus the agent: logs filter to it, its live stream and context show"),
    bind(Group::Agents, &[Char(' ')], KeyAction::ToggleExpand, "expand or collapse the agent's children"),
    bind(Group::Agents, &[Code(KeyCode::Esc)], KeyAction::Unfocus, "unfocus the agent (logs show everyone again)"),
    bind(Group::Tasks, &[Code(KeyCode::Enter)], KeyAction::TaskDetail, "open or close the task's details (attempts, patches, verdicts, tests)"),
    bind(Group::Tasks, &[Char(' ')], KeyAction::ToggleExpand, "expand or collapse the task"),
    bind(Group::Tasks, &[Char('X')], KeyAction::CancelTask, "cancel the task and its subtree (asks first)"),
    bind(Group::Tasks, &[Code(KeyCode::Esc)], KeyAction::Unfocus, "close the task's details"),
    bind(Group::Memory, &[Char('l'), Code(KeyCode::Right)], KeyAction::NextTab, "next tab (all, summaries, error→fix, repo facts, conversation, scratchpad)"),
    bind(Group::Memory, &[Char('h'), Code(KeyCode::Left)], KeyAction::PrevTab, "previous tab"),
    bind(Group::Memory, &[Char('/')], KeyAction::StartSearch, "search memory (text; semantic too when [memory] embeddings is set)"),
    bind(Group::Memory, &[Code(KeyCode::Enter)], KeyAction::MemoryDetail, "open or close the entry's detail and provenance"),
    bind(Group::Memory, &[Char('e')], KeyAction::EditMemory, "edit the entry (Enter saves, Esc cancels)"),
    bind(Group::Memory, &[Char('p')], KeyAction::PinMemory, "pin or unpin the entry (pinned ones are considered first)"),
    bind(Group::Memory, &[Char('X')], KeyAction::ForgetMemory, "forget the entry (asks first)"),
    bind(Group::Memory, &[Code(KeyCode::Esc)], KeyAction::Unfocus, "close the detail, or clear the search"),
    bind(Group::MemoryInput, &[Code(KeyCode::Enter)], KeyAction::PromptSend, "search, or save the edited entry"),
    bind(Group::MemoryInput, &[Code(KeyCode::Esc)], KeyAction::PromptCancel, "cancel; nothing is saved"),
    bind(Group::MemoryInput, &[Ctrl('c')], KeyAction::Quit, "quit"),
    bind(Group::Logs, &[Char('k'), Code(KeyCode::Up)], KeyAction::Up, "scroll up (pauses following)"),
    bind(Group::Logs, &[Char('g'), Code(KeyCode::Home)], KeyAction::Top, "oldest line (loads older pages)"),
    bind(Group::Logs, &[Char('G'), Code(KeyCode::End)], KeyAction::Bottom, "newest line, follow again"),
    bind(Group::Logs, &[Char('/')], KeyAction::SearchLogs, "search the lines (loaded ones, then older pages from the store)"),
    bind(Group::Logs, &[Char('n')], KeyAction::NextMatch, "next match, older"),
    bind(Group::Logs, &[Char('N')], KeyAction::PrevMatch, "previous match, newer"),
    bind(Group::Logs, &[Char('l')], KeyAction::CycleLevel, "level: all, INF and worse, WRN and worse, ERR only"),
    bind(Group::Logs, &[Char('f')], KeyAction::CycleKind, "kind: all, tool output, model tokens, warroom lines, errors"),
    bind(Group::Logs, &[Char('c')], KeyAction::CycleAgent, "agent: everyone, then each agent in turn (Enter in the tree picks one)"),
    bind(Group::Logs, &[Char('w')], KeyAction::ToggleWrap, "wrap long lines, or cut them to one row"),
    bind(Group::Logs, &[Char('t')], KeyAction::ToggleTimestamps, "show or hide times"),
    bind(Group::Logs, &[Char('v')], KeyAction::ToggleSelect, "select lines: v starts, j/k extend, v ends, v again clears"),
    bind(Group::Logs, &[Char('y')], KeyAction::CopyLines, "copy the selected lines (or the line in focus) to the clipboard, OSC 52"),
    bind(Group::LogSearch, &[Code(KeyCode::Enter)], KeyAction::PromptSend, "search (empty clears the search)"),
    bind(Group::LogSearch, &[Code(KeyCode::Esc)], KeyAction::PromptCancel, "cancel the search"),
    bind(Group::LogSearch, &[Ctrl('c')], KeyAction::Quit, "quit"),
    bind(Group::Chat, &[Code(KeyCode::Enter)], KeyAction::StartTyping, "start typing"),
    bind(Group::Typing, &[Code(KeyCode::Enter)], KeyAction::Send, "send (/goal <text> starts a run)"),
    bind(Group::Typing, &[Code(KeyCode::Esc)], KeyAction::StopTyping, "stop typing, keep the draft"),
    bind(Group::Typing, &[Ctrl('c')], KeyAction::Quit, "quit"),
    bind(Group::Help, &[Char('?'), Code(KeyCode::Esc), Char('q')], KeyAction::CloseHelp, "close help"),
    bind(Group::Help, &[Char('j'), Code(KeyCode::Down)], KeyAction::Down, "scroll down"),
    bind(Group::Help, &[Char('k'), Code(KeyCode::Up)], KeyAction::Up, "scroll up"),
    bind(Group::Help, &[Code(KeyCode::PageDown)], KeyAction::PageDown, "page down"),
    bind(Group::Help, &[Code(KeyCode::PageUp)], KeyAction::PageUp, "page up"),
    bind(Group::Quit, &[Char('y')], KeyAction::ConfirmQuit, "quit warroom"),
    bind(Group::Quit, &[Char('n'), Code(KeyCode::Esc)], KeyAction::CancelQuit, "stay"),
    bind(Group::Inbox, &[Char('j'), Code(KeyCode::Down)], KeyAction::Down, "next approval"),
    bind(Group::Inbox, &[Char('k'), Code(KeyCode::Up)], KeyAction::Up, "previous approval"),
    bind(Group::Inbox, &[Char('g'), Code(KeyCode::Home)], KeyAction::Top, "first approval"),
    bind(Group::Inbox, &[Char('G'), Code(KeyCode::End)], KeyAction::Bottom, "last approval"),
    bind(Group::Inbox, &[Char('J')], KeyAction::DetailDown, "scroll the detail down"),
    bind(Group::Inbox, &[Char('K')], KeyAction::DetailUp, "scroll the detail up"),
    bind(Group::Inbox, &[Code(KeyCode::PageDown)], KeyAction::DetailPageDown, "detail: next page"),
    bind(Group::Inbox, &[Code(KeyCode::PageUp)], KeyAction::DetailPageUp, "detail: previous page"),
    bind(Group::Inbox, &[Char(']')], KeyAction::NextHunk, "next hunk of the patch"),
    bind(Group::Inbox, &[Char('[')], KeyAction::PrevHunk, "previous hunk"),
    bind(Group::Inbox, &[Char(' ')], KeyAction::ToggleHunk, "accept or reject the hunk (y applies only accepted ones)"),
    bind(Group::Inbox, &[Char('y')], KeyAction::InboxApprove, "approve"),
    bind(Group::Inbox, &[Char('n')], KeyAction::InboxDeny, "deny (type why, Enter sends, Esc cancels)"),
    bind(Group::Inbox, &[Char('a')], KeyAction::InboxAlways, "approve and always allow the command's prefix (r run, R repository)"),
    bind(Group::Inbox, &[Char('e')], KeyAction::InboxEdit, "edit the command, Enter approves the edited line"),
    bind(Group::Inbox, &[Char('?')], KeyAction::ToggleHelp, "help"),
    bind(Group::Inbox, &[Code(KeyCode::Esc), Char('A'), Char('q')], KeyAction::CloseInbox, "close the inbox"),
    bind(Group::Inbox, &[Ctrl('c')], KeyAction::Quit, "quit"),
    bind(Group::InboxPrompt, &[Code(KeyCode::Enter)], KeyAction::PromptSend, "send"),
    bind(Group::InboxPrompt, &[Code(KeyCode::Esc)], KeyAction::PromptCancel, "cancel, nothing is sent"),
    bind(Group::InboxPrompt, &[Ctrl('c')], KeyAction::Quit, "quit"),
    bind(Group::InboxScope, &[Char('r')], KeyAction::ScopeRun, "this run only"),
    bind(Group::InboxScope, &[Char('R')], KeyAction::ScopeRepo, "every run of this repository"),
    bind(Group::InboxScope, &[Code(KeyCode::Esc), Char('n')], KeyAction::PromptCancel, "cancel, nothing is sent"),
    bind(Group::InboxScope, &[Ctrl('c')], KeyAction::Quit, "quit"),
];

const fn bind(
    group: Group,
    keys: &'static [Key],
    action: KeyAction,
    help: &'static str,
) -> Binding {
    Binding {
        group,
        keys,
        action,
        help,
    }
}

impl Group {
    /// Every group, in the order help shows them.
    pub const ALL: [Group; 15] = [
        Group::Global,
        Group::Lists,
        Group::Agents,
        Group::Tasks,
        Group::Memory,
        Group::MemoryInput,
        Group::Logs,
        Group::LogSearch,
        Group::Chat,
        Group::Typing,
        Group::Inbox,
        Group::InboxPrompt,
        Group::InboxScope,
        Group::Help,
        Group::Quit,
    ];

    /// The heading help shows.
    pub fn title(self) -> &'static str {
        match self {
            Group::Global => "Anywhere",
            Group::Lists => "Lists (any pane)",
            Group::Agents => "Agents pane",
            Group::Tasks => "Tasks pane",
            Group::Memory => "Memory inspector",
            Group::MemoryInput => "Memory: typing a search or an edit (other keys edit)",
            Group::Logs => "Logs pane",
            Group::LogSearch => "Logs: typing the search (other keys edit)",
            Group::Chat => "Chat pane",
            Group::Typing => "Typing in chat (other keys edit)",
            Group::Help => "This help",
            Group::Quit => "Quit question",
            Group::Inbox => "Approval inbox (A)",
            Group::InboxPrompt => "Inbox: typing a reason or a command",
            Group::InboxScope => "Inbox: always allow, how far",
        }
    }

    /// The groups consulted in `context`, most specific first.
    fn for_context(context: Context) -> &'static [Group] {
        match context {
            Context::Pane(PaneId::Tasks) => &[Group::Tasks, Group::Lists, Group::Global],
            Context::Pane(PaneId::Logs) => &[Group::Logs, Group::Lists, Group::Global],
            Context::Pane(PaneId::Chat) => &[Group::Chat, Group::Lists, Group::Global],
            Context::Pane(PaneId::Agents) => &[Group::Agents, Group::Lists, Group::Global],
            Context::Pane(PaneId::Memory) => &[Group::Memory, Group::Lists, Group::Global],
            Context::Typing => &[Group::Typing],
            Context::Help => &[Group::Help],
            Context::Quit => &[Group::Quit],
            Context::Inbox => &[Group::Inbox],
            Context::InboxPrompt => &[Group::InboxPrompt],
            Context::InboxScope => &[Group::InboxScope],
            Context::LogSearch => &[Group::LogSearch],
            Context::MemoryInput => &[Group::MemoryInput],
        }
    }
}

impl Context {
    /// The groups consulted in this context, most specific first (the `[keys]` overlay reads
    /// them too).
    pub fn groups(self) -> &'static [Group] {
        Group::for_context(self)
    }
}

/// What `event` asks for in `context`, if the built-in table has it. The screen resolves
/// through `keys_config::Keymap` (this table with the person's `[keys]` over it); the tests
/// check the two agree.
#[cfg(test)]
pub fn resolve(context: Context, event: &KeyEvent) -> Option<KeyAction> {
    Group::for_context(context).iter().find_map(|group| {
        BINDINGS
            .iter()
            .filter(|b| b.group == *group)
            .find(|b| b.keys.iter().any(|k| matches(*k, event)))
            .map(|b| b.action)
    })
}

/// Whether the table's `key` is the pressed `event`.
pub fn matches(key: Key, event: &KeyEvent) -> bool {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let alt = event.modifiers.contains(KeyModifiers::ALT);
    match key {
        Char(c) => event.code == KeyCode::Char(c) && !ctrl && !alt,
        Ctrl(c) => {
            ctrl && !alt && matches!(event.code, KeyCode::Char(e) if e.eq_ignore_ascii_case(&c))
        }
        Code(code) => event.code == code && !ctrl && !alt,
    }
}

/// How help writes a list of keys: "j/↓", "1-5".
pub fn keys_label(keys: &[Key]) -> String {
    let digits: Vec<char> = keys
        .iter()
        .filter_map(|k| match k {
            Char(c) if c.is_ascii_digit() => Some(*c),
            _ => None,
        })
        .collect();
    if digits.len() == keys.len() && digits.len() > 2 {
        if let (Some(first), Some(last)) = (digits.first(), digits.last()) {
            return format!("{first}-{last}");
        }
    }
    keys.iter()
        .map(|k| key_label(*k))
        .collect::<Vec<_>>()
        .join("/")
}

/// How help writes one key.
pub fn key_label(key: Key) -> String {
    match key {
        Char(' ') => "Space".to_string(),
        Char(c) => c.to_string(),
        Ctrl(c) => format!("C-{c}"),
        Code(code) => code_label(code),
    }
}

/// How a hint names a pressed key: "x", "C-x", "A-x", "F5", "Left".
pub fn describe(event: &KeyEvent) -> String {
    let mut prefix = String::new();
    if event.modifiers.contains(KeyModifiers::CONTROL) {
        prefix.push_str("C-");
    }
    if event.modifiers.contains(KeyModifiers::ALT) {
        prefix.push_str("A-");
    }
    let name = match event.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) if c.is_control() => format!("U+{:04X}", u32::from(c)),
        KeyCode::Char(c) => c.to_string(),
        code => code_label(code),
    };
    format!("{prefix}{name}")
}

fn code_label(code: KeyCode) -> String {
    match code {
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::BackTab => "S-Tab".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: Key) -> KeyEvent {
        match key {
            Char(c) if c.is_ascii_uppercase() => {
                KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT)
            }
            Char(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
            Code(KeyCode::BackTab) => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
            Code(code) => KeyEvent::new(code, KeyModifiers::NONE),
        }
    }

    fn contexts(group: Group) -> Vec<Context> {
        match group {
            Group::Global | Group::Lists => PaneId::ALL.iter().map(|p| Context::Pane(*p)).collect(),
            Group::Tasks => vec![Context::Pane(PaneId::Tasks)],
            Group::Logs => vec![Context::Pane(PaneId::Logs)],
            Group::Chat => vec![Context::Pane(PaneId::Chat)],
            Group::Typing => vec![Context::Typing],
            Group::Help => vec![Context::Help],
            Group::Quit => vec![Context::Quit],
            Group::Inbox => vec![Context::Inbox],
            Group::InboxPrompt => vec![Context::InboxPrompt],
            Group::InboxScope => vec![Context::InboxScope],
            Group::Agents => vec![Context::Pane(PaneId::Agents)],
            Group::Memory => vec![Context::Pane(PaneId::Memory)],
            Group::MemoryInput => vec![Context::MemoryInput],
            Group::LogSearch => vec![Context::LogSearch],
        }
    }

    /// Help never lies: every key help lists resolves to its binding's action, except where a
    /// more specific group of the same context documents its own meaning for that key.
    #[test]
    fn every_listed_key_does_what_help_says() {
        for binding in BINDINGS {
            for context in contexts(binding.group) {
                for key in binding.keys {
                    let got = resolve(context, &event(*key));
                    let shadowed = Group::for_context(context)
                        .iter()
                        .take_while(|g| **g != binding.group)
                        .any(|g| {
                            BINDINGS
                                .iter()
                                .any(|b| b.group == *g && b.keys.contains(key))
                        });
                    if !shadowed {
                        assert_eq!(got, Some(binding.action), "{key:?} in {context:?}");
                    }
                }
            }
        }
    }

    /// docs/keybindings.md stays true: every binding's words and every group's heading.
    #[test]
    fn the_keybindings_doc_lists_every_binding() {
        let doc = include_str!("../../docs/keybindings.md")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
        for binding in BINDINGS {
            assert!(doc.contains(binding.help), "{:?} missing", binding.help);
        }
        for group in Group::ALL {
            assert!(doc.contains(&format!("## {}", group.title())), "{group:?}");
        }
    }

    #[test]
    fn labels_read_well() {
        assert_eq!(
            keys_label(&[Char('1'), Char('2'), Char('3'), Char('4'), Char('5')]),
            "1-5"
        );
        assert_eq!(keys_label(&[Char('j'), Code(KeyCode::Down)]), "j/↓");
        assert_eq!(
            describe(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)),
            "C-x"
        );
        assert_eq!(
            describe(&KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)),
            "F5"
        );
    }
}
