//! warroom's response cache: an exact cache of whole answers, keyed by the [`Fingerprint`] of
//! (provider, model, messages, tools, parameters), for deterministic requests (temperature 0,
//! or every request when `[cache] only_deterministic = false`), kept in the database's
//! `llm_cache` table (through `store::cache`) for `[cache] ttl_secs`.
//!
//! - A **hit** replays the stored events as a stream: the caller sees exactly the
//!   [`StreamEvent`]s of the original answer, its `Usage` included (the tokens it *would* use;
//!   the router charges $0 for a hit and the saving shows in [`CacheStats::dollars_saved`]).
//! - A **miss** passes the live stream through untouched while copying it, and stores the copy
//!   only once `Done` has passed: an error, a stream cut before `Done` or a stream the caller
//!   dropped is never stored.
//!
//! Whether an answer came from the cache is told beside the stream, in
//! [`CachedStream::cache_hit`], never inside it, so the events stay those of the provider. Use
//! [`ResponseCache::stream`] with any provider (the router's way: one cache for every link of
//! a chain; `ResponseCache` is the router's `Opener`), or wrap a provider in a
//! [`CachingProvider`]. A cache that fails (a locked or
//! broken database) only logs and lets the call through: it never fails a call.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream;

use super::fingerprint::Fingerprint;
use super::router::{Opened, Opener};
use super::{ChatProvider, ChatRequest, LlmError, LlmStream, StreamEvent, Usage};
use crate::config::CacheConfig;
use crate::protocol::Millis;
use crate::store::cache::{CacheEntry, CacheStore, CachedTokens};

pub use crate::store::cache::{CacheStats, read_stats};

/// When answers are cached and for how long (from `[cache]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheOptions {
    /// Whether the cache is used at all.
    pub enabled: bool,
    /// How long an answer is served after it was stored.
    pub ttl: Duration,
    /// Cache only requests with temperature 0 (a sampled answer is one draw of many).
    pub only_deterministic: bool,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            enabled: true,
            ttl: Duration::from_secs(7 * 24 * 3600),
            only_deterministic: true,
        }
    }
}

impl CacheOptions {
    /// The options `[cache]` sets.
    pub fn from_config(config: &CacheConfig) -> CacheOptions {
        CacheOptions {
            enabled: config.enabled,
            ttl: Duration::from_secs(config.ttl_secs),
            only_deterministic: config.only_deterministic,
        }
    }

    /// Whether `request` may be answered from (and stored in) the cache.
    pub fn is_cacheable(&self, request: &ChatRequest) -> bool {
        self.enabled && (!self.only_deterministic || request.params.temperature == Some(0.0))
    }
}

/// Dollars a call to (provider, model) with this usage costs: what each later hit saves. The
/// router passes its price book (`Router::cost`: $0 for a provider on this machine).
pub type Pricing = Arc<dyn Fn(&str, &str, &Usage) -> f64 + Send + Sync>;

/// An answer with where it came from.
pub struct CachedStream {
    /// The answer's events.
    pub stream: LlmStream,
    /// True when the cache answered (no provider was called); goes into `LlmCallEnded`.
    pub cache_hit: bool,
}

/// The response cache. Cheap to clone; clones share the store.
#[derive(Clone)]
pub struct ResponseCache {
    store: CacheStore,
    options: CacheOptions,
    pricing: Option<Pricing>,
}

impl ResponseCache {
    /// A cache over `store` with these options; answers are priced at $0 until
    /// [`ResponseCache::with_pricing`].
    pub fn new(store: CacheStore, options: CacheOptions) -> ResponseCache {
        ResponseCache {
            store,
            options,
            pricing: None,
        }
    }

    /// Prices each stored answer, so that its hits count as dollars saved.
    pub fn with_pricing(mut self, pricing: Pricing) -> ResponseCache {
        self.pricing = Some(pricing);
        self
    }

    /// Its options.
    pub fn options(&self) -> &CacheOptions {
        &self.options
    }

    /// Answers `request` from the cache, or from `provider` (storing a complete answer).
    pub async fn stream(
        &self,
        provider: &dyn ChatProvider,
        request: &ChatRequest,
    ) -> Result<CachedStream, LlmError> {
        if !self.options.is_cacheable(request) {
            return live(provider, request).await;
        }
        let key = Fingerprint::for_provider(provider.name(), request);
        if let Some(events) = self.lookup(&key).await {
            return Ok(CachedStream {
                stream: Box::pin(stream::iter(events.into_iter().map(Ok))),
                cache_hit: true,
            });
        }
        let answer = provider.stream(request).await?;
        let saver = Saver {
            store: self.store.clone(),
            key,
            provider: provider.name().to_string(),
            model: request.model.clone(),
            ttl: self.options.ttl,
            pricing: self.pricing.clone(),
        };
        let mut copied = Some(Vec::new());
        let stream = answer.map(move |item| {
            match &item {
                Ok(event) => {
                    if let Some(events) = copied.as_mut() {
                        events.push(event.clone());
                    }
                    if matches!(event, StreamEvent::Done { .. })
                        && let Some(events) = copied.take()
                    {
                        saver.save(events);
                    }
                }
                // An answer that failed is never stored, even if it goes on.
                Err(_) => copied = None,
            }
            item
        });
        Ok(CachedStream {
            stream: Box::pin(stream),
            cache_hit: false,
        })
    }

