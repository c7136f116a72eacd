//! Recording model calls: a [`Recorder`] appends one [`Exchange`] per call to a JSON-lines file
//! (created with mode 0600: prompts hold the person's code), and a [`RecordingProvider`] wraps
//! any provider so that every call through it is recorded — the request, every event the
//! caller received, and how it ended (done, refused, failed, cut, or dropped by the caller).
//! Message text, tool arguments and answer text pass through the key redaction first. A caller
//! that does not hold a provider to wrap (the router, recording what its response cache
//! answered too) uses [`Recorder::begin`] and [`RecordedCall::follow`] around any call.
//! `replay.rs` serves such a file back.
//!
//! An exchange is written when its call ends (at `Done`, at the error, or when the caller drops
//! the stream), so calls made in parallel appear in the order they finished. A recording that
//! cannot be written never fails the call: the failure is logged and counted
//! ([`Recorder::failed_writes`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::Stream;
use futures_util::future::BoxFuture;

use super::exchange::{FORMAT, Outcome, RecordedError, redact_event, redact_request};
use super::fingerprint::Fingerprint;
use super::{ChatProvider, ChatRequest, LlmError, LlmStream, StreamEvent};
use crate::protocol::Millis;

pub use super::exchange::Exchange;

/// Writes exchanges to one file. Cheap to clone; clones append to the same file.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    file: Mutex<Writer>,
    failed: AtomicU64,
}

struct Writer {
    file: File,
    next_seq: u64,
}

impl Recorder {
    /// Creates the recording at `path` (mode 0600), replacing any file there.
    pub fn create(path: &Path) -> Result<Recorder, LlmError> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .and_then(|file| {
                // A file that already existed keeps its mode through `open`.
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                Ok(file)
            })
            .map_err(|e| {
                LlmError::Config(format!(
                    "cannot create the recording {}: {e}",
                    path.display()
                ))
            })?;
        Ok(Recorder {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                file: Mutex::new(Writer { file, next_seq: 1 }),
                failed: AtomicU64::new(0),
            }),
        })
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Exchanges that could not be written.
    pub fn failed_writes(&self) -> u64 {
        self.inner.failed.load(Ordering::Relaxed)
    }

    /// Appends `exchange` as one line, giving it the next `seq`, and flushes it.
    pub fn write(&self, mut exchange: Exchange) -> Result<(), LlmError> {
        let mut writer = self
            .inner
            .file
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        exchange.seq = writer.next_seq;
        let result = serde_json::to_string(&exchange)
            .map_err(std::io::Error::from)
            .and_then(|mut line| {
                line.push('\n');
                writer.file.write_all(line.as_bytes())?;
                writer.file.flush()
            });
        match result {
            Ok(()) => {
                writer.next_seq += 1;
                Ok(())
            }
            Err(e) => {
                self.inner.failed.fetch_add(1, Ordering::Relaxed);
                Err(LlmError::Config(format!(
                    "cannot write to the recording {}: {e}",
                    self.inner.path.display()
                )))
            }
        }
    }

    /// Writes, logging rather than failing.
    fn write_or_log(&self, exchange: Exchange) {
        if let Err(e) = self.write(exchange) {
            tracing::warn!("{e}");
        }
    }
}

/// A provider whose every call is recorded.
#[derive(Clone)]
pub struct RecordingProvider {
    inner: Arc<dyn ChatProvider>,
    recorder: Recorder,
}

impl RecordingProvider {
    /// `inner`, recorded by `recorder`.
    pub fn new(inner: Arc<dyn ChatProvider>, recorder: Recorder) -> RecordingProvider {
        RecordingProvider { inner, recorder }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &Arc<dyn ChatProvider> {
        &self.inner
    }
}

impl ChatProvider for RecordingProvider {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        Box::pin(async move {
            let call = self.recorder.begin(self.inner.name(), request);
            call.follow(self.inner.stream(request).await)
        })
    }
}

impl Recorder {
    /// Starts recording one call of `request` to the provider named `provider`; hand its
    /// result to [`RecordedCall::follow`]. For callers that do not go through a
    /// [`RecordingProvider`] (the router, to record answers its response cache gave too).
    pub fn begin(&self, provider: &str, request: &ChatRequest) -> RecordedCall {
        RecordedCall {
            recorder: self.clone(),
            provider: provider.to_string(),
            // Of the request as sent, so that the same request matches it on replay.
            hash: Fingerprint::of_request(request).to_string(),
            request: redact_request(request),
            started_at: Millis::now(),
            started: Instant::now(),
        }
    }
}

/// One call being recorded, from [`Recorder::begin`].
pub struct RecordedCall {
    recorder: Recorder,
    provider: String,
    hash: String,
    request: ChatRequest,
    started_at: Millis,
    started: Instant,
}

impl RecordedCall {
    /// Records how the call started: a refusal at once, or the stream, which is passed
    /// through unchanged and written when it ends (at `Done`, at an error, at its end, or when
    /// it is dropped).
    pub fn follow(self, started: Result<LlmStream, LlmError>) -> Result<LlmStream, LlmError> {
        match started {
            Err(error) => {
                let outcome = Outcome::Refused {
                    error: RecordedError::from(&error),
                };
                self.finish(Vec::new(), outcome);
                Err(error)
            }
            Ok(stream) => Ok(Box::pin(Tap {
                stream,
                events: Vec::new(),
                call: Some(self),
            })),
        }
    }

    fn finish(self, events: Vec<StreamEvent>, outcome: Outcome) {
        let exchange = Exchange {
            v: FORMAT,
            seq: 0,
            provider: self.provider,
            hash: Some(self.hash),
            started_at: self.started_at.0,
            latency_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            request: self.request,
            events,
            outcome,
        };
        self.recorder.write_or_log(exchange);
    }
}

/// Passes a stream through while copying its events; writes the exchange when it ends.
struct Tap {
    stream: LlmStream,
    events: Vec<StreamEvent>,
    /// `None` once written.
    call: Option<RecordedCall>,
}

impl Tap {
    fn finish(&mut self, outcome: Outcome) {
        if let Some(call) = self.call.take() {
            call.finish(std::mem::take(&mut self.events), outcome);
        }
    }
}

impl Stream for Tap {
    type Item = Result<StreamEvent, LlmError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = match this.stream.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        if this.call.is_some() {
            match &item {
                Some(Ok(event)) => {
                    this.events.push(redact_event(event));
                    // Written at `Done`: a caller may drop the stream without polling its end.
                    if matches!(event, StreamEvent::Done { .. }) {
                        this.finish(Outcome::Done);
                    }
                }
                Some(Err(error)) => this.finish(Outcome::Failed {
                    error: RecordedError::from(error),
                }),
                None => this.finish(Outcome::Cut),
            }
        }
        Poll::Ready(item)
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.finish(Outcome::Cancelled);
    }
}
