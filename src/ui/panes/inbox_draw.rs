//! Drawing the approval inbox over the panes: the queue (patches first, then oldest; stale
//! and already-sent ones marked), a rule naming the selected approval, and its detail: a
//! command with its reason, or the patch as a coloured diff by hunk with each hunk's accepted
//! or rejected mark. Only the visible rows of the queue and of the diff are visited, and only
//! those are cleaned of escape sequences, so 500 approvals or a 5,000-line diff cost what one
//! screenful costs. The prompt (deny reason, edited command, grant scope) sits at the bottom.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::super::format;
use super::super::text::{self, fit, pad, wrap};
use super::super::theme::Theme;
use super::super::views::RunView;
use super::super::views::approvals::{Asked, Pending, files_words};
use super::super::views::diff::RowKind;
use super::inbox::{InboxPane, PromptKind};
use crate::protocol::{ApprovalSubject, Millis};

/// The most characters of a diff row cleaned for display (the rest is off screen anyway).
const ROW_CHARS: usize = 400;
/// The gutter before each diff row: current-hunk mark, accepted mark, space.
const GUTTER: u16 = 3;

/// What the inbox needs besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct InboxContext<'a> {
    /// Now, for ages.
    pub now: Millis,
    /// Whether this screen can decide (owner, attach); a viewer is told how instead.
    pub can_decide: bool,
    /// A line about the latest decision seen ("approval 3 approved by owner").
    pub outcome: Option<&'a str>,
}

impl InboxPane {
    /// Draws the inbox over `area`.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        run: &RunView,
        cx: InboxContext<'_>,
        theme: &Theme,
    ) {
        Clear.render(area, buf);
        let count = run.approvals.len();
        let hints = if !cx.can_decide {
            " read-only · Esc close "
        } else if area.width >= 100 {
            " y approve · n deny · a always · e edit · Space hunk · ]/[ hunks · J/K scroll · Esc close "
        } else if area.width >= 60 {
            " y/n · a always · e edit · Space hunk · Esc "
        } else {
            " y/n/a/e · Esc "
        };
        let block = Block::bordered()
            .border_type(BorderType::Thick)
            .border_style(theme.border(true))
            .title(Line::from(vec![
                Span::styled(" Approvals ", theme.title(true)),
                Span::styled(format!("· {count} waiting "), theme.dim()),
            ]))
            .title_bottom(Line::styled(hints, theme.dim()));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let mut body = inner;
        if let Some(outcome) = cx.outcome {
            line(buf, body, outcome, theme.hint());
            body = below(body, 1);
        }
        let prompt_rows = if self.prompt.is_some() { 2 } else { 0 };
        let (body, prompt_area) = split_bottom(body, prompt_rows);
        if count == 0 {
            let words = "Nothing waits for you. Approvals from every agent land here: patch \
                         applies first (they block the run), then the oldest.";
            for (i, l) in wrap(words, usize::from(body.width))
                .into_iter()
                .take(usize::from(body.height))
                .enumerate()
            {
                line(buf, below(body, i as u16), &l, theme.dim());
            }
            return;
        }
        let list_h = (body.height / 3).clamp(1, 8).min(count as u16);
        let list = Rect {
            height: list_h,
            ..body
        };
        self.render_list(buf, list, run, cx.now, theme);
        let rest = below(body, list_h);
        let Some(pending) = self.selected(&run.approvals).cloned() else {
            return;
        };
        if rest.height > 0 {
            let rule = rule_words(&pending, run);
            let rule = format!("── {} {}", rule, "─".repeat(usize::from(rest.width)));
            line(buf, rest, &rule, theme.dim());
        }
        let mut detail = below(rest, 1);
        if !pending.stale.is_empty() && detail.height > 0 {
            let words = format!(
                "STALE: changed in your working tree since it was asked: {}",
                pending.stale.join(", ")
            );
            line(buf, detail, &words, theme.warning());
            detail = below(detail, 1);
        }
        match &*pending.subject {
            ApprovalSubject::Command { .. } => command_detail(buf, detail, &pending, theme),
            ApprovalSubject::Patch { .. } => {
                self.diff_of(&run.approvals);
                self.render_diff(buf, detail, &pending, theme);
            }
        }
        if let Some(area) = prompt_area {
            self.render_prompt(buf, area, &pending, theme);
        }
    }

    fn render_list(&mut self, buf: &mut Buffer, area: Rect, run: &RunView, now: Millis, t: &Theme) {
        let pending = run.approvals.pending();
        let rows = self.list.window(usize::from(area.height), pending.len());
        let width = usize::from(area.width);
        for (y, i) in (area.y..).zip(rows) {
            let p = &pending[i];
            let age = format::elapsed((now.0 - p.requested_at.0).max(0));
            let mut tags = String::new();
            if !p.stale.is_empty() {
                tags.push_str(" STALE");
            }
            if self.was_sent(p.id) {
                tags.push_str(" sent");
            }
            let kind = if p.blocks_run() { "patch" } else { "cmd" };
            let head = format!("#{:<3} {kind:<5} {:>6} ", p.id.0, age);
            let who = format!("{}: ", run.agents.label(p.agent));
            let words = p.asked.words();
            let selected = i == self.list.selected;
            let style = if selected {
                t.selected(true)
            } else {
                Style::default()
            };
            let room = width.saturating_sub(text::width(&head) + text::width(&tags));
            let spans = vec![
                Span::styled(head, if selected { style } else { t.dim() }),
                Span::styled(pad(&format!("{who}{words}"), room), style),
                Span::styled(tags, t.warning()),
            ];
            buf.set_line(area.x, y, &Line::from(spans), area.width);
        }
    }

    fn render_diff(&mut self, buf: &mut Buffer, area: Rect, pending: &Pending, theme: &Theme) {
        let id = pending.id;
        let height = usize::from(area.height);
        self.detail_height = height;
        let part = self.part;
        let Some(view) = self.shown.as_ref().map(|(_, v)| v) else {
            return;
        };
        let rows = view.rows();
        self.scroll = self.scroll.min(rows.len().saturating_sub(height.max(1)));
        let text_w = usize::from(area.width.saturating_sub(GUTTER));
        for (y, row) in (area.y..area.bottom()).zip(&rows[self.scroll.min(rows.len())..]) {
            let rejected = row.part.is_some_and(|p| self.is_rejected(id, p));
            let current = row.part == Some(part) && view.parts() > 1;
            let mark = match row.kind {
                RowKind::Hunk | RowKind::File if row.part.is_some() => {
                    if rejected {
                        "✗"
                    } else {
                        "✓"
                    }
                }
                _ => " ",
            };
            let raw = view.text(row);
            let cleaned = text::clean_line(raw, ROW_CHARS).text;
            let shown = if row.kind == RowKind::File {
                format!("{cleaned} ")
            } else {
                cleaned
            };
            let spans = vec![
                Span::styled(if current { "▌" } else { " " }, theme.hint()),
                Span::styled(
                    mark,
                    if rejected {
                        theme.warning()
                    } else {
                        theme.gauge()
                    },
                ),
                Span::raw(" "),
                Span::styled(fit(&shown, text_w), theme.diff(row.kind, rejected)),
            ];
            buf.set_line(area.x, y, &Line::from(spans), area.width);
        }
    }

    fn render_prompt(&mut self, buf: &mut Buffer, area: Rect, pending: &Pending, theme: &Theme) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        let id = prompt.approval;
        let (ask, keys) = match prompt.kind {
            PromptKind::Deny => (
                format!("deny approval {id}, why: "),
                "Enter sends · Esc cancels",
            ),
            PromptKind::Edit => (
                format!("run instead ({id}): "),
                "Enter approves the edited line · Esc cancels",
            ),
            PromptKind::Scope => {
                let prefix = match &*pending.subject {
                    ApprovalSubject::Command { command, .. } => {
                        text::clean_line(&crate::core::team::policy::grant_prefix(command), 80).text
                    }
                    ApprovalSubject::Patch { .. } => String::new(),
                };
                (
                    format!("approve {id} and always allow `{prefix}`: "),
                    "r this run · R every run of this repository · Esc cancels",
                )
            }
        };
        let rule = Rect { height: 1, ..area };
        let input = below(area, 1);
        if prompt.kind == PromptKind::Scope {
            // Nothing is typed: the keys get the second line, so they are never cut off.
            line(buf, rule, &ask, theme.hint());
            line(buf, input, keys, theme.bold());
            return;
        }
        line(buf, rule, &format!("{ask}{keys}"), theme.hint());
        if input.height > 0 {
            buf.set_string(input.x, input.y, "> ", theme.bold());
            let field = Rect {
                x: input.x + 2,
                width: input.width.saturating_sub(2),
                height: 1,
                ..input
            };
            (&prompt.input).render(field, buf);
        }
    }
}

