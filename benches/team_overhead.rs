//! The agent team's own cost (issue 4, "Agent team"), with a model that answers at once: an
//! in-process `ChatProvider` behind the real `Router` (its events go to a real `Store` on a
//! temp file), driving real `team::agent::Agent`s through the real driver loop
//! (`team::drive::drive`: model call, tool dispatch with its events, agent status).
//!
//! 1. `Agent::handle` alone (pure): one step = the model's answer with a tool call, then the
//!    tool's result (which asks the model again).
//! 2. One agent at a time: per step, the time between two model calls of the same agent,
//!    i.e. everything the orchestrator does for a step. Target p99 <= 1 ms.
//! 3. 100 agents at once, each doing the same steps, while a "screen" task folds every
//!    committed batch into `warroom::ui::App` the way the owner's screen does (`App::apply`
//!    per batch, a frame into a 120x40 `TestBackend` at most every 16 ms when something
//!    changed). Reported: steps per second, apply and frame p50/p99, and the lag from commit
//!    (a separate thread takes the broadcast the moment the writer sends it) to the end of
//!    `App::apply` for the same batch.
//!
//! Each tool call names a tool the agent is not given: dispatch answers with an error after
//! emitting `ToolCallBegan`/`ToolCallEnded` and two status changes, so no tool's own work is
//! measured, only the orchestrator's.

// Harness code: a failed setup should stop the bench loudly, and it prints its table.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::watch;
use warroom::config::{self, LoadOptions};
use warroom::core::llm::router::{EventSink, Router};
use warroom::core::llm::{
    ChatProvider, ChatRequest, FinishReason, LlmError, LlmStream, Role, StreamEvent, ToolCall,
    Usage,
};
use warroom::core::team::TeamEnv;
use warroom::core::team::agent::{Agent, Effect, Input};
use warroom::core::team::drive::drive;
use warroom::core::team::policy::Rules;
use warroom::core::team::roles::Job;
use warroom::core::team::shared::Shared;
use warroom::core::tools::sandbox::Sandbox;
use warroom::paths::RepoPaths;
use warroom::protocol::{Event, EventId};
use warroom::store::{OwnedStore, Store, StoreOptions};
use warroom::ui::{App, Mode, UiOptions};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const TARGET_STEP: Duration = Duration::from_millis(1);
const FRAME: Duration = Duration::from_millis(16);
/// Model turns per agent: `STEPS - 1` tool calls, then a final answer.
const STEPS: usize = 50;

fn main() -> Res<()> {
    if common::skip_unless_bench("team_overhead") {
        return Ok(());
    }
    banner("team_overhead");
    println!("{}", common::machine());
    common::runtime()?.block_on(run())
}

async fn run() -> Res<()> {
    pure_steps();
    let dir = tempfile::tempdir()?;
    let paths = RepoPaths::new(dir.path())?;
    let owned = OwnedStore::open(&paths, StoreOptions::default())?;
    let model = Arc::new(ZeroModel::default());
    let env = team_env(&owned.store, &paths, &model)?;
    one_at_a_time(&env, &model).await?;
    hundred_at_once(&env, &model).await?;
    drop(env);
    tokio::task::spawn_blocking(move || owned.close()).await??;
    Ok(())
}

/// A model that answers at once: a tool call with fresh arguments until the agent's
/// `STEPS`th turn, then words. It notes when each agent (named in its system prompt) asked.
#[derive(Default)]
struct ZeroModel {
    asked: Mutex<Vec<(usize, Instant)>>,
}

impl ChatProvider for ZeroModel {
    fn name(&self) -> &str {
        "zero"
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        let now = Instant::now();
        let agent = request.messages[0]
            .content
            .trim_start_matches("agent ")
            .parse::<usize>()
            .unwrap_or(usize::MAX);
        self.asked.lock().unwrap().push((agent, now));
        let turn = request
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        let mut events = Vec::new();
        if turn + 1 < STEPS {
            let call = ToolCall {
                id: format!("call_{turn}"),
                name: "noop".into(),
                arguments: format!("{{\"step\": {turn}}}"),
            };
            events.push(StreamEvent::ToolCall { call });
        } else {
            events.push(StreamEvent::TextDelta {
                text: "done".into(),
            });
        }
        events.push(StreamEvent::Usage {
            usage: Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_tokens: 0,
                cache_write_tokens: 0,
            },
        });
        events.push(StreamEvent::Done {
            finish_reason: FinishReason::Stop,
        });
        let stream: LlmStream = Box::pin(futures_util::stream::iter(events.into_iter().map(Ok)));
        Box::pin(async move { Ok(stream) })
    }
}

impl ZeroModel {
    /// Per-step times since the last call: gaps between an agent's consecutive model calls.
    fn take_steps(&self) -> Vec<Duration> {
        let asked = std::mem::take(&mut *self.asked.lock().unwrap());
        let mut last: HashMap<usize, Instant> = HashMap::new();
        let mut steps = Vec::with_capacity(asked.len());
        for (agent, at) in asked {
            if let Some(before) = last.insert(agent, at) {
                steps.push(at - before);
            }
        }
        steps
    }
}

