//! Test support: a real tmux server per test (its own socket) driving the real binary, and
//! temp repositories. Shared by the end-to-end tests.

// Test-only code: failing loudly is the point.
#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::unwrap_used)]

pub mod chat_chunks;
pub mod fake_http;
pub mod screen;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs git in `dir` with a fixed identity and no system or color config; panics with git's
/// words when it fails; returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(["-c", "color.ui=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The binary under test.
pub fn warroom() -> &'static str {
    env!("CARGO_BIN_EXE_warroom")
}

/// A tmux server with one session, killed on drop.
pub struct Tmux {
    socket: String,
    /// The session name.
    pub session: String,
}

impl Tmux {
    /// Starts a session of `width` x `height` running `bash --norc --noprofile` in `dir`, with a
    /// plain prompt `PROMPT$ ` and the given extra environment.
    pub fn start(name: &str, width: u16, height: u16, dir: &Path, env: &[(&str, &str)]) -> Tmux {
        let socket = format!("warroom-test-{}-{name}", std::process::id());
        let tmux = Tmux {
            socket,
            session: name.to_string(),
        };
        let mut args: Vec<String> = vec![
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            name.into(),
            "-x".into(),
            width.to_string(),
            "-y".into(),
            height.to_string(),
            "-c".into(),
            dir.display().to_string(),
        ];
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push("env PS1='PROMPT$ ' TERM=xterm-256color bash --norc --noprofile".into());
        tmux.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        tmux.run(&["set-option", "-g", "escape-time", "0"]);
        tmux.wait_for("PROMPT$", Duration::from_secs(10));
        tmux
    }

    /// Runs a tmux command on this server.
    pub fn run(&self, args: &[&str]) -> String {
        let mut command = Command::new("tmux");
        // The server inherits this environment: keep the test run's own WARROOM_* settings
        // (such as the real-model URL) away from the binary under test.
        for (name, _) in std::env::vars() {
            if name.starts_with("WARROOM_") {
                command.env_remove(name);
            }
        }
        let out = command
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types literal text (no key names).
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// Sends key names (`Enter`, `Tab`, `BTab`, `Escape`, `q`, ...), one at a time with a short
    /// pause so Escape is never merged with the next key.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", &self.session, key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// The visible screen as text.
    pub fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// Waits until the screen contains `text`; panics with the screen if it does not.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(timeout, |screen| screen.contains(text))
            .unwrap_or_else(|screen| panic!("timed out waiting for {text:?}; screen:\n{screen}"))
    }

    /// Waits until `done(screen)`; returns the last screen either way.
    pub fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return Ok(screen);
            }
            if start.elapsed() > timeout {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resizes the window.
    pub fn resize(&self, width: u16, height: u16) {
        self.run(&[
            "resize-window",
            "-t",
            &self.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// The pid of the process running in the pane's foreground (the shell's child if any).
    pub fn pane_pid(&self) -> u32 {
        self.run(&["list-panes", "-t", &self.session, "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("pane pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// A temp git repository with private XDG folders, so tests never touch the real home.
pub struct TempRepo {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub home: PathBuf,
}

impl TempRepo {
    pub fn new() -> TempRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&repo).expect("repo dir");
        std::fs::create_dir_all(&home).expect("home dir");
        let status = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&repo)
            .status()
            .expect("git init");
        assert!(status.success());
        TempRepo { dir, repo, home }
    }

    /// Environment that points warroom's user folders into the temp dir.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join("config").display().to_string(),
            ),
            (
                "XDG_STATE_HOME",
                self.home.join("state").display().to_string(),
            ),
        ]
    }

    /// The environment of a `warroom demo` that finds no model and so replays its recording:
    /// no keys, the only local port probed closed, and TMPDIR (returned, made) in the temp dir
    /// so the demo's project folder is found there.
    pub fn demo_env(&self) -> (PathBuf, Vec<(&'static str, String)>) {
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp dir");
        let mut env = self.env();
        env.push(("TMPDIR", tmp.display().to_string()));
        env.push(("OPENAI_API_KEY", String::new()));
        env.push(("ANTHROPIC_API_KEY", String::new()));
        env.push(("WARROOM_DETECT_PORTS", "1".into()));
        (tmp, env)
    }

    /// A `Command` for the binary in this repo with this environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(warroom());
        cmd.args(args)
            .current_dir(&self.repo)
            .env_remove("NO_COLOR");
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        for (k, _) in std::env::vars() {
            if k.starts_with("WARROOM_") {
                cmd.env_remove(k);
            }
        }
        cmd
    }
}

/// Finds the pid of a process whose command line contains `needle`, below `parent`.
pub fn child_pid(parent: u32, needle: &str) -> Option<u32> {
    let children =
        std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).ok()?;
    for pid in children
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
    {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            return Some(pid);
        }
        if let Some(found) = child_pid(pid, needle) {
            return Some(found);
        }
    }
    None
}

/// Checks that the demo's project in `demo` was fixed by the approved patch: `booking.py` is
/// no longer the bundled one and the project's own tests pass.
pub fn assert_demo_fixed(demo: &Path) {
    let booking = std::fs::read_to_string(demo.join("booking.py")).unwrap();
    assert_ne!(
        booking,
        include_str!("../../assets/demo/booking.py"),
        "the approved patch changed nothing"
    );
    let tests = Command::new("python3")
        .args(["-m", "unittest", "discover"])
        .current_dir(demo)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        tests.status.success(),
        "{}",
        String::from_utf8_lossy(&tests.stderr)
    );
}
