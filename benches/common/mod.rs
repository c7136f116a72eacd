//! Harness code shared by the benchmarks: sizes (full, or small with `WARROOM_BENCH_QUICK=1`),
//! percentiles, PASS/MISS words, the cached synthetic databases, a private tmux server and
//! `/proc` readings. Not a benchmark itself; each bench uses only part of it.

// Each bench binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::error::Error;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use warroom::paths::RepoPaths;
use warroom::protocol::{Event, RunState};
use warroom::store::{OwnedStore, Reader, StoreOptions};
use warroom::synth::{self, Scenario};

/// What every bench returns.
pub type Res<T> = Result<T, Box<dyn Error>>;

/// `WARROOM_BENCH_QUICK=1` shrinks every size for a smoke run; recorded numbers use full sizes.
pub fn quick() -> bool {
    std::env::var_os("WARROOM_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `full`, or `small` in quick mode.
pub fn size<T>(full: T, small: T) -> T {
    if quick() { small } else { full }
}

/// The word printed next to a target.
pub fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

/// Whether cargo ran this as a benchmark (`cargo bench` passes `--bench`). `cargo test
/// --benches` runs bench binaries without it; they then skip instead of measuring for minutes
/// in a debug build.
pub fn skip_unless_bench(name: &str) -> bool {
    if std::env::args().any(|a| a == "--bench") {
        return false;
    }
    println!("{name}: skipped; run it with `cargo bench --bench {name}`");
    true
}

/// Prints the bench's name and whether the sizes are the recorded ones.
pub fn banner(name: &str) {
    let mode = if quick() {
        "QUICK sizes (WARROOM_BENCH_QUICK set): not the recorded numbers"
    } else {
        "full sizes"
    };
    println!("== warroom bench: {name} ({mode})");
}

/// Nearest-rank percentiles of a set of samples.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Stats {
    pub fn of(samples: &[Duration]) -> Stats {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let rank = |p: f64| -> Duration {
            if n == 0 {
                return Duration::ZERO;
            }
            let k = ((p * n as f64).ceil() as usize).clamp(1, n);
            sorted[k - 1]
        };
        let total: Duration = sorted.iter().sum();
        Stats {
            n,
            p50: rank(0.50),
            p99: rank(0.99),
            max: sorted.last().copied().unwrap_or_default(),
            mean: if n == 0 {
                Duration::ZERO
            } else {
                total / n as u32
            },
        }
    }
}

/// Milliseconds with three decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// The synthetic run of the render, startup and idle benches.
pub fn big_scenario() -> Scenario {
    Scenario {
        agents: 200,
        tasks: 10_000,
        events: size(1_000_000, 100_000),
        seed: 7,
    }
}

/// A repository folder whose `.warroom/state.db` holds one synthetic run (finished or not),
/// built once and kept under cargo's `target/tmp` between runs. The key covers the scenario
/// and the sources that decide what is written, so a change to them rebuilds it; a cached
/// file that no longer opens (a new migration) is rebuilt too.
pub fn cached_repo(scenario: Scenario, finished: bool) -> Res<PathBuf> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        scenario.agents,
        scenario.tasks,
        scenario.events,
        scenario.seed,
        finished,
    )
        .hash(&mut hasher);
    include_str!("../../src/synth.rs").hash(&mut hasher);
    include_str!("../../src/protocol.rs").hash(&mut hasher);
    include_str!("../../src/store/project.rs").hash(&mut hasher);
    include_str!("../../src/store/writer.rs").hash(&mut hasher);
    include_str!("../../src/store/migrations/0001_event_log.sql").hash(&mut hasher);
    include_str!("../../src/store/migrations/0002_approvals_memory_commands.sql").hash(&mut hasher);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("warroom-bench");
    let stem = format!(
        "run-{}a-{}t-{}e-{}",
        scenario.agents,
        scenario.tasks,
        scenario.events,
        if finished { "done-" } else { "" },
    );
    let dir = root.join(format!("{stem}{:016x}", hasher.finish()));
    if dir.is_dir() && cache_is_sound(&dir, scenario) {
        return Ok(dir);
    }
    std::fs::create_dir_all(&root)?;
    // Databases of the same shape built by older sources are stale: make room.
    for entry in std::fs::read_dir(&root)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if path != dir && name.is_some_and(|n| n.strip_prefix(&stem).is_some_and(|h| h.len() == 16))
        {
            std::fs::remove_dir_all(&path)?;
        }
    }
    let building = tempfile::tempdir_in(&root)?;
    let started = Instant::now();
    eprintln!(
        "building {} (agents {}, tasks {}, events {}) once; later runs reuse it",
        dir.display(),
        scenario.agents,
        scenario.tasks,
        scenario.events
    );
    write_repo(building.path(), scenario, finished)?;
    eprintln!("built in {:.1} s", started.elapsed().as_secs_f64());
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::rename(building.keep(), &dir)?;
    Ok(dir)
}

