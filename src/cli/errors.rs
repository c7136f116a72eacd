//! `warroom errors`: the newest errors of every run (errors raised in the runs, the sentinel's
//! escalations among them, and failed model calls), newest first, then each provider's health
//! (calls, failures, latency p50/p99). Reads the database; changes nothing.

use std::io::Write;

use color_eyre::eyre::{Result, eyre};
use serde_json::json;

use crate::store::{ErrorRow, ProviderHealth};
use crate::timefmt;

use super::{Context, open_reader};

/// `warroom errors [--limit N] [--json]`.
pub fn list(ctx: &Context, limit: usize, as_json: bool) -> Result<()> {
    let reader = open_reader(ctx)?;
    let errors = reader.errors(limit).map_err(|e| eyre!("{e}"))?;
    let health = reader.provider_health().map_err(|e| eyre!("{e}"))?;
    let mut out = std::io::stdout().lock();
    if as_json {
        let document = json!({
            "errors": errors.iter().map(error_json).collect::<Vec<_>>(),
            "providers": health.iter().map(health_json).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut out, &document)?;
        writeln!(out)?;
        return Ok(());
    }
    if errors.is_empty() {
        writeln!(out, "no errors recorded in {}", ctx.paths.repo.display())?;
    } else {
        writeln!(
            out,
            "{:>5}  {:<19}  {:>5}  {:<20}  message",
            "run", "time (UTC)", "agent", "source"
        )?;
        for row in &errors {
            writeln!(out, "{}", error_line(row))?;
        }
    }
    writeln!(out)?;
    if health.is_empty() {
        writeln!(out, "no model calls recorded yet")?;
    } else {
        writeln!(
            out,
            "{:<16}  {:>6}  {:>15}  {:>9}  {:>8}  {:>8}",
            "provider", "calls", "failed", "cancelled", "p50", "p99"
        )?;
        for h in &health {
            writeln!(out, "{}", health_line(h))?;
        }
    }
    Ok(())
}

fn error_line(row: &ErrorRow) -> String {
    let agent = row
        .agent
        .map(|a| a.to_string())
        .unwrap_or_else(|| "-".into());
    format!(
        "{:>5}  {:<19}  {:>5}  {:<20}  {}",
        row.run,
        timefmt::datetime(row.at),
        agent,
        row.source,
        one_line(&row.message)
    )
}

fn health_line(h: &ProviderHealth) -> String {
    format!(
        "{:<16}  {:>6}  {:>15}  {:>9}  {:>8}  {:>8}",
        h.provider,
        h.calls,
        format!("{} ({:.1}%)", h.failed, h.error_rate() * 100.0),
        h.cancelled,
        latency(h.p50_ms),
        latency(h.p99_ms)
    )
}

fn error_json(row: &ErrorRow) -> serde_json::Value {
    json!({
        "run": row.run,
        "at": row.at,
        "agent": row.agent,
        "source": row.source,
        "message": row.message,
    })
}

fn health_json(h: &ProviderHealth) -> serde_json::Value {
    json!({
        "provider": h.provider,
        "calls": h.calls,
        "failed": h.failed,
        "cancelled": h.cancelled,
        "error_rate": h.error_rate(),
        "p50_ms": h.p50_ms,
        "p99_ms": h.p99_ms,
    })
}

/// `850ms`, `1.2s`, `95s`; `-` when there is no answered call.
fn latency(ms: Option<u64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1000 => format!("{ms}ms"),
        Some(ms) if ms < 10_000 => format!("{:.1}s", ms as f64 / 1000.0),
        Some(ms) => format!("{}s", ms / 1000),
    }
}

/// A message on one line (tracebacks and command output keep their words, not their breaks).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AgentId, Millis, RunId};

    #[test]
    fn an_error_reads_as_one_line_with_its_run_time_agent_and_source() {
        let row = ErrorRow {
            run: RunId(3),
            at: Millis(0),
            agent: Some(AgentId(2)),
            source: "sentinel".into(),
            message: "the analyst\n  is stuck".into(),
        };
        assert_eq!(
            error_line(&row),
            "    3  1970-01-01 00:00:00      2  sentinel              the analyst is stuck"
        );
        let none = ErrorRow { agent: None, ..row };
        assert!(error_line(&none).contains("      -  sentinel"));
    }

    #[test]
    fn provider_health_reads_with_its_error_rate_and_latencies() {
        let h = ProviderHealth {
            provider: "openai".into(),
            calls: 4,
            failed: 1,
            cancelled: 1,
            p50_ms: Some(850),
            p99_ms: Some(12_345),
        };
        assert_eq!(
            health_line(&h),
            "openai                 4        1 (33.3%)          1     850ms       12s"
        );
        assert_eq!(latency(Some(1234)), "1.2s");
        assert_eq!(latency(None), "-");
    }
}
