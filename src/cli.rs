//! The command line: what each `warroom` subcommand does, from parsed arguments to an exit.
//! The screen commands (`warroom`, `warroom watch`) hand over to `ui::run`; the others print to
//! stdout. Only commands that work are exposed.

pub mod attach;
pub mod errors;
pub mod memory;
pub mod patches;
pub mod replay;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::config::{self, Config, Sources};
use crate::paths::RepoPaths;
use crate::protocol::{EventId, RunId};
use crate::store::{OwnedStore, Reader, RunRow};
use crate::timefmt;

/// A terminal war room for an autonomous team of LLM coding agents.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about, long_about = None)]
pub struct Cli {
    /// The repository (default: the git top level above the current folder, else the folder).
    #[arg(long, global = true, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Override a config key for this invocation, e.g. `--set ui.color=never` (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// What to do; without one, open the war room.
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Follow the repository's war room read-only from another terminal (tmux pane, SSH).
    Watch,
    /// The full war room in another terminal: approve, chat and cancel through the running
    /// owner (which carries them out).
    Attach,
    /// List the runs recorded in this repository, newest first.
    Runs {
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Step through a past run's events in the war room's panes (read-only): ←/→ one event,
    /// PgUp/PgDn 100, Home/End, Space plays.
    Replay {
        /// The run id (see `warroom runs`).
        run: i64,
    },
    /// Print a run's events.
    Export {
        /// The run id (see `warroom runs`).
        run: i64,
        /// One JSON object per line (the only format).
        #[arg(long, required = true)]
        jsonl: bool,
    },
    /// List the patches the agents proposed, newest first.
    Patches {
        /// Only this run's patches.
        #[arg(long)]
        run: Option<i64>,
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The newest errors of every run, and each provider's error rate and latency.
    Errors {
        /// How many errors to list.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print one JSON document instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Take an applied patch back out of the working tree.
    Rollback {
        /// The patch id (see `warroom patches`).
        patch: i64,
    },
    /// Approve a pending approval (a patch or a command) of a run.
    Approve {
        /// The approval id.
        id: u32,
        /// The run (default: the newest).
        #[arg(long)]
        run: Option<i64>,
        /// Also let commands with the same program and subcommand run without asking in
        /// this run.
        #[arg(long)]
        always: bool,
        /// With --always: in every run of this repository, from now on.
        #[arg(long, requires = "always")]
        repo_wide: bool,
    },
    /// Deny a pending approval of a run.
    Deny {
        /// The approval id.
        id: u32,
        /// The run (default: the newest).
        #[arg(long)]
        run: Option<i64>,
        /// Why, passed back to the agent.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Give the team a goal and run it without the screen (progress lines, or `--json` events).
    Run {
        /// The goal, in words.
        goal: String,
        /// Print every event as a JSON line (the event log's records).
        #[arg(long)]
        json: bool,
        /// How approvals that would ask are answered.
        #[arg(long, value_enum, default_value = "ask")]
        approve: crate::headless::ApproveMode,
        /// The run's budget in dollars (overrides budget.run_usd).
        #[arg(long, value_name = "USD")]
        budget_usd: Option<f64>,
        /// Stop waiting for a decision after this many seconds (exit code 3).
        #[arg(long, value_name = "SECS")]
        approval_timeout: Option<u64>,
        /// Record every model call to FILE (JSON lines), to replay later.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// Pick up the unfinished run (the newest, or --run N) after warroom stopped (a crash,
    /// kill -9, a dropped SSH link), without the screen; prints like `run`.
    Resume {
        /// The run (default: the newest unfinished one).
        #[arg(long)]
        run: Option<i64>,
        /// Print every event as a JSON line (the event log's records).
        #[arg(long)]
        json: bool,
        /// How approvals that would ask are answered.
        #[arg(long, value_enum, default_value = "ask")]
        approve: crate::headless::ApproveMode,
        /// Stop waiting for a decision after this many seconds (exit code 3).
        #[arg(long, value_name = "SECS")]
        approval_timeout: Option<u64>,
    },
    Demo {
        /// Record every model call to FILE (JSON lines), to replay later.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// Search, list, show, pin, forget or edit what the team remembers.
    Memory {
        /// What to do.
        #[command(subcommand)]
        action: memory::MemoryCmd,
    },
    /// Check config, database, log file, terminal and sandbox tools.
    Doctor,
    /// Write a commented repo config to `.warroom/config.toml`.
    Init {
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Everything a subcommand needs, resolved once.
pub struct Context {
    /// The repository's paths.
    pub paths: RepoPaths,
    /// The merged configuration.
    pub config: Config,
    /// Where it came from.
    pub sources: Sources,
}

/// Finds the repository and loads the configuration.
pub fn context(cli: &Cli) -> Result<Context> {
    let paths = repo_paths(cli)?;
    let options = config::LoadOptions::from_environment(paths.config.clone(), &cli.overrides);
    let (config, sources) = config::load(options).map_err(|e| eyre!("{e}"))?;
    Ok(Context {
        paths,
        config,
        sources,
    })
}

/// The repository's paths: `--repo`, else the nearest repository above the current folder.
pub fn repo_paths(cli: &Cli) -> Result<RepoPaths> {
    let repo = match &cli.repo {
        Some(repo) => {
            if !repo.is_dir() {
                return Err(eyre!("--repo {}: not a folder", repo.display()));
            }
            repo.clone()
        }
        None => find_repo(&std::env::current_dir().wrap_err("cannot read the current folder")?),
    };
    RepoPaths::new(&repo).wrap_err("cannot resolve the repository path")
}

/// The nearest folder at or above `start` that holds `.warroom` or `.git`; else `start`.
pub fn find_repo(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join(".warroom").is_dir() || dir.join(".git").exists())
        .unwrap_or(start)
        .to_path_buf()
}

/// `warroom runs`.
pub fn runs(ctx: &Context, limit: usize) -> Result<()> {
    let reader = open_reader(ctx)?;
    let runs = reader.runs(limit).map_err(|e| eyre!("{e}"))?;
    let mut out = std::io::stdout().lock();
    if runs.is_empty() {
        writeln!(out, "no runs yet in {}", ctx.paths.repo.display())?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<17}  {:<20}  {:>8}  {:>9}  {:>9}  goal",
        "run", "state", "started (UTC)", "took", "tokens", "cost"
    )?;
    for run in runs {
        writeln!(out, "{}", run_line(&run))?;
    }
    Ok(())
}

fn run_line(run: &RunRow) -> String {
    let took = run
        .finished_at
        .map(|end| timefmt::duration(end.0 - run.started_at.0))
        .unwrap_or_else(|| "-".into());
    let goal: String = run
        .goal
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    format!(
        "{:>5}  {:<17}  {:<20}  {:>8}  {:>9}  {:>9}  {}",
        run.id,
        run.state.as_str(),
        timefmt::datetime(run.started_at),
        took,
        run.tokens,
        format!("${:.4}", run.cost_usd),
        goal
    )
}

/// `warroom export RUN --jsonl`: every event of the run, one JSON record per line, paged.
pub fn export(ctx: &Context, run: i64) -> Result<()> {
    let reader = open_reader(ctx)?;
    let run = RunId(run);
    if reader.run(run).map_err(|e| eyre!("{e}"))?.is_none() {
        return Err(eyre!(
            "no run {run} in {} (see `warroom runs`)",
            ctx.paths.db.display()
        ));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut after = EventId(0);
    let mut skipped = 0usize;
    loop {
        let page = reader
            .events_after(Some(run), after, 10_000)
            .map_err(|e| eyre!("{e}"))?;
        for record in &page.records {
            serde_json::to_writer(&mut out, record)?;
            out.write_all(b"\n")?;
        }
        for row in &page.skipped {
            skipped += 1;
            tracing::warn!(id = row.id.0, "export skipped event: {}", row.reason);
        }
        match page.last_id {
            Some(last) => after = last,
            None => break,
        }
    }
    out.flush()?;
    if skipped > 0 {
        writeln!(
            std::io::stderr(),
            "warning: {skipped} event(s) of a kind this warroom cannot read were left out"
        )?;
    }
    Ok(())
}

/// `warroom init`.
pub fn init(ctx: &Context, force: bool) -> Result<()> {
    ctx.paths
        .ensure_dir()
        .wrap_err_with(|| format!("cannot create {}", ctx.paths.dir.display()))?;
    let path = &ctx.paths.config;
    if path.exists() && !force {
        return Err(eyre!(
            "{} already exists; use `warroom init --force` to replace it",
            path.display()
        ));
    }
    std::fs::write(path, config::repo_template())
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    writeln!(std::io::stdout(), "wrote {}", path.display())?;
    Ok(())
}

/// `warroom completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "warroom", &mut std::io::stdout());
    Ok(())
}

/// Opens the repository's database for reading, with a message that says what to do when
/// there is none.
pub fn open_reader(ctx: &Context) -> Result<Reader> {
    Reader::open(
        &ctx.paths.db,
        Duration::from_millis(ctx.config.store.busy_timeout_ms),
    )
    .map_err(|e| eyre!("{e}"))
}

/// Opens the database as its owner.
pub fn open_owner(ctx: &Context) -> Result<OwnedStore> {
    OwnedStore::open(&ctx.paths, ctx.config.store.options()).map_err(|e| eyre!("{e}"))
}
