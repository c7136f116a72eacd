//! A client of the OpenAI-compatible `/v1/embeddings` API (OpenAI, llama.cpp's server with
//! embeddings on, Ollama, vLLM): texts in, one vector per text out. The provider is the
//! `[providers]` entry that `[memory] embeddings` names; its key is read like the chat
//! providers' (`api_key_env` or `api_key_file`) and is only ever put in the Authorization
//! header. Every failure is an [`EmbedError`] that names the provider and what went wrong,
//! with anything key-shaped masked. Knows nothing of the store.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::Deserialize;

use crate::config::{Config, ProviderKind};
use crate::core::llm::credentials;

/// Why texts could not be embedded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    /// The config cannot work (an unknown provider, a kind without embeddings, a bad URL, a
    /// missing key).
    #[error("[memory] embeddings: {0}")]
    Config(String),
    /// The server could not be reached or did not answer in time.
    #[error("embeddings from {provider} ({url}): {message}")]
    Transport {
        /// The provider's name.
        provider: String,
        /// The endpoint.
        url: String,
        /// What happened.
        message: String,
    },
    /// The server answered with an error status.
    #[error("embeddings from {provider}: HTTP {status}: {message}")]
    Status {
        /// The provider's name.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// The server's words (shortened, keys masked).
        message: String,
    },
    /// The answer is not what the API promises.
    #[error("embeddings from {provider}: the answer cannot be used: {message}")]
    BadAnswer {
        /// The provider's name.
        provider: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Talks to one embeddings endpoint.
#[derive(Debug, Clone)]
pub struct Embedder {
    provider: String,
    model: String,
    url: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

/// The most texts sent in one request.
pub const BATCH: usize = 64;

impl Embedder {
    /// The embedder `[memory]` configures; `None` when `embeddings` is empty (full-text
    /// search only).
    pub fn from_config(config: &Config) -> Result<Option<Embedder>, EmbedError> {
        let name = config.memory.embeddings.trim();
        if name.is_empty() {
            return Ok(None);
        }
        let provider = config.providers.get(name).ok_or_else(|| {
            EmbedError::Config(format!(
                "names provider {name:?}, which is not in [providers] (defined: {})",
                names(config)
            ))
        })?;
        if provider.kind != ProviderKind::OpenAi {
            return Err(EmbedError::Config(format!(
                "provider {name:?} is of kind {:?}; embeddings need an \"openai\" provider with a \
                 base_url that serves /v1/embeddings",
                provider.kind.name()
            )));
        }
        let key = credentials::resolve(name, provider)
            .map_err(|e| EmbedError::Config(credentials::redact(&e.to_string())))?;
        let model = config.memory.embedding_model.trim();
        if model.is_empty() {
            return Err(EmbedError::Config(
                "embedding_model is empty; name the model the provider embeds with".into(),
            ));
        }
        Embedder::new(
            name,
            provider.url(),
            model,
            key.as_ref().map(credentials::Secret::expose),
            provider.connect_timeout(),
            provider.first_byte_timeout(),
        )
        .map(Some)
    }

    /// An embedder of `model` at `base_url` (`.../v1`), sending `key` as a bearer token.
    pub fn new(
        provider: &str,
        base_url: &str,
        model: &str,
        key: Option<&str>,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Embedder, EmbedError> {
        let config =
            |message: String| EmbedError::Config(format!("provider {provider}: {message}"));
        let url = format!("{}/embeddings", base_url.trim().trim_end_matches('/'));
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| config(format!("base_url `{base_url}` is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(config(format!(
                "base_url `{base_url}` must be an http:// or https:// URL with a host"
            )));
        }
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                config("the API key contains characters that cannot be sent in a header".into())
            })?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
        if parsed
            .host_str()
            .is_some_and(|h| matches!(h, "127.0.0.1" | "localhost" | "[::1]"))
        {
            // A proxy from the environment must not stand between us and a local server.
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Embedder {
            provider: provider.to_string(),
            model: model.to_string(),
            url,
            client,
        })
    }

    /// The model's name (vectors are stored under it).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// One vector per text, in order, all of one length. Sends at most [`BATCH`] texts a
    /// request.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.embed_batch(batch).await?);
        }
        if let Some(first) = out.first() {
            let dim = first.len();
            if let Some(i) = out.iter().position(|v| v.len() != dim) {
                return Err(self.bad(format!(
                    "vector {i} has {} values but the first has {dim}",
                    out[i].len()
                )));
            }
        }
        Ok(out)
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let body = serde_json::json!({ "model": self.model, "input": texts });
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| EmbedError::Transport {
                provider: self.provider.clone(),
                url: self.url.clone(),
                message: credentials::redact(&without_url(&e)),
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| EmbedError::Transport {
            provider: self.provider.clone(),
            url: self.url.clone(),
            message: format!("the answer was cut off: {}", without_url(&e)),
        })?;
        if !status.is_success() {
            return Err(EmbedError::Status {
                provider: self.provider.clone(),
                status: status.as_u16(),
                message: credentials::redact(&short(&error_message(&text))),
            });
        }
        let answer: Answer = serde_json::from_str(&text)
            .map_err(|e| self.bad(format!("{e} (in {})", short(&text))))?;
        if answer.data.len() != texts.len() {
            return Err(self.bad(format!(
                "{} texts were sent but {} vectors came back",
                texts.len(),
                answer.data.len()
            )));
        }
        let mut items: Vec<(usize, Vec<f32>)> = answer
            .data
            .into_iter()
            .enumerate()
            .map(|(i, item)| (item.index.unwrap_or(i), item.embedding))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        if items.iter().enumerate().any(|(i, (index, _))| i != *index) {
            return Err(self.bad("the vectors' indexes do not cover the texts sent".into()));
        }
        if items.iter().any(|(_, v)| v.is_empty()) {
            return Err(self.bad("an embedding is empty".into()));
        }
        Ok(items.into_iter().map(|(_, v)| v).collect())
    }

    fn bad(&self, message: String) -> EmbedError {
        EmbedError::BadAnswer {
            provider: self.provider.clone(),
            message,
        }
    }
}

/// The names of the configured providers, for messages.
fn names(config: &Config) -> String {
    if config.providers.is_empty() {
        "none".into()
    } else {
        config
            .providers
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `{"error": {"message": ...}}` or `{"error": "..."}` when the body is one, else the body.
fn error_message(body: &str) -> String {
    let value: Option<serde_json::Value> = serde_json::from_str(body).ok();
    value
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("error"))
                .and_then(|m| m.as_str())
        })
        .map_or_else(|| body.to_string(), str::to_string)
}

fn short(text: &str) -> String {
    let text = text.trim();
    let mut out: String = text.chars().take(300).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// reqwest's error without the URL (the caller names it once).
fn without_url(e: &reqwest::Error) -> String {
    let mut message = if e.is_timeout() {
        "no answer in time".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        message.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    message
}
