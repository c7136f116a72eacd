//! The status bar: one line with the run and its state, a badge counting the approvals that
//! wait with the first of them and the keys that decide it ("2 waiting · approval 3: a approve
//! · d deny · A inbox"), elapsed time, tokens, dollars against the budget ("$0.12/$5.00"),
//! the response cache's hit rate, the model of the latest call and any fallback hop ("fell
//! back to local/qwen"), the mode ("owner" / "attach" / "viewer, read-only, owner pid N"), the latest
//! hint or notice and the key hints. When the line is too narrow, the least important parts
//! go first and the notice is cut, so it reads at 40 columns. Draws only; holds no state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::protocol::{ApprovalId, Millis};

use super::super::format;
use super::super::text::{fit, width};
use super::super::theme::Theme;
use super::super::views::RunView;

/// The mode in words, long and short (the short one for narrow terminals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeWords {
    /// "owner", "attach, owner pid N" or "viewer, read-only, owner pid N".
    pub long: String,
    /// "owner" or "read-only, pid N".
    pub short: String,
}

/// What the bar shows besides the run.
#[derive(Debug, Clone, Copy)]
pub struct StatusLine<'a> {
    /// The mode.
    pub mode: &'a ModeWords,
    /// Whether the mode needs attention (owner gone).
    pub mode_warning: bool,
    /// The latest hint or notice.
    pub message: Option<(&'a str, bool)>,
    /// Now, for the elapsed time.
    pub now: Millis,
    /// Whether `a` and `d` decide approvals here (owner and attach); a viewer is pointed to
    /// `warroom approve` instead.
    pub can_decide: bool,
    /// The run's budget in dollars (`[budget] run_usd`; `None` or 0: no limit).
    pub budget_usd: Option<f64>,
    /// The keys that approve, deny and open the inbox now (`[keys]` remaps included).
    pub keys: &'a DecideKeys,
}

/// The keys the bar names for deciding approvals, as the key table has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideKeys {
    /// Approves the oldest approval.
    pub approve: String,
    /// Denies it.
    pub deny: String,
    /// Opens the inbox.
    pub inbox: String,
}

impl Default for DecideKeys {
    fn default() -> Self {
        DecideKeys {
            approve: "a".into(),
            deny: "d".into(),
            inbox: "A".into(),
        }
    }
}

struct Segment<'a> {
    /// The ways to say it, longest first.
    forms: Vec<Vec<Span<'a>>>,
    rank: u8,
    /// The shortest form may be cut to fit (it must be one span).
    flexible: bool,
    /// Pushed to the right edge.
    right: bool,
}

impl<'a> Segment<'a> {
    fn new(spans: Vec<Span<'a>>, rank: u8) -> Self {
        Segment {
            forms: vec![spans],
            rank,
            flexible: false,
            right: false,
        }
    }
}

/// Draws the bar on `area`'s first line.
pub fn render(buf: &mut Buffer, area: Rect, run: &RunView, line: StatusLine<'_>, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let status = &run.status;
    let mut segments: Vec<Segment<'_>> = Vec::new();
    segments.push(match (status.run, status.state) {
        (Some(id), Some(state)) => Segment::new(
            vec![
                Span::styled(format!("run {id} "), theme.bold()),
                Span::styled(state.as_str(), theme.run_state(state)),
            ],
            10,
        ),
        (Some(id), None) => Segment::new(vec![Span::styled(format!("run {id}"), theme.bold())], 10),
        (None, _) => Segment::new(vec![Span::styled("no run", theme.dim())], 10),
    });
    if let Some(oldest) = run.approvals.first() {
        // Ranked with the run itself: a waiting approval is what the person must act on.
        segments.push(Segment {
            forms: approval_forms(oldest.id, run.approvals.len(), line, area.width)
                .into_iter()
                .map(|form| vec![Span::styled(form, theme.badge())])
                .collect(),
            ..Segment::new(Vec::new(), 10)
        });
    }
    if let Some(ms) = status.elapsed_ms(line.now) {
        segments.push(Segment::new(vec![Span::raw(format::elapsed(ms))], 4));
    }
    if status.run.is_some() {
        let total = run.agents.total();
        segments.push(Segment::new(
            vec![Span::raw(format!("{} tok", format::tokens(total.tokens)))],
            3,
        ));
        let spent = format::dollars(total.cost_usd);
        let mut forms = Vec::new();
        if let Some(budget) = line.budget_usd.filter(|b| *b > 0.0) {
            let style = if total.cost_usd >= budget {
                theme.warning()
            } else {
                Style::default()
            };
            forms.push(vec![Span::styled(format!("{spent}/${budget:.2}"), style)]);
        }
        forms.push(vec![Span::raw(spent)]);
        segments.push(Segment {
            forms,
            ..Segment::new(Vec::new(), 5)
        });
    }
    if let Some(rate) = status.cache_rate() {
        segments.push(Segment {
            forms: vec![vec![Span::styled(format!("cache {rate}%"), theme.dim())]],
            ..Segment::new(Vec::new(), 2)
        });
    }
    if let Some((from, to)) = &status.fell_back {
        // A fallback changes cost and quality: it ranks with the dollars, above the time.
        segments.push(Segment {
            forms: vec![
                vec![Span::styled(
                    format!("fell back {from} → {to}"),
                    theme.warning(),
                )],
                vec![Span::styled(format!("fell back to {to}"), theme.warning())],
            ],
            flexible: true,
            ..Segment::new(Vec::new(), 5)
        });
    } else if let Some(model) = &status.model {
        segments.push(Segment {
            flexible: true,
            ..Segment::new(vec![Span::styled(format!("model {model}"), theme.dim())], 1)
        });
    } else if let Some(models) = &status.models {
        // The least important segment: shown where there is room, cut to fit.
        segments.push(Segment {
            flexible: true,
            ..Segment::new(
                vec![Span::styled(format!("model {models}"), theme.dim())],
                1,
            )
        });
    }
    let mode_style = if line.mode_warning {
        theme.warning()
    } else {
        theme.dim()
    };
    if line.mode.short == line.mode.long {
        segments.push(Segment::new(
            vec![Span::styled(line.mode.long.to_string(), mode_style)],
            2,
        ));
    } else {
        // Below 80 columns the short words leave room for the approvals and the help hint.
        let words = if area.width >= 80 {
            &line.mode.long
        } else {
            &line.mode.short
        };
        segments.push(Segment {
            flexible: true,
            ..Segment::new(vec![Span::styled(words.to_string(), mode_style)], 8)
        });
    }
    if let Some((message, warning)) = line.message {
        let style = if warning {
            theme.warning()
        } else {
            theme.hint()
        };
        segments.push(Segment {
            flexible: true,
            ..Segment::new(vec![Span::styled(message.to_string(), style)], 9)
        });
    }
    segments.push(Segment {
        forms: vec![
            vec![Span::styled("? help  q quit", theme.dim())],
            vec![Span::styled("? help", theme.dim())],
        ],
        right: true,
        ..Segment::new(Vec::new(), 6)
    });
    let line = arrange(segments, usize::from(area.width));
    buf.set_line(area.x, area.y, &line, area.width);
}

