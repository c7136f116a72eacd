//! Readying the team in the owner process: the model providers from config (or found by
//! zero-config detection when config names none), the router with the response cache in front,
//! the sandbox, and the next patch id. What cannot be readied is a sentence for the person.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use super::TeamEnv;
use crate::config::Config;
use crate::core::llm::cache::{CacheOptions, ResponseCache};
use crate::core::llm::detect::{Probe, detect};
use crate::core::llm::record::{Recorder, RecordingProvider};
use crate::core::llm::router::{EventSink, Router, build_providers};
use crate::core::tools::sandbox::Sandbox;
use crate::store::Store;
use crate::store::cache::CacheStore;

/// A ready team and how its models were chosen.
pub struct Ready {
    /// What every run gets.
    pub env: TeamEnv,
    /// "config: [roles]" or the zero-config pick, for the status line and logs.
    pub models: String,
}

/// Readies the team; `Err` says why no run can have a team, and how to fix it.
/// `next_patch` is the first free patch id (one past the database's largest); with `record`,
/// every model call is also written to that file.
pub async fn prepare(
    config: &Config,
    store: &Store,
    next_patch: i64,
    record: Option<&Path>,
) -> Result<Ready, String> {
    let mut config = config.clone();
    let models = if config.roles.is_empty() {
        let found = detect(&Probe::standard())
            .await
            .map_err(|e| e.to_string())?;
        found.apply_to(&mut config);
        format!("{} ({})", found.model, found.why)
    } else {
        let chains: Vec<String> = config
            .roles
            .iter()
            .map(|(role, r)| {
                let models: Vec<String> = r.models.iter().map(ToString::to_string).collect();
                format!("{role}: {}", models.join(" > "))
            })
            .collect();
        chains.join("; ")
    };
    let mut providers = build_providers(&config).map_err(|e| e.to_string())?;
    if let Some(path) = record {
        let recorder = Recorder::create(path).map_err(|e| e.to_string())?;
        for provider in providers.values_mut() {
            let inner = Arc::clone(provider);
            *provider = Arc::new(RecordingProvider::new(inner, recorder.clone()));
        }
    }
    let mut router = Router::new(&config, &providers, EventSink::Store(store.clone()))
        .map_err(|e| e.to_string())?;
    if config.cache.enabled {
        let busy = Duration::from_millis(config.store.busy_timeout_ms);
        match CacheStore::open(&store.paths().db, busy) {
            Ok(cache_store) => {
                let cache =
                    ResponseCache::new(cache_store, CacheOptions::from_config(&config.cache));
                router = router.with_opener(Arc::new(cache));
            }
            Err(e) => tracing::warn!("team: the response cache is off: {e}"),
        }
    }
    let sandbox = tokio::task::spawn_blocking(Sandbox::detect)
        .await
        .unwrap_or_else(|e| Sandbox::Unavailable {
            why: format!("checking for bubblewrap stopped: {e}"),
        });
    Ok(Ready {
        env: TeamEnv {
            store: store.clone(),
            router,
            config: Arc::new(config),
            sandbox: Arc::new(sandbox),
            repo: store.paths().repo.clone(),
            next_patch: Arc::new(AtomicI64::new(next_patch)),
        },
        models,
    })
}