    /// The cache's lifetime counters (hits, misses, hit rate, dollars saved). From another
    /// process, use [`read_stats`] on the database file.
    pub async fn stats(&self) -> Result<CacheStats, LlmError> {
        self.store
            .stats()
            .await
            .map_err(|e| LlmError::Config(format!("response cache: {e}")))
    }

    /// The stored events for `key`, when there is a usable answer.
    async fn lookup(&self, key: &Fingerprint) -> Option<Vec<StreamEvent>> {
        let answer = match self.store.get(key.bytes(), Millis::now()).await {
            Ok(answer) => answer?,
            Err(e) => {
                tracing::warn!("response cache: lookup failed, calling the provider: {e}");
                return None;
            }
        };
        match serde_json::from_str::<Vec<StreamEvent>>(&answer.events) {
            Ok(events) if matches!(events.last(), Some(StreamEvent::Done { .. })) => Some(events),
            // Written by another build, or damaged: the live answer will replace it.
            _ => {
                tracing::warn!(key = %key, "response cache: an entry cannot be read; ignoring it");
                None
            }
        }
    }
}

/// The router's hook: with `Router::with_opener(Arc::new(cache))` every link of every chain
/// goes through the cache, and each call's `cache_hit` reaches `LlmCallEnded`.
impl Opener for ResponseCache {
    fn open<'a>(
        &'a self,
        provider: &'a dyn ChatProvider,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Opened, LlmError>> {
        Box::pin(async move {
            let answer = self.stream(provider, request).await?;
            Ok(Opened {
                stream: answer.stream,
                cache_hit: answer.cache_hit,
            })
        })
    }
}

/// A provider whose deterministic answers are cached. Its [`ChatProvider::stream`] hides
/// whether the cache answered; [`CachingProvider::stream_cached`] tells.
#[derive(Clone)]
pub struct CachingProvider {
    inner: Arc<dyn ChatProvider>,
    cache: ResponseCache,
}

impl CachingProvider {
    /// `inner` behind `cache`.
    pub fn new(inner: Arc<dyn ChatProvider>, cache: ResponseCache) -> CachingProvider {
        CachingProvider { inner, cache }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &Arc<dyn ChatProvider> {
        &self.inner
    }

    /// The cache.
    pub fn cache(&self) -> &ResponseCache {
        &self.cache
    }

    /// The answer and whether the cache gave it.
    pub fn stream_cached<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<CachedStream, LlmError>> {
        Box::pin(self.cache.stream(self.inner.as_ref(), request))
    }
}

impl ChatProvider for CachingProvider {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        Box::pin(async move { Ok(self.stream_cached(request).await?.stream) })
    }
}

async fn live(
    provider: &dyn ChatProvider,
    request: &ChatRequest,
) -> Result<CachedStream, LlmError> {
    Ok(CachedStream {
        stream: provider.stream(request).await?,
        cache_hit: false,
    })
}

/// What it takes to store one answer once it is complete.
struct Saver {
    store: CacheStore,
    key: Fingerprint,
    provider: String,
    model: String,
    ttl: Duration,
    pricing: Option<Pricing>,
}

impl Saver {
    fn save(&self, events: Vec<StreamEvent>) {
        let usage = events
            .iter()
            .rev()
            .find_map(|event| match event {
                StreamEvent::Usage { usage } => Some(*usage),
                _ => None,
            })
            .unwrap_or_default();
        let events = match serde_json::to_string(&events) {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!("response cache: answer not stored: {e}");
                return;
            }
        };
        let cost_usd = self
            .pricing
            .as_ref()
            .map_or(0.0, |price| price(&self.provider, &self.model, &usage));
        let created_at = Millis::now();
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let entry = CacheEntry {
            key: *self.key.bytes(),
            provider: self.provider.clone(),
            model: self.model.clone(),
            events,
            tokens: CachedTokens {
                input: usage.input_tokens,
                output: usage.output_tokens,
                cached: usage.cached_tokens,
                cache_write: usage.cache_write_tokens,
            },
            cost_usd,
            created_at,
            expires_at: Millis(created_at.0.saturating_add(ttl_ms)),
        };
        if let Err(e) = self.store.put(entry) {
            tracing::warn!("response cache: answer not stored: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::llm::{Message, Params, Role};

    fn request(temperature: Option<f32>) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![Message::text(Role::User, "hi")],
            tools: Vec::new(),
            params: Params {
                temperature,
                ..Params::default()
            },
        }
    }

    #[test]
    fn only_temperature_zero_is_cached_unless_configured_otherwise() {
        let options = CacheOptions::default();
        assert!(options.is_cacheable(&request(Some(0.0))));
        assert!(!options.is_cacheable(&request(Some(0.7))));
        assert!(
            !options.is_cacheable(&request(None)),
            "the model's default samples"
        );
        let all = CacheOptions {
            only_deterministic: false,
            ..options
        };
        assert!(all.is_cacheable(&request(None)));
        let off = CacheOptions {
            enabled: false,
            ..all
        };
        assert!(!off.is_cacheable(&request(Some(0.0))));
    }

    #[test]
    fn options_come_from_config() {
        let config = CacheConfig {
            enabled: false,
            ttl_secs: 60,
            only_deterministic: false,
        };
        let options = CacheOptions::from_config(&config);
        assert_eq!(options.ttl, Duration::from_secs(60));
        assert!(!options.enabled && !options.only_deterministic);
        assert_eq!(
            CacheOptions::from_config(&CacheConfig::default()),
            CacheOptions::default()
        );
    }
}
