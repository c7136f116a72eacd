//! Running totals of tokens and dollars per run and per agent, and the limits of `[budget]`.
//! A limit refuses the *next* call once it is reached: [`Budget::check`] runs before a call,
//! [`Budget::record`] after it, and a call is never cut short. Pure: the router holds one
//! behind a lock; a resumed run restores its totals from the store with [`Budget::restore`].

use std::collections::HashMap;

use crate::config::BudgetConfig;
use crate::protocol::{AgentId, RunId};

use super::{LlmError, Usage};

/// The limits; 0 means none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Dollars per run.
    pub run_usd: f64,
    /// Tokens (prompt + completion) per run.
    pub run_tokens: u64,
    /// Dollars per agent.
    pub agent_usd: f64,
    /// Tokens per agent.
    pub agent_tokens: u64,
}

impl From<&BudgetConfig> for Limits {
    fn from(config: &BudgetConfig) -> Limits {
        Limits {
            run_usd: config.run_usd,
            run_tokens: config.run_tokens,
            agent_usd: config.agent_usd,
            agent_tokens: config.agent_tokens,
        }
    }
}

/// What a run or an agent has used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Dollars.
    pub cost_usd: f64,
    /// Calls recorded.
    pub calls: u64,
}

impl Totals {
    /// Prompt plus completion tokens: what the token limits count.
    pub fn tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    fn add(&mut self, usage: &Usage, cost_usd: f64) {
        self.input_tokens = self.input_tokens.saturating_add(usage.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(usage.output_tokens);
        self.cost_usd += cost_usd.max(0.0);
        self.calls += 1;
    }
}

/// Totals per run and per agent under one set of limits.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    limits: Limits,
    runs: HashMap<RunId, Totals>,
    agents: HashMap<(RunId, AgentId), Totals>,
}

impl Budget {
    /// No spending yet.
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            ..Budget::default()
        }
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether `agent` of `run` may make another call: an error naming the limit reached, what
    /// was spent, and the key that sets it, when not.
    pub fn check(&self, run: RunId, agent: AgentId) -> Result<(), LlmError> {
        let limits = self.limits;
        let spent = self.run(run);
        if limits.run_usd > 0.0 && spent.cost_usd >= limits.run_usd {
            return Err(refused(
                format!("run {run}"),
                format!(
                    "has spent {} of its {} budget",
                    usd(spent.cost_usd),
                    usd(limits.run_usd)
                ),
                "budget.run_usd",
            ));
        }
        if limits.run_tokens > 0 && spent.tokens() >= limits.run_tokens {
            return Err(refused(
                format!("run {run}"),
                format!(
                    "has used {} of its {} tokens",
                    spent.tokens(),
                    limits.run_tokens
                ),
                "budget.run_tokens",
            ));
        }
        let spent = self.agent(run, agent);
        if limits.agent_usd > 0.0 && spent.cost_usd >= limits.agent_usd {
            return Err(refused(
                format!("agent {agent} of run {run}"),
                format!(
                    "has spent {} of its {} budget",
                    usd(spent.cost_usd),
                    usd(limits.agent_usd)
                ),
                "budget.agent_usd",
            ));
        }
        if limits.agent_tokens > 0 && spent.tokens() >= limits.agent_tokens {
            return Err(refused(
                format!("agent {agent} of run {run}"),
                format!(
                    "has used {} of its {} tokens",
                    spent.tokens(),
                    limits.agent_tokens
                ),
                "budget.agent_tokens",
            ));
        }
        Ok(())
    }

    /// Adds one call's usage and cost; returns the agent's new totals.
    pub fn record(&mut self, run: RunId, agent: AgentId, usage: &Usage, cost_usd: f64) -> Totals {
        self.runs.entry(run).or_default().add(usage, cost_usd);
        let totals = self.agents.entry((run, agent)).or_default();
        totals.add(usage, cost_usd);
        *totals
    }

    /// Sets an agent's totals (and adds them to its run's), e.g. from the store when a run
    /// resumes.
    pub fn restore(&mut self, run: RunId, agent: AgentId, totals: Totals) {
        let old = self.agents.insert((run, agent), totals).unwrap_or_default();
        let run_totals = self.runs.entry(run).or_default();
        run_totals.input_tokens =
            (run_totals.input_tokens + totals.input_tokens).saturating_sub(old.input_tokens);
        run_totals.output_tokens =
            (run_totals.output_tokens + totals.output_tokens).saturating_sub(old.output_tokens);
        run_totals.cost_usd = (run_totals.cost_usd + totals.cost_usd - old.cost_usd).max(0.0);
        run_totals.calls = (run_totals.calls + totals.calls).saturating_sub(old.calls);
    }

    /// What `run` has used.
    pub fn run(&self, run: RunId) -> Totals {
        self.runs.get(&run).copied().unwrap_or_default()
    }

    /// What `agent` of `run` has used.
    pub fn agent(&self, run: RunId, agent: AgentId) -> Totals {
        self.agents.get(&(run, agent)).copied().unwrap_or_default()
    }
}

