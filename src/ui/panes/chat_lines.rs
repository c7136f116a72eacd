//! The chat's conversation as screen lines: each message's label and paragraphs wrapped to the
//! width, fenced code drawn apart (a gutter, its own style, indentation kept, cut rather than
//! wrapped), the planner's reply while it streams, and the screen's own answers (`/status`,
//! an unknown command) placed after the message they followed. Built newest first and only
//! as far back as the screen reaches. Draws nothing itself; the chat pane does.

use ratatui::text::{Line, Span};

use crate::protocol::{ChatRole, EventId};

use super::super::text::{self, fit};
use super::super::theme::Theme;
use super::super::views::chat::{ChatView, Paragraph, paragraphs, role_label};

/// The most answers of the screen kept.
const NOTES_KEPT: usize = 50;

/// An answer of the screen itself, shown in the chat but never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The message it follows (`None`: before any).
    pub after: Option<EventId>,
    /// Its paragraphs.
    pub paragraphs: Vec<Paragraph>,
}

/// The screen's answers, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes(Vec<Note>);

impl Notes {
    /// Adds an answer after the newest message of `view`.
    pub fn push(&mut self, view: &ChatView, text: &str) {
        self.0.push(Note {
            after: view.messages().back().map(|m| m.id),
            paragraphs: paragraphs(text),
        });
        if self.0.len() > NOTES_KEPT {
            self.0.remove(0);
        }
    }

    /// The answers, oldest first.
    pub fn all(&self) -> &[Note] {
        &self.0
    }
}

/// The conversation's lines, newest first, at least `want` of them when there are as many.
pub fn lines_newest_first(
    view: &ChatView,
    notes: &Notes,
    width: usize,
    want: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let push = |block: Vec<Line<'static>>, lines: &mut Vec<Line<'static>>| {
        lines.extend(block.into_iter().rev());
    };
    if let Some(reply) = view.streaming() {
        push(streaming_block(&reply, width, theme), &mut lines);
    }
    let oldest_kept = view.messages().front().map(|m| m.id);
    for message in view.messages().iter().rev() {
        for note in notes
            .all()
            .iter()
            .rev()
            .filter(|n| n.after == Some(message.id))
        {
            push(note_block(note, width, theme), &mut lines);
        }
        let label = role_label(message.role);
        let style = theme.chat_role(message.role);
        push(
            block(label, style, &message.paragraphs, width, theme),
            &mut lines,
        );
        if lines.len() >= want {
            return lines;
        }
    }
    // Answers given before the first message kept (or before any message at all).
    for note in notes
        .all()
        .iter()
        .rev()
        .filter(|n| n.after.is_none() || n.after < oldest_kept)
    {
        push(note_block(note, width, theme), &mut lines);
    }
    lines
}

fn note_block(note: &Note, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let style = theme.chat_role(ChatRole::System);
    block("warroom", style, &note.paragraphs, width, theme)
}

fn streaming_block(reply: &[Paragraph], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let style = theme.chat_role(ChatRole::Planner);
    if reply.iter().all(|p| p.text.is_empty()) {
        return vec![Line::from(vec![
            Span::styled("planner", style),
            Span::styled(" is writing…", theme.dim()),
        ])];
    }
    let mut lines = block("planner", style, reply, width, theme);
    if let Some(last) = lines.last_mut() {
        last.spans.push(Span::styled(" ▍", theme.dim()));
    }
    lines
}

/// One message: "label: first paragraph" wrapped, later paragraphs indented two columns,
/// code cut to the width behind a gutter.
fn block(
    label: &'static str,
    label_style: ratatui::style::Style,
    paragraphs: &[Paragraph],
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    for (p, paragraph) in paragraphs.iter().enumerate() {
        if paragraph.code {
            if p == 0 {
                out.push(Line::from(vec![
                    Span::styled(label, label_style),
                    Span::raw(":"),
                ]));
            }
            let room = width.saturating_sub(4);
            out.push(Line::from(vec![
                Span::styled("  │ ", theme.dim()),
                Span::styled(fit(&paragraph.text, room), theme.hint()),
            ]));
        } else if p == 0 {
            let wrapped = text::wrap(&format!("{label}: {}", paragraph.text), width);
            for (i, line) in wrapped.into_iter().enumerate() {
                out.push(match line.strip_prefix(label) {
                    Some(rest) if i == 0 => Line::from(vec![
                        Span::styled(label, label_style),
                        Span::raw(rest.to_string()),
                    ]),
                    _ => Line::raw(line),
                });
            }
        } else {
            for line in text::wrap(&paragraph.text, width.saturating_sub(2)) {
                out.push(Line::raw(format!("  {line}")));
            }
        }
    }
    out
}
