//! One memory entry in full, below the inspector's list: its words wrapped, then where it
//! came from (run, task, agent, source event, time) and what happened to it since (edited,
//! flagged, pinned); and the editor (a tui-textarea) while the person edits it. Draws only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::super::format;
use super::super::text::{self, fit, wrap};
use super::super::theme::Theme;
use super::super::views::memory::MemoryEntry;
use super::memory::Input;

/// Draws `entry`'s detail into `area` (the first row is a rule naming it).
pub fn render(buf: &mut Buffer, area: Rect, entry: &MemoryEntry, theme: &Theme) {
    let width = usize::from(area.width);
    let mut lines = vec![rule(
        &format!(" memory #{} · {} · Esc closes ", entry.id, entry.kind),
        width,
        theme,
    )];
    let mut facts = Vec::new();
    if entry.pinned {
        facts.push(Line::styled(
            "pinned: always considered first",
            theme.pinned(),
        ));
    }
    if let Some(why) = &entry.flagged {
        facts.push(Line::styled(
            fit(&format!("flagged: {why}"), width),
            theme.warning(),
        ));
    }
    facts.push(Line::styled(fit(&provenance(entry), width), theme.dim()));
    let room = usize::from(area.height).saturating_sub(1 + facts.len());
    let words = wrap(&entry.text, width);
    let cut = words.len() > room;
    let shown = if cut {
        room.saturating_sub(1)
    } else {
        words.len()
    };
    lines.extend(words.into_iter().take(shown).map(Line::raw));
    if cut && room > 0 {
        lines.push(Line::styled("… (z zooms the pane)", theme.dim()));
    }
    lines.extend(facts);
    for (y, line) in (area.y..area.bottom()).zip(lines.iter()) {
        buf.set_line(area.x, y, line, area.width);
    }
}

/// Draws the editor for the entry being edited into `area`.
pub fn editor(buf: &mut Buffer, area: Rect, input: &Input, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let width = usize::from(area.width);
    let title = match input.kind {
        super::memory::InputKind::Edit(id) => {
            format!(" editing memory #{id} · Enter saves · Esc cancels ")
        }
        super::memory::InputKind::Search => " search ".to_string(),
    };
    buf.set_line(area.x, area.y, &rule(&title, width, theme), area.width);
    let field = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    (&input.area).render(field, buf);
}

/// Where an entry came from, in one line.
pub fn provenance(entry: &MemoryEntry) -> String {
    if !entry.provenance {
        return format!(
            "written {} · provenance loads with a search or a tab (h/l)",
            format::clock(entry.created_at)
        );
    }
    let mut parts = vec![format!("written {}", format::clock(entry.created_at))];
    parts.push(entry.run.map_or("no run".into(), |r| format!("run {r}")));
    if let Some(task) = entry.task {
        parts.push(format!("task #{task}"));
    }
    parts.push(
        entry
            .agent
            .map_or("by the person".into(), |a| format!("agent #{a}")),
    );
    if let Some(event) = entry.source_event {
        parts.push(format!("event {event}"));
    }
    if let Some(at) = entry.edited_at {
        parts.push(format!("edited {}", format::clock(at)));
    }
    parts.join(" · ")
}

fn rule(words: &str, width: usize, theme: &Theme) -> Line<'static> {
    let words = fit(words, width.saturating_sub(2));
    let rest = "─".repeat(width.saturating_sub(2 + text::width(&words)));
    Line::from(vec![
        Span::styled("──", theme.dim()),
        Span::styled(words, theme.bold()),
        Span::styled(rest, theme.dim()),
    ])
}
