//! One task in full, drawn below the task tree when the person presses Enter: title, status
//! and attempts, its agent and role, what it waits for, its subtree's progress, each patch
//! with its files and verdict, and the test runs with what failed. Draws only; the views
//! (`views::tasks`, `views::task_records`) hold the data.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::protocol::{TaskId, TaskStatus};

use super::super::format;
use super::super::text::{fit, wrap};
use super::super::theme::Theme;
use super::super::views::RunView;
use super::tasks::{glyph, progress_words};

/// Draws `task`'s details into `area` (the first row is a rule naming it).
pub fn render(buf: &mut Buffer, area: Rect, run: &RunView, task: TaskId, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let width = usize::from(area.width);
    let lines = lines(run, task, width, theme);
    for (y, line) in (area.y..area.bottom()).zip(lines.iter()) {
        buf.set_line(area.x, y, line, area.width);
    }
}

fn lines(run: &RunView, id: TaskId, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let view = &run.tasks;
    let Some(task) = view.get(id) else {
        return vec![Line::styled(
            fit(
                &format!("── task #{id} is not in this run · Esc closes "),
                width,
            ),
            theme.dim(),
        )];
    };
    let head = fit(
        &format!(
            " {} #{} {} · Esc closes ",
            glyph(task.status),
            task.id,
            task.title
        ),
        width.saturating_sub(2),
    );
    let rule = "─".repeat(width.saturating_sub(2 + super::super::text::width(&head)));
    let mut out = vec![Line::from(vec![
        Span::styled("──", theme.dim()),
        Span::styled(head, theme.task_status(task.status).patch(theme.bold())),
        Span::styled(rule, theme.dim()),
    ])];
    let mut push = |text: String, style: Style| {
        for l in wrap(&text, width) {
            out.push(Line::styled(l, style));
        }
    };
    let mut status = format!("status {}", task.status.as_str());
    if task.attempts > 0 {
        status.push_str(&format!(", attempt {}", task.attempts));
    }
    status.push_str(&progress_words(view, id));
    push(status, theme.task_status(task.status));
    let who = match task.owner.and_then(|a| run.agents.get(a)) {
        Some(agent) => format!(
            "agent {} (role {}, {})",
            agent.label(),
            agent.role,
            agent.model
        ),
        None => match task.owner {
            Some(a) => format!("agent {}", run.agents.label(a)),
            None => "no agent yet".to_string(),
        },
    };
    push(who, Style::default());
    if !task.deps.is_empty() {
        let deps: Vec<String> = task
            .deps
            .iter()
            .map(|d| {
                let state = view.get(*d).map_or("unknown", |t| t.status.as_str());
                format!("#{d} ({state})")
            })
            .collect();
        push(format!("waits for {}", deps.join(", ")), theme.dim());
    }
    let records = view.records();
    let patches = records.patches(id);
    if patches.is_empty() {
        push("no patches yet".into(), theme.dim());
    }
    for p in patches {
        let files = if p.files.is_empty() {
            "no files".to_string()
        } else {
            p.files.join(", ")
        };
        let (verdict, style) = match &p.verdict {
            Some((true, why)) => (
                format!("verified: {why}"),
                theme.task_status(TaskStatus::Done),
            ),
            Some((false, why)) => (
                format!("refuted: {why}"),
                theme.task_status(TaskStatus::Failed),
            ),
            None => ("not judged yet".to_string(), theme.dim()),
        };
        push(
            format!(
                "patch {} by {} · {files} · {verdict}",
                p.id,
                run.agents.label(p.agent)
            ),
            style,
        );
    }
    for r in records.runs(id) {
        let exit = r
            .exit_code
            .map_or("killed".to_string(), |c| format!("exit {c}"));
        let mut words = format!(
            "tests {} · {} · {exit} · {} passed, {} failed · {}",
            r.label,
            r.command,
            r.passed,
            r.failed.len(),
            format::millis(r.duration_ms)
        );
        if !r.failed.is_empty() {
            words.push_str(&format!(": {}", r.failed.join(", ")));
        }
        let style = if r.exit_code == Some(0) && r.failed.is_empty() {
            theme.task_status(TaskStatus::Done)
        } else {
            theme.warning()
        };
        push(words, style);
    }
    out
}
