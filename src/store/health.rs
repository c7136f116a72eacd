//! Reading what went wrong: the newest errors across runs (`error_raised` events and failed
//! model calls) and each provider's health (error rate, latency p50/p99) from the `llm_calls`
//! projection. For `warroom errors`; read-only, like the rest of the [`Reader`].

use rusqlite::params;

use crate::protocol::{AgentId, Event, Millis, RunId};

use super::{Reader, StoreError};

/// One error as `warroom errors` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRow {
    /// The run it happened in.
    pub run: RunId,
    /// When (for a failed model call: when it ended).
    pub at: Millis,
    /// The agent it concerns, if any.
    pub agent: Option<AgentId>,
    /// Where: a component or tool name, or "provider/model" for a model call.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

/// One provider's record over the calls kept in the database (cache hits left out: they say
/// nothing of the provider).
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderHealth {
    /// The provider's name from config.
    pub provider: String,
    /// Calls that ended (answered, failed or cancelled).
    pub calls: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Calls cancelled before they finished (by the sentinel, a cancelled task, a shutdown).
    pub cancelled: u64,
    /// Median latency of the answered calls, in ms.
    pub p50_ms: Option<u64>,
    /// 99th percentile latency of the answered calls, in ms.
    pub p99_ms: Option<u64>,
}

impl ProviderHealth {
    /// Failed calls over answered and failed ones (cancelled calls are nobody's verdict);
    /// 0 when there are none.
    pub fn error_rate(&self) -> f64 {
        let judged = self.calls.saturating_sub(self.cancelled);
        if judged == 0 {
            0.0
        } else {
            self.failed as f64 / judged as f64
        }
    }
}

impl Reader {
    /// The newest `limit` errors of every run, newest first: `error_raised` events and failed
    /// model calls. A stored event this build cannot read is left out (and logged).
    pub fn errors(&self, limit: usize) -> Result<Vec<ErrorRow>, StoreError> {
        let limit_arg = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = Vec::new();
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT id, run_id, at, agent, CAST(body AS BLOB) FROM events
                 WHERE kind = 'error_raised' ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let raised = stmt
            .query_map(params![limit_arg], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    RunId(r.get(1)?),
                    Millis(r.get(2)?),
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in raised {
            let (id, run, at, body) = row.map_err(|e| self.err(e))?;
            match serde_json::from_slice::<Event>(&body) {
                Ok(Event::ErrorRaised {
                    agent,
                    source,
                    message,
                }) => rows.push(ErrorRow {
                    run,
                    at,
                    agent,
                    source,
                    message,
                }),
                Ok(other) => tracing::warn!(id, kind = other.kind(), "errors: not an error event"),
                Err(e) => tracing::warn!(id, "errors: cannot read event: {e}"),
            }
        }
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT run_id, started_at + coalesce(latency_ms, 0), agent, provider, model,
                        coalesce(error, '')
                 FROM llm_calls WHERE outcome = 'failed' ORDER BY started_at DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let failed = stmt
            .query_map(params![limit_arg], |r| {
                Ok(ErrorRow {
                    run: RunId(r.get(0)?),
                    at: Millis(r.get(1)?),
                    agent: Some(AgentId(r.get(2)?)),
                    source: format!("{}/{}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                    message: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        for row in failed {
            rows.push(row.map_err(|e| self.err(e))?);
        }
        // Newest first; an error event and a call ending in the same millisecond keep their
        // order of reading.
        rows.sort_by_key(|r| std::cmp::Reverse(r.at));
        rows.truncate(limit);
        Ok(rows)
    }

    /// Each provider's calls, failures and latency percentiles, by provider name.
    pub fn provider_health(&self) -> Result<Vec<ProviderHealth>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT provider, outcome, latency_ms FROM llm_calls
                 WHERE outcome != 'running' AND cache_hit = 0
                 ORDER BY provider, latency_ms",
            )
            .map_err(|e| self.err(e))?;
        let calls = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut health: Vec<ProviderHealth> = Vec::new();
        // Answered calls' latencies of the provider being read, ascending (the query's order).
        let mut latencies: Vec<u64> = Vec::new();
        for call in calls {
            let (provider, outcome, latency) = call.map_err(|e| self.err(e))?;
            if health.last().is_none_or(|h| h.provider != provider) {
                finish(health.last_mut(), &mut latencies);
                health.push(ProviderHealth {
                    provider,
                    calls: 0,
                    failed: 0,
                    cancelled: 0,
                    p50_ms: None,
                    p99_ms: None,
                });
            }
            let Some(current) = health.last_mut() else {
                continue;
            };
            current.calls += 1;
            match outcome.as_str() {
                "failed" => current.failed += 1,
                "cancelled" => current.cancelled += 1,
                _ => {
                    if let Some(ms) = latency {
                        latencies.push(u64::try_from(ms).unwrap_or(0));
                    }
                }
            }
        }
        finish(health.last_mut(), &mut latencies);
        Ok(health)
    }
}

/// Sets the percentiles of the provider just read and empties `latencies` for the next.
fn finish(health: Option<&mut ProviderHealth>, latencies: &mut Vec<u64>) {
    if let Some(h) = health {
        h.p50_ms = percentile(latencies, 50);
        h.p99_ms = percentile(latencies, 99);
    }
    latencies.clear();
}

/// The nearest-rank percentile of ascending `sorted`; `None` when it is empty.
pub fn percentile(sorted: &[u64], p: u32) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank: the smallest value with at least p% of the values at or below it.
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