fn refused(who: String, what: String, key: &str) -> LlmError {
    LlmError::Budget(format!(
        "{who} {what} ({key}); the next model call is refused: raise {key} or start a new run"
    ))
}

/// `$1.02`; small amounts keep four decimals (`$0.0042`).
pub fn usd(amount: f64) -> String {
    if amount != 0.0 && amount.abs() < 0.1 {
        format!("${amount:.4}")
    } else {
        format!("${amount:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: RunId = RunId(3);
    const A: AgentId = AgentId(1);
    const B: AgentId = AgentId(2);

    fn tokens(input: u64, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        }
    }

    fn budget_message(result: Result<(), LlmError>) -> String {
        match result {
            Err(LlmError::Budget(message)) => message,
            other => panic!("expected a budget error, got {other:?}"),
        }
    }

    #[test]
    fn no_limits_never_refuse() {
        let mut budget = Budget::new(Limits::default());
        budget.record(RUN, A, &tokens(u64::MAX, 5), 1e9);
        assert!(budget.check(RUN, A).is_ok());
    }

    #[test]
    fn the_run_dollar_limit_refuses_the_next_call_once_reached() {
        let mut budget = Budget::new(Limits {
            run_usd: 1.0,
            ..Limits::default()
        });
        budget.record(RUN, A, &tokens(10, 10), 0.60);
        assert!(budget.check(RUN, A).is_ok(), "under the limit");
        // The call that crosses the limit is not cut short; the next one is refused.
        budget.record(RUN, B, &tokens(10, 10), 0.42);
        let message = budget_message(budget.check(RUN, A));
        assert_eq!(
            message,
            "run 3 has spent $1.02 of its $1.00 budget (budget.run_usd); the next model call is \
             refused: raise budget.run_usd or start a new run"
        );
        assert!(
            budget.check(RunId(4), A).is_ok(),
            "another run is not affected"
        );
    }

    #[test]
    fn token_and_agent_limits_name_themselves() {
        let mut budget = Budget::new(Limits {
            run_tokens: 1000,
            agent_usd: 0.05,
            agent_tokens: 300,
            ..Limits::default()
        });
        budget.record(RUN, A, &tokens(200, 100), 0.001);
        assert!(
            budget_message(budget.check(RUN, A)).starts_with(
                "agent 1 of run 3 has used 300 of its 300 tokens (budget.agent_tokens)"
            )
        );
        assert!(budget.check(RUN, B).is_ok(), "agent 2 has its own budget");
        budget.record(RUN, B, &tokens(10, 10), 0.06);
        assert!(
            budget_message(budget.check(RUN, B))
                .starts_with("agent 2 of run 3 has spent $0.0600 of its $0.0500 budget")
        );
        budget.record(RUN, B, &tokens(400, 300), 0.0);
        assert!(
            budget_message(budget.check(RUN, B))
                .starts_with("run 3 has used 1020 of its 1000 tokens (budget.run_tokens)")
        );
    }

    #[test]
    fn totals_add_up_per_agent_and_per_run() {
        let mut budget = Budget::new(Limits::default());
        let a = budget.record(RUN, A, &tokens(100, 20), 0.5);
        assert_eq!(
            a,
            Totals {
                input_tokens: 100,
                output_tokens: 20,
                cost_usd: 0.5,
                calls: 1
            }
        );
        budget.record(RUN, B, &tokens(1, 2), 0.25);
        let a = budget.record(RUN, A, &tokens(1, 1), 0.25);
        assert_eq!((a.tokens(), a.cost_usd, a.calls), (122, 0.75, 2));
        let run = budget.run(RUN);
        assert_eq!((run.tokens(), run.cost_usd, run.calls), (125, 1.0, 3));
    }

    #[test]
    fn restoring_replaces_an_agents_totals_in_its_run() {
        let mut budget = Budget::new(Limits {
            run_usd: 2.0,
            ..Limits::default()
        });
        budget.record(RUN, A, &tokens(10, 10), 0.5);
        let restored = Totals {
            input_tokens: 1000,
            output_tokens: 500,
            cost_usd: 2.5,
            calls: 7,
        };
        budget.restore(RUN, A, restored);
        assert_eq!(budget.agent(RUN, A), restored);
        assert_eq!(budget.run(RUN), restored);
        assert!(budget.check(RUN, B).is_err());
    }

    #[test]
    fn dollars_read_well() {
        assert_eq!(usd(1.0), "$1.00");
        assert_eq!(usd(12.345), "$12.35");
        assert_eq!(usd(0.0042), "$0.0042");
        assert_eq!(usd(0.0), "$0.00");
    }
}