/// The process's parts for a team run: the router over the zero-latency model, no sandbox.
fn team_env(store: &Store, paths: &RepoPaths, model: &Arc<ZeroModel>) -> Res<TeamEnv> {
    std::fs::write(
        &paths.config,
        "[providers.zero]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\n\
         [roles.default]\nmodels = [\"zero/m\"]\n\n[cache]\nenabled = false\n",
    )?;
    let (config, _) = config::load(LoadOptions {
        repo_file: Some(paths.config.clone()),
        ..LoadOptions::default()
    })?;
    let provider: Arc<dyn ChatProvider> = model.clone();
    let providers = HashMap::from([("zero".to_string(), provider)]);
    let router = Router::new(&config, &providers, EventSink::Store(store.clone()))?;
    Ok(TeamEnv {
        store: store.clone(),
        router,
        config: Arc::new(config),
        sandbox: Arc::new(Sandbox::Unavailable {
            why: "the bench runs no commands".into(),
        }),
        repo: paths.repo.clone(),
        next_patch: Arc::new(AtomicI64::new(1)),
    })
}

/// Part 1: `Agent::handle` alone.
fn pure_steps() {
    let agents = size(200, 20);
    let mut samples = Vec::with_capacity(agents * STEPS);
    for a in 0..agents {
        let mut agent = Agent::new(&format!("agent {a}"), Vec::new(), STEPS as u32 + 1);
        let mut effects = agent.handle(Input::Start {
            brief: "bench".into(),
        });
        for step in 0..STEPS - 1 {
            assert!(matches!(effects.last(), Some(Effect::CallModel { .. })));
            let started = Instant::now();
            let call = ToolCall {
                id: format!("call_{step}"),
                name: "noop".into(),
                arguments: format!("{{\"step\": {step}}}"),
            };
            let run = agent.handle(Input::Answer {
                text: String::new(),
                tool_calls: vec![call.clone()],
            });
            assert!(matches!(run.last(), Some(Effect::RunTool { .. })));
            effects = agent.handle(Input::ToolDone {
                call_id: call.id,
                content: "error: there is no tool \"noop\" for you".into(),
            });
            samples.push(started.elapsed());
        }
    }
    let s = Stats::of(&samples);
    println!();
    println!(
        "1. Agent::handle alone ({agents} agents x {} steps, pure)",
        STEPS - 1
    );
    println!(
        "   per step: p50 {} ms, p99 {} ms, max {} ms",
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
}

/// Starts one agent's loop in a fresh run: returns its shared state and job.
async fn start_agent(env: &TeamEnv, run_goal: &str) -> Res<Arc<Shared>> {
    let run = env.store.create_run(run_goal, "bench").await?;
    let rules = Rules::new(env.config.approvals.clone());
    Ok(Shared::new(env.clone(), run, run_goal.to_string(), rules))
}

/// One agent's whole loop: spawned, given a task, driven for `STEPS` model turns.
async fn agent_loop(shared: Arc<Shared>, index: usize) -> Result<String, String> {
    let agent = shared.spawn_agent("analyst", None).await;
    let task = shared.next_task();
    shared
        .emit(Event::TaskCreated {
            task,
            parent: None,
            title: format!("bench task {index}"),
            deps: Vec::new(),
            owner: Some(agent),
        })
        .await;
    let job = Job {
        task,
        title: format!("bench task {index}"),
        role: "analyst".into(),
        agent,
    };
    let mut state = Agent::new(&format!("agent {index}"), Vec::new(), STEPS as u32 + 1);
    drive(
        &shared,
        &job,
        &mut state,
        &[],
        Input::Start {
            brief: "bench".into(),
        },
    )
    .await
}

/// Part 2: agents one after another.
async fn one_at_a_time(env: &TeamEnv, model: &ZeroModel) -> Res<()> {
    let agents = size(40, 4);
    let shared = start_agent(env, "one agent at a time").await?;
    model.take_steps();
    let started = Instant::now();
    for index in 0..agents {
        agent_loop(Arc::clone(&shared), index).await?;
    }
    let wall = started.elapsed();
    env.store.flush().await?;
    let s = Stats::of(&model.take_steps());
    println!();
    println!(
        "2. one agent at a time ({agents} agents x {STEPS} model turns, events into the store)"
    );
    println!(
        "   per step: p50 {} ms, p99 {} ms, max {} ms (mean over the wall time {} ms)  target p99 <= {} ms: {}",
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        ms(wall / (agents * STEPS) as u32),
        ms(TARGET_STEP),
        verdict(s.p99 <= TARGET_STEP)
    );
    Ok(())
}

/// What the screen task saw.
#[derive(Default)]
struct Screen {
    apply: Vec<Duration>,
    frames: Vec<Duration>,
    /// (first id of the batch, when `App::apply` returned).
    applied: Vec<(i64, Instant)>,
    lagged: u64,
    records: usize,
}

/// Part 3: 100 agents at once, with the screen folding every batch.
async fn hundred_at_once(env: &TeamEnv, model: &ZeroModel) -> Res<()> {
    let agents = size(100, 20);
    let (stop_tx, stop) = watch::channel(EventId(i64::MAX));
    let clock = commit_clock(&env.store, stop.clone());
    let screen = tokio::spawn(screen(env.store.subscribe(), stop));
    let shared = start_agent(env, "a hundred agents at once").await?;
    model.take_steps();
    let started = Instant::now();
    let loops: Vec<_> = (0..agents)
        .map(|index| tokio::spawn(agent_loop(Arc::clone(&shared), index)))
        .collect();
    for handle in loops {
        handle.await??;
    }
    let wall = started.elapsed();
    let last = env.store.flush().await?;
    let _ = stop_tx.send(last);
    let screen = screen.await?;
    let committed = clock
        .join()
        .map_err(|_| "the commit clock thread panicked")?;
    let steps = Stats::of(&model.take_steps());
    let lag: Vec<Duration> = screen
        .applied
        .iter()
        .filter_map(|(first, applied)| committed.get(first).map(|at| *applied - *at))
        .collect();
    let (apply, frames, lag) = (
        Stats::of(&screen.apply),
        Stats::of(&screen.frames),
        Stats::of(&lag),
    );
    let total = agents * STEPS;
    println!();
    println!(
        "3. {agents} agents at once ({agents} x {STEPS} model turns) with the screen folding every batch"
    );
    println!(
        "   {total} steps in {} ms: {:.0} steps/s, {} ms of wall time per step; per agent step (waiting for the others included): p50 {} ms, p99 {} ms",
        ms(wall),
        total as f64 / wall.as_secs_f64(),
        ms(wall / total as u32),
        ms(steps.p50),
        ms(steps.p99)
    );
    println!(
        "   screen: {} records in {} batches ({} lagged), {} frames",
        screen.records,
        screen.apply.len(),
        screen.lagged,
        screen.frames.len()
    );
    println!(
        "   App::apply per batch: p50 {} ms, p99 {} ms, max {} ms; frame (120x40 TestBackend): p50 {} ms, p99 {} ms, max {} ms",
        ms(apply.p50),
        ms(apply.p99),
        ms(apply.max),
        ms(frames.p50),
        ms(frames.p99),
        ms(frames.max)
    );
    println!(
        "   commit -> applied on the screen ({} batches matched): p50 {} ms, p99 {} ms, max {} ms",
        lag.n,
        ms(lag.p50),
        ms(lag.p99),
        ms(lag.max)
    );
    Ok(())
}

/// A thread of its own that notes when each committed batch is broadcast (keyed by its first
/// id), until a batch reaches the id `stop` names.
fn commit_clock(
    store: &Store,
    mut stop: watch::Receiver<EventId>,
) -> std::thread::JoinHandle<HashMap<i64, Instant>> {
    let mut rx = store.subscribe();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the commit clock");
        runtime.block_on(async move {
            let mut seen = HashMap::new();
            let mut newest = EventId(0);
            while newest < *stop.borrow() {
                tokio::select! {
                    batch = rx.recv() => match batch {
                        Ok(batch) => {
                            let now = Instant::now();
                            if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
                                seen.insert(first.id.0, now);
                                newest = last.id;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(_) => break,
                    },
                    changed = stop.changed() => if changed.is_err() { break },
                }
            }
            seen
        })
    })
}

