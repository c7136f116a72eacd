//! The managed local model with a REAL child process: a small Python HTTP server (written to a
//! temp folder) plays llama.cpp's server — `/health`, and a scripted `/v1/chat/completions`
//! event stream that names the process that answered. Checks start and health, answers
//! through the provider, restart after the server is SIGKILLed, a command that exits at once,
//! a server that never becomes healthy, a crash loop, the private log, and that dropping the
//! supervisor (or killing warroom outright) leaves no process behind.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use warroom::core::llm::local::{
    LocalError, LocalModel, LocalProvider, LocalSettings, LocalStatus,
};
use warroom::core::llm::{ChatProvider, ChatRequest, Message, Params, Role, StreamEvent};

/// `server.py PORT MODE [PIDFILE]`. Modes: `ok`; `exit` (complains and exits at once);
/// `never` (health answers 503 forever); `flaky` (healthy, then dies 300 ms later);
/// `family` (also starts a `sleep` child and writes its pid to PIDFILE); `stubborn` (ignores
/// SIGTERM).
const SERVER: &str = r#"
import http.server, json, os, subprocess, sys, threading
port, mode = int(sys.argv[1]), sys.argv[2]
print("fake llama-server pid", os.getpid(), "mode", mode, flush=True)
if mode == "exit":
    print("error: failed to load model: the file is corrupt", file=sys.stderr, flush=True)
    sys.exit(3)
if mode == "stubborn":
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "family":
    child = subprocess.Popen(["sleep", "300"])
    with open(sys.argv[3], "w") as f:
        f.write(str(child.pid))

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, fmt, *args):
        sys.stderr.write("request " + (fmt % args) + "\n")
        sys.stderr.flush()
    def answer(self, code, body, kind="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/health":
            if mode == "never":
                self.answer(503, b'{"error":{"message":"Loading model"}}')
            else:
                self.answer(200, b'{"status":"ok"}')
                if mode == "flaky":
                    threading.Timer(0.3, lambda: os._exit(1)).start()
        else:
            self.answer(404, b"{}")
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["stream"] is True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        def event(data):
            self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()
        base = {"id": "c1", "object": "chat.completion.chunk", "model": body["model"]}
        event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "pong "}}]})
        event({**base, "choices": [{"index": 0, "delta": {"content": "from %d" % os.getpid()}}]})
        event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

Server(("127.0.0.1", port), Handler).serve_forever()
"#;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.py"), SERVER).unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Settings that run the fake server in `mode`, with short waits.
    fn settings(&self, mode: &str) -> LocalSettings {
        let command = format!(
            "python3 {} {{port}} {mode} {}",
            self.path("server.py").display(),
            self.path("family.pid").display()
        );
        let mut settings = LocalSettings::new("llama", command, self.path("logs/local-llama.log"));
        settings.startup_timeout = Duration::from_secs(20);
        settings.stop_grace = Duration::from_secs(2);
        settings.restart_backoff = Duration::from_millis(50);
        settings.max_restart_backoff = Duration::from_millis(200);
        settings
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "qwen".into(),
        messages: vec![Message::text(Role::User, "ping")],
        tools: Vec::new(),
        params: Params::default(),
    }
}

/// The answer's text, after checking it ended properly.
async fn ask(provider: &LocalProvider) -> String {
    ask_with(provider, &request()).await
}

async fn ask_with(provider: &LocalProvider, request: &ChatRequest) -> String {
    let mut stream = provider.stream(request).await.expect("the call starts");
    let mut text = String::new();
    let mut done = false;
    while let Some(event) = stream.next().await {
        match event.expect("no error mid-answer") {
            StreamEvent::TextDelta { text: delta } => text.push_str(&delta),
            StreamEvent::Done { .. } => done = true,
            _ => {}
        }
    }
    assert!(done, "the answer ended with Done: {text:?}");
    text
}

/// Whether the process runs (a zombie waiting for its reaper counts as gone).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
    }
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn starts_answers_and_is_gone_when_dropped() {
    let fixture = Fixture::new();
    let provider = LocalProvider::start(fixture.settings("ok")).await.unwrap();
    let model = provider.model();
    assert_eq!(model.state().status, LocalStatus::Ready);
    assert!(model.port() > 0);
    assert_eq!(
        model.base_url(),
        format!("http://127.0.0.1:{}/v1", model.port())
    );
    let pid = model.pid().expect("a running server has a pid");
    assert!(alive(pid));

    assert_eq!(ask(&provider).await, format!("pong from {pid}"));
    assert_eq!(provider.name(), "llama");

    // The log is private and holds the server's own output.
    let log = fixture.path("logs/local-llama.log");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!("fake llama-server pid {pid} mode ok")),
        "{text}"
    );
    assert!(text.contains("POST /v1/chat/completions"), "{text}");

    drop(provider);
    assert!(!alive(pid), "dropping the provider stops the server");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.trim_end().ends_with("--- warroom: stopped"), "{text}");
}

