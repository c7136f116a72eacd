//! `warroom replay RUN`: a past run's events stepped through in the war room's panes,
//! read-only (no owner needed, nothing is written). Finds the run, lists its event ids, takes
//! the terminal and hands over to the replay loop; an unknown run is a readable error naming
//! the run and `warroom runs`.

use std::time::Duration;

use color_eyre::eyre::{Result, eyre};

use crate::cli::Context;
use crate::protocol::{EventId, RunId};
use crate::store::{Page, Reader};
use crate::ui::replay::{Replay, Source};
use crate::ui::replay_run::{self, Move, Player};
use crate::ui::{App, Keymap, Mode, terminal};

/// The store as a replay's source: one run's events in id order.
pub struct StoreSource {
    reader: Reader,
    run: RunId,
}

impl StoreSource {
    /// Reads `run`'s events through `reader`.
    pub fn new(reader: Reader, run: RunId) -> Self {
        StoreSource { reader, run }
    }
}

impl Source for StoreSource {
    fn after(&mut self, after: EventId, limit: usize) -> Result<Page, String> {
        self.reader
            .events_after(Some(self.run), after, limit)
            .map_err(|e| e.to_string())
    }
}

/// Opens the replay of `run`: the engine over the store, at its first event.
pub fn open(ctx: &Context, run: i64) -> Result<(Player<StoreSource>, App)> {
    if !ctx.paths.db.exists() {
        return Err(eyre!(
            "no runs recorded in this repository yet ({} does not exist); `warroom runs` lists them",
            ctx.paths.db.display()
        ));
    }
    let busy = Duration::from_millis(ctx.config.store.busy_timeout_ms);
    let reader = Reader::open(&ctx.paths.db, busy).map_err(|e| eyre!("{e}"))?;
    let id = RunId(run);
    if reader.run(id).map_err(|e| eyre!("{e}"))?.is_none() {
        return Err(eyre!(
            "there is no run {run} in {}; `warroom runs` lists the runs recorded here",
            ctx.paths.db.display()
        ));
    }
    let ids = reader.event_ids(id).map_err(|e| eyre!("{e}"))?;
    let options = crate::screen::ui_options(&ctx.config);
    let mut app = App::new(Mode::Replay, options);
    app.set_keys(Keymap::from_config(&ctx.config.keys).map_err(|e| eyre!("{e}"))?);
    let budget = ctx.config.budget.run_usd;
    app.set_budget(Some(budget));
    let replay = Replay::new(StoreSource::new(reader, id), id, ids, options.log_window);
    let mut player = Player::new(replay);
    player
        .apply(Move::Start, &mut app)
        .map_err(|e| eyre!("cannot read run {run}: {e}"))?;
    Ok((player, app))
}

/// `warroom replay RUN`.
pub fn run(ctx: &Context, run: i64) -> Result<()> {
    let (mut player, mut app) = open(ctx, run)?;
    crate::screen::require_terminal()?;
    let color = crate::screen::ui_options(&ctx.config).color;
    let mut tui = terminal::enter(false).map_err(|e| eyre!("cannot take the terminal: {e}"))?;
    let _restore = terminal::RestoreOnDrop;
    let busy = Duration::from_millis(ctx.config.store.busy_timeout_ms);
    let pages = Reader::open(&ctx.paths.db, busy).map_err(|e| eyre!("{e}"))?;
    let result = replay_run::run(&mut tui, &mut app, &mut player, &pages, color);
    terminal::restore();
    result.map_err(|e| eyre!("terminal error: {e}"))
}
