//! Zero config against real listeners: keys from a given environment win in order, then the
//! first local port that answers like an OpenAI-compatible server (a real HTTP server on a
//! random 127.0.0.1 port stands in for Ollama and llama.cpp); refused, silent and empty
//! servers are passed over quickly, and finding nothing says how to configure a provider.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::{Duration, Instant};

use support::fake_http::{FakeServer, Script, refused_url};
use warroom::config::ProviderKind;
use warroom::core::llm::detect::{self, Detection, LocalPort, NotDetected, Probe};

const MODELS: &str = r#"{"object":"list","data":[{"id":"qwen2.5-coder:0.5b","object":"model"},{"id":"llama3","object":"model"}]}"#;

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

async fn run(env: &[(&str, &str)], ports: &[(u16, &str)]) -> Result<Detection, NotDetected> {
    let env: HashMap<String, OsString> = env
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    let lookup = move |var: &str| env.get(var).cloned();
    let probe = Probe {
        env: &lookup,
        ports: ports
            .iter()
            .map(|(port, label)| LocalPort {
                port: *port,
                label: label.to_string(),
            })
            .collect(),
        timeout: Duration::from_millis(300),
    };
    detect::detect(&probe).await
}

#[tokio::test]
async fn an_openai_key_comes_first_then_an_anthropic_key() {
    let server = FakeServer::start(vec![Script::json(200, MODELS)]).await;
    let port = port_of(&server.url());
    let both = [
        ("OPENAI_API_KEY", "sk-one"),
        ("ANTHROPIC_API_KEY", "sk-ant-two"),
    ];
    let found = run(&both, &[(port, "Ollama")]).await.unwrap();
    assert_eq!(found.name, "openai");
    assert_eq!(found.provider.kind, ProviderKind::OpenAi);
    assert_eq!(found.provider.url(), "https://api.openai.com/v1");
    assert_eq!(
        found.provider.api_key_env.as_deref(),
        Some("OPENAI_API_KEY")
    );
    assert_eq!(found.model, "gpt-4o-mini");
    assert_eq!(
        found.why,
        "using OPENAI_API_KEY from the environment (openai/gpt-4o-mini)"
    );
    assert!(
        !format!("{found:?}").contains("sk-one"),
        "the key is not kept"
    );
    assert_eq!(server.request_count(), 0, "a key means no probing");

    // An empty OpenAI variable does not count.
    let anthropic = [("OPENAI_API_KEY", " "), ("ANTHROPIC_API_KEY", "sk-ant-two")];
    let found = run(&anthropic, &[]).await.unwrap();
    assert_eq!(found.name, "anthropic");
    assert_eq!(found.provider.kind, ProviderKind::Anthropic);
    assert_eq!(found.model, "claude-3-5-haiku-latest");
    assert_eq!(
        found.why,
        "using ANTHROPIC_API_KEY from the environment (anthropic/claude-3-5-haiku-latest)"
    );
}

#[tokio::test]
async fn a_server_answering_v1_models_is_used_with_its_first_model() {
    let refused = port_of(&refused_url().await);
    let server = FakeServer::start(vec![Script::json(200, MODELS)]).await;
    let port = port_of(&server.url());
    let found = run(&[], &[(refused, "Ollama"), (port, "llama.cpp")])
        .await
        .unwrap();
    assert_eq!(found.name, "llamacpp");
    assert_eq!(found.provider.url(), format!("http://127.0.0.1:{port}/v1"));
    assert!(found.provider.text_tool_calls(), "on for a local server");
    assert_eq!(found.model, "qwen2.5-coder:0.5b");
    assert_eq!(
        found.why,
        format!(
            "found an OpenAI-compatible server on 127.0.0.1:{port} (llama.cpp), serving \
             qwen2.5-coder:0.5b"
        )
    );
    let sent = server.requests();
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].path, "/v1/models");
}

#[tokio::test]
async fn the_first_port_in_order_wins_when_both_answer() {
    let first = FakeServer::start(vec![Script::json(200, r#"{"data":[{"id":"a"}]}"#)]).await;
    let second = FakeServer::start(vec![Script::json(200, r#"{"data":[{"id":"b"}]}"#)]).await;
    let found = run(
        &[],
        &[
            (port_of(&first.url()), "Ollama"),
            (port_of(&second.url()), "llama.cpp"),
        ],
    )
    .await
    .unwrap();
    assert_eq!((found.name.as_str(), found.model.as_str()), ("ollama", "a"));
}

#[tokio::test]
async fn a_llama_cpp_health_answer_is_enough_when_models_are_not_listed() {
    let server = FakeServer::start(vec![
        Script::json(404, r#"{"error":"not found"}"#),
        Script::json(200, r#"{"status":"ok"}"#),
    ])
    .await;
    let port = port_of(&server.url());
    let found = run(&[], &[(port, "llama.cpp")]).await.unwrap();
    assert_eq!(found.model, "default");
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/models", "/health"]);
}

#[tokio::test]
async fn nothing_found_says_what_was_tried_and_how_to_configure_quickly() {
    let refused = port_of(&refused_url().await);
    // A server that accepts but never answers, and one that serves no model.
    let silent = FakeServer::start(vec![
        Script::json(200, MODELS).head_delay(Duration::from_secs(5)),
        Script::json(200, MODELS).head_delay(Duration::from_secs(5)),
    ])
    .await;
    let empty = FakeServer::start(vec![Script::json(200, r#"{"object":"list","data":[]}"#)]).await;
    let started = Instant::now();
    let none = run(
        &[],
        &[
            (refused, "Ollama"),
            (port_of(&silent.url()), "llama.cpp"),
            (port_of(&empty.url()), "vLLM"),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let message = none.to_string();
    for expected in [
        "no model provider is configured, and none was found (OPENAI_API_KEY is not set; \
         ANTHROPIC_API_KEY is not set; ",
        &format!("127.0.0.1:{refused} (Ollama): nothing listens"),
        &format!(
            "127.0.0.1:{} (llama.cpp): no answer in time",
            port_of(&silent.url())
        ),
        &format!(
            "127.0.0.1:{} (vLLM): it serves no model yet (for Ollama: `ollama pull MODEL`)",
            port_of(&empty.url())
        ),
        "export a key: OPENAI_API_KEY=... (OpenAI) or ANTHROPIC_API_KEY=... (Anthropic)",
        "    [providers.openai]\n    kind = \"openai\"\n    base_url = \"https://api.openai.com/v1\"\n    api_key_env = \"OPENAI_API_KEY\"\n",
        "    [roles.planner]\n    models = [\"openai/gpt-4o-mini\"]\n",
    ] {
        assert!(
            message.contains(expected),
            "missing {expected:?} in:\n{message}"
        );
    }
}

#[test]
fn the_how_to_snippet_is_a_valid_config() {
    let snippet: String = detect::HOW_TO
        .lines()
        .filter_map(|line| line.strip_prefix("    "))
        .collect::<Vec<_>>()
        .join("\n");
    let layer = warroom::config::parse_file(std::path::Path::new("snippet.toml"), &snippet)
        .expect("the snippet parses");
    let mut config = warroom::config::Config::default();
    layer.apply_to(&mut config).unwrap();
    warroom::config::check_references(&config).unwrap();
    assert_eq!(
        config.roles["planner"].models[0].to_string(),
        "openai/gpt-4o-mini"
    );
}
