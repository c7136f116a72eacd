//! The answers of the chat's question commands, in words: `/status` (one line about the run),
//! `/model` (the models chosen, the one in use, the fallbacks seen) and `/budget [USD]`
//! (spent against the budget; a new budget is explained, not pretended, since the core reads
//! `[budget] run_usd` when a run starts and has no command to change it). Pure: the screen's
//! view in, words out.

use super::super::format;
use super::submit::Shown;

/// `/status`: state, elapsed, tasks done of all, tokens, dollars (against the budget) and the
/// approvals that wait.
pub fn status(shown: Shown<'_>) -> String {
    let view = shown.view;
    let Some(run) = view.run() else {
        return "no run yet; type a goal (or /goal <text>) to start one".to_string();
    };
    let state = view.status.state.map_or("starting", |s| s.as_str());
    let mut parts = vec![format!("run {run} {state}")];
    if let Some(ms) = view.status.elapsed_ms(shown.now) {
        parts.push(format::elapsed(ms));
    }
    parts.push(format!(
        "tasks {}/{} done",
        view.tasks.done(),
        view.tasks.len()
    ));
    let total = view.agents.total();
    parts.push(format!("{} tokens", format::tokens(total.tokens)));
    parts.push(spent(shown));
    parts.push(match shown.approvals.len() {
        0 => "no approval waiting".to_string(),
        n => format!(
            "{n} approval{} waiting ({})",
            if n == 1 { "" } else { "s" },
            shown.approvals.ids()
        ),
    });
    parts.join(" · ")
}

/// `/model`: the models chosen for the run, the one of the latest call, the fallbacks seen.
pub fn models(shown: Shown<'_>) -> String {
    let status = &shown.view.status;
    let mut parts = Vec::new();
    parts.push(match &status.models {
        Some(chosen) => format!("models chosen: {chosen}"),
        None => "no models chosen yet in this run".to_string(),
    });
    if let Some(model) = &status.model {
        parts.push(format!("latest call: {model}"));
    }
    parts.push(if status.fallbacks.is_empty() {
        "no fallback so far".to_string()
    } else {
        format!("fell back to: {}", status.fallbacks.join(", "))
    });
    parts.join(" · ")
}

/// `/budget` shows what was spent against the budget; `/budget USD` says how to set one.
pub fn budget(shown: Shown<'_>, arg: &str) -> String {
    if arg.is_empty() {
        return spent(shown);
    }
    let wanted = arg.trim_start_matches('$');
    match wanted.parse::<f64>() {
        Ok(usd) if usd.is_finite() && usd >= 0.0 => format!(
            "the budget cannot be changed during a run: the core reads [budget] run_usd when a \
             run starts and has no command to change it. For the next run use `warroom --set \
             budget.run_usd={usd}` (or `warroom run --budget-usd {usd}`), or put run_usd = {usd} \
             under [budget] in .warroom/config.toml. Now: {}",
            spent(shown)
        ),
        _ => format!("/budget {arg}: give dollars, e.g. /budget 5 (0 means no limit)"),
    }
}

/// "$0.1234 spent of the $5.00 budget" (or "no budget").
fn spent(shown: Shown<'_>) -> String {
    let cost = shown.view.agents.total().cost_usd;
    let spent = format::dollars(cost);
    match shown.budget_usd {
        Some(budget) if budget > 0.0 => {
            let share = cost / budget * 100.0;
            format!("{spent} spent of the ${budget:.2} budget ({share:.0}%)")
        }
        Some(_) => format!("{spent} spent; no budget ([budget] run_usd = 0)"),
        None => format!("{spent} spent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Event, EventId, Millis, Record, RunId};
    use crate::ui::views::RunView;

    fn shown(view: &RunView, budget: Option<f64>) -> Shown<'_> {
        Shown {
            active: view.run(),
            run: view.run(),
            approvals: &view.approvals,
            view,
            budget_usd: budget,
            now: Millis(65_000),
        }
    }

    fn started() -> RunView {
        let mut view = RunView::for_run(RunId(2), 10);
        view.apply(&Record {
            id: EventId(1),
            run: RunId(2),
            at: Millis(5_000),
            event: Event::RunStarted {
                goal: "g".into(),
                repo: "r".into(),
            },
        });
        view
    }

    #[test]
    fn status_names_state_tasks_money_and_approvals() {
        let view = started();
        assert_eq!(
            status(shown(&view, Some(5.0))),
            "run 2 planning · 1m00s · tasks 0/0 done · 0 tokens · $0.0000 spent of the $5.00 \
             budget (0%) · no approval waiting"
        );
        let none = RunView::new(10);
        assert!(status(shown(&none, None)).starts_with("no run yet"));
    }

    #[test]
    fn budget_shows_and_refuses_to_pretend() {
        let view = started();
        assert_eq!(
            budget(shown(&view, Some(0.0)), ""),
            "$0.0000 spent; no budget ([budget] run_usd = 0)"
        );
        let set = budget(shown(&view, Some(1.0)), "5");
        assert!(set.starts_with("the budget cannot be changed during a run"));
        assert!(set.contains("budget.run_usd=5"));
        assert!(budget(shown(&view, None), "lots").contains("give dollars"));
        assert!(budget(shown(&view, None), "-3").contains("give dollars"));
    }

    #[test]
    fn models_lists_chosen_and_fallbacks() {
        let view = started();
        assert_eq!(
            models(shown(&view, None)),
            "no models chosen yet in this run · no fallback so far"
        );
    }
}
