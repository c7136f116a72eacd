//! The router's decisions, as pure functions and one state machine, so they can be tested
//! without IO or a clock: the backoff schedule (exponential, full jitter, Retry-After honoured
//! up to a cap), the circuit breaker of one provider (closed → open after N consecutive
//! failures → half-open after a cooldown → one trial), and what to do after a failed attempt
//! (retry, fall back, or surface the error). Time comes in as arguments.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::RouterConfig;

use super::super::LlmError;

/// The `[router]` settings as durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries on one provider before falling back.
    pub max_retries: u32,
    /// The first retry's backoff ceiling; doubled for each later retry.
    pub base_backoff: Duration,
    /// The longest any retry waits.
    pub max_backoff: Duration,
    /// Consecutive failures that open a provider's circuit.
    pub breaker_failures: u32,
    /// How long an open circuit stays open before one trial.
    pub breaker_cooldown: Duration,
}

impl From<&RouterConfig> for RetryPolicy {
    fn from(config: &RouterConfig) -> RetryPolicy {
        RetryPolicy {
            max_retries: config.max_retries,
            base_backoff: Duration::from_millis(config.base_backoff_ms),
            max_backoff: Duration::from_millis(config.max_backoff_ms),
            breaker_failures: config.breaker_failures.max(1),
            breaker_cooldown: Duration::from_millis(config.breaker_cooldown_ms),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::from(&RouterConfig::default())
    }
}

/// How long to wait before retry number `retry` (1 for the first): a wait the provider asked
/// for (capped by `max_backoff`), else full jitter, a fraction `jitter` (0.0..1.0) of
/// `min(max_backoff, base_backoff * 2^(retry-1))`.
pub fn backoff(
    retry: u32,
    retry_after: Option<Duration>,
    policy: &RetryPolicy,
    jitter: f64,
) -> Duration {
    if let Some(asked) = retry_after {
        return asked.min(policy.max_backoff);
    }
    let doublings = retry.saturating_sub(1).min(30);
    let ceiling = policy
        .base_backoff
        .saturating_mul(1 << doublings)
        .min(policy.max_backoff);
    ceiling.mul_f64(jitter.clamp(0.0, 1.0))
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait, then try the same model again; `attempt` is the number of the next attempt.
    Retry {
        /// The next attempt's number (2 for the first retry).
        attempt: u32,
        /// How long to wait first.
        delay: Duration,
    },
    /// Move to the next model of the chain, at once.
    FallBack,
    /// Give the error to the caller.
    Surface,
}

/// The decision after attempt number `attempt` (from 1) failed with `error`. Errors retrying
/// cannot fix surface at once; retryable ones are retried while retries remain and the
/// provider's circuit is closed, then fall back when there is a next model; an open circuit
/// falls back at once.
pub fn decide(
    error: &LlmError,
    attempt: u32,
    policy: &RetryPolicy,
    circuit_open: bool,
    has_next: bool,
    jitter: f64,
) -> Decision {
    if !error.allows_fallback() {
        return Decision::Surface;
    }
    if error.is_retryable() && !circuit_open && attempt <= policy.max_retries {
        return Decision::Retry {
            attempt: attempt + 1,
            delay: backoff(attempt, error.retry_after(), policy, jitter),
        };
    }
    if has_next {
        Decision::FallBack
    } else {
        Decision::Surface
    }
}

/// Whether a provider may be called now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The circuit is closed: call it.
    Go,
    /// The cooldown is over: this call is the one trial that decides.
    Trial,
    /// The circuit is open (or a trial is under way): skip it for this long.
    Skip(Duration),
}

/// A circuit breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; `failures` consecutive ones have failed.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Calls are skipped until `until`.
    Open {
        /// When one trial may go.
        until: Instant,
    },
    /// One trial call is under way since `since`; others are skipped. A trial that never
    /// reports back (its caller gave up) frees the slot after one cooldown.
    HalfOpen {
        /// When the trial started.
        since: Instant,
    },
}

/// The circuit breaker of one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    state: BreakerState,
}

impl Default for Breaker {
    fn default() -> Breaker {
        Breaker {
            state: BreakerState::Closed { failures: 0 },
        }
    }
}

impl Breaker {
    /// Its state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether a call may go now (and, after a cooldown, starts the trial).
    pub fn admit(&mut self, now: Instant, policy: &RetryPolicy) -> Admission {
        match self.state {
            BreakerState::Closed { .. } => Admission::Go,
            BreakerState::Open { until } if now < until => Admission::Skip(until - now),
            BreakerState::HalfOpen { since } if now < since + policy.breaker_cooldown => {
                Admission::Skip(since + policy.breaker_cooldown - now)
            }
            BreakerState::Open { .. } | BreakerState::HalfOpen { .. } => {
                self.state = BreakerState::HalfOpen { since: now };
                Admission::Trial
            }
        }
    }

    /// A call answered: the circuit closes.
    pub fn succeeded(&mut self) {
        self.state = BreakerState::Closed { failures: 0 };
    }

