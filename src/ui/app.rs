//! The App: the screen's state machine that the run loop (`run.rs`, not owned here) drives.
//! It holds the run's view (a fold of events), the panes' screen state, focus, zoom, the help
//! and quit overlays, the approval inbox and the status-bar messages; it turns keys into [`Action`]s for the loop
//! and draws a frame as a pure function of that state. No IO, no terminal, no clock except
//! for the elapsed time (injectable with [`App::set_clock`]).

mod approve;
mod chat_info;
mod chat_send;
mod inbox;
#[cfg(test)]
mod inspect;
mod keys;
mod logs_keys;
mod memory_keys;
mod mode;
mod mouse;
mod replay;
mod submit;
mod tree_keys;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::protocol::{Command, Event, Millis, Record, RunId};
use crate::store::{OwnerState, Page, RunSnapshot, SkippedRow};

use super::keys_config::Keymap;
use super::layout::{self, Kind};
use super::panes::agents::AgentsPane;
use super::panes::chat::ChatPane;
use super::panes::help::HelpPane;
use super::panes::inbox::InboxPane;
use super::panes::inbox_draw::InboxContext;
use super::panes::logs::LogsPane;
use super::panes::memory::MemoryPane;
use super::panes::status_bar::{self, StatusLine};
use super::panes::tasks::TasksPane;
use super::panes::{PaneId, confirm, tabs, too_small};
use super::theme::Theme;
use super::views::RunView;
use super::views::logs::LogRequest;
use super::views::memory::MemoryQuery;

/// How the screen looks and how much it holds, decided by the caller (config, NO_COLOR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiOptions {
    /// ANSI colours; off gives the plain theme (bold and reversed only).
    pub color: bool,
    /// Show each log line's time.
    pub log_timestamps: bool,
    /// The most log lines held in memory.
    pub log_window: usize,
}

impl Default for UiOptions {
    fn default() -> Self {
        UiOptions {
            color: true,
            log_timestamps: true,
            log_window: 2000,
        }
    }
}

pub use mode::Mode;

/// What the App asks the run loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Leave.
    Quit,
    /// Send a command to the core (owner mode only).
    Submit(Command),
    /// Read a page of log lines from the store and hand it to [`App::on_log_page`].
    FetchLogs(LogRequest),
    /// Search or list memory off the UI thread and hand the answer to
    /// [`App::on_memory_found`] (or [`App::on_memory_error`]).
    SearchMemory(MemoryQuery),
}

/// Which overlay is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    None,
    Help,
    ConfirmQuit,
    Inbox,
    /// A yes/no question about a command typed in chat (`/cancel`).
    ConfirmCommand,
}

/// The screen.
#[derive(Debug)]
pub struct App {
    mode: Mode,
    options: UiOptions,
    theme: Theme,
    view: RunView,
    agents: AgentsPane,
    tasks: TasksPane,
    logs: LogsPane,
    memory: MemoryPane,
    chat: ChatPane,
    help: HelpPane,
    inbox: InboxPane,
    /// Help was opened from the inbox (closing it goes back there).
    help_from_inbox: bool,
    /// How many of the view's asked approvals have rung the bell.
    rung: u64,
    focus: PaneId,
    zoomed: bool,
    overlay: Overlay,
    hint: Option<String>,
    notice: Option<String>,
    skipped: usize,
    first_skipped_kind: Option<String>,
    clock: Option<Millis>,
    dirty: bool,
    drawn_second: Option<i64>,
    kind: Kind,
    /// The run's budget in dollars, for the status bar and `/budget`.
    budget_usd: Option<f64>,
    /// The command waiting for a yes in [`Overlay::ConfirmCommand`], and the question.
    confirm: Option<(Command, String)>,
    /// Replay's position bar, drawn on the top row (`warroom replay`).
    replay_bar: Option<ratatui::text::Line<'static>>,
    /// The key table in effect (`[keys]` over the built-in one).
    keys: Keymap,
    /// Where the last frame put the panes and tabs (for mouse clicks and the wheel).
    last_screen: Option<layout::Screen>,
}

impl App {
    /// A screen with no run loaded yet.
    pub fn new(mode: Mode, options: UiOptions) -> App {
        App {
            mode,
            options,
            theme: Theme::new(options.color),
            view: RunView::new(options.log_window),
            agents: AgentsPane::default(),
            tasks: TasksPane::default(),
            logs: LogsPane::new(options.log_timestamps),
            memory: MemoryPane::default(),
            chat: ChatPane::default(),
            help: HelpPane::default(),
            inbox: InboxPane::default(),
            help_from_inbox: false,
            rung: 0,
            focus: PaneId::Agents,
            zoomed: false,
            overlay: Overlay::None,
            hint: None,
            notice: None,
            skipped: 0,
            first_skipped_kind: None,
            clock: None,
            dirty: true,
            drawn_second: None,
            kind: Kind::Wide,
            budget_usd: None,
            confirm: None,
            replay_bar: None,
            keys: Keymap::default(),
            last_screen: None,
        }
    }

