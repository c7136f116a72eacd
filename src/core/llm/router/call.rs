//! One routed call's bookkeeping, from `LlmCallBegan` to `LlmCallEnded`: which provider and
//! model are being tried, the usage and time to first token seen so far, the cost and budget
//! record at the end, and the stream the caller reads. Whatever way the call ends (done, an
//! error, or the caller dropping the stream or the future) it ends exactly once, with its
//! usage recorded.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::time::Instant;

use crate::protocol::{AgentId, CallOutcome, Event, LlmCallId, LogLevel, RunId};

use super::super::credentials::redact;
use super::super::{LlmError, LlmStream, StreamEvent, Usage};
use super::{CallContext, Inner, Link, lock};
use crate::core::llm::cost::Cost;

/// A provider's stream that has begun to answer: the events read before the first one that
/// carries content (usage, then that event), and the rest.
pub(super) struct Started {
    /// The events already read, in order.
    pub leading: Vec<StreamEvent>,
    /// The rest of the answer.
    pub rest: LlmStream,
    /// When the first content arrived.
    pub first_at: Instant,
    /// Whether a cache answered instead of the provider.
    pub cache_hit: bool,
}

/// The record of one call.
pub(super) struct CallRecord {
    inner: Arc<Inner>,
    run: RunId,
    agent: AgentId,
    call: LlmCallId,
    started: Instant,
    provider: String,
    model: String,
    local: bool,
    first_token: Option<Instant>,
    usage: Usage,
    /// Whether a provider was actually called (a refused or misrouted call spends nothing).
    tried: bool,
    /// Whether the answer came from a cache (it costs nothing and spends no budget).
    cache_hit: bool,
    ended: bool,
}

impl CallRecord {
    pub(super) fn new(inner: Arc<Inner>, ctx: &CallContext) -> CallRecord {
        CallRecord {
            inner,
            run: ctx.run,
            agent: ctx.agent,
            call: ctx.call,
            started: Instant::now(),
            provider: String::new(),
            model: String::new(),
            local: false,
            first_token: None,
            usage: Usage::default(),
            tried: false,
            cache_hit: false,
            ended: false,
        }
    }

    pub(super) fn run(&self) -> RunId {
        self.run
    }

    pub(super) fn agent(&self) -> AgentId {
        self.agent
    }

    pub(super) fn call(&self) -> LlmCallId {
        self.call
    }

    /// Sends one event of this call.
    pub(super) async fn emit(&self, event: Event) {
        self.inner.sink.emit(self.run, event).await;
    }

    /// Now trying `link`: `LlmCallBegan` (again, after a fallback: the call's row then names
    /// the model that answered).
    pub(super) async fn began(&mut self, link: &Link) {
        self.provider = link.provider_name.clone();
        self.model = link.model.clone();
        self.local = link.local;
        self.emit(Event::LlmCallBegan {
            call: self.call,
            agent: self.agent,
            provider: self.provider.clone(),
            model: self.model.clone(),
        })
        .await;
    }

    /// A provider is being called.
    pub(super) fn tried(&mut self) {
        self.tried = true;
    }

    /// Ends the call: `LlmCallEnded`, then the agent's new totals.
    pub(super) async fn end(&mut self, outcome: CallOutcome) {
        for event in self.finish(outcome) {
            self.emit(event).await;
        }
    }

    /// The failed outcome for `error`, in words without a key.
    pub(super) fn failed(error: &LlmError) -> CallOutcome {
        CallOutcome::Failed {
            error: redact(&error.to_string()),
        }
    }