fn cache_is_sound(dir: &Path, scenario: Scenario) -> bool {
    let Ok(paths) = RepoPaths::new(dir) else {
        return false;
    };
    let Ok(reader) = Reader::open(&paths.db, Duration::from_secs(5)) else {
        return false;
    };
    reader
        .last_event_id()
        .is_ok_and(|last| last.0 as u64 > scenario.events)
}

/// Writes one synthetic run into `repo` through the real store, optionally finishing it.
pub fn write_repo(repo: &Path, scenario: Scenario, finished: bool) -> Res<()> {
    let paths = RepoPaths::new(repo)?;
    let owned = OwnedStore::open(&paths, StoreOptions::default())?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let run = synth::write_run(
            &owned.store,
            "the test `parse_dates` fails, fix it",
            scenario,
        )
        .await?;
        if finished {
            owned
                .store
                .append(
                    run,
                    Event::RunFinished {
                        state: RunState::Done,
                        summary: "patched parse_dates; 42 passed".into(),
                    },
                )
                .await?;
            owned.store.flush().await?;
        }
        Ok::<_, Box<dyn Error>>(())
    })?;
    drop(runtime);
    owned.close()?;
    Ok(())
}

/// A repository with an empty database (schema only, no run).
pub fn empty_repo(repo: &Path) -> Res<()> {
    let paths = RepoPaths::new(repo)?;
    OwnedStore::open(&paths, StoreOptions::default())?.close()?;
    Ok(())
}

/// Copies a repository's `.warroom` folder (database and WAL, if any) to `to`.
pub fn copy_repo(from: &Path, to: &Path) -> Res<()> {
    let (src, dst) = (from.join(".warroom"), to.join(".warroom"));
    std::fs::create_dir_all(&dst)?;
    for entry in std::fs::read_dir(&src)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("state.db") {
            std::fs::copy(entry.path(), dst.join(&name))?;
            // Written back now, so the kernel's write-back of a fresh 200 MB copy does not
            // compete with the program being measured.
            std::fs::File::open(dst.join(&name))?.sync_all()?;
        }
    }
    Ok(())
}

/// The runtime the binary uses (two workers).
pub fn runtime() -> Res<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// `nproc`, CPU model, RAM and rustc, for the header of the printed table.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let ram_kb = meminfo_kb("MemTotal").unwrap_or(0);
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "{cpus} CPUs ({model}), {:.1} GiB RAM, {rustc}",
        ram_kb as f64 / 1024.0 / 1024.0
    )
}

fn meminfo_kb(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    status_field(&text, key)
}

fn status_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
        .and_then(|l| l[key.len() + 1..].split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// VmRSS and VmHWM of a process, in KiB.
pub fn memory_kb(pid: u32) -> Res<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status_field(&text, "VmRSS").ok_or("no VmRSS")?;
    let hwm = status_field(&text, "VmHWM").ok_or("no VmHWM")?;
    Ok((rss, hwm))
}

/// utime + stime of a whole process (all threads), in clock ticks.
pub fn cpu_ticks(pid: u32) -> Res<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = text.rsplit_once(')').ok_or("odd /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11).ok_or("no utime")?.parse()?;
    let stime: u64 = fields.get(12).ok_or("no stime")?.parse()?;
    Ok(utime + stime)
}