    /// A call failed in a way that says the provider is unwell (see
    /// [`LlmError::is_retryable`]). Returns whether the circuit is now open.
    pub fn failed(&mut self, now: Instant, policy: &RetryPolicy) -> bool {
        let failures = match self.state {
            BreakerState::Closed { failures } => failures + 1,
            // A failed trial, or a late failure while open: open (again) for a cooldown.
            BreakerState::HalfOpen { .. } | BreakerState::Open { .. } => policy.breaker_failures,
        };
        self.state = if failures >= policy.breaker_failures {
            BreakerState::Open {
                until: now + policy.breaker_cooldown,
            }
        } else {
            BreakerState::Closed { failures }
        };
        self.is_open(now)
    }

    /// Whether calls are being skipped at `now`.
    pub fn is_open(&self, now: Instant) -> bool {
        match self.state {
            BreakerState::Closed { .. } => false,
            BreakerState::Open { until } => now < until,
            BreakerState::HalfOpen { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    fn server_error() -> LlmError {
        LlmError::Server {
            provider: "p".into(),
            status: 500,
            message: "boom".into(),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let p = policy();
        let ms = |retry, jitter| backoff(retry, None, &p, jitter).as_millis();
        assert_eq!(
            [ms(1, 1.0), ms(2, 1.0), ms(3, 1.0), ms(4, 1.0)],
            [250, 500, 1000, 2000]
        );
        assert_eq!(ms(6, 1.0), 8000, "capped by max_backoff");
        assert_eq!(ms(60, 1.0), 8000, "no overflow");
        assert_eq!(ms(3, 0.0), 0, "full jitter reaches zero");
        assert_eq!(ms(3, 0.5), 500);
        assert_eq!(ms(1, 7.0), 250, "jitter is clamped");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = policy();
        let asked = |d| backoff(1, Some(d), &p, 0.0);
        assert_eq!(
            asked(Duration::from_millis(1500)),
            Duration::from_millis(1500)
        );
        assert_eq!(asked(Duration::from_secs(60)), Duration::from_secs(8));
    }

    #[test]
    fn decisions_follow_the_error_and_the_attempts() {
        let p = policy();
        let retry = decide(&server_error(), 1, &p, false, true, 1.0);
        assert_eq!(
            retry,
            Decision::Retry {
                attempt: 2,
                delay: Duration::from_millis(250)
            }
        );
        assert_eq!(
            decide(&server_error(), 4, &p, false, true, 1.0),
            Decision::FallBack,
            "max_retries = 3: the 4th failure falls back"
        );
        assert_eq!(
            decide(&server_error(), 4, &p, false, false, 1.0),
            Decision::Surface,
            "nothing to fall back to"
        );
        assert_eq!(
            decide(&server_error(), 1, &p, true, true, 1.0),
            Decision::FallBack,
            "an open circuit falls back without retrying"
        );
        let refused = LlmError::Unauthorized {
            provider: "p".into(),
            key_source: "environment variable K".into(),
        };
        assert_eq!(decide(&refused, 1, &p, false, true, 1.0), Decision::Surface);
        let budget = LlmError::Budget("spent".into());
        assert_eq!(decide(&budget, 1, &p, false, true, 1.0), Decision::Surface);
        let skipped = LlmError::CircuitOpen {
            provider: "p".into(),
            for_how_long: Duration::from_secs(1),
        };
        assert_eq!(
            decide(&skipped, 1, &p, false, true, 1.0),
            Decision::FallBack
        );
        assert_eq!(
            decide(&skipped, 1, &p, false, false, 1.0),
            Decision::Surface
        );
    }

    #[test]
    fn the_breaker_opens_cools_down_and_tries_once() {
        let p = policy();
        let t0 = Instant::now();
        let mut b = Breaker::default();
        assert_eq!(b.admit(t0, &p), Admission::Go);
        assert!(!b.failed(t0, &p));
        assert!(!b.failed(t0, &p));
        b.succeeded();
        assert_eq!(
            b.state(),
            BreakerState::Closed { failures: 0 },
            "success resets"
        );
        b.failed(t0, &p);
        b.failed(t0, &p);
        assert!(b.failed(t0, &p), "three consecutive failures open it");
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.admit(later, &p), Admission::Skip(Duration::from_secs(20)));
        let cooled = t0 + Duration::from_secs(30);
        assert_eq!(b.admit(cooled, &p), Admission::Trial);
        assert_eq!(
            b.admit(cooled, &p),
            Admission::Skip(Duration::from_secs(30)),
            "one trial at a time"
        );
        assert!(b.failed(cooled, &p), "a failed trial opens it again");
        let cooled_again = cooled + Duration::from_secs(30);
        assert_eq!(b.admit(cooled_again, &p), Admission::Trial);
        b.succeeded();
        assert_eq!(b.admit(cooled_again, &p), Admission::Go);
    }

    #[test]
    fn a_trial_that_never_reports_frees_its_slot_after_a_cooldown() {
        let p = policy();
        let t0 = Instant::now();
        let mut b = Breaker::default();
        for _ in 0..3 {
            b.failed(t0, &p);
        }
        let trial = t0 + p.breaker_cooldown;
        assert_eq!(b.admit(trial, &p), Admission::Trial);
        assert_eq!(b.admit(trial + p.breaker_cooldown, &p), Admission::Trial);
    }
}
