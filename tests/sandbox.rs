//! Agents' commands with REAL processes: in bubblewrap (skipped, with the reason printed, only
//! when `Sandbox::detect()` finds it unusable) and without a sandbox. Writes outside the
//! worktree fail, the network is unreachable, a fork bomb is stopped, a timeout or a dropped
//! `run` leaves no process of the tree alive (checked by a unique marker in the processes'
//! arguments, since pids inside the sandbox's namespace differ), output is capped, and no
//! variable of the test's own environment or secret-looking extra reaches the command.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use warroom::core::tools::exec::{CommandSpec, ExecResult, Limits, run};
use warroom::core::tools::sandbox::Sandbox;
use warroom::protocol::OutputStream;

/// The sandbox, or `None` with the reason printed.
fn bwrap() -> Option<Sandbox> {
    match Sandbox::detect() {
        sandbox @ Sandbox::Bubblewrap { .. } => Some(sandbox),
        Sandbox::Unavailable { why } => {
            eprintln!("skipped: no usable sandbox here: {why}");
            None
        }
    }
}

fn none() -> Sandbox {
    Sandbox::Unavailable {
        why: "test without a sandbox".into(),
    }
}

/// Runs `spec`, collecting every streamed chunk.
async fn go(spec: &CommandSpec, sandbox: &Sandbox) -> (ExecResult, Vec<(OutputStream, String)>) {
    let (tx, mut rx) = mpsc::channel(64);
    let collector = tokio::spawn(async move {
        let mut chunks = Vec::new();
        while let Some(chunk) = rx.recv().await {
            chunks.push(chunk);
        }
        chunks
    });
    let result = run(spec, sandbox, tx).await.unwrap();
    (result, collector.await.unwrap())
}

/// A `sleep` duration no other process on the machine has in its arguments.
fn marker() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}{:03}.{:06}",
        90_000 + std::process::id() % 9_000,
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::process::id()
    )
}

/// Pids of live processes whose arguments hold `marker`.
fn alive_with(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .collect()
}

