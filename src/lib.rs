//! warroom: a terminal war room for an autonomous team of LLM coding agents.
//!
//! The module map (see `docs/architecture.md` for the data flow):
//!
//! - [`protocol`]: the only types the core and the UI share: `Command` (front end -> core),
//!   `Event` (core -> everyone) and the committed `Record`.
//! - [`config`]: layered settings (defaults < user file < repo file < `WARROOM_*` env <
//!   `--set`), each error naming its source, line:column and key.
//! - [`paths`]: where things live on disk (`<repo>/.warroom/`, XDG config and state folders).
//! - [`store`]: the only module that names rusqlite; one writer thread owns the connection,
//!   readers page through the log.

pub mod config;
pub mod paths;
pub mod protocol;
pub mod store;