    /// Starts from a store snapshot (`None`: no run yet).
    pub fn load(&mut self, snapshot: Option<RunSnapshot>) {
        self.view = RunView::from_snapshot(snapshot.as_ref(), self.options.log_window);
        self.reset_panes();
        if let Some(snapshot) = &snapshot {
            let skipped: Vec<SkippedRow> = snapshot
                .logs
                .skipped
                .iter()
                .chain(&snapshot.chat.skipped)
                .cloned()
                .collect();
            self.on_skipped(&skipped);
        }
        self.dirty = true;
    }

    /// Folds committed events; returns whether the screen must be redrawn. A `RunStarted` of
    /// a run other than the one shown switches to it with fresh state (memory stays: it is
    /// the repository's).
    pub fn apply(&mut self, records: &[Record]) -> bool {
        let selected = self.inbox.selected(&self.view.approvals).map(|p| p.id);
        let waiting: Vec<_> = self.view.approvals.pending().iter().map(|p| p.id).collect();
        let mut changed = false;
        for record in records {
            let is_memory = super::views::is_memory(&record.event);
            let new_run = match record.event {
                Event::RunStarted { .. } => self.view.run() != Some(record.run),
                _ => self.view.run().is_none() && !is_memory,
            };
            if new_run {
                self.switch_run(record.run);
                changed = true;
            }
            changed |= self.view.apply(record);
        }
        if changed {
            self.view.refresh();
            self.after_approvals(selected, &waiting);
            self.dirty = true;
        }
        changed
    }

    /// The text of a notification for approvals asked since the last call (`None`: nothing
    /// new, or this screen does not ring). The run loop writes it as a bell and an OSC 9.
    pub fn take_alert(&mut self) -> Option<String> {
        let asked = self.view.approvals.asked();
        if asked <= self.rung {
            return None;
        }
        let new = asked - self.rung;
        self.rung = asked;
        if !self.mode.rings() {
            return None;
        }
        let waiting = self.view.approvals.len();
        Some(match self.view.approvals.newest() {
            Some(p) if new == 1 => format!(
                "warroom: approval {} waits: {} asks to {}",
                p.id,
                self.view.agents.label(p.agent),
                p.asked.words()
            ),
            _ => format!("warroom: {new} new approvals; {waiting} waiting"),
        })
    }

    /// Takes in the page read for a [`Action::FetchLogs`].
    pub fn on_log_page(&mut self, request: LogRequest, page: Page) {
        if self.view.run() != Some(request.run) {
            return;
        }
        if self.view.logs.on_page(&request, &page) {
            self.dirty = true;
        }
        if !page.skipped.is_empty() {
            self.on_skipped(&page.skipped);
        }
        self.after_log_page();
    }

    /// Stored rows this build could not decode: a warning in the status bar.
    pub fn on_skipped(&mut self, skipped: &[SkippedRow]) {
        let Some(first) = skipped.first() else {
            return;
        };
        self.skipped += skipped.len();
        let kind = self
            .first_skipped_kind
            .get_or_insert_with(|| first.kind.clone());
        self.notice = Some(format!(
            "skipped {} unreadable stored event{} (first kind: {kind}); newer warroom?",
            self.skipped,
            if self.skipped == 1 { "" } else { "s" }
        ));
        self.dirty = true;
    }

    /// What is known about the owner (watch mode).
    pub fn set_owner(&mut self, owner: OwnerState) {
        if let Mode::Watch { owner: current } | Mode::Attach { owner: current } = &mut self.mode {
            if *current != owner {
                *current = owner;
                self.dirty = true;
            }
        }
    }