/// A command, why it asks, and what the keys do with it.
fn command_detail(buf: &mut Buffer, area: Rect, pending: &Pending, theme: &Theme) {
    let ApprovalSubject::Command { command, reason } = &*pending.subject else {
        return;
    };
    let width = usize::from(area.width).max(1);
    let mut lines: Vec<(String, Style)> = vec![("command".into(), theme.bold())];
    for l in command.lines().take(40) {
        for w in wrap(&text::clean_line(l, 2000).text, width.saturating_sub(2)) {
            lines.push((format!("  {w}"), theme.hint()));
        }
    }
    lines.push(("why it asks".into(), theme.bold()));
    for w in wrap(
        &text::clean_line(reason, 2000).text,
        width.saturating_sub(2),
    ) {
        lines.push((format!("  {w}"), Style::default()));
    }
    for (i, (l, style)) in lines.into_iter().take(usize::from(area.height)).enumerate() {
        line(buf, below(area, i as u16), &l, style);
    }
}

/// "approval 3 · verifier · patch +12 -3, 2 files: a, b".
fn rule_words(pending: &Pending, run: &RunView) -> String {
    let what = match &pending.asked {
        Asked::Command { .. } => "command".to_string(),
        Asked::Patch {
            files,
            added,
            removed,
        } => format!("patch +{added} -{removed}, {}", files_words(files)),
    };
    format!(
        "approval {} · {} · {what}",
        pending.id,
        run.agents.label(pending.agent)
    )
}

/// Writes one line at the top of `area`, cut to its width.
fn line(buf: &mut Buffer, area: Rect, text: &str, style: Style) {
    if area.height == 0 {
        return;
    }
    buf.set_stringn(area.x, area.y, text, usize::from(area.width), style);
}

/// `area` without its first `rows` rows.
fn below(area: Rect, rows: u16) -> Rect {
    let rows = rows.min(area.height);
    Rect {
        y: area.y + rows,
        height: area.height - rows,
        ..area
    }
}

/// `area` split into a top part and `rows` at the bottom (none when too small).
fn split_bottom(area: Rect, rows: u16) -> (Rect, Option<Rect>) {
    if rows == 0 || area.height <= rows {
        return (area, None);
    }
    let top = Rect {
        height: area.height - rows,
        ..area
    };
    let bottom = Rect {
        y: area.y + area.height - rows,
        height: rows,
        ..area
    };
    (top, Some(bottom))
}