#[tokio::test]
async fn a_killed_server_is_restarted_and_the_next_call_works() {
    let fixture = Fixture::new();
    let provider = LocalProvider::start(fixture.settings("ok")).await.unwrap();
    let first = provider.model().pid().unwrap();
    let port = provider.model().port();

    // SIGKILL, then ask at once: the request waits for the restart instead of failing.
    unsafe { libc::kill(first as i32, libc::SIGKILL) };
    let answer = ask(&provider).await;
    let second = provider.model().pid().unwrap();
    assert_ne!(second, first);
    assert_eq!(answer, format!("pong from {second}"));
    assert_eq!(provider.model().restarts(), 1);
    assert_eq!(provider.model().port(), port, "the port survives a restart");
    assert!(!alive(first));

    // Once more, waiting for the supervisor to notice this time.
    unsafe { libc::kill(second as i32, libc::SIGKILL) };
    let model = provider.model();
    wait_until("the second restart", Duration::from_secs(20), || {
        let state = model.state();
        state.restarts == 2 && state.status == LocalStatus::Ready
    });
    let third = model.pid().unwrap();
    assert_eq!(ask(&provider).await, format!("pong from {third}"));
    let log = std::fs::read_to_string(fixture.path("logs/local-llama.log")).unwrap();
    assert!(
        log.contains("the server exited (killed by signal 9)"),
        "{log}"
    );
    assert!(log.contains("(attempt 3)"), "{log}");
}

#[tokio::test]
async fn a_command_that_exits_at_once_fails_with_the_log_tail() {
    let fixture = Fixture::new();
    let started = Instant::now();
    let error = LocalProvider::start(fixture.settings("exit"))
        .await
        .err()
        .expect("a server that exits cannot start");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(error, LocalError::Exited { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message
            .starts_with("local model llama: the server exited (exit code 3); the last lines of "),
        "{message}"
    );
    assert!(message.contains("local-llama.log:\n"), "{message}");
    assert!(
        message.contains("    error: failed to load model: the file is corrupt"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_program_is_named() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings("ok");
    settings.command = "no-such-llama-server --port {port}".into();
    let error = LocalProvider::start(settings).await.err().unwrap();
    let message = error.to_string();
    assert!(
        message.starts_with("local model llama: cannot start `no-such-llama-server`: "),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_that_never_becomes_healthy_times_out_clearly() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings("never");
    settings.startup_timeout = Duration::from_millis(1500);
    let model = LocalModel::spawn(settings).unwrap();
    let started = Instant::now();
    let error = model.ready().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_secs(8),
        "{took:?}"
    );
    let message = error.to_string();
    let url = format!("http://127.0.0.1:{}/health", model.port());
    assert!(
        message.starts_with(&format!(
            "local model llama: {url} did not answer 200 within 1500 ms (last: HTTP 503 Service Unavailable)"
        )),
        "{message}"
    );
    assert!(
        message.contains("request \"GET /health HTTP/1.1\" 503"),
        "{message}"
    );
    // It is not left running.
    assert!(matches!(model.state().status, LocalStatus::Failed(_)));
    assert_eq!(model.pid(), None);
}

#[tokio::test]
async fn a_crash_loop_gives_up_with_a_clear_error() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings("flaky");
    settings.max_restarts = 2;
    let provider = LocalProvider::start(settings).await.unwrap();
    let model = provider.model();
    wait_until("the supervisor gives up", Duration::from_secs(30), || {
        matches!(model.state().status, LocalStatus::Failed(_))
    });
    let LocalStatus::Failed(error) = model.state().status else {
        unreachable!()
    };
    assert_eq!(model.restarts(), 2);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "local model llama: gave up after 3 failures in a row; the last: local model llama: \
             the server exited (exit code 1); the last lines of "
        ),
        "{message}"
    );
    assert!(
        message.contains("    request \"GET /health HTTP/1.1\" 200"),
        "{message}"
    );
    // A request now fails at once, with that reason, as an error the router may fall back on.
    let refused = provider.stream(&request()).await.err().unwrap();
    assert!(refused.allows_fallback());
    assert!(
        refused.to_string().contains("gave up after 3 failures"),
        "{refused}"
    );
}

#[tokio::test]
async fn dropping_stops_the_whole_process_group() {
    let fixture = Fixture::new();
    let model = LocalModel::spawn(fixture.settings("family")).unwrap();
    model.ready().await.unwrap();
    let server = model.pid().unwrap();
    let child: u32 = std::fs::read_to_string(fixture.path("family.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(server) && alive(child));
    let started = Instant::now();
    drop(model);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "SIGTERM is enough here"
    );
    assert!(!alive(server), "the server is gone");
    wait_until(
        "the server's own child is gone",
        Duration::from_secs(5),
        || !alive(child),
    );
}

#[tokio::test]
async fn settings_that_cannot_work_fail_before_anything_starts() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings("ok");
    settings.command = "llama-server -m {model} --port {port}".into();
    settings.model = Some(fixture.path("missing.gguf"));
    let error = LocalModel::spawn(settings).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "local model llama: the model file {} does not exist (it is the model of \
             [providers.llama])",
            fixture.path("missing.gguf").display()
        )
    );
    let mut settings = fixture.settings("ok");
    settings.command = "llama-server 'unclosed".into();
    let error = LocalModel::spawn(settings).unwrap_err();
    assert!(error.to_string().contains("unclosed quote"), "{error}");
}

