//! `warroom doctor`'s provider lines through the real binary, against real HTTP servers on
//! 127.0.0.1: the server zero config detects, a configured provider whose key is refused (the
//! variable is named, the key never printed), a model its API does not list, a `local`
//! provider's program and model file, and the how-to when there is nothing at all.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use support::TempRepo;
use support::fake_http::{FakeServer, Script, refused_url};

const MODELS: &str = r#"{"object":"list","data":[{"id":"qwen","object":"model"}]}"#;

fn port_of(url: &str) -> String {
    url.rsplit(':').next().unwrap().to_string()
}

/// Runs `warroom doctor` with no keys in the environment and zero config probing `ports`;
/// returns (success, stdout, the provider lines).
async fn doctor(repo: &TempRepo, ports: &str, env: &[(&str, &str)]) -> (bool, String, Vec<String>) {
    let mut command = repo.command(&["doctor"]);
    command
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env("WARROOM_DETECT_PORTS", ports);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = stdout
        .lines()
        .filter(|line| {
            line.get(6..)
                .is_some_and(|rest| rest.starts_with("provider"))
        })
        .map(str::to_string)
        .collect();
    (out.status.success(), stdout, lines)
}

fn write_config(repo: &TempRepo, text: &str) {
    std::fs::create_dir_all(repo.repo.join(".warroom")).unwrap();
    std::fs::write(repo.repo.join(".warroom/config.toml"), text).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detected_local_server_gets_its_line() {
    let repo = TempRepo::new();
    // One answer for the detection, one for the check.
    let server =
        FakeServer::start(vec![Script::json(200, MODELS), Script::json(200, MODELS)]).await;
    let port = port_of(&server.url());
    let (ok, out, lines) = doctor(&repo, &format!("{port}=Ollama"), &[]).await;
    assert!(ok, "{out}");
    assert_eq!(
        lines,
        [format!(
            "ok    provider  none configured; found an OpenAI-compatible server on \
             127.0.0.1:{port} (Ollama), serving qwen: reachable, no key sent, qwen listed"
        )],
        "{out}"
    );
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/models", "/v1/models"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_configured_or_found_warns_with_the_how_to_and_stays_fast() {
    let repo = TempRepo::new();
    let refused = port_of(&refused_url().await);
    let started = Instant::now();
    let (ok, out, lines) = doctor(&repo, &refused, &[]).await;
    assert!(ok, "a warning is not a failure: {out}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with(
            "warn  provider  no model provider is configured, and none was found \
             (OPENAI_API_KEY is not set; ANTHROPIC_API_KEY is not set; "
        ),
        "{out}"
    );
    assert!(
        out.contains("[providers.openai]") && out.contains("[roles.planner]"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_fails_naming_its_variable_and_a_missing_model_warns() {
    let repo = TempRepo::new();
    let refusing = FakeServer::start(vec![Script::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-test-abcdefghijklmnop"}}"#,
    )])
    .await;
    let listing = FakeServer::start(vec![Script::json(200, MODELS)]).await;
    write_config(
        &repo,
        &format!(
            "[providers.remote]\nkind = \"openai\"\nbase_url = \"{}/v1\"\napi_key_env = \"MY_TEST_KEY\"\n\n\
             [providers.ollama]\nkind = \"openai\"\nbase_url = \"{}/v1\"\n\n\
             [roles.default]\nmodels = [\"remote/gpt-4o\", \"ollama/llama3\"]\n",
            refusing.url(),
            listing.url()
        ),
    );
    let (ok, out, lines) = doctor(&repo, "1", &[("MY_TEST_KEY", "sk-test-abcdefghijklmnop")]).await;
    assert!(!ok, "a refused key fails the doctor: {out}");
    assert!(
        !out.contains("sk-test-abcdefghijklmnop"),
        "the key is never printed: {out}"
    );
    assert_eq!(
        lines,
        [
            format!(
                "warn  provider  ollama: reachable, no key sent, but `llama3` not among the 1 \
                 models {}/v1/models lists (qwen); calls to it may fail",
                listing.url()
            ),
            "FAIL  provider  remote: reachable, but the key was refused (401): check the key \
             in environment variable MY_TEST_KEY"
                .to_string(),
        ],
        "{out}"
    );
    let sent = &refusing.requests()[0];
    assert_eq!(sent.path, "/v1/models");
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer sk-test-abcdefghijklmnop")
    );

    // An unset variable is named too, before anything is sent.
    let (ok, out, lines) = doctor(&repo, "1", &[]).await;
    assert!(!ok);
    assert!(
        lines[1].starts_with("FAIL  provider  remote: config: provider remote: environment variable MY_TEST_KEY is not set"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_provider_is_checked_without_starting_it() {
    let repo = TempRepo::new();
    let model = repo.dir.path().join("model.gguf");
    std::fs::write(&model, vec![0u8; 2_000_000]).unwrap();
    write_config(
        &repo,
        &format!(
            "[providers.llama]\nkind = \"local\"\ncommand = \"python3 -m http.server {{port}} --directory {{model}}\"\nmodel = \"{}\"\n\n\
             [providers.missing]\nkind = \"local\"\ncommand = \"no-such-llama-server -m {{model}} --port {{port}}\"\nmodel = \"{}\"\n\n\
             [providers.nomodel]\nkind = \"local\"\ncommand = \"python3 serve.py {{model}} {{port}}\"\nmodel = \"/nonexistent/m.gguf\"\n",
            model.display(),
            model.display()
        ),
    );
    let (ok, out, lines) = doctor(&repo, "1", &[]).await;
    assert!(!ok, "{out}");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("ok    provider  llama: local server `/")
            && lines[0].contains(&format!(
                "python3`, model {} (2 MB); started when needed, log ",
                model.display()
            ))
            && lines[0].ends_with("/state/warroom/logs/local-llama.log"),
        "{out}"
    );
    assert_eq!(
        lines[1],
        "FAIL  provider  missing: `no-such-llama-server` (the command of [providers.missing]) \
         is not found on PATH",
        "{out}"
    );
    assert_eq!(
        lines[2],
        "FAIL  provider  nomodel: the model file /nonexistent/m.gguf does not exist (the model \
         of [providers.nomodel])",
        "{out}"
    );
}
