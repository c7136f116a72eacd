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

/// `warroom demo`: prepares the project and opens the war room on it with the goal given.
pub fn run(cli: &Cli) -> Result<()> {
    let dir = prepare(&std::env::temp_dir())?;
    let cli_for_demo = Cli {
        repo: Some(dir.clone()),
        overrides: cli.overrides.clone(),
        command: None,
    };
    let ctx: Context = crate::cli::context(&cli_for_demo)?;
    let _log = crate::logging::init(&ctx.config.log).ok();
    tracing::info!(path = %dir.display(), "demo project prepared");
    crate::screen::war_room_with_goal(&ctx, Some(GOAL.to_string()))?;
    println!(
        "the demo project stays in {} (delete it when done)",
        dir.display()
    );
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
