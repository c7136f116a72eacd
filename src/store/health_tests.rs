//! Errors and provider health through the real writer and a real file.

use std::time::Duration;

use super::*;
use crate::paths::RepoPaths;
use crate::protocol::{CallOutcome, LlmCallId};
use crate::store::{OwnedStore, StoreOptions};

const WAIT: Duration = Duration::from_secs(5);

fn error(agent: Option<u32>, source: &str, message: &str) -> Event {
    Event::ErrorRaised {
        agent: agent.map(AgentId),
        source: source.into(),
        message: message.into(),
    }
}

/// A model call of `provider` that ended with `outcome` after `latency_ms`.
fn call(
    id: u32,
    provider: &str,
    latency_ms: u64,
    outcome: CallOutcome,
    cached: bool,
) -> [Event; 2] {
    [
        Event::LlmCallBegan {
            call: LlmCallId(id),
            agent: AgentId(1),
            provider: provider.into(),
            model: "m".into(),
        },
        Event::LlmCallEnded {
            call: LlmCallId(id),
            agent: AgentId(1),
            input_tokens: 1,
            output_tokens: 1,
            cached_tokens: 0,
            cost_usd: 0.0,
            ttft_ms: None,
            latency_ms,
            cache_hit: cached,
            outcome,
        },
    ]
}

/// Writes each `(run, event)` in order, a few ms apart so their times differ.
fn store_with(events: Vec<(i64, Event)>) -> (tempfile::TempDir, Reader) {
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    for (run, event) in events {
        owned.store.append_blocking(RunId(run), event).unwrap();
        owned.store.flush_blocking().unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    owned.close().unwrap();
    (dir, Reader::open(&paths.db, WAIT).unwrap())
}

#[test]
fn errors_of_every_run_come_newest_first_with_failed_model_calls() {
    let [began, failed] = call(
        1,
        "openai",
        // Ends an hour after it began: the newest of all.
        3_600_000,
        CallOutcome::Failed {
            error: "openai: server error 500: boom".into(),
        },
        false,
    );
    let [ok_began, ok_ended] = call(2, "openai", 5, CallOutcome::Ok, false);
    let [c_began, cancelled] = call(3, "openai", 5, CallOutcome::Cancelled, false);
    let (_dir, reader) = store_with(vec![
        (1, error(Some(2), "task", "first")),
        (1, began),
        (1, failed),
        (1, ok_began),
        (1, ok_ended),
        (2, c_began),
        (2, cancelled),
        (2, error(None, "commands", "second")),
        (2, error(Some(4), "sentinel", "third")),
    ]);
    let rows = reader.errors(100).unwrap();
    let seen: Vec<(i64, Option<u32>, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.run.0,
                r.agent.map(|a| a.0),
                r.source.as_str(),
                r.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, Some(1), "openai/m", "openai: server error 500: boom"),
            (2, Some(4), "sentinel", "third"),
            (2, None, "commands", "second"),
            (1, Some(2), "task", "first"),
        ]
    );
    assert!(rows.windows(2).all(|w| w[0].at >= w[1].at));
    let newest_two: Vec<String> = reader
        .errors(2)
        .unwrap()
        .into_iter()
        .map(|r| r.message)
        .collect();
    assert_eq!(newest_two, ["openai: server error 500: boom", "third"]);
}

#[test]
fn an_empty_database_has_no_errors_and_no_providers() {
    let (_dir, reader) = store_with(Vec::new());
    assert_eq!(reader.errors(100).unwrap(), Vec::new());
    assert_eq!(reader.provider_health().unwrap(), Vec::new());
}

#[test]
fn provider_health_counts_failures_and_ranks_latencies() {
    let mut events = Vec::new();
    let mut id = 0;
    let mut add = |provider: &str, latency: u64, outcome: CallOutcome, cached: bool| {
        id += 1;
        for event in call(id, provider, latency, outcome, cached) {
            events.push((1, event));
        }
    };
    for latency in 1..=100 {
        add("local", latency * 10, CallOutcome::Ok, false);
    }
    // A cache hit says nothing about the provider.
    add("local", 1, CallOutcome::Ok, true);
    add("openai", 300, CallOutcome::Ok, false);
    add("openai", 100, CallOutcome::Ok, false);
    add(
        "openai",
        9000,
        CallOutcome::Failed {
            error: "timeout".into(),
        },
        false,
    );
    add("openai", 50, CallOutcome::Cancelled, false);
    // A call that never ended (the process died) is not counted.
    id += 1;
    events.push((
        1,
        Event::LlmCallBegan {
            call: LlmCallId(id),
            agent: AgentId(1),
            provider: "openai".into(),
            model: "m".into(),
        },
    ));
    let (_dir, reader) = store_with(events);
    let health = reader.provider_health().unwrap();
    assert_eq!(
        health,
        [
            ProviderHealth {
                provider: "local".into(),
                calls: 100,
                failed: 0,
                cancelled: 0,
                p50_ms: Some(500),
                p99_ms: Some(990),
            },
            ProviderHealth {
                provider: "openai".into(),
                calls: 4,
                failed: 1,
                cancelled: 1,
                p50_ms: Some(100),
                p99_ms: Some(300),
            },
        ]
    );
    assert_eq!(health[0].error_rate(), 0.0);
    assert!((health[1].error_rate() - 1.0 / 3.0).abs() < 1e-9);
}

#[test]
fn percentiles_are_nearest_rank() {
    assert_eq!(percentile(&[], 50), None);
    assert_eq!(percentile(&[7], 50), Some(7));
    assert_eq!(percentile(&[7], 99), Some(7));
    assert_eq!(percentile(&[1, 2], 50), Some(1));
    assert_eq!(percentile(&[1, 2], 99), Some(2));
    let hundred: Vec<u64> = (1..=100).collect();
    assert_eq!(percentile(&hundred, 50), Some(50));
    assert_eq!(percentile(&hundred, 99), Some(99));
}

#[test]
fn the_newest_errors_are_read_by_index() {
    let (_dir, reader) = store_with(Vec::new());
    let plan: Vec<String> = reader
        .conn()
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM events WHERE kind = 'error_raised'
             ORDER BY id DESC LIMIT 100",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|step| step.contains("events_errors")),
        "{plan:?}"
    );
}
