//! The OpenAI-compatible chat-completions provider (OpenAI, Ollama's /v1, vLLM, LM Studio,
//! OpenRouter, llama.cpp's server): `POST {base_url}/chat/completions` with `stream: true`,
//! read as server-sent events under connect, first-byte and idle timeouts. This file owns the
//! HTTP exchange; `request.rs` builds the body, `decode.rs` reads the stream and `errors.rs`
//! maps failures. Calls written as text by small models are converted by `text_tools` when
//! the settings ask for it.
//!
//! The key goes into the `Authorization` header (marked sensitive) and nowhere else: every
//! error is redacted before it leaves this module, and `Debug` hides it.

mod decode;
mod errors;
mod request;

pub use decode::{Decoder, Fault};

use std::fmt;
use std::time::{Duration, SystemTime};

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::time::{Instant, timeout_at};

use self::errors::{Who, fault_error, http_error};
use super::redact::redact_error;
use super::sse::{describe, read_some, retry_after, timed_chunks, trim_message};
use super::{ChatProvider, ChatRequest, LlmError, LlmStream, StreamEvent};

/// How to reach an OpenAI-compatible server and how long to wait for it.
#[derive(Clone)]
pub struct OpenAiSettings {
    /// The provider's name from config (used in errors and events).
    pub name: String,
    /// The API's root, up to and including the version: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:11434/v1`. `/chat/completions` is appended.
    pub base_url: String,
    /// The key, sent as `Authorization: Bearer ...`; `None` for local servers that need none.
    /// Never printed (`Debug` hides it).
    pub api_key: Option<String>,
    /// Where the key came from, e.g. "environment variable OPENAI_API_KEY"; a 401 names it.
    pub key_source: String,
    /// Longest wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait from sending the request to the first byte of the answer's body (a
    /// local model reads the whole prompt before its first token).
    pub first_byte_timeout: Duration,
    /// Longest silence between two chunks of the answer.
    pub idle_timeout: Duration,
    /// Turn tool calls that the model wrote as text into real calls (for small local models).
    pub text_tool_calls: bool,
    /// More headers for every request (OpenRouter's `HTTP-Referer`, an organization id).
    /// Their values are hidden by `Debug` too.
    pub extra_headers: Vec<(String, String)>,
}

impl OpenAiSettings {
    /// Settings for the server at `base_url` with no key, the usual timeouts (connect 10 s,
    /// first byte 120 s, idle 60 s) and no text tool calls.
    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        OpenAiSettings {
            name: name.into(),
            base_url: base_url.into(),
            api_key: None,
            key_source: "the provider's config (no key is set; name one with api_key_env)".into(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            text_tool_calls: false,
            extra_headers: Vec::new(),
        }
    }

    /// These settings with a key and where it came from.
    pub fn with_key(mut self, key: impl Into<String>, key_source: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self.key_source = key_source.into();
        self
    }
}

impl fmt::Debug for OpenAiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .extra_headers
            .iter()
            .map(|(name, _)| (name.as_str(), "[redacted]"))
            .collect();
        f.debug_struct("OpenAiSettings")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("key_source", &self.key_source)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("text_tool_calls", &self.text_tool_calls)
            .field("extra_headers", &headers)
            .finish()
    }
}

/// Talks to one OpenAI-compatible server.
pub struct OpenAiProvider {
    settings: OpenAiSettings,
    client: reqwest::Client,
    url: String,
    path: String,
    who: Who,
}