/// The ways to say that `count` approvals wait, the first being `id`, longest first; every
/// form starts with the count (the badge). While a hint or notice shows on a bar under 100
/// columns, only the shorter forms are offered, so the message keeps room to be read. A viewer
/// cannot decide here, so its bar names no keys and leaves the room to the read-only words.
fn approval_forms(id: ApprovalId, count: usize, line: StatusLine<'_>, width: u16) -> Vec<String> {
    let roomy = line.message.is_none() || width >= 100;
    let DecideKeys {
        approve: a,
        deny: d,
        inbox,
    } = line.keys;
    let mut forms = Vec::new();
    if !line.can_decide {
        // Below 80 columns the viewer's read-only words need the room more.
        if roomy && width >= 80 {
            forms.push(format!(" {count} waiting · approval {id} "));
        }
        if roomy || width >= 60 {
            forms.push(format!(" {count} waiting "));
        }
    } else {
        if roomy && width >= 100 {
            forms.push(format!(
                " {count} waiting · approval {id}: {a} approve · {d} deny · {inbox} inbox "
            ));
        }
        if roomy {
            forms.push(format!(
                " {count} waiting · approval {id}: {a} approve · {d} deny "
            ));
        }
        if roomy || width >= 80 {
            forms.push(format!(" {count} waiting · {id}: {a} approve · {d} deny "));
        }
        if (roomy && width >= 50) || width >= 60 {
            forms.push(format!(" {count} waiting · {id}: {a}/{d} · {inbox} "));
        }
        if roomy {
            forms.push(format!(" [{count}] {id}: {a}/{d} "));
        }
    }
    forms.push(format!(" {count}! "));
    forms
}

/// Admits segments most important first, each in its longest form that fits in the room left
/// (two spaces between); a flexible one that fits in no form is cut to the room if at least a
/// few columns remain. A `right` segment takes the spare columns as padding before it.
fn arrange(segments: Vec<Segment<'_>>, columns: usize) -> Line<'_> {
    const GAP: usize = 2;
    const MIN_FLEX: usize = 12;
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(segments[*i].rank));
    // (form index, columns given)
    let mut chosen: Vec<Option<(usize, usize)>> = vec![None; segments.len()];
    let mut used = 0usize;
    for i in order {
        let gap = if used == 0 { 0 } else { GAP };
        let room = columns.saturating_sub(used + gap);
        let segment = &segments[i];
        let fitting = segment.forms.iter().enumerate().find_map(|(f, form)| {
            let w: usize = form.iter().map(|s| width(&s.content)).sum();
            (w <= room).then_some((f, w))
        });
        let pick = match fitting {
            Some(pick) => Some(pick),
            None if segment.flexible && room >= MIN_FLEX => Some((segment.forms.len() - 1, room)),
            None => None,
        };
        if let Some((f, w)) = pick {
            chosen[i] = Some((f, w));
            used += gap + w;
        }
    }
    let mut spare = columns.saturating_sub(used);
    let mut spans: Vec<Span<'_>> = Vec::new();
    for (i, segment) in segments.into_iter().enumerate() {
        let Some((f, room)) = chosen[i] else { continue };
        if !spans.is_empty() {
            let extra = if segment.right {
                std::mem::take(&mut spare)
            } else {
                0
            };
            spans.push(Span::raw(" ".repeat(GAP + extra)));
        }
        for span in segment.forms.into_iter().nth(f).unwrap_or_default() {
            let content = if segment.flexible {
                fit(&span.content, room)
            } else {
                span.content.into_owned()
            };
            spans.push(Span::styled(content, span.style));
        }
    }
    Line::from(spans).style(Style::default())
}
