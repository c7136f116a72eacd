//! The router: every model call of an agent goes through [`Router::stream`], which picks the
//! role's chain of models (primary, then fallbacks, from `[roles.ROLE]`), checks the budgets
//! before spending, and walks the chain: a retryable failure (429, 5xx, timeout, broken
//! connection, malformed answer) is retried on the same provider with exponential backoff and
//! full jitter, honouring Retry-After; a provider that keeps failing, or whose circuit breaker
//! is open, gives way to the next model at once; an error retrying cannot fix (400, 401, 403,
//! context too long) surfaces at once. An error after part of the answer was delivered is
//! never retried. Every step is an event (`LlmCallBegan`, `LlmRetried`, `LlmFellBack`,
//! `LlmDelta`, `LlmCallEnded`, `AgentUsageUpdated`) sent to an [`EventSink`].
//!
//! Between the router and a provider an [`Opener`] may stand (the response cache): it answers
//! a request itself or passes it on, and says which; a hit costs nothing and spends no budget.
//!
//! The decisions live in `policy.rs` (pure), the per-call bookkeeping in `call.rs`, and the
//! construction of providers from config in `build.rs`. Never sees a key.

mod build;
mod call;
mod policy;
mod sink;

pub use build::{build_provider, build_providers};
pub use policy::{Admission, Breaker, BreakerState, Decision, RetryPolicy, backoff, decide};
pub use sink::EventSink;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use self::call::{CallRecord, Started};
use super::budget::{Budget, Limits, Totals};
use super::cost::{Cost, PriceBook};
use super::credentials::redact;
use super::{ChatProvider, ChatRequest, LlmError, LlmStream, StreamEvent, Usage};
use crate::config::Config;
use crate::protocol::{AgentId, Event, LlmCallId, RunId};

/// The role that serves every role without a `[roles.ROLE]` table of its own.
pub const DEFAULT_ROLE: &str = "default";

/// Who is calling, for events, budgets and the choice of models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The run.
    pub run: RunId,
    /// The agent making the call.
    pub agent: AgentId,
    /// The call's id, unique within the run (the `llm_calls` row).
    pub call: LlmCallId,
    /// The agent's role, which picks the chain of models.
    pub role: String,
}

/// An answer as an [`Opener`] gives it.
pub struct Opened {
    /// The answer's events.
    pub stream: LlmStream,
    /// True when no provider was called (a cache answered).
    pub cache_hit: bool,
}

/// Stands between the router and each provider of a chain: answers a request itself (a
/// response cache hit) or passes it to the provider. Errors are the provider's.
pub trait Opener: Send + Sync {
    /// Answers `request`, from `provider` or not.
    fn open<'a>(
        &'a self,
        provider: &'a dyn ChatProvider,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Opened, LlmError>>;
}

/// Routes calls over the configured providers. Cheap to clone; clones share breakers and
/// budgets.
#[derive(Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

/// One model of a chain.
#[derive(Clone)]
struct Link {
    provider: Arc<dyn ChatProvider>,
    provider_name: String,
    model: String,
    local: bool,
}

impl Link {
    /// "provider/model".
    fn label(&self) -> String {
        format!("{}/{}", self.provider_name, self.model)
    }
}

/// A role's models and default sampling.
#[derive(Clone)]
struct Chain {
    links: Vec<Link>,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
}

impl Chain {
    /// The caller's request for `link`'s model, with the role's defaults where the caller
    /// set nothing.
    fn request_for(&self, link: &Link, request: &ChatRequest) -> ChatRequest {
        let mut request = request.clone();
        request.model = link.model.clone();
        request.params.temperature = request.params.temperature.or(self.temperature);
        request.params.max_tokens = request.params.max_tokens.or(self.max_tokens);
        request
    }
}

struct Inner {
    chains: BTreeMap<String, Chain>,
    policy: RetryPolicy,
    breakers: Mutex<HashMap<String, Breaker>>,
    budget: Mutex<Budget>,
    prices: PriceBook,
    sink: EventSink,
    unpriced: Mutex<HashSet<String>>,
    jitter: Box<dyn Fn() -> f64 + Send + Sync>,
    opener: Option<Arc<dyn Opener>>,
    local: HashSet<String>,
}

