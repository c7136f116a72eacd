//! Whose screen this is (owner, attach, viewer) and what that changes in words: the status
//! bar's mode, the chat input's note when not typing, and help's first line. Pure; the key
//! handling asks [`Mode::can_send`] before anything is sent.

use crate::store::OwnerState;

use super::super::panes::chat::InputNote;
use super::super::panes::status_bar::ModeWords;
use super::App;

/// Whose screen this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The process that runs the orchestrator: chat, goals and cancel are sent.
    Owner,
    /// `warroom attach`: another process owns the database; chat, decisions and cancels go
    /// through its `commands` table and the owner carries them out.
    Attach {
        /// What is known about the owner.
        owner: OwnerState,
    },
    /// A read-only viewer of another process's database.
    Watch {
        /// What is known about the owner.
        owner: OwnerState,
    },
    /// `warroom replay`: a past run's events stepped through, read-only.
    Replay,
}

impl Mode {
    /// Whether this screen sends commands (owner and attach; a viewer sends nothing).
    pub fn can_send(self) -> bool {
        !matches!(self, Mode::Watch { .. } | Mode::Replay)
    }

    /// Whether a new approval rings the bell and sends a desktop notification here. The
    /// screens that can decide ring; `warroom watch` stays quiet, since a read-only side pane
    /// that rang too would ring twice for one request and could not answer it anyway.
    pub fn rings(self) -> bool {
        self.can_send()
    }
}

impl App {
    pub(super) fn input_note(&self) -> InputNote {
        match self.mode {
            Mode::Owner | Mode::Attach { .. } => InputNote::Owner {
                active: self.view.status.is_active(),
            },
            Mode::Watch { owner } => InputNote::ReadOnly(match owner {
                OwnerState::Alive { pid, .. } => format!("read-only: watching owner pid {pid}"),
                OwnerState::NoOwner => "read-only: the owner has exited".to_string(),
            }),
            Mode::Replay => InputNote::ReadOnly("replay: read-only".to_string()),
        }
    }

    pub(super) fn mode_words(&self) -> ModeWords {
        let (long, short) = match self.mode {
            Mode::Owner => ("owner".to_string(), "owner".to_string()),
            Mode::Replay => ("replay, read-only".to_string(), "replay".to_string()),
            Mode::Attach {
                owner: OwnerState::NoOwner,
            } => (
                "attach, owner exited: commands wait for the next owner".to_string(),
                "attach, owner exited".to_string(),
            ),
            Mode::Attach {
                owner: OwnerState::Alive { pid, .. },
            } => (format!("attach, owner pid {pid}"), "attach".to_string()),
            Mode::Watch {
                owner: OwnerState::NoOwner,
            } => (
                "viewer, read-only, owner exited".to_string(),
                "read-only, owner exited".to_string(),
            ),
            Mode::Watch {
                owner:
                    OwnerState::Alive {
                        pid,
                        heartbeat_age_ms,
                    },
            } if heartbeat_age_ms > 10_000 => (
                format!(
                    "viewer, read-only, owner pid {pid} (silent {}s)",
                    heartbeat_age_ms / 1000
                ),
                format!("read-only, pid {pid} silent {}s", heartbeat_age_ms / 1000),
            ),
            Mode::Watch {
                owner: OwnerState::Alive { pid, .. },
            } => (
                format!("viewer, read-only, owner pid {pid}"),
                format!("read-only, pid {pid}"),
            ),
        };
        ModeWords { long, short }
    }

    pub(super) fn about(&self) -> String {
        match self.mode {
            Mode::Owner => "Owner: you drive the run. Press i to type in chat; a message with no run active starts one.".to_string(),
            Mode::Attach { .. } => format!("{}: chat, decisions and cancels go to the owner, which carries them out. A for the approval inbox.", self.mode_words().long),
            Mode::Watch { .. } => format!("{}: keys browse; nothing is sent.", self.mode_words().long),
            Mode::Replay => "Replay of a past run: ←/→ one event, PgUp/PgDn 100, Home/End, Space plays; nothing is sent.".to_string(),
        }
    }
}