    /// The caller's stream over a started answer: events pass through (text also as
    /// `LlmDelta`), usage is tallied, and the call ends with `Done`, an error, or a drop.
    pub(super) fn into_stream(mut self, started: Started) -> LlmStream {
        if started.leading.iter().any(is_content) {
            self.first_token = Some(started.first_at);
        }
        self.cache_hit = started.cache_hit;
        let live = Live {
            record: self,
            leading: started.leading.into(),
            rest: started.rest,
            done: false,
        };
        Box::pin(futures_util::stream::unfold(live, |mut live| async move {
            if live.done {
                return None;
            }
            let item = match live.leading.pop_front() {
                Some(event) => Some(Ok(event)),
                None => live.rest.next().await,
            };
            let item = match item {
                Some(Ok(event)) => {
                    live.record.saw(&event).await;
                    if matches!(event, StreamEvent::Done { .. }) {
                        live.done = true;
                        live.record.end(CallOutcome::Ok).await;
                    }
                    Ok(event)
                }
                Some(Err(error)) => live.fail(error).await,
                None => {
                    let error = LlmError::Protocol {
                        provider: live.record.provider.clone(),
                        message: "the answer ended before it was complete".into(),
                    };
                    live.fail(error).await
                }
            };
            Some((item, live))
        }))
    }

    /// Tallies one event of the answer.
    async fn saw(&mut self, event: &StreamEvent) {
        if is_content(event) && self.first_token.is_none() {
            self.first_token = Some(Instant::now());
        }
        match event {
            StreamEvent::Usage { usage } => self.usage = *usage,
            StreamEvent::TextDelta { text } => {
                self.emit(Event::LlmDelta {
                    call: self.call,
                    agent: self.agent,
                    text: text.clone(),
                })
                .await;
            }
            _ => {}
        }
    }

    /// The closing events, with the cost and budget recorded. Runs once.
    fn finish(&mut self, outcome: CallOutcome) -> Vec<Event> {
        if self.ended {
            return Vec::new();
        }
        self.ended = true;
        let cost = if self.local || self.cache_hit {
            Cost::FREE
        } else {
            self.inner.prices.cost(&self.model, &self.usage)
        };
        let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut events = vec![Event::LlmCallEnded {
            call: self.call,
            agent: self.agent,
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
            cached_tokens: self.usage.cached_tokens,
            cost_usd: cost.usd,
            ttft_ms: self.first_token.map(|at| millis(at - self.started)),
            latency_ms: millis(self.started.elapsed()),
            cache_hit: self.cache_hit,
            outcome,
        }];
        if !self.tried {
            return events;
        }
        // A cached answer used no tokens at the provider: the budget counts none.
        let spent = if self.cache_hit {
            Usage::default()
        } else {
            self.usage
        };
        let totals = lock(&self.inner.budget).record(self.run, self.agent, &spent, cost.usd);
        events.push(Event::AgentUsageUpdated {
            agent: self.agent,
            input_tokens: totals.input_tokens,
            output_tokens: totals.output_tokens,
            cost_usd: totals.cost_usd,
        });
        let counted = self.usage.input_tokens + self.usage.output_tokens > 0;
        if !cost.priced && counted && lock(&self.inner.unpriced).insert(self.model.clone()) {
            events.push(Event::LogLine {
                agent: Some(self.agent),
                level: LogLevel::Warn,
                text: format!(
                    "model {} has no price in assets/pricing.toml or [pricing.\"{}\"]; its calls \
                     are counted as $0",
                    self.model, self.model
                ),
            });
        }
        events
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        // The caller dropped the stream or the pending call: record what was used.
        let events = self.finish(CallOutcome::Cancelled);
        self.inner.sink.emit_detached(self.run, events);
    }
}

/// The state of a caller's stream.
struct Live {
    record: CallRecord,
    leading: VecDeque<StreamEvent>,
    rest: LlmStream,
    done: bool,
}

impl Live {
    /// An error after the answer began: not retried (the caller has seen part of it), but it
    /// counts against the provider's health when it is the provider's fault.
    async fn fail(&mut self, error: LlmError) -> Result<StreamEvent, LlmError> {
        if error.is_retryable() {
            self.record.inner.failed(&self.record.provider);
        }
        self.done = true;
        self.record.end(CallRecord::failed(&error)).await;
        Err(error)
    }
}

/// Whether an event is part of the answer itself (not bookkeeping such as usage).
fn is_content(event: &StreamEvent) -> bool {
    matches!(
        event,
        StreamEvent::TextDelta { .. }
            | StreamEvent::ToolCallDelta { .. }
            | StreamEvent::ToolCall { .. }
    )
}
