//! Colours and emphasis. Only the 16 ANSI colours (so the terminal's own palette decides the
//! exact shades and light themes stay legible); with colour off every style is plain, and
//! focus and selection are carried by bold and reversed alone. Knows nothing of layout or
//! events beyond the status enums it colours.

use ratatui::style::{Color, Modifier, Style};

use super::views::diff::RowKind;
use crate::protocol::{AgentStatus, ChatRole, LogLevel, RunState, TaskStatus};

/// The styles every pane draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// The coloured theme when `color` is true, the plain one otherwise.
    pub fn new(color: bool) -> Self {
        Theme { color }
    }

    /// A pane's border.
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::default().add_modifier(Modifier::BOLD),
            (false, _) => self.fg(Color::DarkGray),
        }
    }

    /// A pane's title.
    pub fn title(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    }

    /// Secondary text: ids, separators, empty-state words.
    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// Emphasised text.
    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// The selected row: reversed in the focused pane, bold elsewhere.
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }

    /// An agent's status glyph and word.
    pub fn agent_status(&self, status: AgentStatus) -> Style {
        self.fg(match status {
            AgentStatus::Idle => Color::DarkGray,
            AgentStatus::Thinking => Color::Yellow,
            AgentStatus::CallingTool => Color::Cyan,
            AgentStatus::WaitingApproval => Color::Magenta,
            AgentStatus::Blocked => Color::LightRed,
            AgentStatus::Done => Color::Green,
            AgentStatus::Failed => Color::Red,
        })
    }

    /// A task's status word.
    pub fn task_status(&self, status: TaskStatus) -> Style {
        self.fg(match status {
            TaskStatus::Pending | TaskStatus::Cancelled => Color::DarkGray,
            TaskStatus::Ready => Color::Blue,
            TaskStatus::Running => Color::Yellow,
            TaskStatus::Blocked => Color::Magenta,
            TaskStatus::Done => Color::Green,
            TaskStatus::Failed => Color::Red,
        })
    }

    /// The run's state in the status bar.
    pub fn run_state(&self, state: RunState) -> Style {
        let style = self.fg(match state {
            RunState::Planning | RunState::Working | RunState::Applying => Color::Yellow,
            RunState::AwaitingApproval | RunState::Blocked => Color::Magenta,
            RunState::Done => Color::Green,
            RunState::Failed => Color::Red,
            RunState::Cancelled => Color::DarkGray,
        });
        style.add_modifier(Modifier::BOLD)
    }

    /// A log line's level tag.
    pub fn level(&self, level: LogLevel) -> Style {
        match level {
            LogLevel::Debug => self.fg(Color::DarkGray),
            LogLevel::Info => self.fg(Color::Cyan),
            LogLevel::Warn => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            LogLevel::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    /// A log line's text.
    pub fn log_text(&self, level: LogLevel) -> Style {
        match level {
            LogLevel::Debug => self.fg(Color::DarkGray),
            LogLevel::Info => Style::default(),
            LogLevel::Warn => self.fg(Color::Yellow),
            LogLevel::Error => self.fg(Color::Red),
        }
    }

    /// Who wrote a chat message.
    pub fn chat_role(&self, role: ChatRole) -> Style {
        let style = self.fg(match role {
            ChatRole::User => Color::Cyan,
            ChatRole::Planner => Color::Green,
            ChatRole::System => Color::Yellow,
        });
        style.add_modifier(Modifier::BOLD)
    }

    /// A count that needs the person (pending approvals).
    pub fn badge(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A short answer to a key press.
    pub fn hint(&self) -> Style {
        self.fg(Color::Yellow)
    }

    /// A warning or error the person should read.
    pub fn warning(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A row of the inbox's diff view (green added, red removed, cyan hunk headings); a
    /// rejected hunk is dimmed and struck through whatever it holds.
    pub fn diff(&self, kind: RowKind, rejected: bool) -> Style {
        if rejected {
            return self.dim().add_modifier(Modifier::CROSSED_OUT);
        }
        match kind {
            RowKind::File => self.bold().add_modifier(Modifier::UNDERLINED),
            RowKind::Meta | RowKind::Note => self.dim(),
            RowKind::Hunk => self.fg(Color::Cyan),
            RowKind::Added => self.fg(Color::Green),
            RowKind::Removed => self.fg(Color::Red),
            RowKind::Context => Style::default(),
            RowKind::Binary => self.fg(Color::Yellow),
        }
    }

    /// A progress gauge's filled part.
    pub fn gauge(&self) -> Style {
        self.fg(Color::Green)
    }

    /// The pinned marker of a memory entry.
    pub fn pinned(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// A tab of the compact layout's tab strip.
    pub fn tab(&self, active: bool) -> Style {
        if active {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
        }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }
}
