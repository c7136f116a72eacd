//! The ratatui front end: five panes (agent family tree, tasks, logs, memory, chat), a status
//! bar, a help overlay and a quit question, drawn from views that are pure folds of events.
//! Owns everything under `src/ui/` except `run.rs` and `terminal.rs` (the crossterm/tokio loop
//! that drives [`App`], owned by the run-loop side); never reaches into the core or the store
//! beyond the shared protocol types and the store's read types.
//!
//! - [`app`]: the [`App`] state machine: keys in, [`Action`]s out, a frame drawn from state.
//! - [`views`]: the folds (`RunView` and one view per pane); no IO, no ratatui.
//! - `panes`: one `XxxPane` per pane (selection, scroll, input) plus the chrome.
//! - `keymap`: the key table that both key handling and the help overlay read.
//! - `layout`: wide / medium / compact arrangements and the too-small floor.
//! - `theme`: ANSI-16 colours, or plain bold/reversed when colour is off.
//! - [`run`], [`terminal`]: the tokio loop that drives the App, and taking/restoring the terminal;
//!   [`notify`]: the bell and OSC 9 notification a new approval sends;
//!   [`clipboard`]: OSC 52 copy of selected log lines.
//! - `memory_search`: the memory inspector's searches, answered on the run loop's query thread.
//! - `text`, `format`: cleaning untrusted text and fitting it to columns; numbers and times.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod app;
pub mod clipboard;
mod format;
mod keymap;
mod keys_config;
mod layout;
pub mod memory_search;
pub mod notify;
mod panes;
pub mod replay;
pub mod replay_run;
pub mod run;
pub mod terminal;
mod text;
mod theme;
pub mod views;

pub use app::{Action, App, Mode, UiOptions};
pub use keys_config::{Keymap, KeysError};
pub use views::logs::LogRequest;

#[cfg(test)]
mod app_event_tests;
#[cfg(test)]
mod app_tests;
#[cfg(test)]
mod approval_tests;
#[cfg(test)]
mod chat_status_tests;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod fold_tests;
#[cfg(test)]
mod inbox_alert_tests;
#[cfg(test)]
mod inbox_snapshot_tests;
#[cfg(test)]
mod inbox_tests;
#[cfg(test)]
mod logs_snapshot_tests;
#[cfg(test)]
mod logs_tests;
#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod pane_snapshot_tests;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod terminal_tests;
#[cfg(test)]
mod tree_fixture;
#[cfg(test)]
mod tree_tests;
