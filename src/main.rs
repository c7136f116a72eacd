//! The `warroom` binary: parse the command line, install error hooks and logging, run one
//! subcommand. Everything else lives in the library. Ordinary failures (a bad config, a
//! database owned by someone else) print one readable `error:` line and exit 1; color-eyre's
//! full report is kept for panics, which are bugs.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::Result;
use warroom::cli::{self, Cli, Cmd};
use warroom::protocol::Decision;

fn main() -> ExitCode {
    // warroom's own files (database, lock, logs, config) are private to the user.
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    if let Err(e) = warroom::ui::terminal::install_hooks() {
        eprintln!("error: cannot install the error hooks: {e}");
        return ExitCode::FAILURE;
    }
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            warroom::ui::terminal::restore();
            tracing::error!("{e:?}");
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: Cli) -> Result<ExitCode> {
    match &args.command {
        Some(Cmd::Completions { shell }) => {
            cli::completions(*shell)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Cmd::Doctor) => {
            // The doctor reports a broken config instead of stopping at it.
            let checks = warroom::doctor::run(&cli::repo_paths(&args)?, &args.overrides);
            let healthy = warroom::doctor::print(&checks)?;
            return Ok(if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        _ => {}
    }
    if let Some(Cmd::Demo { record }) = &args.command {
        warroom::demo::run(&args, record.clone())?;
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = cli::context(&args)?;
    let _log = warroom::logging::init(&ctx.config.log).ok();
    match args.command {
        None => warroom::screen::war_room(&ctx)?,
        Some(Cmd::Watch) => warroom::screen::watch(&ctx)?,
        Some(Cmd::Attach) => cli::attach::run(&ctx)?,
        Some(Cmd::Run {
            goal,
            json,
            approve,
            budget_usd,
            approval_timeout,
            record,
        }) => {
            let options = warroom::headless::Options {
                goal,
                json,
                approve,
                budget_usd,
                approval_timeout: approval_timeout.map(std::time::Duration::from_secs),
                record,
                resume: None,
            };
            return warroom::headless::run(&ctx, options);
        }
        Some(Cmd::Resume {
            run,
            json,
            approve,
            approval_timeout,
        }) => {
            let options = warroom::headless::Options {
                goal: String::new(),
                json,
                approve,
                budget_usd: None,
                approval_timeout: approval_timeout.map(std::time::Duration::from_secs),
                record: None,
                resume: Some(run.map(warroom::protocol::RunId)),
            };
            return warroom::headless::run(&ctx, options);
        }
        Some(Cmd::Demo { .. }) => {}
        Some(Cmd::Runs { limit }) => cli::runs(&ctx, limit)?,
        Some(Cmd::Export { run, .. }) => cli::export(&ctx, run)?,
        Some(Cmd::Replay { run }) => cli::replay::run(&ctx, run)?,
        Some(Cmd::Init { force }) => cli::init(&ctx, force)?,
        Some(Cmd::Patches { run, limit }) => cli::patches::list(&ctx, run, limit)?,
        Some(Cmd::Errors { limit, json }) => cli::errors::list(&ctx, limit, json)?,
        Some(Cmd::Rollback { patch }) => cli::patches::rollback(&ctx, patch)?,
        Some(Cmd::Memory { action }) => cli::memory::run(&ctx, action)?,
        Some(Cmd::Approve {
            id,
            run,
            always,
            repo_wide,
        }) => {
            let scope = match (always, repo_wide) {
                (true, true) => Some(warroom::protocol::GrantScope::Repo),
                (true, false) => Some(warroom::protocol::GrantScope::Run),
                (false, _) => None,
            };
            cli::patches::decide(&ctx, id, run, Decision::Approved, scope)?;
        }
        Some(Cmd::Deny { id, run, reason }) => {
            cli::patches::decide(&ctx, id, run, Decision::Denied { reason }, None)?;
        }
        Some(Cmd::Doctor | Cmd::Completions { .. }) => {}
    }
    Ok(ExitCode::SUCCESS)
}
