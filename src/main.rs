//! The `warroom` binary: parse the command line, install error hooks and logging, run one
//! subcommand. Everything else lives in the library.

use clap::Parser;
use color_eyre::eyre::Result;
use warroom::cli::{self, Cli, Cmd};

fn main() -> Result<()> {
    // warroom's own files (database, lock, logs, config) are private to the user.
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    warroom::ui::terminal::install_hooks()?;
    let args = Cli::parse();
    if let Some(Cmd::Completions { shell }) = &args.command {
        return cli::completions(*shell);
    }
    if let Some(Cmd::Doctor) = &args.command {
        // The doctor reports a broken config instead of stopping at it.
        let checks = warroom::doctor::run(&cli::repo_paths(&args)?, &args.overrides);
        if !warroom::doctor::print(&checks)? {
            std::process::exit(1);
        }
        return Ok(());
    }
    let ctx = cli::context(&args)?;
    let _log = warroom::logging::init(&ctx.config.log).ok();
    match args.command {
        None => warroom::screen::war_room(&ctx),
        Some(Cmd::Watch) => warroom::screen::watch(&ctx),
        Some(Cmd::Runs { limit }) => cli::runs(&ctx, limit),
        Some(Cmd::Export { run, .. }) => cli::export(&ctx, run),
        Some(Cmd::Init { force }) => cli::init(&ctx, force),
        Some(Cmd::Doctor | Cmd::Completions { .. }) => Ok(()),
    }
}
