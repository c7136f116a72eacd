//! `warroom doctor`: checks what warroom depends on and says, per line, what is fine, what is
//! missing and what to do. Reads only; never creates the database or the config.
//! `providers.rs` checks the model providers (or the one zero config would pick).

mod providers;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::config;
use crate::paths::RepoPaths;
use crate::store::{OwnerState, Reader, probe_owner};

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// Something the person must fix.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// How it came out.
    pub verdict: Verdict,
    /// What was checked.
    pub topic: &'static str,
    /// What was found, and what to do.
    pub detail: String,
}

fn check(verdict: Verdict, topic: &'static str, detail: impl Into<String>) -> Check {
    Check {
        verdict,
        topic,
        detail: detail.into(),
    }
}

/// Runs every check.
pub fn run(paths: &RepoPaths, overrides: &[String]) -> Vec<Check> {
    let mut checks = Vec::new();
    let options = config::LoadOptions::from_environment(paths.config.clone(), overrides);
    let mut provider_checks = Vec::new();
    let busy = match config::load(options) {
        Ok((config, sources)) => {
            let mut from = Vec::new();
            from.extend(sources.user.map(|p| format!("user {}", p.display())));
            from.extend(sources.repo.map(|p| format!("repo {}", p.display())));
            from.extend(sources.env.iter().map(|v| format!("env {v}")));
            from.extend(sources.overrides.iter().map(|o| format!("--set {o}")));
            let from = if from.is_empty() {
                "built-in defaults only".to_string()
            } else {
                from.join(", ")
            };
            checks.push(check(Verdict::Ok, "config", format!("valid ({from})")));
            checks.extend(keys(&config));
            provider_checks = providers::checks(&config);
            Duration::from_millis(config.store.busy_timeout_ms)
        }
        Err(e) => {
            checks.push(check(Verdict::Fail, "config", e.to_string()));
            Duration::from_millis(5000)
        }
    };
    checks.push(check(
        Verdict::Ok,
        "repo",
        format!(
            "{} ({})",
            paths.repo.display(),
            if paths.repo.join(".git").exists() {
                "git checkout"
            } else {
                "not a git checkout: runs will work on a copy"
            }
        ),
    ));
    checks.push(database(paths, busy));
    checks.push(logs());
    checks.push(terminal());
    checks.extend(tools());
    checks.extend(provider_checks);
    checks
}

/// Prints the report; returns whether every check passed (warnings pass).
pub fn print(checks: &[Check]) -> std::io::Result<bool> {
    let mut out = std::io::stdout().lock();
    for c in checks {
        let mark = match c.verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        };
        writeln!(out, "{mark}  {:<9} {}", c.topic, c.detail)?;
    }
    Ok(checks.iter().all(|c| c.verdict != Verdict::Fail))
}

fn database(paths: &RepoPaths, busy: Duration) -> Check {
    if !paths.db.exists() {
        return check(
            Verdict::Ok,
            "database",
            format!(
                "{} does not exist yet; `warroom` creates it",
                paths.db.display()
            ),
        );
    }
    let owner = match probe_owner(&paths.lock) {
        OwnerState::NoOwner => "no owner running".to_string(),
        OwnerState::Alive {
            pid,
            heartbeat_age_ms,
        } => format!(
            "owned by pid {pid} (heartbeat {:.1} s ago)",
            heartbeat_age_ms as f64 / 1000.0
        ),
    };
    let size = std::fs::metadata(&paths.db).map(|m| m.len()).unwrap_or(0);
    match Reader::open(&paths.db, busy).and_then(|r| Ok((r.runs(1)?, r.last_event_id()?))) {
        Ok((latest, last)) => check(
            Verdict::Ok,
            "database",
            format!(
                "{} ({:.1} MB, {} events, latest run {}; {owner})",
                paths.db.display(),
                size as f64 / 1e6,
                last.0,
                latest.first().map_or("none".to_string(), |r| format!(
                    "{} {}",
                    r.id,
                    r.state.as_str()
                )),
            ),
        ),
        Err(e) => check(Verdict::Fail, "database", e.to_string()),
    }
}

fn logs() -> Check {
    match crate::logging::log_dir() {
        Some(dir) => check(
            Verdict::Ok,
            "log",
            format!(
                "{} (filter: WARROOM_LOG, else RUST_LOG, else [log] level)",
                dir.display()
            ),
        ),
        None => check(
            Verdict::Warn,
            "log",
            "neither XDG_STATE_HOME nor HOME is set: warroom cannot keep a log file",
        ),
    }
}

/// The `[keys]` table laid over the key table: an unknown action or a clash fails here as it
/// would when the screen opens.
fn keys(config: &config::Config) -> Option<Check> {
    match crate::ui::Keymap::from_config(&config.keys) {
        Err(e) => Some(check(Verdict::Fail, "keys", e.to_string())),
        Ok(_) if config.keys.is_empty() => None,
        Ok(_) => Some(check(
            Verdict::Ok,
            "keys",
            format!("{} action(s) remapped in [keys]", config.keys.len()),
        )),
    }
}

fn terminal() -> Check {
    let term = std::env::var("TERM").unwrap_or_default();
    if !std::io::stdout().is_terminal() {
        return check(
            Verdict::Warn,
            "terminal",
            format!("stdout is not a terminal (TERM={term:?}); the screen needs one"),
        );
    }
    let (w, h) = crossterm::terminal::size().unwrap_or((0, 0));
    let colors = crossterm::style::available_color_count();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let tmux = std::env::var_os("TMUX").is_some();
    let layout = match (w, h) {
        (w, h) if w < 40 || h < 10 => "too small: need at least 40x10",
        (w, _) if w <= 60 => "side-pane layout",
        (w, _) if w < 80 => "compact layout",
        (w, _) if w < 120 => "medium layout",
        _ => "wide layout",
    };
    let verdict = if w < 40 || h < 10 {
        Verdict::Warn
    } else {
        Verdict::Ok
    };
    check(
        verdict,
        "terminal",
        format!(
            "{w}x{h} ({layout}), TERM={term}, {colors} colors{}{}",
            if no_color {
                ", NO_COLOR set: no colors"
            } else {
                ""
            },
            if tmux { ", inside tmux" } else { "" }
        ),
    )
}

fn tools() -> Vec<Check> {
    let mut checks = Vec::new();
    let sandbox = crate::core::tools::sandbox::Sandbox::detect();
    let verdict = if sandbox.is_available() {
        Verdict::Ok
    } else {
        Verdict::Warn
    };
    checks.push(check(verdict, "sandbox", sandbox.describe()));
    checks.push(match crate::paths::find_program("git") {
        Some(path) => check(Verdict::Ok, "git", format!("{}", path.display())),
        None => check(
            Verdict::Warn,
            "git",
            "git not found: runs cannot use worktrees and will work on a copy",
        ),
    });
    checks
}
