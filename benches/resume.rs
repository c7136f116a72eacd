//! Issue 5: resume of a run with 1,000,000 events <= 1 s to the first frame.
//!
//! The big synthetic database (1,000,000 events, 10,000 tasks, 200 agents, its run left
//! unfinished, as a killed warroom leaves it) is copied for each trial, given a provider so the
//! team is ready, and the owner (`warroom --repo <copy>`, which picks up the unfinished run) is
//! started into a 120x40 tmux pane of a private tmux server. The clock starts just before `tmux
//! respawn-pane` and stops (1) when `capture-pane` first shows the status bar's "run 1" (the
//! first frame) and (2) when the database holds the `run_resumed` event (the team has read the
//! run's journal and picked it up). The provider points at a closed port: what the team does
//! after resuming is not measured.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{Res, Stats, Tmux, banner, ms, size, verdict};

const TARGET_FIRST_FRAME: Duration = Duration::from_secs(1);

fn main() -> Res<()> {
    if common::skip_unless_bench("resume") {
        return Ok(());
    }
    banner("resume");
    let repo = common::cached_repo(common::big_scenario(), false)?;
    let bin = common::warroom_bin();
    let trials = size(5, 2);
    println!(
        "binary {bin}; database {}; {trials} resumes in a 120x40 tmux pane; {}",
        repo.display(),
        common::machine()
    );
    let tmux = Tmux::start(120, 40)?;
    let mut firsts = Vec::new();
    let mut resumed = Vec::new();
    for _ in 0..trials {
        let copy = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
        common::copy_repo(&repo, copy.path())?;
        std::fs::write(
            copy.path().join(".warroom/config.toml"),
            "[providers.closed]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\n\
             [roles.default]\nmodels = [\"closed/m\"]\n",
        )?;
        let db = copy.path().join(".warroom/state.db");
        let before = last_id(&db)?;
        let path = copy.path().to_string_lossy().into_owned();
        tmux.stop_pane()?;
        let started = Instant::now();
        tmux.respawn(&[bin, "--repo", &path])?;
        firsts.push(tmux.wait_for("run 1", started, Duration::from_secs(30))?);
        loop {
            if resumed_after(&db, before)? {
                resumed.push(started.elapsed());
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err("the run was not resumed within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        tmux.stop_pane()?;
    }
    let f = Stats::of(&firsts);
    let r = Stats::of(&resumed);
    println!();
    println!("{:<22} {:>10} {:>10}", "", "p50", "max");
    println!(
        "{:<22} {:>10} {:>10}",
        "first frame (ms)",
        ms(f.p50),
        ms(f.max)
    );
    println!(
        "{:<22} {:>10} {:>10}",
        "run_resumed (ms)",
        ms(r.p50),
        ms(r.max)
    );
    println!();
    println!(
        "first frame <= {} ms on the slowest start: {}",
        TARGET_FIRST_FRAME.as_millis(),
        verdict(f.max <= TARGET_FIRST_FRAME)
    );
    Ok(())
}

fn open(db: &Path) -> Res<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

fn last_id(db: &Path) -> Res<i64> {
    Ok(open(db)?.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?)
}

/// Whether a `run_resumed` event was committed after event `before` (a range of the rowid,
/// not a scan of the million rows).
fn resumed_after(db: &Path, before: i64) -> Res<bool> {
    Ok(open(db)?.query_row(
        "SELECT count(*) FROM events WHERE id > ?1 AND kind = 'run_resumed'",
        [before],
        |r| r.get::<_, i64>(0),
    )? > 0)
}