/// The owner's screen, reduced to its fold and its frames: applies every committed batch,
/// draws when something changed and a frame is due, until it has the id `stop` names.
async fn screen(
    mut rx: tokio::sync::broadcast::Receiver<warroom::store::Committed>,
    mut stop: watch::Receiver<EventId>,
) -> Screen {
    let mut app = App::new(Mode::Owner, UiOptions::default());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("a test terminal");
    let mut seen = Screen::default();
    let mut newest = EventId(0);
    let mut last_draw = Instant::now() - FRAME;
    while newest < *stop.borrow() {
        let wait_frame = app.needs_redraw();
        tokio::select! {
            batch = rx.recv() => match batch {
                Ok(batch) => {
                    let started = Instant::now();
                    app.apply(&batch);
                    let done = Instant::now();
                    seen.apply.push(done - started);
                    if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
                        seen.applied.push((first.id.0, done));
                        newest = last.id;
                    }
                    seen.records += batch.len();
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => seen.lagged += n,
                Err(_) => break,
            },
            _ = tokio::time::sleep_until((last_draw + FRAME).into()), if wait_frame => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
        if app.needs_redraw() && last_draw.elapsed() >= FRAME {
            let started = Instant::now();
            terminal
                .draw(|frame| app.render(frame))
                .expect("a frame into the test backend");
            app.mark_drawn();
            last_draw = Instant::now();
            seen.frames.push(last_draw - started);
        }
    }
    seen
}