/// Per-thread readings of a process from `/proc/<pid>/task/*`: (thread name, nanoseconds on
/// a CPU from `schedstat` (finer than clock ticks), context switches, voluntary +
/// involuntary; each voluntary one is a sleep, so this counts wake-ups).
pub fn threads(pid: u32) -> Res<Vec<(String, u64, u64)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let dir = entry?.path();
        // A thread may end between listing and reading; it then counts for nothing.
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let cpu_ns = std::fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0);
        let switches = std::fs::read_to_string(dir.join("status"))
            .map(|t| {
                status_field(&t, "voluntary_ctxt_switches").unwrap_or(0)
                    + status_field(&t, "nonvoluntary_ctxt_switches").unwrap_or(0)
            })
            .unwrap_or(0);
        out.push((format!("{} {}", name.trim(), tid(&dir)), cpu_ns, switches));
    }
    Ok(out)
}

fn tid(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Clock ticks per second (`getconf CLK_TCK`).
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

/// The warroom binary that cargo built for this bench.
pub fn warroom_bin() -> &'static str {
    env!("CARGO_BIN_EXE_warroom")
}

/// A tmux server of our own (its own socket, no config), killed when dropped. One session
/// with one pane that stays after its program exits, so the next program can be respawned
/// into the same pane.
pub struct Tmux {
    socket: String,
    /// The socket file, removed after the server is killed (tmux leaves it behind).
    socket_path: Option<PathBuf>,
    env: tempfile::TempDir,
}

impl Tmux {
    /// Starts the server with a `width` x `height` session named `bench` running `cat`.
    pub fn start(width: u16, height: u16) -> Res<Tmux> {
        let env = tempfile::tempdir()?;
        std::fs::create_dir_all(env.path().join("config"))?;
        std::fs::create_dir_all(env.path().join("state"))?;
        let mut tmux = Tmux {
            socket: format!("warroom-bench-{}", std::process::id()),
            socket_path: None,
            env,
        };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "cat",
        ])?;
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"])?;
        let path = tmux.run(&["display-message", "-p", "#{socket_path}"])?;
        tmux.socket_path = Some(PathBuf::from(path.trim()));
        Ok(tmux)
    }

    /// Runs a tmux command on this server; returns its stdout.
    pub fn run(&self, args: &[&str]) -> Res<String> {
        let mut command = Command::new("tmux");
        command
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            // The pane's programs inherit the server's environment: a private config and
            // state folder (no user config, logs kept out of the person's home), default
            // settings (warroom refuses unknown WARROOM_* variables such as ours).
            .env("XDG_CONFIG_HOME", self.env.path().join("config"))
            .env("XDG_STATE_HOME", self.env.path().join("state"))
            .env_remove("NO_COLOR")
            .env_remove("RUST_LOG");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WARROOM_") {
                command.env_remove(key);
            }
        }
        let out = command.output()?;
        if !out.status.success() {
            return Err(format!(
                "tmux {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The process running in the pane.
    pub fn pane_pid(&self) -> Res<u32> {
        Ok(self
            .run(&["list-panes", "-t", "bench", "-F", "#{pane_pid}"])?
            .trim()
            .parse()?)
    }

    /// Whether the pane's program has exited.
    pub fn pane_dead(&self) -> Res<bool> {
        Ok(self
            .run(&["list-panes", "-t", "bench", "-F", "#{pane_dead}"])?
            .trim()
            == "1")
    }

    /// The text on screen.
    pub fn capture(&self) -> Res<String> {
        self.run(&["capture-pane", "-p", "-t", "bench"])
    }

    /// Ends the pane's program (SIGTERM to its pid) and waits until it is gone.
    pub fn stop_pane(&self) -> Res<()> {
        if self.pane_dead()? {
            return Ok(());
        }
        let pid = self.pane_pid()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.pane_dead()? {
            if Instant::now() > deadline {
                return Err(format!("pid {pid} did not exit after SIGTERM").into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Starts `argv` in the (dead) pane, executed directly (no shell).
    pub fn respawn(&self, argv: &[&str]) -> Res<()> {
        let mut args = vec!["respawn-pane", "-t", "bench", "--"];
        args.extend_from_slice(argv);
        self.run(&args).map(|_| ())
    }

    /// Polls the screen until it contains `needle`; returns the time from `since`.
    pub fn wait_for(&self, needle: &str, since: Instant, timeout: Duration) -> Res<Duration> {
        loop {
            let screen = self.capture()?;
            if screen.contains(needle) {
                return Ok(since.elapsed());
            }
            if since.elapsed() > timeout || screen.contains("Pane is dead") {
                return Err(format!(
                    "{needle:?} not on screen after {} ms; the screen:\n{screen}",
                    timeout.as_millis()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
