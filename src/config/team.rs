//! Value types of the agent-team sections (`[team]`, `[sandbox]`, `[approvals]`, `[repo]`):
//! the approval policy of an action kind and lists of command prefixes. Deserialized by hand so
//! a wrong value names what is allowed.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::settings::quoted_list;

/// What happens when an agent wants to do something of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Go ahead without asking.
    Auto,
    /// Ask the person and wait for the answer.
    #[default]
    Ask,
    /// Refuse; the agent is told why.
    Deny,
}

impl Policy {
    const NAMES: [&'static str; 3] = ["auto", "ask", "deny"];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Auto => "auto",
            Policy::Ask => "ask",
            Policy::Deny => "deny",
        }
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PolicyVisitor;
        impl Visitor<'_> for PolicyVisitor {
            type Value = Policy;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "one of {}", quoted_list(&Policy::NAMES))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Policy, E> {
                match value {
                    "auto" => Ok(Policy::Auto),
                    "ask" => Ok(Policy::Ask),
                    "deny" => Ok(Policy::Deny),
                    other => Err(E::custom(format_args!(
                        "unknown policy {other:?}, expected one of {}",
                        quoted_list(&Policy::NAMES)
                    ))),
                }
            }
        }
        deserializer.deserialize_str(PolicyVisitor)
    }
}

/// A list of command prefixes ("cargo test", "npm run"): each non-empty, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefixes(pub Vec<String>);

impl<'de> Deserialize<'de> for Prefixes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let prefixes = Vec::<String>::deserialize(deserializer)?;
        for prefix in &prefixes {
            if prefix.trim().is_empty() || prefix.contains('\n') {
                return Err(de::Error::custom(format_args!(
                    "invalid command prefix {prefix:?}: a prefix is the start of a command line, \
                     non-empty and on one line (e.g. \"cargo test\")"
                )));
            }
        }
        Ok(Prefixes(prefixes))
    }
}

impl From<Prefixes> for Vec<String> {
    fn from(value: Prefixes) -> Vec<String> {
        value.0
    }
}

/// A command line that overrides detection; empty means "detect".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandOverride(pub String);

impl<'de> Deserialize<'de> for CommandOverride {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let line = String::deserialize(deserializer)?;
        if line.contains('\n') || line.contains('\0') {
            return Err(de::Error::custom(
                "a command must be one line (use `&&` or a script to chain steps)",
            ));
        }
        Ok(CommandOverride(line.trim().to_string()))
    }
}

impl From<CommandOverride> for String {
    fn from(value: CommandOverride) -> String {
        value.0
    }
}