impl OpenAiProvider {
    /// A provider for these settings. Fails on a base URL that is not http(s), a key or header
    /// that cannot be sent, or an HTTP client that cannot be built.
    pub fn new(settings: OpenAiSettings) -> Result<Self, LlmError> {
        let name = &settings.name;
        let config = |message: String| LlmError::Config(format!("{name}: {message}"));
        let url = format!(
            "{}/chat/completions",
            settings.base_url.trim().trim_end_matches('/')
        );
        let parsed = reqwest::Url::parse(&url).map_err(|e| {
            config(format!(
                "base_url `{}` is not a URL ({e})",
                settings.base_url
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(config(format!(
                "base_url `{}` must be an http:// or https:// URL with a host",
                settings.base_url
            )));
        }
        let mut headers = HeaderMap::new();
        if let Some(key) = &settings.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                config(format!(
                    "the API key from {} contains characters that cannot be sent in a header",
                    settings.key_source
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        for (name, value) in &settings.extra_headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config(format!("`{name}` is not a valid header name")))?;
            let mut header_value = HeaderValue::from_str(value)
                .map_err(|_| config(format!("the value of header `{name}` cannot be sent")))?;
            header_value.set_sensitive(true);
            headers.insert(header_name, header_value);
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            // A redirect would resend the body elsewhere; a wrong base_url should say so.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&parsed) {
            // A proxy from the environment must not stand between us and a local model.
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| config(format!("cannot build the HTTP client: {e}")))?;
        let who = Who {
            provider: settings.name.clone(),
            key_source: settings.key_source.clone(),
        };
        Ok(OpenAiProvider {
            path: parsed.path().to_string(),
            url,
            client,
            who,
            settings,
        })
    }

    /// The settings it was built from.
    pub fn settings(&self) -> &OpenAiSettings {
        &self.settings
    }

    async fn start(&self, request: &ChatRequest) -> Result<LlmStream, LlmError> {
        let body = request::build(request);
        tracing::debug!(provider = %self.who.provider, model = %request.model, url = %self.url, "chat completions request");
        let body = serde_json::to_vec(&body).map_err(|e| LlmError::Config(e.to_string()))?;
        let deadline = Instant::now() + self.settings.first_byte_timeout;
        let sent = self.client.post(&self.url).body(body).send();
        let response = match timeout_at(deadline, sent).await {
            Err(_) => return Err(self.timeout("first byte", self.settings.first_byte_timeout)),
            Ok(Err(e)) if e.is_connect() && e.is_timeout() => {
                return Err(self.timeout("connect", self.settings.connect_timeout));
            }
            Ok(Err(e)) => {
                return Err(LlmError::Connection {
                    provider: self.who.provider.clone(),
                    message: format!("cannot reach {}: {}", self.url, describe(&e)),
                });
            }
            Ok(Ok(response)) => response,
        };

        let status = response.status();
        if !status.is_success() {
            if status.is_redirection() {
                let to = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
                    .to_string();
                return Err(LlmError::BadRequest {
                    provider: self.who.provider.clone(),
                    status: status.as_u16(),
                    message: format!(
                        "{} redirects to {to}; set base_url to where the API really is",
                        self.url
                    ),
                });
            }
            let wait = retry_after(response.headers(), SystemTime::now());
            let body = read_some(response, self.settings.idle_timeout, 64 * 1024).await;
            return Err(http_error(
                &self.who,
                status.as_u16(),
                wait,
                &body,
                &self.path,
            ));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        if !content_type
            .to_ascii_lowercase()
            .starts_with("text/event-stream")
        {
            let body = read_some(response, self.settings.idle_timeout, 4 * 1024).await;
            return Err(LlmError::Protocol {
                provider: self.who.provider.clone(),
                message: format!(
                    "expected an event stream from {}, got {status} with content-type `{content_type}` \
                     (is base_url the API's root?): {}",
                    self.url,
                    trim_message(&body)
                ),
            });
        }

        let chunks = timed_chunks(
            response,
            self.who.provider.clone(),
            deadline,
            self.settings.first_byte_timeout,
            self.settings.idle_timeout,
        );
        let declared = self
            .settings
            .text_tool_calls
            .then(|| request.tools.iter().map(|t| t.name.clone()).collect());
        let answer = Answer {
            events: chunks.eventsource().boxed(),
            decoder: Decoder::new(declared),
            pending: Vec::new().into_iter(),
            finished: false,
            who: self.who.clone(),
        };
        let key = self.settings.api_key.clone();
        let stream = stream::unfold(answer, Answer::next)
            .map(move |item| item.map_err(|e| redact_error(e, key.as_deref())));
        Ok(Box::pin(stream))
    }

    fn timeout(&self, phase: &'static str, after: Duration) -> LlmError {
        LlmError::Timeout {
            provider: self.who.provider.clone(),
            phase,
            after,
        }
    }
}

impl ChatProvider for OpenAiProvider {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        Box::pin(async move {
            self.start(request)
                .await
                .map_err(|e| redact_error(e, self.settings.api_key.as_deref()))
        })
    }
}

/// An answer being read: SSE events in, [`StreamEvent`]s out, until `Done` or an error.
struct Answer {
    events: BoxStream<'static, Result<Event, EventStreamError<LlmError>>>,
    decoder: Decoder,
    pending: std::vec::IntoIter<StreamEvent>,
    finished: bool,
    who: Who,
}

impl Answer {
    async fn next(mut self) -> Option<(Result<StreamEvent, LlmError>, Self)> {
        loop {
            if let Some(event) = self.pending.next() {
                return Some((Ok(event), self));
            }
            if self.finished {
                return None;
            }
            let result = match self.events.next().await {
                None => Err(fault_error(&self.who, self.decoder.ended_early())),
                Some(Err(EventStreamError::Transport(e))) => Err(e),
                Some(Err(e)) => Err(LlmError::Protocol {
                    provider: self.who.provider.clone(),
                    message: format!(
                        "the event stream is malformed: {}",
                        trim_message(&e.to_string())
                    ),
                }),
                Some(Ok(event)) => self
                    .decoder
                    .on_data(&event.data)
                    .map_err(|fault| fault_error(&self.who, fault)),
            };
            match result {
                Ok(events) => self.pending = events.into_iter(),
                Err(e) => {
                    self.finish();
                    return Some((Err(e), self));
                }
            }
            if self.decoder.is_done() {
                self.finish();
            }
        }
    }

    /// Stops reading and lets the connection go now rather than when the stream is dropped.
    fn finish(&mut self) {
        self.finished = true;
        self.events = stream::empty().boxed();
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
