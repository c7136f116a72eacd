//! Approval policy: whether an action goes ahead, waits for the person or is refused. Pure:
//! the config's policy per kind, the command-prefix rules, the "always allow" grants of this
//! run and repository, and the headless `--approve` override.

use crate::config::{ApprovalsConfig, Policy};

/// What an agent wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Write a patch (or a file) into the run's worktree.
    PatchWorktree,
    /// Run a command. `outside` says why the sandbox alone cannot cover it (network, a path
    /// outside the worktree, no sandbox at all), `None` when it can.
    Command {
        /// The command line.
        line: &'a str,
        /// Why it reaches outside the sandbox, if it does.
        outside: Option<&'a str>,
    },
    /// Apply a verified patch to the person's working tree.
    Apply,
}

/// The ruling on one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ruling {
    /// Go ahead.
    Allow,
    /// Ask the person; `reason` is shown with the request.
    Ask {
        /// Why it needs approval.
        reason: String,
    },
    /// Refused; `reason` goes back to the agent.
    Deny {
        /// Why.
        reason: String,
    },
}

/// Rules actions by the config, granted prefixes and an optional override of every "ask"
/// (headless `--approve auto|deny`).
#[derive(Debug, Clone)]
pub struct Rules {
    config: ApprovalsConfig,
    grants: Vec<String>,
    ask_override: Option<Policy>,
}

impl Rules {
    /// Rules from `[approvals]`.
    pub fn new(config: ApprovalsConfig) -> Rules {
        Rules {
            config,
            grants: Vec::new(),
            ask_override: None,
        }
    }

    /// Every "ask" becomes `policy` (`Auto` or `Deny`); `Ask` keeps asking.
    pub fn override_asks(&mut self, policy: Policy) {
        self.ask_override = Some(policy).filter(|p| *p != Policy::Ask);
    }

    /// Commands starting with `prefix` go ahead from now on, even outside the sandbox.
    pub fn grant(&mut self, prefix: &str) {
        let prefix = prefix.trim().to_string();
        if !prefix.is_empty() && !self.grants.contains(&prefix) {
            self.grants.push(prefix);
        }
    }

    /// The granted prefixes.
    pub fn grants(&self) -> &[String] {
        &self.grants
    }

    /// Rules one action.
    pub fn rule(&self, action: Action<'_>) -> Ruling {
        let ruling = self.rule_config(action);
        match (ruling, self.ask_override) {
            (Ruling::Ask { .. }, Some(Policy::Auto)) => Ruling::Allow,
            (Ruling::Ask { reason }, Some(Policy::Deny)) => Ruling::Deny {
                reason: format!("{reason}; refused because approvals are set to deny"),
            },
            (ruling, _) => ruling,
        }
    }

    fn rule_config(&self, action: Action<'_>) -> Ruling {
        match action {
            Action::PatchWorktree => by_policy(
                self.config.patch,
                "writing a patch into the run's worktree (approvals.patch)",
            ),
            Action::Apply => by_policy(
                self.config.apply,
                "applying the verified patch to your working tree (approvals.apply)",
            ),
            Action::Command { line, outside } => {
                let line = line.trim();
                if let Some(prefix) = matching(&self.config.deny, line) {
                    return Ruling::Deny {
                        reason: format!(
                            "commands starting with {prefix:?} are refused (approvals.deny)"
                        ),
                    };
                }
                if let Some(prefix) = matching(&self.config.ask, line) {
                    return Ruling::Ask {
                        reason: format!(
                            "commands starting with {prefix:?} always ask (approvals.ask)"
                        ),
                    };
                }
                if matching(&self.grants, line).is_some() {
                    return Ruling::Allow;
                }
                match outside {
                    Some(why) => by_policy(self.config.outside, why),
                    None if matching(&self.config.allow, line).is_some() => Ruling::Allow,
                    None => by_policy(
                        self.config.command,
                        "a sandboxed command (approvals.command)",
                    ),
                }
            }
        }
    }
}

fn by_policy(policy: Policy, what: &str) -> Ruling {
    match policy {
        Policy::Auto => Ruling::Allow,
        Policy::Ask => Ruling::Ask {
            reason: what.to_string(),
        },
        Policy::Deny => Ruling::Deny {
            reason: format!("{what} is not allowed by the config"),
        },
    }
}

/// The first prefix `line` starts with, as a whole word ("cargo t" does not match "cargo test").
fn matching<'a>(prefixes: &'a [String], line: &str) -> Option<&'a str> {
    prefixes.iter().map(|p| p.trim()).find(|prefix| {
        line.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
    })
}

/// The prefix an "always allow" grant covers for `line`: its program and first argument
/// ("cargo test", "npm run", "pytest").
pub fn grant_prefix(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().take(2).collect();
    match words.as_slice() {
        [program, arg] if !arg.starts_with('-') => format!("{program} {arg}"),
        [program, ..] => (*program).to_string(),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::new(ApprovalsConfig {
            deny: vec!["rm -rf".into()],
            ask: vec!["git push".into()],
            allow: vec!["cargo test".into()],
            ..ApprovalsConfig::default()
        })
    }

    #[test]
    fn defaults_allow_worktree_work_and_ask_before_the_working_tree() {
        let r = rules();
        assert_eq!(r.rule(Action::PatchWorktree), Ruling::Allow);
        assert!(matches!(r.rule(Action::Apply), Ruling::Ask { .. }));
        let line = "python3 -m unittest";
        assert_eq!(
            r.rule(Action::Command {
                line,
                outside: None
            }),
            Ruling::Allow
        );
        let outside = Some("needs the network (pip install)");
        assert!(matches!(
            r.rule(Action::Command { line: "pip install x", outside }),
            Ruling::Ask { reason } if reason.contains("network")
        ));
    }

    #[test]
    fn prefix_rules_deny_first_then_ask_then_grants() {
        let mut r = rules();
        assert!(matches!(
            r.rule(Action::Command {
                line: "rm -rf /",
                outside: None
            }),
            Ruling::Deny { .. }
        ));
        assert!(matches!(
            r.rule(Action::Command {
                line: "git push origin",
                outside: None
            }),
            Ruling::Ask { .. }
        ));
        let outside = Some("needs the network");
        assert!(matches!(
            r.rule(Action::Command {
                line: "npm install",
                outside
            }),
            Ruling::Ask { .. }
        ));
        r.grant(&grant_prefix("npm install left-pad"));
        assert_eq!(
            r.rule(Action::Command {
                line: "npm install",
                outside
            }),
            Ruling::Allow
        );
        // A prefix matches whole words only.
        assert!(matches!(
            r.rule(Action::Command {
                line: "rm -rfx",
                outside: Some("x")
            }),
            Ruling::Ask { .. }
        ));
    }

    #[test]
    fn the_headless_override_turns_asks_into_answers() {
        let mut r = rules();
        r.override_asks(Policy::Auto);
        assert_eq!(r.rule(Action::Apply), Ruling::Allow);
        r.override_asks(Policy::Deny);
        assert!(matches!(r.rule(Action::Apply), Ruling::Deny { .. }));
        // A configured deny stays a deny either way.
        r.override_asks(Policy::Auto);
        assert!(matches!(
            r.rule(Action::Command {
                line: "rm -rf x",
                outside: None
            }),
            Ruling::Deny { .. }
        ));
    }

    #[test]
    fn grant_prefixes_take_the_program_and_its_subcommand() {
        assert_eq!(grant_prefix("cargo test --all"), "cargo test");
        assert_eq!(grant_prefix("pytest -q"), "pytest");
        assert_eq!(grant_prefix(""), "");
    }
}