impl Router {
    /// A router over `providers` (by the names config gives them) for the roles, budgets,
    /// retry policy and prices of `config`. Fails when a role names a provider that is not in
    /// `providers`.
    pub fn new(
        config: &Config,
        providers: &HashMap<String, Arc<dyn ChatProvider>>,
        sink: EventSink,
    ) -> Result<Router, LlmError> {
        let mut chains = BTreeMap::new();
        for (role, role_config) in &config.roles {
            let mut links = Vec::new();
            for entry in &role_config.models {
                let provider = providers.get(&entry.provider).ok_or_else(|| {
                    LlmError::Config(format!(
                        "role {role}: model {entry} names provider {:?}, which is not set up",
                        entry.provider
                    ))
                })?;
                links.push(Link {
                    provider: Arc::clone(provider),
                    provider_name: entry.provider.clone(),
                    model: entry.model.clone(),
                    local: config
                        .providers
                        .get(&entry.provider)
                        .is_some_and(|p| p.is_local()),
                });
            }
            // A role with no models of its own (one that only sets a prompt or tools) uses
            // the default role's chain.
            if links.is_empty() {
                continue;
            }
            chains.insert(
                role.clone(),
                Chain {
                    links,
                    temperature: role_config.temperature,
                    max_tokens: role_config.max_tokens,
                },
            );
        }
        Ok(Router {
            inner: Arc::new(Inner {
                chains,
                policy: RetryPolicy::from(&config.router),
                breakers: Mutex::new(HashMap::new()),
                budget: Mutex::new(Budget::new(Limits::from(&config.budget))),
                prices: PriceBook::from_config(&config.pricing)?,
                sink,
                unpriced: Mutex::new(HashSet::new()),
                jitter: Box::new(random_unit),
                opener: None,
                local: config
                    .providers
                    .iter()
                    .filter(|(_, p)| p.is_local())
                    .map(|(name, _)| name.clone())
                    .collect(),
            }),
        })
    }

    /// This router with another jitter source (a fraction in 0.0..1.0 per backoff), for tests
    /// that need exact delays. Call it right after [`Router::new`], before any clone.
    pub fn with_jitter(mut self, jitter: impl Fn() -> f64 + Send + Sync + 'static) -> Router {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.jitter = Box::new(jitter),
            None => tracing::warn!("router: with_jitter after the router was shared; ignored"),
        }
        self
    }

    /// This router with `opener` (the response cache) between it and every provider. Call it
    /// right after [`Router::new`], before any clone.
    pub fn with_opener(mut self, opener: Arc<dyn Opener>) -> Router {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.opener = Some(opener),
            None => tracing::warn!("router: with_opener after the router was shared; ignored"),
        }
        self
    }

    /// What a call of `provider`'s `model` with `usage` costs: the price book's figure, or
    /// nothing for a provider on this machine (for the cache's dollars-saved count).
    pub fn cost(&self, provider: &str, model: &str, usage: &Usage) -> Cost {
        if self.inner.local.contains(provider) {
            Cost::FREE
        } else {
            self.inner.prices.cost(model, usage)
        }
    }

    /// The chain of `role` as "provider/model" labels, primary first (the `default` role's
    /// when it has none of its own).
    pub fn chain(&self, role: &str) -> Result<Vec<String>, LlmError> {
        Ok(self
            .inner
            .chain(role)?
            .links
            .iter()
            .map(Link::label)
            .collect())
    }

    /// What `agent` of `run` has used so far.
    pub fn agent_totals(&self, run: RunId, agent: AgentId) -> Totals {
        lock(&self.inner.budget).agent(run, agent)
    }

    /// What `run` has used so far.
    pub fn run_totals(&self, run: RunId) -> Totals {
        lock(&self.inner.budget).run(run)
    }

    /// Sets an agent's totals, e.g. from the store when a run resumes.
    pub fn restore_totals(&self, run: RunId, agent: AgentId, totals: Totals) {
        lock(&self.inner.budget).restore(run, agent, totals);
    }

    /// The state of `provider`'s circuit breaker.
    pub fn breaker(&self, provider: &str) -> BreakerState {
        lock(&self.inner.breakers)
            .get(provider)
            .copied()
            .unwrap_or_default()
            .state()
    }

    /// Starts a call for `ctx.role`: checks the budgets, then walks the role's chain until a
    /// model starts answering (returned as a stream) or the chain gives up (the error that
    /// ended it). Dropping the future or the stream cancels the call.
    pub async fn stream(
        &self,
        ctx: CallContext,
        request: ChatRequest,
    ) -> Result<LlmStream, LlmError> {
        let inner = &self.inner;
        let chain = inner.chain(&ctx.role)?.clone();
        let Some(first) = chain.links.first() else {
            return Err(LlmError::Config(format!("role {}: no models", ctx.role)));
        };
        let mut record = CallRecord::new(Arc::clone(inner), &ctx);
        record.began(first).await;
        let checked = lock(&inner.budget).check(record.run(), record.agent());
        if let Err(error) = checked {
            record.end(CallRecord::failed(&error)).await;
            return Err(error);
        }
        let (mut index, mut attempt) = (0, 1);
        loop {
            let Some(link) = chain.links.get(index) else {
                // Unreachable: `decide` falls back only when there is a next link.
                return Err(LlmError::Config(format!(
                    "role {}: chain exhausted",
                    ctx.role
                )));
            };
            let admission = inner.admit(&link.provider_name);
            let result = match admission {
                Admission::Skip(for_how_long) => Err(LlmError::CircuitOpen {
                    provider: link.provider_name.clone(),
                    for_how_long,
                }),
                Admission::Go | Admission::Trial => {
                    record.tried();
                    let opener = inner.opener.as_deref();
                    start(link, opener, &chain.request_for(link, &request)).await
                }
            };
            let error = match result {
                Ok(started) => {
                    inner.succeeded(&link.provider_name);
                    return Ok(record.into_stream(started));
                }
                Err(error) => error,
            };
            let circuit_open = match admission {
                Admission::Skip(_) => true,
                Admission::Go | Admission::Trial if error.is_retryable() => {
                    inner.failed(&link.provider_name)
                }
                // The provider answered; the request was what it refused.
                Admission::Go | Admission::Trial => {
                    inner.succeeded(&link.provider_name);
                    false
                }
            };
            let has_next = index + 1 < chain.links.len();
            let jitter = (inner.jitter)();
            match decide(
                &error,
                attempt,
                &inner.policy,
                circuit_open,
                has_next,
                jitter,
            ) {
                Decision::Retry {
                    attempt: next,
                    delay,
                } => {
                    record
                        .emit(Event::LlmRetried {
                            call: record.call(),
                            agent: record.agent(),
                            provider: link.provider_name.clone(),
                            attempt: next,
                            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                            reason: redact(&error.to_string()),
                        })
                        .await;
                    tokio::time::sleep(delay).await;
                    attempt = next;
                }
                Decision::FallBack => {
                    let Some(next) = chain.links.get(index + 1) else {
                        return Err(error);
                    };
                    record
                        .emit(Event::LlmFellBack {
                            call: record.call(),
                            agent: record.agent(),
                            from: link.label(),
                            to: next.label(),
                            reason: redact(&error.to_string()),
                        })
                        .await;
                    record.began(next).await;
                    index += 1;
                    attempt = 1;
                }
                Decision::Surface => {
                    record.end(CallRecord::failed(&error)).await;
                    return Err(error);
                }
            }
        }
    }
}

