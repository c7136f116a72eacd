//! What the chat input sends: plain text is a message to the planner while a run is active
//! and a new goal otherwise; `/goal <text>` always starts a run, `/cancel` cancels the active
//! run (after a yes), `/approve [N]` and `/deny [N] [reason]` decide a waiting approval of the
//! run shown (the oldest when N is left out), `/status`, `/budget` and `/model` answer in chat
//! from what the screen knows, `/help` opens help; anything else starting with `/` is answered
//! with the list of commands rather than sent. Pure: text in, decision out.

use crate::protocol::{ApprovalId, Command, Decision, Millis, RunId};

use super::super::views::RunView;
use super::super::views::approvals::ApprovalsView;
use super::chat_info;

/// What the screen shows, which decides what a text means.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    /// The run that is going on, if any.
    pub active: Option<RunId>,
    /// The run shown (active or not).
    pub run: Option<RunId>,
    /// Its approvals that wait.
    pub approvals: &'a ApprovalsView,
    /// Everything else the screen knows about the run (for `/status`, `/model`).
    pub view: &'a RunView,
    /// The run's budget in dollars (`None`: not known here).
    pub budget_usd: Option<f64>,
    /// Now, for the elapsed time.
    pub now: Millis,
}

/// The commands the chat knows, as the unknown-command answer lists them.
pub const KNOWN: &str = "/goal <text>, /status, /cancel, /budget [USD], /model, /approve [N], /deny [N] [reason], /help";

/// What a person sees when an approval command finds nothing to decide.
pub const NOTHING_WAITING: &str = "nothing is waiting for approval";

/// What to do with the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// Send this, and say this.
    Send(Command, String),
    /// Open the help overlay.
    Help,
    /// Send this after the person says yes to the question.
    Confirm(Command, String),
    /// Send nothing; answer in the chat with these words (kept on screen, not stored).
    Say(String),
    /// Send nothing; say why.
    Refuse(String),
}

/// Decides what `text` means on the screen `shown`.
pub fn parse(text: &str, shown: Shown<'_>) -> Submission {
    let active = shown.active;
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
            Some(run) => Submission::Confirm(
                Command::CancelRun { run },
                format!(
                    "Cancel run {run}? Every agent stops; work not yet approved is not applied."
                ),
            ),
            None => Submission::Refuse("no active run to cancel".into()),
        },
        "status" => Submission::Say(chat_info::status(shown)),
        "model" | "models" => Submission::Say(chat_info::models(shown)),
        "budget" => Submission::Say(chat_info::budget(shown, rest)),
        "approve" => match pick(rest, shown) {
            Ok((run, approval, _)) => decide(run, approval, Decision::Approved),
            Err(why) => Submission::Refuse(why),
        },
        "deny" => match pick(rest, shown) {
            Ok((run, approval, reason)) => decide(
                run,
                approval,
                Decision::Denied {
                    reason: reason.to_string(),
                },
            ),
            Err(why) => Submission::Refuse(why),
        },
        "help" => Submission::Help,
        other => Submission::Say(format!(
            "unknown command /{other}. The commands are: {KNOWN}. Text without a / goes to the planner."
        )),
    }
}

/// The command that decides `approval` of `run`, and what the hint says.
pub fn decide(run: RunId, approval: ApprovalId, decision: Decision) -> Submission {
    let said = match &decision {
        Decision::Approved => format!("sent: approve approval {approval}"),
        Decision::Denied { reason } if reason.is_empty() => {
            format!("sent: deny approval {approval}")
        }
        Decision::Denied { .. } => format!("sent: deny approval {approval}, with your reason"),
        Decision::ApprovedEdited { command } => {
            format!("sent: approve approval {approval}, edited to run `{command}`")
        }
        Decision::ApprovedPartial { .. } => {
            format!("sent: approve approval {approval}, only the hunks you accepted")
        }
    };
    Submission::Send(
        Command::DecideApproval {
            run,
            approval,
            decision,
        },
        said,
    )
}

/// The approval `rest` names ("3 why" or "why"; the oldest waiting one when it starts with no
/// number) and the words after its number.
fn pick<'t>(rest: &'t str, shown: Shown<'_>) -> Result<(RunId, ApprovalId, &'t str), String> {
    let (Some(run), Some(oldest)) = (shown.run, shown.approvals.first()) else {
        return Err(NOTHING_WAITING.to_string());
    };
    let (first, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let Ok(number) = first.trim_start_matches('#').parse::<u32>() else {
        return Ok((run, oldest.id, rest));
    };
    let approval = ApprovalId(number);
    match shown.approvals.get(approval) {
        Some(_) => Ok((run, approval, after.trim())),
        None => Err(format!(
            "approval {approval} is not waiting; waiting: {}",
            shown.approvals.ids()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, active: Option<RunId>) -> Submission {
        let none = ApprovalsView::default();
        let view = RunView::new(10);
        super::parse(
            text,
            Shown {
                active,
                run: active,
                approvals: &none,
                view: &view,
                budget_usd: None,
                now: Millis(0),
            },
        )
    }

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
            parse("/cancel", Some(RunId(7))),
            Submission::Confirm(
                Command::CancelRun { run: RunId(7) },
                "Cancel run 7? Every agent stops; work not yet approved is not applied.".into()
            )
        );
        assert!(matches!(parse("/cancel", None), Submission::Refuse(_)));
        assert!(matches!(parse("/goal", None), Submission::Refuse(_)));
        assert!(
            matches!(parse("/xyz now", None), Submission::Say(h) if h.contains("/xyz") && h.contains(KNOWN))
        );
        assert!(matches!(parse("   ", None), Submission::Refuse(_)));
        assert_eq!(parse("/help", None), Submission::Help);
    }
}
