//! warroom: a terminal war room for an autonomous team of LLM coding agents.
//!
//! The module map (see `docs/architecture.md` for the data flow):
//!
//! - [`protocol`]: the only types the core and the UI share: `Command` (front end -> core),
//!   `Event` (core -> everyone) and the committed `Record`.
//! - [`cli`]: the subcommands (clap) and what each prints; [`doctor`] checks the set-up;
//!   [`screen`] opens the war room or the read-only monitor.
//! - [`config`]: layered settings (defaults < user file < repo file < `WARROOM_*` env <
//!   `--set`), each error naming its source, line:column and key.
//! - [`core`]: carries out commands and records what happened as events; never imports the UI.
//!   Holds the model layer (`core::llm`), the tools (`core::tools`), worktrees and patches,
//!   and the agent team (`core::team`).
//! - [`hunks`]: unified diffs by hunk: the approval inbox's per-hunk choices, built and checked.
//! - [`headless`]: `warroom run "GOAL"`, the team without the screen; [`demo`]: `warroom demo`.
//! - [`logging`]: warroom's own diagnostics, to a rotating private file, never the terminal.
//! - [`paths`]: where things live on disk (`<repo>/.warroom/`, XDG config and state folders).
//! - [`store`]: the only module that names rusqlite; one writer thread owns the connection,
//!   readers page through the log.
//! - [`synth`]: a deterministic synthetic event source for tests and benchmarks.
//! - [`timefmt`]: UTC date-times and short durations for people.
//! - [`ui`]: the ratatui front end: five panes drawn from views that fold events, the key
//!   table, layouts by terminal size, and the `App` state machine the run loop drives.

pub mod cli;
pub mod config;
pub mod core;
pub mod demo;
pub mod doctor;
pub mod headless;
pub mod hunks;
pub mod logging;
pub mod paths;
pub mod protocol;
pub mod screen;
pub mod store;
pub mod synth;
pub mod timefmt;
pub mod ui;