impl Inner {
    fn chain(&self, role: &str) -> Result<&Chain, LlmError> {
        self.chains
            .get(role)
            .or_else(|| self.chains.get(DEFAULT_ROLE))
            .ok_or_else(|| {
                LlmError::Config(format!(
                    "no models for role {role}: add [roles.{role}] or [roles.{DEFAULT_ROLE}] \
                     with models = [\"provider/model\", ...] to the config"
                ))
            })
    }

    fn admit(&self, provider: &str) -> Admission {
        lock(&self.breakers)
            .entry(provider.to_string())
            .or_default()
            .admit(Instant::now(), &self.policy)
    }

    fn succeeded(&self, provider: &str) {
        lock(&self.breakers)
            .entry(provider.to_string())
            .or_default()
            .succeeded();
    }

    /// Counts a failure; returns whether the circuit is now open.
    fn failed(&self, provider: &str) -> bool {
        lock(&self.breakers)
            .entry(provider.to_string())
            .or_default()
            .failed(Instant::now(), &self.policy)
    }
}

/// Calls `link`'s provider (through `opener` when there is one) and reads until the answer's
/// first content, so that an error before any content (even one that comes through the
/// stream) can still be retried.
async fn start(
    link: &Link,
    opener: Option<&dyn Opener>,
    request: &ChatRequest,
) -> Result<Started, LlmError> {
    let Opened {
        stream: mut rest,
        cache_hit,
    } = match opener {
        Some(opener) => opener.open(&*link.provider, request).await?,
        None => Opened {
            stream: link.provider.stream(request).await?,
            cache_hit: false,
        },
    };
    let mut leading = Vec::new();
    loop {
        match rest.next().await {
            Some(Ok(event)) => {
                let bookkeeping = matches!(event, StreamEvent::Usage { .. });
                leading.push(event);
                if !bookkeeping {
                    return Ok(Started {
                        leading,
                        rest,
                        first_at: Instant::now(),
                        cache_hit,
                    });
                }
            }
            Some(Err(error)) => return Err(error),
            None => {
                return Err(LlmError::Protocol {
                    provider: link.provider_name.clone(),
                    message: "the answer ended before it began".into(),
                });
            }
        }
    }
}

/// Locks a mutex; a panic elsewhere while holding it leaves plain data that is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fraction in 0.0..1.0 that differs on every call (for jitter; not for secrets).
fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
#[path = "router/tests.rs"]
mod tests;
