//! The doctor's provider lines: one per configured provider — reachable (a cheap
//! `GET .../models` under a 3 s timeout), key accepted (a 401 names where the key came from),
//! the roles' models present when the API lists models; for a `local` provider, whether its
//! program is found and its model file exists (the server is not started). With no provider
//! configured, the one zero config would pick (its problems are warnings: nothing configured
//! is wrong), or a warning that says how to configure one. Never prints a key.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use super::{Check, Verdict, check};
use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::core::llm::credentials;
use crate::core::llm::detect::{self, Probe, model_ids};
use crate::core::llm::local::{LocalSettings, find_program};

/// How long one provider may take to answer its model list.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The provider lines of the report.
pub(super) fn checks(config: &Config) -> Vec<Check> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(all(config)),
        Err(e) => vec![check(
            Verdict::Fail,
            "provider",
            format!("cannot check providers: {e}"),
        )],
    }
}

async fn all(config: &Config) -> Vec<Check> {
    if config.providers.is_empty() {
        return vec![detected().await];
    }
    join_all(config.providers.iter().map(|(name, provider)| async move {
        let models: Vec<String> = config
            .roles
            .values()
            .flat_map(|role| &role.models)
            .filter(|model| model.provider == *name)
            .map(|model| model.model.clone())
            .collect();
        let (verdict, detail) = one(name, provider, &models).await;
        check(verdict, "provider", format!("{name}: {detail}"))
    }))
    .await
}

async fn detected() -> Check {
    match detect::detect(&Probe::standard()).await {
        Ok(found) => {
            let models = [found.model.clone()];
            let (verdict, detail) = one(&found.name, &found.provider, &models).await;
            let verdict = match verdict {
                Verdict::Fail => Verdict::Warn,
                other => other,
            };
            check(
                verdict,
                "provider",
                format!("none configured; {}: {detail}", found.why),
            )
        }
        Err(none) => check(
            Verdict::Warn,
            "provider",
            indent_after_first(&none.to_string()),
        ),
    }
}

/// How one provider fares, in one line.
async fn one(name: &str, provider: &ProviderConfig, models: &[String]) -> (Verdict, String) {
    if provider.kind == ProviderKind::Local {
        return local(name, provider);
    }
    let key = match credentials::resolve(name, provider) {
        Ok(key) => key,
        Err(e) => return (Verdict::Fail, e.to_string()),
    };
    let source = credentials::describe_source(provider);
    let base = provider.url().trim_end_matches('/');
    let url = match provider.kind {
        ProviderKind::Anthropic => format!("{base}/v1/models"),
        _ => format!("{base}/models"),
    };
    let mut headers = HeaderMap::new();
    if let Some(key) = &key {
        let value = match provider.kind {
            ProviderKind::Anthropic => HeaderValue::from_str(key.expose()),
            _ => HeaderValue::from_str(&format!("Bearer {}", key.expose())),
        };
        let Ok(mut value) = value else {
            return (
                Verdict::Fail,
                format!("the key from {source} has characters that cannot be sent in a header"),
            );
        };
        value.set_sensitive(true);
        match provider.kind {
            ProviderKind::Anthropic => {
                headers.insert("x-api-key", value);
            }
            _ => {
                headers.insert(AUTHORIZATION, value);
            }
        }
    }
    if provider.kind == ProviderKind::Anthropic {
        headers.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
    }
    let mut client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none());
    if provider.is_local() {
        client = client.no_proxy();
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(e) => return (Verdict::Fail, format!("cannot build an HTTP client: {e}")),
    };
    let clean = |text: String| credentials::redact(&text);
    let answer = match client.get(&url).send().await {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => {
            return (
                Verdict::Fail,
                format!("{url} did not answer within {} s", TIMEOUT.as_secs()),
            );
        }
        Err(e) => {
            return (
                Verdict::Fail,
                clean(format!(
                    "cannot reach {url}: {}",
                    crate::core::llm::sse::describe(&e)
                )),
            );
        }
    };
    let status = answer.status().as_u16();
    let key_words = if key.is_some() {
        format!("key accepted ({source})")
    } else {
        "no key sent".to_string()
    };
    match status {
        401 => (
            Verdict::Fail,
            format!("reachable, but the key was refused (401): check the key in {source}"),
        ),
        403 => (
            Verdict::Fail,
            format!("reachable, but forbidden (403) with the key from {source}"),
        ),
        200..=299 => {
            let list = answer.json::<serde_json::Value>().await.ok();
            match list.as_ref().and_then(model_ids) {
                Some(ids) => listed(&url, &key_words, &ids, models),
                None => (
                    Verdict::Warn,
                    format!("reachable, {key_words}; {url} did not answer a model list"),
                ),
            }
        }
        _ => {
            let verdict = if status >= 500 {
                Verdict::Fail
            } else {
                Verdict::Warn
            };
            (
                verdict,
                format!(
                    "reachable, but {url} answered {}: cannot tell whether the key and the \
                     models are right",
                    answer.status()
                ),
            )
        }
    }
}

/// The verdict on the models a provider lists.
fn listed(url: &str, key_words: &str, ids: &[String], wanted: &[String]) -> (Verdict, String) {
    let missing: Vec<&String> = wanted.iter().filter(|m| !ids.contains(m)).collect();
    if missing.is_empty() {
        let which = if wanted.is_empty() {
            format!("{} models listed", ids.len())
        } else {
            format!("{} listed", wanted.join(", "))
        };
        return (Verdict::Ok, format!("reachable, {key_words}, {which}"));
    }
    let some: Vec<&str> = ids.iter().take(8).map(String::as_str).collect();
    let more = if ids.len() > some.len() { ", ..." } else { "" };
    (
        Verdict::Warn,
        format!(
            "reachable, {key_words}, but {} not among the {} models {url} lists ({}{more}); \
             calls to it may fail",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            ids.len(),
            some.join(", ")
        ),
    )
}

/// A `local` provider: the program and the model file, without starting anything.
fn local(name: &str, provider: &ProviderConfig) -> (Verdict, String) {
    let settings = match LocalSettings::from_config(name, provider) {
        Ok(settings) => settings,
        Err(e) => return (Verdict::Fail, e.to_string()),
    };
    let words = match settings.words() {
        Ok(words) => words,
        Err(e) => return (Verdict::Fail, e),
    };
    let program = &words[0];
    let Some(found) = find_program(program) else {
        return (
            Verdict::Fail,
            format!(
                "`{program}` (the command of [providers.{name}]) is not found{}",
                if program.contains('/') {
                    " or not executable"
                } else {
                    " on PATH"
                }
            ),
        );
    };
    let model = match &settings.model {
        Some(model) if settings.command.contains("{model}") => match std::fs::metadata(model) {
            Ok(meta) if meta.is_file() => format!(
                ", model {} ({:.0} MB)",
                model.display(),
                meta.len() as f64 / 1e6
            ),
            _ => {
                return (
                    Verdict::Fail,
                    format!(
                        "the model file {} does not exist (the model of [providers.{name}])",
                        model.display()
                    ),
                );
            }
        },
        _ => String::new(),
    };
    (
        Verdict::Ok,
        format!(
            "local server `{}`{model}; started when needed, log {}",
            found.display(),
            settings.log_file.display()
        ),
    )
}

/// Every line after the first indented, so a long how-to reads as one report entry.
fn indent_after_first(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 || line.is_empty() {
                line.to_string()
            } else {
                format!("                {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
