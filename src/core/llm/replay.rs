//! The `replay` provider kind: serves a recording (`record.rs`) instead of a model, for
//! `warroom demo` and tests. Each request is answered by the recorded exchange with the same
//! [`Fingerprint::of_request`] (model, messages, tools, parameters — not the provider's name),
//! the earliest one not yet served when the same request was recorded several times, so a run
//! that asks what the recorded run asked gets what it got: the same events, the same errors
//! (a recorded 429 comes back as a 429), the same ends.
//!
//! The whole file is read and checked when the provider is built: a malformed line is an
//! error naming the file, the line and the field. A request the recording lacks is an
//! [`LlmError::Config`] (retrying cannot help) naming the file, the request's model and the
//! start of its last message. Reads only its file; no network.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt};

use super::exchange::{Exchange, FORMAT, Outcome};
use super::fingerprint::Fingerprint;
use super::{ChatProvider, ChatRequest, LlmError, LlmStream, StreamEvent};
use crate::config::ProviderConfig;

/// How much of the last message an "unknown request" error shows.
const EXCERPT_CHARS: usize = 80;

/// Answers requests from a recording.
pub struct ReplayProvider {
    name: String,
    path: PathBuf,
    exchanges: Vec<Exchange>,
    /// The line of the file each exchange came from.
    lines: Vec<usize>,
    /// Per fingerprint, the exchanges not served yet, in recorded order.
    unserved: Mutex<HashMap<Fingerprint, VecDeque<usize>>>,
    /// Per fingerprint, how many exchanges were recorded.
    recorded: HashMap<Fingerprint, usize>,
}

