//! `warroom demo`: the README's first command. Writes the bundled demo project (a tiny Python
//! project with a real bug and two failing tests, `assets/demo/`) into a fresh folder, makes it
//! a git repository, and opens the war room there with the goal already given, so the whole
//! team works on it while the person watches and approves the final apply with a key. It uses
//! whatever model the config or zero-config detection finds; without one the run says so and
//! how to set one up.

use std::path::{Path, PathBuf};
use std::process::Command;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::cli::{Cli, Context};

/// The demo's files, embedded so the binary works from anywhere.
const FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("../assets/demo/README.md")),
    ("booking.py", include_str!("../assets/demo/booking.py")),
    (
        "test_booking.py",
        include_str!("../assets/demo/test_booking.py"),
    ),
];

/// The goal the demo gives the team.
pub const GOAL: &str = "Two tests in test_booking.py fail. Find the bug in booking.py and fix it without changing the tests.";

/// Writes the demo project into a new folder under `parent` and commits it; returns the folder.
pub fn prepare(parent: &Path) -> Result<PathBuf> {
    let stamp = crate::protocol::Millis::now().0;
    let dir = parent.join(format!("warroom-demo-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, text).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    git(&dir, &["init", "-q"])?;
    git(&dir, &["add", "-A"])?;
    git(
        &dir,
        &[
            "-c",
            "user.name=warroom",
            "-c",
            "user.email=warroom@localhost",
            "commit",
            "-q",
            "-m",
            "demo project",
        ],
    )?;
    Ok(dir)
}

/// The bundled recording of a whole demo run, made with a real local model (see
/// DEVELOPERS.md), replayed when no model is configured or answering.
const RECORDING: &str = include_str!("../assets/demo/recording.jsonl");
/// The model name the recording was made with (requests must name it to match).
const RECORDED_MODEL: &str = "qwen1.5b";
/// The `team.max_attempts` the recording was made with (the replay must allow as many).
const RECORDED_ATTEMPTS: u32 = 6;
/// What the chat says when the demo replays the recording.
pub const REPLAY_NOTICE: &str = "REPLAY: no model is configured or answering here, so this run replays a recording made with Qwen2.5-Coder-1.5B on a local llama.cpp server. The tools, tests and patches are real; the model's answers are recorded. Set up a model (README, Models) to watch a live run.";

/// `warroom demo`: prepares the project and opens the war room on it with the goal given.
pub fn run(cli: &Cli, record: Option<PathBuf>) -> Result<()> {
    let dir = prepare(&std::env::temp_dir())?;
    let cli_for_demo = Cli {
        repo: Some(dir.clone()),
        overrides: cli.overrides.clone(),
        command: None,
    };
    let mut ctx: Context = crate::cli::context(&cli_for_demo)?;
    let _log = crate::logging::init(&ctx.config.log).ok();
    tracing::info!(path = %dir.display(), "demo project prepared");
    let mut announce = None;
    if ctx.config.roles.is_empty() && !model_answers()? {
        use_recording(&dir)?;
        ctx = crate::cli::context(&cli_for_demo)?;
        announce = Some(REPLAY_NOTICE.to_string());
    }
    let start = crate::screen::Start {
        goal: Some(GOAL.to_string()),
        record,
        announce,
    };
    crate::screen::war_room_with(&ctx, start)?;
    println!(
        "the demo project stays in {} (delete it when done)",
        dir.display()
    );
    Ok(())
}

/// Whether zero-config detection finds a model (a key, or a local server answering).
fn model_answers() -> Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| eyre!("cannot start the async runtime: {e}"))?;
    let probe = crate::core::llm::detect::Probe::standard();
    Ok(runtime
        .block_on(crate::core::llm::detect::detect(&probe))
        .is_ok())
}

/// Points the demo repository's config at the bundled recording.
pub fn use_recording(dir: &Path) -> Result<()> {
    let warroom = dir.join(".warroom");
    std::fs::create_dir_all(&warroom)
        .wrap_err_with(|| format!("cannot create {}", warroom.display()))?;
    let recording = warroom.join("demo-recording.jsonl");
    std::fs::write(&recording, RECORDING)
        .wrap_err_with(|| format!("cannot write {}", recording.display()))?;
    let config = format!(
        "# Written by `warroom demo`: no model was found, so the demo replays a recording.\n\
         [providers.demo]\nkind = \"replay\"\nfile = \"demo-recording.jsonl\"\n\n\
         [roles.default]\nmodels = [\"demo/{RECORDED_MODEL}\"]\n\n\
         [team]\nmax_attempts = {RECORDED_ATTEMPTS}\n\n\
         [cache]\nenabled = false\n"
    );
    let path = warroom.join("config.toml");
    std::fs::write(&path, config).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .wrap_err("cannot run git (is it installed?)")?;
    if output.status.success() {
        Ok(())
    } else {
        Err(eyre!(
            "git {} failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
