//! What the chat input sends: plain text is a message to the planner while a run is active
//! and a new goal otherwise; `/goal <text>` always starts a run, `/cancel` cancels the active
//! run, `/help` opens help; anything else starting with `/` is refused with a hint rather than
//! sent. Pure: text in, decision out.

use crate::protocol::{Command, RunId};

/// What to do with the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// Send this, and say this.
    Send(Command, String),
    /// Open the help overlay.
    Help,
    /// Send nothing; say why.
    Refuse(String),
}

/// Decides what `text` means; `active` is the run that is going on, if any.
pub fn parse(text: &str, active: Option<RunId>) -> Submission {
    let text = text.trim();
    if text.is_empty() {
        return Submission::Refuse(
            "nothing to send; type something first (Esc stops typing)".into(),
        );
    }
    let Some(command) = text.strip_prefix('/') else {
        return match active {
            Some(_) => Submission::Send(
                Command::SendChat {
                    text: text.to_string(),
                },
                "sent to the planner".into(),
            ),
            None => Submission::Send(
                Command::SubmitGoal {
                    text: text.to_string(),
                },
                "goal sent; a new run starts".into(),
            ),
        };
    };
    let (word, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let rest = rest.trim();
    match word {
        "goal" if rest.is_empty() => {
            Submission::Refuse("/goal needs the goal, e.g. /goal make the tests pass".into())
        }
        "goal" => Submission::Send(
            Command::SubmitGoal {
                text: rest.to_string(),
            },
            "goal sent; a new run starts".into(),
        ),
        "cancel" => match active {
            Some(run) => Submission::Send(
                Command::CancelRun { run },
                format!("asked to cancel run {run}"),
            ),
            None => Submission::Refuse("no active run to cancel".into()),
        },
        "help" => Submission::Help,
        other => Submission::Refuse(format!(
            "unknown command /{other}; try /goal <text>, /cancel or /help"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(s: Submission) -> Command {
        match s {
            Submission::Send(c, _) => c,
            other => panic!("not sent: {other:?}"),
        }
    }

    #[test]
    fn plain_text_depends_on_the_run() {
        assert_eq!(
            sent(parse(" hi ", Some(RunId(3)))),
            Command::SendChat { text: "hi".into() }
        );
        assert_eq!(
            sent(parse("fix it", None)),
            Command::SubmitGoal {
                text: "fix it".into()
            }
        );
    }

    #[test]
    fn slash_commands() {
        assert_eq!(
            sent(parse("/goal  add --json", Some(RunId(1)))),
            Command::SubmitGoal {
                text: "add --json".into()
            }
        );
        assert_eq!(
            sent(parse("/cancel", Some(RunId(7)))),
            Command::CancelRun { run: RunId(7) }
        );
        assert!(matches!(parse("/cancel", None), Submission::Refuse(_)));
        assert!(matches!(parse("/goal", None), Submission::Refuse(_)));
        assert!(matches!(parse("/xyz now", None), Submission::Refuse(h) if h.contains("/xyz")));
        assert!(matches!(parse("   ", None), Submission::Refuse(_)));
        assert_eq!(parse("/help", None), Submission::Help);
    }
}