/// Set in the helper process of the test below.
const ORPHAN_ENV: &str = "WARROOM_TEST_LOCAL_ORPHAN_DIR";

/// The helper: starts a server, writes its pid, and waits to be killed.
fn orphan_helper(dir: &Path) {
    let fixture = Fixture {
        dir: tempfile::tempdir_in(dir).unwrap(),
    };
    std::fs::write(fixture.path("server.py"), SERVER).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let model = LocalModel::spawn(fixture.settings("ok")).unwrap();
    runtime.block_on(model.ready()).unwrap();
    let pid = model.pid().unwrap();
    std::fs::write(dir.join("server.pid.tmp"), pid.to_string()).unwrap();
    std::fs::rename(dir.join("server.pid.tmp"), dir.join("server.pid")).unwrap();
    std::thread::sleep(Duration::from_secs(120));
    panic!("the helper should have been killed");
}

#[test]
fn killing_warroom_outright_takes_the_server_with_it() {
    if let Some(dir) = std::env::var_os(ORPHAN_ENV) {
        return orphan_helper(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut helper = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "killing_warroom_outright_takes_the_server_with_it",
            "--nocapture",
        ])
        .env(ORPHAN_ENV, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = dir.path().join("server.pid");
    wait_until("the helper's server is up", Duration::from_secs(30), || {
        pid_file.exists()
    });
    let server: u32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    assert!(alive(server));
    helper.kill().unwrap(); // SIGKILL: no destructor runs
    helper.wait().unwrap();
    wait_until(
        "the server dies with its parent",
        Duration::from_secs(5),
        || !alive(server),
    );
}

/// llama.cpp's server from the xllamacpp wheel, in the foreground, as `scripts/local-llm.sh`
/// installs it: `python -c SCRIPT MODEL PORT`.
const LLAMA_SERVER: &str = r#"
import signal, sys, time
import xllamacpp as xlc
p = xlc.CommonParams()
p.model.path = sys.argv[1]
p.hostnames = ["127.0.0.1"]
p.port = int(sys.argv[2])
p.n_ctx = 2048
p.cpuparams.n_threads = p.cpuparams_batch.n_threads = 2
p.n_parallel = 1
p.use_jinja = True
server = xlc.Server(p)
print("llama.cpp server listening on 127.0.0.1:%s" % sys.argv[2], flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
"#;

/// The venv's python and the Qwen model that `scripts/local-llm.sh install` puts in place.
fn installed_llama() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("WARROOM_LLM_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(cache.join("warroom/local-llm"))
        })?;
    let python = home.join("venv/bin/python");
    let model = home.join("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    (python.is_file() && model.is_file()).then_some((python, model))
}

#[tokio::test]
async fn the_real_llama_cpp_server_is_supervised_and_answers() {
    let Some((python, model)) = installed_llama() else {
        eprintln!(
            "skipped: the local model is not installed (run scripts/local-llm.sh install qwen)"
        );
        return;
    };
    let fixture = Fixture::new();
    let script = fixture.path("llama_server.py");
    std::fs::write(&script, LLAMA_SERVER).unwrap();
    let mut settings = LocalSettings::new(
        "qwen",
        format!(
            "{} {} {{model}} {{port}}",
            python.display(),
            script.display()
        ),
        fixture.path("local-qwen.log"),
    );
    settings.model = Some(model);
    settings.startup_timeout = Duration::from_secs(120);
    let provider = LocalProvider::start(settings).await.unwrap();
    let mut request = request();
    request.messages = vec![Message::text(Role::User, "Say hello in one word.")];
    request.params.max_tokens = Some(8);
    request.params.temperature = Some(0.0);
    let first = ask_with(&provider, &request).await;
    assert!(!first.trim().is_empty());

    // Killed outright, it comes back (loading the model again) and answers again.
    let pid = provider.model().pid().unwrap();
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let again = ask_with(&provider, &request).await;
    assert!(!again.trim().is_empty());
    assert_eq!(provider.model().restarts(), 1);
    let next = provider.model().pid().unwrap();
    drop(provider);
    assert!(!alive(next));
}

#[tokio::test]
async fn a_server_that_ignores_sigterm_gets_sigkill_after_the_grace_period() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings("stubborn");
    settings.stop_grace = Duration::from_millis(700);
    let model = LocalModel::spawn(settings).unwrap();
    model.ready().await.unwrap();
    let pid = model.pid().unwrap();
    let started = Instant::now();
    drop(model);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(!alive(pid));
}