impl ReplayProvider {
    /// Reads the recording at `path` for the provider named `name`.
    pub fn open(name: &str, path: &Path) -> Result<ReplayProvider, LlmError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            LlmError::Config(format!(
                "provider {name}: cannot read the recording {}: {e}",
                path.display()
            ))
        })?;
        ReplayProvider::parse(name, path, &text)
    }

    /// The provider `[providers.NAME]` describes (kind `replay`, its `file`).
    pub fn from_config(name: &str, config: &ProviderConfig) -> Result<ReplayProvider, LlmError> {
        let path = config.file.as_deref().ok_or_else(|| {
            LlmError::Config(format!(
                "provider {name}: a \"replay\" provider needs `file`, the recording it serves"
            ))
        })?;
        ReplayProvider::open(name, path)
    }

    /// A provider serving the recording `text` (`path` names it in messages).
    pub fn parse(name: &str, path: &Path, text: &str) -> Result<ReplayProvider, LlmError> {
        let mut exchanges = Vec::new();
        let mut lines = Vec::new();
        let mut unserved: HashMap<Fingerprint, VecDeque<usize>> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = |message: String| {
                LlmError::Config(format!("{}:{}: {message}", path.display(), index + 1))
            };
            let exchange = parse_line(line).map_err(at)?;
            let fingerprint = exchange.fingerprint().ok_or_else(|| {
                at("\"hash\" must be 64 hex digits (or left out to use the request's own)".into())
            })?;
            unserved
                .entry(fingerprint)
                .or_default()
                .push_back(exchanges.len());
            exchanges.push(exchange);
            lines.push(index + 1);
        }
        let recorded = unserved.iter().map(|(f, q)| (*f, q.len())).collect();
        Ok(ReplayProvider {
            name: name.to_string(),
            path: path.to_path_buf(),
            exchanges,
            lines,
            unserved: Mutex::new(unserved),
            recorded,
        })
    }

    /// The file it serves.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many exchanges the recording holds.
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Whether the recording holds no exchange.
    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }

    /// How many recorded exchanges have not been served yet (0 once a replayed run asked
    /// everything the recorded run asked).
    pub fn unserved(&self) -> usize {
        self.lock().values().map(VecDeque::len).sum()
    }

    /// The next recorded exchange for `request`, taken off its queue.
    fn take(&self, request: &ChatRequest) -> Result<&Exchange, LlmError> {
        let fingerprint = Fingerprint::of_request(request);
        let mut queues = self.lock();
        let next = queues
            .get_mut(&fingerprint)
            .and_then(VecDeque::pop_front)
            .or_else(|| self.same_turn(&mut queues, request));
        drop(queues);
        match (next, self.recorded.get(&fingerprint)) {
            (Some(index), _) => self
                .exchanges
                .get(index)
                .ok_or_else(|| self.unknown(request)),
            (None, Some(times)) => Err(LlmError::Config(format!(
                "replay provider {}: this request was recorded {times} time(s) in {} and every \
                 one has been served already ({})",
                self.name,
                self.path.display(),
                describe(request)
            ))),
            (None, None) => Err(self.unknown(request)),
        }
    }

    /// The earliest unserved exchange of the same conversation turn (see the module header),
    /// taken off its queue.
    fn same_turn(
        &self,
        queues: &mut HashMap<Fingerprint, VecDeque<usize>>,
        request: &ChatRequest,
    ) -> Option<usize> {
        let system = request
            .messages
            .first()
            .filter(|m| m.role == super::Role::System)?;
        let tools: Vec<&str> = request.tools.iter().map(|t| t.name.as_str()).collect();
        let found = self.exchanges.iter().enumerate().find(|(index, exchange)| {
            let recorded = &exchange.request;
            recorded.model == request.model
                && recorded.messages.len() == request.messages.len()
                && recorded.messages.first() == Some(system)
                && recorded
                    .tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .eq(tools.iter().copied())
                && exchange
                    .fingerprint()
                    .and_then(|f| queues.get(&f))
                    .is_some_and(|queue| queue.contains(index))
        });
        let (index, exchange) = found?;
        let queue = queues.get_mut(&exchange.fingerprint()?)?;
        queue.retain(|i| *i != index);
        Some(index)
    }

    fn unknown(&self, request: &ChatRequest) -> LlmError {
        let other_model = self
            .exchanges
            .iter()
            .zip(&self.lines)
            .find(|(exchange, _)| {
                exchange.request.model != request.model
                    && exchange.request.messages == request.messages
                    && exchange.request.tools == request.tools
                    && exchange.request.params == request.params
            });
        let hint = match other_model {
            Some((exchange, line)) => format!(
                "; line {line} has the same request for model {:?}",
                exchange.request.model
            ),
            None => String::new(),
        };
        LlmError::Config(format!(
            "replay provider {}: no recorded exchange in {} matches this request ({}); the \
             recording holds {} exchange(s){hint}",
            self.name,
            self.path.display(),
            describe(request),
            self.exchanges.len()
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Fingerprint, VecDeque<usize>>> {
        self.unserved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ChatProvider for ReplayProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        Box::pin(async move {
            let exchange = self.take(request)?;
            let events = exchange.events.clone().into_iter().map(Ok);
            let end: Option<Result<StreamEvent, LlmError>> = match &exchange.outcome {
                Outcome::Refused { error } => return Err(error.clone().into()),
                Outcome::Done | Outcome::Cut => None,
                Outcome::Failed { error } => Some(Err(error.clone().into())),
                Outcome::Cancelled => Some(Err(LlmError::Protocol {
                    provider: self.name.clone(),
                    message: format!(
                        "the recording {} ends here: the recorded caller stopped reading this \
                         answer",
                        self.path.display()
                    ),
                })),
            };
            Ok(stream::iter(events.chain(end)).boxed())
        })
    }
}

/// "model gpt-4o-mini, last message: \"...\"".
fn describe(request: &ChatRequest) -> String {
    let last = request
        .messages
        .last()
        .map(|message| message.content.as_str())
        .unwrap_or_default();
    let mut excerpt: String = last.chars().take(EXCERPT_CHARS).collect();
    if last.chars().nth(EXCERPT_CHARS).is_some() {
        excerpt.push('…');
    }
    format!("model {:?}, last message: {excerpt:?}", request.model)
}

/// One line as an exchange, or what is wrong with it (which field, and where in the line).
fn parse_line(line: &str) -> Result<Exchange, String> {
    if !line.trim_start().starts_with('{') {
        return Err("not a recorded exchange: expected a JSON object".into());
    }
    let version_error =
        |v: u32| format!("recording format version {v}, but this warroom reads version {FORMAT}");
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let exchange: Exchange = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        // A line from another version is wrong as a whole, not in one field.
        #[derive(serde::Deserialize)]
        struct Version {
            v: u32,
        }
        if let Ok(Version { v }) = serde_json::from_str::<Version>(line)
            && v != FORMAT
        {
            return version_error(v);
        }
        let inner = e.inner();
        let field = e.path().to_string();
        let message = bare_message(inner);
        if matches!(field.as_str(), "" | "." | "?") {
            format!(
                "column {}: not a recorded exchange: {message}",
                inner.column()
            )
        } else {
            format!("column {}: {field}: {message}", inner.column())
        }
    })?;
    deserializer
        .end()
        .map_err(|e| format!("column {}: text after the exchange", e.column()))?;
    if exchange.v != FORMAT {
        return Err(version_error(exchange.v));
    }
    Ok(exchange)
}

/// serde_json's message without its " at line L column C" (one line: the column is told).
fn bare_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