    /// A line for the status bar (a store error, a notice from the loop); it stays until
    /// another replaces it or Esc clears it.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.notice = Some(text.into());
        self.dirty = true;
    }

    /// The run shown.
    pub fn current_run(&self) -> Option<RunId> {
        self.view.run()
    }

    /// Fixes "now" for the elapsed time (tests); without it the wall clock is used.
    pub fn set_clock(&mut self, now: Millis) {
        self.clock = Some(now);
        self.dirty = true;
    }

    /// Whether something changed since the last [`mark_drawn`](Self::mark_drawn), including
    /// the elapsed time of an active run ticking to the next second.
    pub fn needs_redraw(&self) -> bool {
        self.dirty
            || (self.view.status.is_active() && self.drawn_second != Some(self.now().0 / 1000))
    }

    /// The frame was drawn.
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    /// Draws the whole screen; only visible rows are visited.
    pub fn render(&mut self, frame: &mut Frame) {
        let area = self.draw_replay_bar(frame);
        let now = self.now();
        self.drawn_second = Some(now.0 / 1000);
        self.view.refresh();
        let buf = frame.buffer_mut();
        if layout::too_small(area) {
            too_small::render(buf, area, &self.theme);
            self.last_screen = None;
            return;
        }
        let mut screen = layout::compute(area, self.focus, self.zoomed);
        let waiting_box = layout::side_approvals(&mut screen, self.view.approvals.len());
        self.kind = screen.kind;
        self.last_screen = Some(screen.clone());
        let theme = self.theme;
        for (pane, rect) in &screen.panes {
            let focused = *pane == self.focus;
            match pane {
                PaneId::Agents => self
                    .agents
                    .render(buf, *rect, &self.view, now, focused, &theme),
                PaneId::Tasks => self.tasks.render(buf, *rect, &self.view, focused, &theme),
                PaneId::Logs => self.logs.render(
                    buf,
                    *rect,
                    &self.view.logs,
                    &self.view.agents,
                    focused,
                    &theme,
                ),
                PaneId::Memory => {
                    self.memory
                        .render(buf, *rect, &self.view.memory, focused, &theme)
                }
                PaneId::Chat => {
                    let note = self.input_note();
                    let waiting = self.waiting_words();
                    self.chat.render(
                        buf,
                        *rect,
                        &self.view.chat,
                        &note,
                        waiting.as_deref(),
                        focused,
                        &theme,
                    );
                }
            }
        }
        if let Some(strip) = screen.tabs {
            tabs::render(buf, strip, self.focus, &theme);
        }
        if let Some(rect) = waiting_box {
            let keys = self.keys.decide_keys();
            super::panes::side_approvals::render(buf, rect, &self.view, &keys, &theme);
        }
        let mode = self.mode_words();
        let message = match (&self.hint, &self.notice) {
            (Some(hint), _) => Some((hint.as_str(), false)),
            (None, Some(notice)) => Some((notice.as_str(), true)),
            (None, None) => None,
        };
        let decide = self.keys.decide_keys();
        let line = StatusLine {
            mode: &mode,
            mode_warning: matches!(
                self.mode,
                Mode::Watch {
                    owner: OwnerState::NoOwner
                } | Mode::Attach {
                    owner: OwnerState::NoOwner
                }
            ),
            message,
            now,
            can_decide: self.mode.can_send(),
            budget_usd: self.budget_usd,
            keys: &decide,
        };
        status_bar::render(buf, screen.status, &self.view, line, &theme);
        let main = Rect {
            height: area.height - 1,
            ..area
        };
        match self.overlay {
            Overlay::None => {}
            Overlay::Help => self
                .help
                .render(buf, main, &self.about(), &self.keys, &theme),
            Overlay::ConfirmQuit => confirm::render(buf, main, &self.quit_question(), &theme),
            Overlay::ConfirmCommand => {
                let question = self.confirm.as_ref().map_or("", |(_, q)| q.as_str());
                let answers = [
                    ("y".to_string(), "yes"),
                    ("n/Esc".to_string(), "no, keep it"),
                ];
                confirm::ask(buf, main, " Sure? ", question, &answers, &theme);
            }
            Overlay::Inbox => {
                let outcome = self.outcome_words();
                let cx = InboxContext {
                    now,
                    can_decide: self.mode.can_send(),
                    outcome: outcome.as_deref(),
                };
                self.inbox.render(buf, main, &self.view, cx, &theme);
            }
        }
    }

    fn now(&self) -> Millis {
        self.clock.unwrap_or_else(Millis::now)
    }

    fn switch_run(&mut self, run: RunId) {
        let memory = std::mem::take(&mut self.view.memory);
        self.view = RunView::for_run(run, self.options.log_window);
        self.view.memory = memory;
        self.reset_panes();
    }

    fn reset_panes(&mut self) {
        self.inbox = InboxPane::default();
        self.rung = 0;
        self.agents = AgentsPane::default();
        self.tasks = TasksPane::default();
        self.logs.reset();
    }

    fn quit_question(&self) -> String {
        let state = self.view.status.state.map_or("running", |s| s.as_str());
        match self.view.run() {
            Some(run) => format!("Run {run} is still {state}. Quit warroom anyway?"),
            None => "Quit warroom?".to_string(),
        }
    }
}
