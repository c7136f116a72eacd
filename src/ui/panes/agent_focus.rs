//! The focused agent's detail, drawn in the lower part of the family tree pane: a headline
//! (role#id, status, time, task), its context window (each part's kind, label and tokens, the
//! total against the model's window when known), the memories injected into it, and the live
//! token stream of its current model call, newest words at the bottom. Draws only; the view
//! (`views::agent_detail`) holds the data and the pane decides when it is shown.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::protocol::{AgentId, Millis};

use super::super::format;
use super::super::text::{self, fit, pad, pad_left};
use super::super::theme::Theme;
use super::super::views::RunView;
use super::super::views::agent_detail::AgentDetail;
use super::agents::glyph;

/// The most context parts listed before "… N more".
const PARTS_SHOWN: usize = 8;

/// Splits the pane's inside: the tree keeps the top (at least three rows), the detail gets the
/// rest below a rule. A short pane gives the detail all but one row.
pub fn split(inner: Rect) -> (Rect, Rect) {
    let tree_h = if inner.height >= 12 {
        (inner.height * 2 / 5).max(3)
    } else {
        1.min(inner.height)
    };
    let tree = Rect {
        height: tree_h,
        ..inner
    };
    let detail = Rect {
        y: inner.y + tree_h,
        height: inner.height - tree_h,
        ..inner
    };
    (tree, detail)
}

/// Draws `agent`'s detail into `area` (the first row is a rule naming it).
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    run: &RunView,
    agent: AgentId,
    now: Millis,
    theme: &Theme,
) {
    if area.is_empty() {
        return;
    }
    let width = usize::from(area.width);
    let empty = AgentDetail::default();
    let detail = run.agents.detail(agent).unwrap_or(&empty);
    let mut top: Vec<Line> = vec![headline(run, agent, now, width, theme)];
    top.extend(context_lines(detail, width, theme));
    top.extend(memory_lines(detail, width, theme));
    let height = usize::from(area.height);
    // The stream gets what is left, and at least three rows when it has words.
    let stream_min = if detail.stream.is_empty() { 1 } else { 4 };
    let top_kept = top.len().min(height.saturating_sub(stream_min).max(1));
    top.truncate(top_kept);
    let mut lines = top;
    lines.extend(stream_lines(detail, width, height - lines.len(), theme));
    for (y, line) in (area.y..area.bottom()).zip(lines.iter()) {
        buf.set_line(area.x, y, line, area.width);
    }
}

fn headline(
    run: &RunView,
    agent: AgentId,
    now: Millis,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let Some(a) = run.agents.get(agent) else {
        return Line::styled(
            fit(
                &format!("── agent#{agent} is not in this run · Esc unfocuses "),
                width,
            ),
            theme.dim(),
        );
    };
    let mut words = format!(" {} {} · {}", glyph(a.status), a.label(), a.status.as_str());
    if let Some(ms) = a.elapsed(now) {
        words.push_str(&format!(" {}", format::elapsed(ms)));
    }
    if let Some(task) = a.task {
        let title = run.tasks.get(task).map_or("", |t| t.title.as_str());
        words.push_str(&format!(" · task #{task} {title}"));
    }
    words.push_str(" · Esc unfocuses ");
    let words = fit(&words, width.saturating_sub(2));
    let rule = "─".repeat(width.saturating_sub(2 + text::width(&words)));
    Line::from(vec![
        Span::styled("──", theme.dim()),
        Span::styled(words, theme.agent_status(a.status).patch(theme.bold())),
        Span::styled(rule, theme.dim()),
    ])
}

fn context_lines(detail: &AgentDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    if !detail.has_context {
        return vec![Line::styled(
            "context: nothing sent to a model yet",
            theme.dim(),
        )];
    }
    let total = detail.context_tokens();
    let head = if detail.window > 0 {
        let percent = (total as f64 / detail.window as f64 * 100.0).round();
        format!(
            "context {} / {} tokens ({percent:.0}%) in {} parts",
            format::tokens(total),
            format::tokens(detail.window),
            detail.parts.len()
        )
    } else {
        format!(
            "context {} tokens in {} parts (window unknown)",
            format::tokens(total),
            detail.parts.len()
        )
    };
    let over = detail.window > 0 && total > detail.window;
    let style = if over { theme.warning() } else { theme.bold() };
    let mut lines = vec![Line::styled(fit(&head, width), style)];
    let label_w = width.saturating_sub(2 + 9 + 1 + 7);
    for part in detail.parts.iter().take(PARTS_SHOWN) {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(pad(&part.kind, 9), theme.dim()),
            Span::raw(" "),
            Span::raw(pad(&part.label, label_w)),
            Span::raw(pad_left(&format::tokens(part.tokens), 7)),
        ]));
    }
    if detail.parts.len() > PARTS_SHOWN {
        let rest = &detail.parts[PARTS_SHOWN..];
        let tokens = rest.iter().fold(0u64, |s, p| s.saturating_add(p.tokens));
        lines.push(Line::styled(
            fit(
                &format!(
                    "  … {} more parts, {} tokens",
                    rest.len(),
                    format::tokens(tokens)
                ),
                width,
            ),
            theme.dim(),
        ));
    }
    lines
}

fn memory_lines(detail: &AgentDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    detail
        .injected
        .iter()
        .rev()
        .map(|i| {
            let ids: Vec<String> = i.memories.iter().map(|m| format!("#{m}")).collect();
            let task = i.task.map_or(String::new(), |t| format!(" for task #{t}"));
            let words = format!(
                "memory injected{task}: {} ({} tokens)",
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(" ")
                },
                format::tokens(i.tokens)
            );
            Line::styled(fit(&words, width), theme.pinned())
        })
        .collect()
}

fn stream_lines(
    detail: &AgentDetail,
    width: usize,
    rows: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    if rows == 0 {
        return Vec::new();
    }
    let head = match (detail.call, detail.streaming) {
        (None, _) => "live: no model call yet".to_string(),
        (Some(call), true) => format!("live: call #{call} streaming…"),
        (Some(call), false) => format!("last answer: call #{call}"),
    };
    let mut lines = vec![Line::styled(fit(&head, width), theme.dim())];
    if detail.stream.is_empty() {
        return lines;
    }
    let mut wrapped: Vec<String> = detail
        .stream
        .split('\n')
        .flat_map(|l| text::wrap(l, width.max(1)))
        .collect();
    if detail.stream_cut {
        wrapped.insert(0, "…".to_string());
    }
    let keep = rows - 1;
    let skip = wrapped.len().saturating_sub(keep);
    lines.extend(
        wrapped
            .into_iter()
            .skip(skip)
            .map(|l| Line::styled(l, Style::default())),
    );
    lines
}
