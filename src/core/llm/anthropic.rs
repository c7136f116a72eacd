//! The Anthropic Messages API provider: `POST {base_url}/v1/messages` with `stream: true`, read
//! as server-sent events under connect, first-byte and idle timeouts. This file owns the HTTP
//! exchange; `request.rs` builds the body, `events.rs` decodes the answer and `errors.rs` maps
//! Anthropic's errors.
//!
//! The key goes into the `x-api-key` header (marked sensitive) and nowhere else: every error
//! goes through `redact.rs` before it leaves this module.

mod errors;
mod events;
#[cfg(test)]
mod events_tests;
mod request;
#[cfg(test)]
mod request_tests;

use std::fmt;
use std::time::{Duration, SystemTime};

use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::time::{Instant, timeout_at};

use self::errors::{Who, http_error};
use self::events::Decoder;
use super::redact::redact_error;
use super::sse::{describe, read_some, retry_after, timed_chunks, trim_message};
use super::{ChatProvider, ChatRequest, LlmError, LlmStream, StreamEvent};

/// How much of an error body is read for its message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// How to reach Anthropic and how long to wait for it.
#[derive(Clone)]
pub struct AnthropicSettings {
    /// The provider's name from config (used in errors and events).
    pub name: String,
    /// Where the API lives, without `/v1/messages`.
    pub base_url: String,
    /// The API key (never printed; `Debug` hides it).
    pub api_key: String,
    /// Where the key came from, e.g. "environment variable ANTHROPIC_API_KEY"; a 401 names it.
    pub key_source: String,
    /// The `anthropic-version` header.
    pub version: String,
    /// Longest wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait from sending the request to the first byte of the answer's body.
    pub first_byte_timeout: Duration,
    /// Longest silence between two chunks of the answer.
    pub idle_timeout: Duration,
    /// `max_tokens` when the request sets none (Anthropic requires one).
    pub default_max_tokens: u32,
    /// Mark the system prompt and the conversation so far as prompt-cache breakpoints.
    pub prompt_caching: bool,
}

impl AnthropicSettings {
    /// The official endpoint with the usual defaults.
    pub fn new(
        name: impl Into<String>,
        api_key: impl Into<String>,
        key_source: impl Into<String>,
    ) -> Self {
        AnthropicSettings {
            name: name.into(),
            base_url: "https://api.anthropic.com".into(),
            api_key: api_key.into(),
            key_source: key_source.into(),
            version: "2023-06-01".into(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            default_max_tokens: 4096,
            prompt_caching: true,
        }
    }
}

impl fmt::Debug for AnthropicSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicSettings")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .field("key_source", &self.key_source)
            .field("version", &self.version)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("default_max_tokens", &self.default_max_tokens)
            .field("prompt_caching", &self.prompt_caching)
            .finish()
    }
}

/// Talks to the Anthropic Messages API.
pub struct AnthropicProvider {
    settings: AnthropicSettings,
    client: reqwest::Client,
    url: String,
    who: Who,
}

impl AnthropicProvider {
    /// A provider for these settings. Fails on a key that cannot be sent in a header or an
    /// HTTP client that cannot be built.
    pub fn new(settings: AnthropicSettings) -> Result<Self, LlmError> {
        let mut key = HeaderValue::from_str(&settings.api_key).map_err(|_| {
            LlmError::Config(format!(
                "{}: the API key from {} contains characters that cannot be sent in a header",
                settings.name, settings.key_source
            ))
        })?;
        key.set_sensitive(true);
        let version = HeaderValue::from_str(&settings.version).map_err(|_| {
            LlmError::Config(format!(
                "{}: `{}` is not a valid anthropic-version header",
                settings.name, settings.version
            ))
        })?;
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key);
        headers.insert("anthropic-version", version);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(settings.connect_timeout)
            .build()
            .map_err(|e| {
                LlmError::Config(format!(
                    "{}: cannot build the HTTP client: {e}",
                    settings.name
                ))
            })?;
        let url = format!("{}/v1/messages", settings.base_url.trim_end_matches('/'));
        let who = Who {
            provider: settings.name.clone(),
            key_source: settings.key_source.clone(),
        };
        Ok(AnthropicProvider {
            settings,
            client,
            url,
            who,
        })
    }

    async fn start(&self, request: &ChatRequest) -> Result<LlmStream, LlmError> {
        let wire = request::build(
            request,
            self.settings.default_max_tokens,
            self.settings.prompt_caching,
        )
        .map_err(|message| LlmError::BadRequest {
            provider: self.who.provider.clone(),
            status: 400,
            message: format!("not sent: {message}"),
        })?;
        tracing::debug!(provider = %self.who.provider, model = %request.model, url = %self.url, "anthropic request");
        let deadline = Instant::now() + self.settings.first_byte_timeout;
        let body = serde_json::to_vec(&wire.body).map_err(|e| LlmError::Config(e.to_string()))?;
        let sent = self.client.post(&self.url).body(body).send();
        let response = match timeout_at(deadline, sent).await {
            Err(_) => return Err(self.timeout("first byte", self.settings.first_byte_timeout)),
            Ok(Err(e)) if e.is_connect() && e.is_timeout() => {
                return Err(self.timeout("connect", self.settings.connect_timeout));
            }
            Ok(Err(e)) => {
                return Err(LlmError::Connection {
                    provider: self.who.provider.clone(),
                    message: format!("cannot reach {}: {}", self.url, describe(&e.without_url())),
                });
            }
            Ok(Ok(response)) => response,
        };

        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers(), SystemTime::now());
            let body = read_some(response, self.settings.idle_timeout, ERROR_BODY_LIMIT).await;
            return Err(http_error(&self.who, status.as_u16(), retry_after, &body));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !content_type
            .to_ascii_lowercase()
            .starts_with("text/event-stream")
        {
            let body = read_some(response, self.settings.idle_timeout, ERROR_BODY_LIMIT).await;
            return Err(LlmError::Protocol {
                provider: self.who.provider.clone(),
                message: format!(
                    "expected an event stream, got {status} with content-type `{content_type}`: {}",
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
        let answer = Answer {
            events: chunks.eventsource().boxed(),
            decoder: Decoder::new(self.who.clone(), wire.json_answer),
            pending: Vec::new().into_iter(),
            finished: false,
            provider: self.who.provider.clone(),
        };
        let key = self.settings.api_key.clone();
        let stream = stream::unfold(answer, Answer::next)
            .map(move |item| item.map_err(|e| redact_error(e, Some(&key))));
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

impl ChatProvider for AnthropicProvider {
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
                .map_err(|e| redact_error(e, Some(&self.settings.api_key)))
        })
    }
}

/// An answer being read: SSE events in, [`StreamEvent`]s out, until `Done` or an error.
struct Answer {
    events: BoxStream<'static, Result<eventsource_stream::Event, EventStreamError<LlmError>>>,
    decoder: Decoder,
    pending: std::vec::IntoIter<StreamEvent>,
    finished: bool,
    provider: String,
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
                None => Err(self.decoder.ended_early()),
                Some(Err(EventStreamError::Transport(e))) => Err(e),
                Some(Err(e)) => Err(LlmError::Protocol {
                    provider: self.provider.clone(),
                    message: format!("the event stream is malformed: {e}"),
                }),
                Some(Ok(event)) => self.decoder.on_event(&event.event, &event.data),
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
