//! The sentinel: a watchdog without a model, one per run. It follows the run's committed
//! events (the store's broadcast), keeps a heartbeat per agent in a pure state machine
//! (`sentinel/machine.rs`) and performs what the machine decides when a busy agent shows no
//! progress for `[sentinel]`'s thresholds: a warning in the logs (`AgentStalled`), then the
//! agent's model call cancelled and sent again (`Shared::interrupt`), then an error and a
//! message from the planner asking the person. Sleeps until the next step can fall due or an
//! event arrives; never a fixed-rate loop. Ends with the run.
//!
//! Writes only events of its own run; never touches the UI, the worktree or the tools.

pub mod machine;

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use machine::{Effect, Machine, SOURCE, Thresholds};

use crate::config::Config;
use crate::core::team::shared::Shared;
use crate::protocol::{Event, RunId};
use crate::store::{Committed, Reader};

/// How often the sentinel looks whether its run is still alive while no agent is busy.
const ALIVE_CHECK: Duration = Duration::from_secs(30);

/// The thresholds `[sentinel]` sets.
pub fn thresholds(config: &Config) -> Thresholds {
    let s = &config.sentinel;
    Thresholds {
        warn: Duration::from_secs(s.warn_after_secs),
        retry: Duration::from_secs(s.retry_after_secs),
        escalate: Duration::from_secs(s.escalate_after_secs),
    }
}

/// Starts watching `shared`'s run (unless `sentinel.enabled` is off). Call it before the run's
/// first event, so no agent is missed. The task ends when the run finishes, its shared state
/// is gone, or the store closes.
pub fn watch(shared: &Arc<Shared>) -> Option<JoinHandle<()>> {
    if !shared.env.config.sentinel.enabled {
        return None;
    }
    let events = shared.env.store.subscribe();
    let machine = Machine::new(thresholds(&shared.env.config));
    Some(tokio::spawn(follow(
        Arc::downgrade(shared),
        shared.run,
        events,
        machine,
    )))
}

async fn follow(
    shared: Weak<Shared>,
    run: RunId,
    mut events: broadcast::Receiver<Committed>,
    mut machine: Machine,
) {
    // A resumed run's agents were spawned before this process: start from their statuses.
    // Events committed meanwhile wait in `events` and are folded after, so none is lost.
    resync(&shared, run, &mut machine).await;
    loop {
        let wake = machine
            .next_due()
            .map(Instant::from_std)
            .unwrap_or_else(|| Instant::now() + ALIVE_CHECK);
        tokio::select! {
            batch = events.recv() => match batch {
                Ok(batch) => {
                    let now = std::time::Instant::now();
                    for record in batch.iter().filter(|r| r.run == run) {
                        if matches!(record.event, Event::RunFinished { .. }) {
                            return;
                        }
                        machine.observe(now, &record.event);
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(%run, missed, "sentinel: fell behind the event log; re-reading the agents");
                    resync(&shared, run, &mut machine).await;
                }
                Err(RecvError::Closed) => return,
            },
            () = tokio::time::sleep_until(wake) => {}
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for effect in machine.tick(std::time::Instant::now()) {
            match effect {
                Effect::Emit(event) => shared.emit(event).await,
                Effect::Interrupt(agent) => shared.interrupt(agent),
            }
        }
    }
}

/// The agents' statuses from the database (at the start, and after missed batches).
async fn resync(shared: &Weak<Shared>, run: RunId, machine: &mut Machine) {
    let Some((db, busy)) = shared.upgrade().map(|s| {
        (
            s.env.store.paths().db.clone(),
            Duration::from_millis(s.env.config.store.busy_timeout_ms),
        )
    }) else {
        return;
    };
    let read = tokio::task::spawn_blocking(move || Reader::open(&db, busy)?.agents(run)).await;
    match read {
        Ok(Ok(rows)) => {
            let agents: Vec<_> = rows
                .into_iter()
                .map(|a| (a.id, a.role, a.status, a.task))
                .collect();
            machine.resync(std::time::Instant::now(), &agents);
        }
        Ok(Err(e)) => tracing::warn!(%run, "sentinel: cannot re-read the agents: {e}"),
        Err(e) => tracing::warn!(%run, "sentinel: re-reading the agents stopped: {e}"),
    }
}