/// Waits (up to a generous bound, for SIGKILLed processes to be torn down) until no process
/// holds `marker`; fails naming the survivors.
fn assert_all_gone(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alive = alive_with(marker);
        if alive.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes survived: {alive:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn worktree() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A folder outside both the worktree and `/tmp` (which is private in the sandbox).
fn outside() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

#[tokio::test]
async fn the_sandbox_writes_only_the_worktree_and_granted_paths() {
    let Some(sandbox) = bwrap() else { return };
    let (wt, out, granted) = (worktree(), outside(), outside());
    let line = format!(
        "echo inside > in.txt; echo a > {o}/x; echo b > /root/warroom-sandbox-test; echo c > {g}/y; echo done",
        o = out.path().display(),
        g = granted.path().display()
    );
    let mut spec = CommandSpec::new(line, wt.path());
    spec.writable = vec![granted.path().to_path_buf()];
    let (result, _) = go(&spec, &sandbox).await;
    assert!(result.sandboxed);
    assert_eq!(result.stdout, "done\n");
    assert_eq!(
        std::fs::read_to_string(wt.path().join("in.txt")).unwrap(),
        "inside\n"
    );
    assert_eq!(
        std::fs::read_to_string(granted.path().join("y")).unwrap(),
        "c\n"
    );
    assert!(!out.path().join("x").exists());
    assert!(!Path::new("/root/warroom-sandbox-test").exists());
    // Refused either as read-only, or (when the outside folder lies under /tmp, as in a
    // checkout under /tmp) as missing: the sandbox's /tmp is its own.
    assert_eq!(
        result.stderr.matches("cannot create").count(),
        2,
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("Read-only file system"),
        "{}",
        result.stderr
    );
}

#[tokio::test]
async fn the_sandbox_has_no_network_unless_allowed() {
    let Some(sandbox) = bwrap() else { return };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let wt = worktree();
    let line = format!("bash -c 'echo hi > /dev/tcp/127.0.0.1/{port}' && echo connected");
    let (cut_off, _) = go(&CommandSpec::new(line.clone(), wt.path()), &sandbox).await;
    assert_ne!(cut_off.exit_code, Some(0), "{cut_off:?}");
    assert_eq!(cut_off.stdout, "");
    // The same command with the network allowed reaches the listener: the line itself works.
    let mut allowed = CommandSpec::new(line, wt.path());
    allowed.network = true;
    let (reached, _) = go(&allowed, &sandbox).await;
    assert_eq!(
        (reached.exit_code, reached.stdout.as_str()),
        (Some(0), "connected\n")
    );
    drop(listener);
    for line in [
        "getent hosts example.com",
        "curl -sS --max-time 10 http://1.1.1.1/",
    ] {
        let (result, _) = go(&CommandSpec::new(line, wt.path()), &sandbox).await;
        assert_ne!(result.exit_code, Some(0), "{line}: {result:?}");
    }
}

#[tokio::test]
async fn a_fork_bomb_is_stopped_and_leaves_nothing() {
    let Some(sandbox) = bwrap() else { return };
    let wt = worktree();
    let mark = marker();
    // dash refuses `:` as a function name, so the classic bomb under a plain name; the
    // shell then stays (the bomb's shells return at once, and the sandbox ends with it).
    let line = format!("bomb(){{ bomb|bomb& }};bomb; sleep {mark}");
    let mut spec = CommandSpec::new(line, wt.path());
    spec.limits = Limits {
        processes: 32,
        timeout: Duration::from_secs(3),
        ..Limits::default()
    };
    let (result, _) = go(&spec, &sandbox).await;
    assert!(!result.success());
    assert!(
        result.timed_out
            || result.stderr.contains("processes at once")
            || result.stderr.contains("fork"),
        "{result:?}"
    );
    assert_all_gone(&mark);
    let (after, _) = go(&CommandSpec::new("echo still here", wt.path()), &sandbox).await;
    assert_eq!(after.stdout, "still here\n");
}

/// More processes than allowed: refused by the kernel, or (for root, where it does not
/// enforce RLIMIT_NPROC) the tree is killed.
async fn process_limit_holds(sandbox: &Sandbox) {
    let wt = worktree();
    let mark = marker();
    let line = format!("i=0; while [ $i -lt 100 ]; do sleep {mark} & i=$((i+1)); done; wait");
    let mut spec = CommandSpec::new(line, wt.path());
    spec.limits.processes = 16;
    spec.limits.timeout = Duration::from_secs(60);
    let (result, _) = go(&spec, sandbox).await;
    assert!(!result.timed_out, "{result:?}");
    assert!(
        result.stderr.contains("processes at once") || result.stderr.contains("fork"),
        "{result:?}"
    );
    assert_all_gone(&mark);
}

#[tokio::test]
async fn the_process_limit_holds_in_the_sandbox() {
    let Some(sandbox) = bwrap() else { return };
    process_limit_holds(&sandbox).await;
}

#[tokio::test]
async fn the_process_limit_holds_without_a_sandbox() {
    process_limit_holds(&none()).await;
}

/// `sleep` in the background and in a nested shell, past a 1 s timeout.
async fn timeout_kills_the_tree(sandbox: &Sandbox) {
    let wt = worktree();
    let mark = marker();
    let line = format!("sleep {mark} & sh -c 'sleep {mark}; echo never' & echo started; wait");
    let mut spec = CommandSpec::new(line, wt.path());
    spec.limits.timeout = Duration::from_secs(1);
    let (result, chunks) = go(&spec, sandbox).await;
    assert!(result.timed_out, "{result:?}");
    assert_eq!(result.stdout, "started\n");
    assert!(chunks.contains(&(OutputStream::Stdout, "started\n".into())));
    assert!(
        result.summary().starts_with("killed after 1."),
        "{}",
        result.summary()
    );
    assert!(!result.to_tool_output().ok);
    assert_all_gone(&mark);
}

#[tokio::test]
async fn a_timeout_kills_the_whole_tree_in_the_sandbox() {
    let Some(sandbox) = bwrap() else { return };
    timeout_kills_the_tree(&sandbox).await;
}

#[tokio::test]
async fn a_timeout_kills_the_whole_tree_without_a_sandbox() {
    timeout_kills_the_tree(&none()).await;
}

/// Drops `run` once the command said it started; its processes must die.
async fn dropping_run_kills_the_tree(sandbox: &Sandbox) {
    let wt = worktree();
    let mark = marker();
    let line = format!("sleep {mark} & sleep {mark} & echo started; wait");
    let spec = CommandSpec::new(line, wt.path());
    let (tx, mut rx) = mpsc::channel(16);
    let running = run(&spec, sandbox, tx);
    tokio::select! {
        _ = running => panic!("the command ended by itself"),
        chunk = rx.recv() => assert_eq!(chunk, Some((OutputStream::Stdout, "started\n".into()))),
    }
    // `running` is dropped here, at the end of the select.
    assert_all_gone(&mark);
}

#[tokio::test]
async fn dropping_run_kills_the_tree_in_the_sandbox() {
    let Some(sandbox) = bwrap() else { return };
    dropping_run_kills_the_tree(&sandbox).await;
}

#[tokio::test]
async fn dropping_run_kills_the_tree_without_a_sandbox() {
    dropping_run_kills_the_tree(&none()).await;
}

/// 10 MB of output keeps its head and tail within the limit.
async fn output_is_capped(sandbox: &Sandbox) {
    let wt = worktree();
    let line = "echo BEGIN; yes 0123456789 | head -c 10000000; echo END";
    let mut spec = CommandSpec::new(line, wt.path());
    spec.limits.output_bytes = 64 << 10;
    let (result, chunks) = go(&spec, sandbox).await;
    assert_eq!(result.exit_code, Some(0));
    let total = 6 + 10_000_000 + 4;
    assert_eq!(result.omitted_bytes, total - (64 << 10));
    assert!(result.stdout.starts_with("BEGIN\n0123456789\n"));
    // 10,000,000 is not a multiple of 11: the last line is cut before its line end.
    assert!(
        result.stdout.ends_with("\n0123456789END\n"),
        "{}",
        &result.stdout[result.stdout.len() - 40..]
    );
    assert!(
        result
            .stdout
            .contains(&format!("\n... {} bytes omitted ...\n", total - (64 << 10)))
    );
    assert!(result.stdout.len() < (64 << 10) + 100);
    assert!(chunks[0].1.starts_with("BEGIN\n"), "{:?}", chunks[0]);
}

#[tokio::test]
async fn output_is_capped_in_the_sandbox() {
    let Some(sandbox) = bwrap() else { return };
    output_is_capped(&sandbox).await;
}

#[tokio::test]
async fn output_is_capped_without_a_sandbox() {
    output_is_capped(&none()).await;
}

/// `env` shows only the clean variables: no secret extra, nothing from the test's own
/// environment (cargo sets plenty of variables for it).
async fn no_secret_reaches_the_command(sandbox: &Sandbox) {
    let wt = worktree();
    let mut spec = CommandSpec::new("env", wt.path());
    spec.env = vec![
        ("OPENAI_API_KEY".into(), "sk-test-secret-1".into()),
        ("ANTHROPIC_API_KEY".into(), "sk-test-secret-2".into()),
        ("WARROOM_X_KEY".into(), "sk-test-secret-3".into()),
        ("VISIBLE_EXTRA".into(), "yes".into()),
    ];
    let (result, _) = go(&spec, sandbox).await;
    assert_eq!(result.exit_code, Some(0));
    assert!(result.stdout.lines().any(|l| l == "VISIBLE_EXTRA=yes"));
    assert!(
        !result.stdout.contains("sk-test-secret"),
        "{}",
        result.stdout
    );
    let allowed = [
        "PATH",
        "HOME",
        "LANG",
        "TERM",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
        "VISIBLE_EXTRA",
    ];
    for line in result.stdout.lines() {
        let name = line.split('=').next().unwrap();
        assert!(allowed.contains(&name), "unexpected variable {line}");
    }
    let parent: Vec<(String, String)> = std::env::vars().collect();
    assert!(parent.iter().any(|(n, _)| n.starts_with("CARGO")));
    for (name, value) in parent {
        if !["PATH", "LANG", "TERM"].contains(&name.as_str()) {
            assert!(
                !result
                    .stdout
                    .lines()
                    .any(|l| l == format!("{name}={value}")),
                "{name} leaked"
            );
        }
    }
}

#[tokio::test]
async fn no_secret_reaches_the_command_in_the_sandbox() {
    let Some(sandbox) = bwrap() else { return };
    no_secret_reaches_the_command(&sandbox).await;
}

#[tokio::test]
async fn no_secret_reaches_the_command_without_a_sandbox() {
    no_secret_reaches_the_command(&none()).await;
}

#[tokio::test]
async fn limits_hold_without_a_sandbox() {
    let wt = worktree();
    let mut spec = CommandSpec::new("head -c 3000000 /dev/zero > big.bin", wt.path());
    spec.limits.file_size_bytes = 1 << 20;
    let (result, _) = go(&spec, &none()).await;
    assert!(!result.sandboxed);
    assert!(!result.success(), "{result:?}");
    assert_eq!(
        std::fs::metadata(wt.path().join("big.bin")).unwrap().len(),
        1 << 20
    );

    let mut spin = CommandSpec::new("while :; do :; done", wt.path());
    spin.limits.cpu_secs = 1;
    spin.limits.timeout = Duration::from_secs(60);
    let (result, _) = go(&spin, &none()).await;
    assert!(!result.timed_out, "{result:?}");
    assert_eq!(result.signal, Some(libc::SIGXCPU), "{result:?}");
    assert_eq!(result.summary(), "killed by signal 24 (CPU time limit)");
}

#[tokio::test]
async fn exit_codes_signals_and_streams_in_the_sandbox() {
    let Some(sandbox) = bwrap() else { return };
    let wt = worktree();
    let (result, chunks) = go(
        &CommandSpec::new("echo one; echo two >&2; exit 3", wt.path()),
        &sandbox,
    )
    .await;
    assert_eq!((result.exit_code, result.signal), (Some(3), None));
    assert!(chunks.contains(&(OutputStream::Stdout, "one\n".into())));
    assert!(chunks.contains(&(OutputStream::Stderr, "two\n".into())));
    let (killed, _) = go(&CommandSpec::new("kill -9 $$", wt.path()), &sandbox).await;
    assert_eq!((killed.exit_code, killed.signal), (None, Some(9)));
    assert_eq!(killed.summary(), "killed by signal 9 (limits)");
}

#[test]
fn detect_explains_itself() {
    let sandbox = Sandbox::detect();
    let text = sandbox.describe();
    match sandbox {
        Sandbox::Bubblewrap { path } => assert!(text.contains(&path.display().to_string())),
        Sandbox::Unavailable { why } => {
            assert!(
                text.contains(&why) && text.contains("needs approval"),
                "{text}"
            )
        }
    }
}
