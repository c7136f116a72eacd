//! Zero config: with no provider configured, pick one from what this machine already has, in
//! this order — a key in `OPENAI_API_KEY`, a key in `ANTHROPIC_API_KEY`, an OpenAI-compatible
//! server already answering on 127.0.0.1 (Ollama's 11434, llama.cpp's 8080) — and say which and
//! why; with none, say exactly how to configure one. What is probed comes in a [`Probe`]
//! (environment lookup, ports, timeout) so tests can point it at their own listener.
//!
//! Reads environment variables and asks local ports; never prints or stores a key.

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use futures_util::future::join_all;

use crate::config::{
    ANTHROPIC_KEY_ENV, Config, ModelRef, ProviderConfig, ProviderKind, RoleConfig,
};

/// The variable an OpenAI key is looked for in.
pub const OPENAI_KEY_ENV: &str = "OPENAI_API_KEY";
/// OpenAI's API.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The model used with a detected OpenAI key.
pub const OPENAI_DEFAULT_MODEL: &str = "gpt-4o-mini";
/// The model used with a detected Anthropic key.
pub const ANTHROPIC_DEFAULT_MODEL: &str = "claude-3-5-haiku-latest";
/// Where a local server is looked for unless `WARROOM_DETECT_PORTS` says otherwise.
pub const DEFAULT_PORTS: [(u16, &str); 2] = [(11434, "Ollama"), (8080, "llama.cpp")];
/// The variable that replaces [`DEFAULT_PORTS`]: `PORT[=LABEL],...`, e.g. `1234=LM Studio`.
pub const PORTS_ENV: &str = "WARROOM_DETECT_PORTS";

/// A provider picked without config.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The name it gets among the providers (`openai`, `anthropic`, `ollama`, `llamacpp`).
    pub name: String,
    /// How to reach it, as if configured.
    pub provider: ProviderConfig,
    /// The model every role uses.
    pub model: String,
    /// Which was picked and why, for `doctor` and the status bar.
    pub why: String,
}

impl Detection {
    /// Adds the provider and a `[roles.default]` that uses its model to `config`.
    pub fn apply_to(&self, config: &mut Config) {
        config
            .providers
            .insert(self.name.clone(), self.provider.clone());
        config.roles.insert(
            "default".into(),
            RoleConfig {
                models: vec![ModelRef {
                    provider: self.name.clone(),
                    model: self.model.clone(),
                }],
                temperature: None,
                max_tokens: None,
                ..RoleConfig::default()
            },
        );
    }
}

/// Nothing found; `Display` says what was tried and how to configure a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotDetected {
    /// What was looked at, in words.
    pub tried: Vec<String>,
}

impl fmt::Display for NotDetected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "no model provider is configured, and none was found ({}).",
            self.tried.join("; ")
        )?;
        f.write_str(HOW_TO)
    }
}

/// How to configure a provider: the environment variables, or a config snippet.
pub const HOW_TO: &str = "\
Either export a key: OPENAI_API_KEY=... (OpenAI) or ANTHROPIC_API_KEY=... (Anthropic);
or start a local server (`ollama serve`, or llama.cpp's `llama-server -m MODEL.gguf --port 8080`);
or add to $XDG_CONFIG_HOME/warroom/config.toml (or .warroom/config.toml):

    [providers.openai]
    kind = \"openai\"
    base_url = \"https://api.openai.com/v1\"
    api_key_env = \"OPENAI_API_KEY\"

    [roles.planner]
    models = [\"openai/gpt-4o-mini\"]

(`[roles.default]` serves every role; see the documented config.toml for every key.)";

/// A port a local server may answer on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPort {
    /// The port on 127.0.0.1.
    pub port: u16,
    /// Who usually listens there ("Ollama").
    pub label: String,
}

/// What to look at.
pub struct Probe<'a> {
    /// Reads an environment variable.
    pub env: &'a (dyn Fn(&str) -> Option<OsString> + Sync),
    /// Local ports, in order of preference.
    pub ports: Vec<LocalPort>,
    /// The longest wait for each local answer.
    pub timeout: Duration,
}

impl Probe<'static> {
    /// The process environment, [`DEFAULT_PORTS`] (or `WARROOM_DETECT_PORTS`) and 300 ms.
    pub fn standard() -> Probe<'static> {
        static ENV: fn(&str) -> Option<OsString> = |var| std::env::var_os(var);
        let ports = std::env::var(PORTS_ENV)
            .ok()
            .and_then(|list| parse_ports(&list))
            .unwrap_or_else(default_ports);
        Probe {
            env: &ENV,
            ports,
            timeout: Duration::from_millis(300),
        }
    }
}

/// [`DEFAULT_PORTS`] as [`LocalPort`]s.
pub fn default_ports() -> Vec<LocalPort> {
    DEFAULT_PORTS
        .iter()
        .map(|(port, label)| LocalPort {
            port: *port,
            label: (*label).to_string(),
        })
        .collect()
}

/// `11434=Ollama,8080` as ports; `None` when any entry is not a port.
pub fn parse_ports(list: &str) -> Option<Vec<LocalPort>> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (port, label) = entry.split_once('=').unwrap_or((entry, "a local server"));
            let port = port.trim().parse::<u16>().ok().filter(|p| *p != 0)?;
            Some(LocalPort {
                port,
                label: label.trim().to_string(),
            })
        })
        .collect()
}

