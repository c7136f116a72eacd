//! Where things go on the screen, by terminal size: wide (>= 120 columns: agents and tasks on
//! the left, logs in the middle, memory and chat on the right), medium (80-119: two columns),
//! compact (< 80 columns or a short terminal: one pane at a time under a tab strip), the side
//! pane (40-60 columns, e.g. a tmux split beside an editor: the compact layout whose first
//! tab, the family tree, shares its place with the waiting approvals; the status bar stays),
//! and the "too small" floor below 40x10. Pure geometry: draws nothing, holds no state.

use ratatui::layout::{Constraint, Layout, Rect};

use super::panes::PaneId;

/// The smallest terminal the panes are drawn in.
pub const MIN_WIDTH: u16 = 40;
/// The smallest terminal the panes are drawn in.
pub const MIN_HEIGHT: u16 = 10;

/// Which arrangement a terminal size gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Three columns, all five panes.
    Wide,
    /// Two columns, all five panes.
    Medium,
    /// One pane at a time under a tab strip.
    Compact,
}

/// The rectangles of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// The arrangement.
    pub kind: Kind,
    /// The panes to draw and where.
    pub panes: Vec<(PaneId, Rect)>,
    /// The tab strip (compact only).
    pub tabs: Option<Rect>,
    /// The status bar: the bottom line.
    pub status: Rect,
}

/// Whether `area` is below the floor.
pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The widest terminal that gets the side-pane layout.
pub const SIDE_MAX_WIDTH: u16 = 60;
/// The most approval rows the side pane's box shows.
const SIDE_APPROVAL_ROWS: u16 = 5;

/// The side-pane layout: with the family tree shown in 40-60 columns and `waiting` approvals,
/// the tree's place is split, the approvals' box below it (up to five rows, never more than
/// half). Returns the box; leaves `screen` alone when nothing waits or there is no room.
pub fn side_approvals(screen: &mut Screen, waiting: usize) -> Option<Rect> {
    if screen.kind != Kind::Compact || screen.status.width > SIDE_MAX_WIDTH || waiting == 0 {
        return None;
    }
    let (_, tree) = screen
        .panes
        .iter_mut()
        .find(|(p, _)| *p == PaneId::Agents)?;
    let rows = u16::try_from(waiting)
        .unwrap_or(u16::MAX)
        .min(SIDE_APPROVAL_ROWS)
        + 2;
    let rows = rows.min(tree.height / 2);
    if rows < 3 {
        return None;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(rows)]).areas(*tree);
    *tree = top;
    Some(bottom)
}

/// The arrangement for `area`.
pub fn kind(area: Rect) -> Kind {
    if area.width < 80 || area.height < 16 {
        Kind::Compact
    } else if area.width < 120 {
        Kind::Medium
    } else {
        Kind::Wide
    }
}

/// Lays out `area` with `focus` focused, zoomed or not.
pub fn compute(area: Rect, focus: PaneId, zoomed: bool) -> Screen {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let kind = kind(area);
    let (panes, tabs) = match kind {
        Kind::Compact => {
            let [tabs, pane] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(main);
            (vec![(focus, pane)], Some(tabs))
        }
        _ if zoomed => (vec![(focus, main)], None),
        Kind::Medium => (medium(main), None),
        Kind::Wide => (wide(main), None),
    };
    Screen {
        kind,
        panes,
        tabs,
        status,
    }
}

fn wide(main: Rect) -> Vec<(PaneId, Rect)> {
    let [left, center, right] = Layout::horizontal([
        Constraint::Percentage(37),
        Constraint::Percentage(37),
        Constraint::Percentage(26),
    ])
    .areas(main);
    let [agents, tasks] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(left);
    let [memory, chat] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(right);
    vec![
        (PaneId::Agents, agents),
        (PaneId::Tasks, tasks),
        (PaneId::Logs, center),
        (PaneId::Memory, memory),
        (PaneId::Chat, chat),
    ]
}

fn medium(main: Rect) -> Vec<(PaneId, Rect)> {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(main);
    let [agents, tasks, memory] = Layout::vertical([
        Constraint::Percentage(30),
        Constraint::Percentage(40),
        Constraint::Percentage(30),
    ])
    .areas(left);
    let [logs, chat] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
    vec![
        (PaneId::Agents, agents),
        (PaneId::Tasks, tasks),
        (PaneId::Logs, logs),
        (PaneId::Memory, memory),
        (PaneId::Chat, chat),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_pick_arrangements() {
        assert_eq!(kind(Rect::new(0, 0, 120, 40)), Kind::Wide);
        assert_eq!(kind(Rect::new(0, 0, 80, 24)), Kind::Medium);
        assert_eq!(kind(Rect::new(0, 0, 60, 40)), Kind::Compact);
        assert!(too_small(Rect::new(0, 0, 39, 10)));
        assert!(!too_small(Rect::new(0, 0, 40, 10)));
    }

    #[test]
    fn panes_tile_the_main_area() {
        for (w, h) in [(120, 40), (80, 24), (50, 20), (200, 60)] {
            let area = Rect::new(0, 0, w, h);
            let screen = compute(area, PaneId::Logs, false);
            let cells: u32 = screen
                .panes
                .iter()
                .map(|(_, r)| u32::from(r.width) * u32::from(r.height))
                .sum();
            let tabs = screen.tabs.map_or(0, |t| u32::from(t.width));
            assert_eq!(cells + tabs + u32::from(w), u32::from(w) * u32::from(h));
        }
    }

    #[test]
    fn the_side_pane_splits_the_tree_only_when_approvals_wait() {
        let mut screen = compute(Rect::new(0, 0, 50, 20), PaneId::Agents, false);
        assert_eq!(side_approvals(&mut screen.clone(), 0), None);
        let tree = screen.panes[0].1;
        let box_ = side_approvals(&mut screen, 2).expect("a box");
        assert_eq!(box_.height, 4);
        assert_eq!(screen.panes[0].1.height + box_.height, tree.height);
        assert_eq!(box_.bottom(), tree.bottom());
        // Many waiting: five rows at most; other panes, wider terminals: no box.
        let mut many = compute(Rect::new(0, 0, 60, 30), PaneId::Agents, false);
        assert_eq!(side_approvals(&mut many, 500).map(|r| r.height), Some(7));
        let mut logs = compute(Rect::new(0, 0, 50, 20), PaneId::Logs, false);
        assert_eq!(side_approvals(&mut logs, 3), None);
        let mut wide = compute(Rect::new(0, 0, 70, 20), PaneId::Agents, false);
        assert_eq!(side_approvals(&mut wide, 3), None);
        let mut tiny = compute(Rect::new(0, 0, 40, 10), PaneId::Agents, false);
        assert!(side_approvals(&mut tiny, 3).is_some_and(|r| r.height >= 3));
    }
}
