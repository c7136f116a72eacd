//! Opening the screen: the owner's war room (`warroom`), the attached screen (`warroom
//! attach`: full power, through the owner's commands table) and the read-only monitor
//! (`warroom watch`). Wires the store, the core and the App together, takes the terminal,
//! runs the loop and always gives the terminal back and flushes the store, whether the
//! person quit or a signal (SIGTERM, SIGHUP from a dropped SSH link) arrived.

use std::io::IsTerminal;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};

use crate::cli::Context;
use crate::config::Config;
use crate::protocol::EventId;
use crate::store::{OwnerState, Reader, RunSnapshot, probe_owner};
use crate::ui::run::{Exit, Feed};
use crate::ui::{App, Keymap, Mode, UiOptions, terminal};

/// `warroom`: owns the database, runs the core, shows the latest run.
pub fn war_room(ctx: &Context) -> Result<()> {
    war_room_with(ctx, Start::default())
}

/// What the war room starts with besides the config (`warroom demo`, `--record`).
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// A goal given to the team as soon as the screen is up.
    pub goal: Option<String>,
    /// Record every model call to this file.
    pub record: Option<std::path::PathBuf>,
    /// A line posted in the chat of every run (the demo says it is a replay).
    pub announce: Option<String>,
}

/// The war room with `start`'s goal, recording and announcement.
pub fn war_room_with(ctx: &Context, start_with: Start) -> Result<()> {
    let Start {
        goal,
        record,
        announce,
    } = start_with;
    // Ownership first: a second owner hears who owns the database before anything else.
    let owned = crate::cli::open_owner(ctx)?;
    if let Err(e) = require_terminal() {
        owned.close().map_err(|e| eyre!("{e}"))?;
        return Err(e);
    }
    let busy = Duration::from_millis(ctx.config.store.busy_timeout_ms);
    let runtime = runtime()?;
    let result = runtime.block_on(async {
        let (mut app, after) = start(ctx, Mode::Owner)?;
        let store = owned.store.clone();
        let reader = Reader::open(&ctx.paths.db, busy).map_err(|e| eyre!("{e}"))?;
        let team = crate::core::TeamOptions {
            config: ctx.config.clone(),
            approve: None,
            record,
            announce,
        };
        let (core, core_task) = crate::core::spawn(store.clone(), reader, team);
        // A goal starts a run; otherwise the run an earlier warroom left unfinished (a crash,
        // kill -9, a dropped SSH link) is picked up where it stopped.
        let command = match goal {
            Some(text) => crate::protocol::Command::SubmitGoal { text },
            None => crate::protocol::Command::ResumeRun { run: None },
        };
        if !core.send(command).await {
            return Err(eyre!("the core stopped before the goal could be given"));
        }
        let feed = Feed::Owner { store, core };
        let exit = screen(&mut app, ctx, feed, after).await;
        core_task.abort();
        exit
    });
    drop(runtime);
    let closed = owned.close().map_err(|e| eyre!("{e}"));
    let exit = result?;
    closed?;
    tracing::info!(?exit, "war room closed");
    Ok(())
}

/// `warroom watch`: follows the database read-only; works with or without a live owner.
pub fn watch(ctx: &Context) -> Result<()> {
    require_terminal()?;
    let owner = probe_owner(&ctx.paths.lock);
    let runtime = runtime()?;
    let exit = runtime.block_on(async {
        let (mut app, after) = start(ctx, Mode::Watch { owner })?;
        let feed = Feed::Watch {
            lock: ctx.paths.lock.clone(),
            poll: Duration::from_millis(ctx.config.watch.poll_ms),
        };
        screen(&mut app, ctx, feed, after).await
    })?;
    tracing::info!(?exit, "watch closed");
    Ok(())
}

/// `warroom attach`: the full screen for a database another process owns; chat, decisions
/// and cancels are queued in its `commands` table as `sender` and the owner carries them out.
pub fn attach(ctx: &Context, owner: OwnerState, sender: String) -> Result<()> {
    require_terminal()?;
    let runtime = runtime()?;
    let exit = runtime.block_on(async {
        let (mut app, after) = start(ctx, Mode::Attach { owner })?;
        let feed = Feed::Attach {
            paths: ctx.paths.clone(),
            poll: Duration::from_millis(ctx.config.watch.poll_ms),
            sender,
        };
        screen(&mut app, ctx, feed, after).await
    })?;
    tracing::info!(?exit, "attach closed");
    Ok(())
}

/// The App, loaded from a snapshot of the newest run, and the event id it is current to.
fn start(ctx: &Context, mode: Mode) -> Result<(App, EventId)> {
    let busy = Duration::from_millis(ctx.config.store.busy_timeout_ms);
    let reader = Reader::open(&ctx.paths.db, busy).map_err(|e| eyre!("{e}"))?;
    let options = ui_options(&ctx.config);
    let (snapshot, after) = load_latest(&reader, options.log_window)?;
    let mut app = App::new(mode, options);
    app.set_keys(Keymap::from_config(&ctx.config.keys).map_err(|e| eyre!("{e}"))?);
    app.load(snapshot);
    app.set_budget(Some(ctx.config.budget.run_usd));
    if let Mode::Watch { owner } | Mode::Attach { owner } = mode {
        app.set_owner(owner);
    }
    Ok((app, after))
}

fn load_latest(reader: &Reader, log_lines: usize) -> Result<(Option<RunSnapshot>, EventId)> {
    let err = |e: crate::store::StoreError| eyre!("{e}");
    match reader.latest_run().map_err(err)? {
        Some(run) => {
            let snapshot = reader.snapshot(run.id, log_lines).map_err(err)?;
            let after = match &snapshot {
                Some(s) => s.last_event,
                None => reader.last_event_id().map_err(err)?,
            };
            Ok((snapshot, after))
        }
        None => Ok((None, reader.last_event_id().map_err(err)?)),
    }
}

async fn screen(app: &mut App, ctx: &Context, feed: Feed, after: EventId) -> Result<Exit> {
    let busy = Duration::from_millis(ctx.config.store.busy_timeout_ms);
    // The mouse is the owner's and attach's; a read-only watcher leaves it to the terminal.
    let mouse = ctx.config.ui.mouse && !matches!(feed, Feed::Watch { .. });
    let mut tui = terminal::enter(mouse).map_err(|e| eyre!("cannot take the terminal: {e}"))?;
    let _restore = terminal::RestoreOnDrop;
    // `[memory] embeddings`: the memory inspector searches by meaning too.
    let embedder = match crate::core::memory::Embedder::from_config(&ctx.config) {
        Ok(embedder) => embedder,
        Err(e) => {
            app.notice(format!("memory search by meaning is off: {e}"));
            None
        }
    };
    let exit = crate::ui::run::run(&mut tui, app, &ctx.paths.db, busy, embedder, feed, after).await;
    terminal::restore();
    exit.map_err(|e| eyre!("terminal error: {e}"))
}

/// Screen options from config and the environment (`NO_COLOR` wins over `color = "auto"`).
pub fn ui_options(config: &Config) -> UiOptions {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    UiOptions {
        color: config
            .ui
            .color
            .enabled(no_color, std::io::stdout().is_terminal()),
        log_timestamps: config.ui.log_timestamps,
        log_window: config.ui.log_window,
    }
}

/// Refuses to open a screen without a terminal on stdin and stdout.
pub fn require_terminal() -> Result<()> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(eyre!(
            "the war room needs a terminal on stdin and stdout; for scripts use `warroom runs` or `warroom export RUN --jsonl`"
        ))
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| eyre!("cannot start the async runtime: {e}"))
}