/// Picks a provider: an OpenAI key, an Anthropic key, then the first local port that answers
/// like an OpenAI-compatible server (all ports are asked at once).
pub async fn detect(probe: &Probe<'_>) -> Result<Detection, NotDetected> {
    let mut tried = Vec::new();
    for (var, kind) in [
        (OPENAI_KEY_ENV, ProviderKind::OpenAi),
        (ANTHROPIC_KEY_ENV, ProviderKind::Anthropic),
    ] {
        match (probe.env)(var) {
            Some(value) if !value.to_string_lossy().trim().is_empty() => {
                return Ok(from_key(var, kind));
            }
            Some(_) => tried.push(format!("{var} is empty")),
            None => tried.push(format!("{var} is not set")),
        }
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(probe.timeout)
        .connect_timeout(probe.timeout)
        .build();
    let client = match client {
        Ok(client) => client,
        Err(e) => {
            tried.push(format!("cannot probe local ports: {e}"));
            return Err(NotDetected { tried });
        }
    };
    let answers = join_all(probe.ports.iter().map(|port| ask_port(&client, port))).await;
    for (port, answer) in probe.ports.iter().zip(answers) {
        match answer {
            Ok(model) => return Ok(from_server(port, model)),
            Err(why) => tried.push(format!("127.0.0.1:{} ({}): {why}", port.port, port.label)),
        }
    }
    Err(NotDetected { tried })
}

fn from_key(var: &str, kind: ProviderKind) -> Detection {
    let mut provider = ProviderConfig::new(kind);
    provider.api_key_env = Some(var.to_string());
    let (name, model) = match kind {
        ProviderKind::Anthropic => ("anthropic", ANTHROPIC_DEFAULT_MODEL),
        _ => {
            provider.base_url = Some(OPENAI_BASE_URL.to_string());
            ("openai", OPENAI_DEFAULT_MODEL)
        }
    };
    Detection {
        name: name.into(),
        provider,
        model: model.into(),
        why: format!("using {var} from the environment ({name}/{model})"),
    }
}

fn from_server(port: &LocalPort, model: String) -> Detection {
    let mut provider = ProviderConfig::new(ProviderKind::OpenAi);
    provider.base_url = Some(format!("http://127.0.0.1:{}/v1", port.port));
    let name: String = port
        .label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let name = if name.is_empty() {
        "local".into()
    } else {
        name
    };
    Detection {
        why: format!(
            "found an OpenAI-compatible server on 127.0.0.1:{} ({}), serving {model}",
            port.port, port.label
        ),
        name,
        provider,
        model,
    }
}

/// The model a server on `port` serves, from `/v1/models` (else llama.cpp's `/health`, whose
/// server takes any model name); why not, otherwise.
async fn ask_port(client: &reqwest::Client, port: &LocalPort) -> Result<String, String> {
    let base = format!("http://127.0.0.1:{}", port.port);
    let listed = match client.get(format!("{base}/v1/models")).send().await {
        Err(e) if e.is_connect() => return Err("nothing listens".into()),
        Err(e) if e.is_timeout() => return Err("no answer in time".into()),
        Err(e) => Err(super::sse::describe(&e)),
        Ok(answer) if !answer.status().is_success() => {
            Err(format!("/v1/models answered {}", answer.status()))
        }
        Ok(answer) => match answer.json::<serde_json::Value>().await {
            Ok(list) => {
                model_ids(&list).ok_or_else(|| "/v1/models is not a model list".to_string())
            }
            Err(_) => Err("/v1/models did not answer JSON".to_string()),
        },
    };
    match listed {
        Ok(ids) => ids
            .into_iter()
            .next()
            .ok_or_else(|| "it serves no model yet (for Ollama: `ollama pull MODEL`)".into()),
        Err(why) => {
            let healthy = client
                .get(format!("{base}/health"))
                .send()
                .await
                .is_ok_and(|answer| answer.status().as_u16() == 200);
            if healthy {
                Ok("default".into())
            } else {
                Err(why)
            }
        }
    }
}

/// The `id`s of an OpenAI-style list (`{"data": [{"id": ...}, ...]}`); `None` for anything else.
pub fn model_ids(list: &serde_json::Value) -> Option<Vec<String>> {
    let data = list.get("data")?.as_array()?;
    Some(
        data.iter()
            .filter_map(|model| model.get("id")?.as_str().map(str::to_string))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_with_and_without_labels() {
        assert_eq!(
            parse_ports("1234=LM Studio, 8000").unwrap(),
            [
                LocalPort {
                    port: 1234,
                    label: "LM Studio".into()
                },
                LocalPort {
                    port: 8000,
                    label: "a local server".into()
                },
            ]
        );
        assert_eq!(parse_ports("x"), None);
        assert_eq!(parse_ports("0"), None);
        assert_eq!(default_ports()[0].port, 11434);
    }

    #[test]
    fn lists_give_ids_and_other_json_gives_none() {
        let list = serde_json::json!({"object": "list", "data": [{"id": "qwen"}, {"id": "llama"}]});
        assert_eq!(model_ids(&list).unwrap(), ["qwen", "llama"]);
        assert_eq!(model_ids(&serde_json::json!({"status": "ok"})), None);
    }

    #[test]
    fn a_detection_becomes_a_provider_and_a_default_role() {
        let detection = from_key(OPENAI_KEY_ENV, ProviderKind::OpenAi);
        let mut config = Config::default();
        detection.apply_to(&mut config);
        assert_eq!(config.providers["openai"].url(), OPENAI_BASE_URL);
        assert_eq!(
            config.roles["default"].models[0].to_string(),
            "openai/gpt-4o-mini"
        );
        crate::config::check_references(&config).unwrap();
    }
}
