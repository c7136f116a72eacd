//! The loop of `warroom replay`: reads keys, moves the replay (←/→ one event, PgUp/PgDn 100,
//! Home/End, Space plays or pauses, +/- change the speed), gives other keys to the App (so
//! the panes browse as always, read-only) and draws when something changed. The position bar
//! ("event 1,234 of 56,789 · 12:03:04 · paused") is [`position_line`], a pure function.

use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::text::{Line, Span};

use crate::protocol::Millis;

use super::app::{Action, App};
use super::format;
use super::replay::{Replay, Source};
use super::terminal::Tui;
use super::text::width;
use super::theme::Theme;

/// Events per second a play can go at, slowest first.
pub const SPEEDS: [u32; 6] = [1, 10, 100, 1_000, 10_000, 100_000];

/// What the bar says.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Events folded.
    pub at: usize,
    /// Events in the run.
    pub of: usize,
    /// When the last folded event happened.
    pub time: Option<Millis>,
    /// Playing at this many events per second, or paused.
    pub playing: Option<u32>,
}

/// A replay key, or `None` for keys the App handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Move by this many events.
    Step(i64),
    /// The first event.
    Start,
    /// The last event.
    End,
    /// Play or pause.
    Play,
    /// Faster (+1) or slower (-1).
    Speed(i8),
}

/// What a key does in replay (when no overlay and no prompt has it).
pub fn replay_move(key: &KeyEvent) -> Option<Move> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    Some(match key.code {
        KeyCode::Right => Move::Step(1),
        KeyCode::Left => Move::Step(-1),
        KeyCode::PageDown => Move::Step(100),
        KeyCode::PageUp => Move::Step(-100),
        KeyCode::Home => Move::Start,
        KeyCode::End => Move::End,
        KeyCode::Char(' ') => Move::Play,
        KeyCode::Char('+') | KeyCode::Char('=') => Move::Speed(1),
        KeyCode::Char('-') => Move::Speed(-1),
        _ => return None,
    })
}

/// The position bar, longest form that fits `columns`: "replay · event 1,234 of 56,789 ·
/// 12:03:04 · paused · ←/→ step · PgUp/PgDn 100 · Home/End · Space play · +/- speed".
pub(crate) fn position_line(p: Position, columns: usize, theme: &Theme) -> Line<'static> {
    let state = match p.playing {
        Some(rate) => format!("▶ {}/s", thousands(rate as usize)),
        None => "paused".to_string(),
    };
    let time = p
        .time
        .map(format::clock)
        .unwrap_or_else(|| "--:--:--".into());
    let long = vec![
        format!("replay · event {} of {}", thousands(p.at), thousands(p.of)),
        time.clone(),
        state.clone(),
        "←/→ step · PgUp/PgDn 100 · Home/End · Space play · +/- speed".to_string(),
    ];
    let forms = [
        long,
        vec![
            format!("event {} of {}", thousands(p.at), thousands(p.of)),
            time.clone(),
            state.clone(),
            "←/→ · Space".to_string(),
        ],
        vec![
            format!("{}/{}", thousands(p.at), thousands(p.of)),
            time,
            state,
        ],
    ];
    let pick = forms
        .iter()
        .find(|f| width(&f.join(" · ")) < columns)
        .unwrap_or(&forms[2]);
    let mut spans = vec![Span::styled(format!("{} ", pick[0]), theme.bold())];
    for part in &pick[1..] {
        spans.push(Span::styled(format!("· {part} "), theme.dim()));
    }
    Line::from(spans).style(theme.selected(false))
}

/// A count with its thousands grouped: "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The replay's state besides the engine: playing, speed.
#[derive(Debug)]
pub struct Player<S> {
    /// The engine.
    pub replay: Replay<S>,
    speed: usize,
    playing: bool,
    owed: f64,
}

impl<S: Source> Player<S> {
    /// Paused at the engine's position, at 100 events per second.
    pub fn new(replay: Replay<S>) -> Self {
        Player {
            replay,
            speed: 2,
            playing: false,
            owed: 0.0,
        }
    }

    /// Applies a move to the replay and the App's view.
    pub fn apply(&mut self, m: Move, app: &mut App) -> Result<(), String> {
        let view = app.replay_view_mut();
        match m {
            Move::Step(n) => self.replay.step(n, view)?,
            Move::Start => self.replay.seek(1, view)?,
            Move::End => self.replay.seek(usize::MAX, view)?,
            Move::Play => {
                self.playing = !self.playing;
                self.owed = 0.0;
            }
            Move::Speed(d) => {
                self.speed =
                    (self.speed as i64 + i64::from(d)).clamp(0, SPEEDS.len() as i64 - 1) as usize;
            }
        }
        if self.replay.position() >= self.replay.len() {
            self.playing = false;
        }
        Ok(())
    }

    /// Advances a playing replay by what `elapsed` is worth at its speed.
    pub fn tick(&mut self, elapsed: Duration, app: &mut App) -> Result<(), String> {
        if !self.playing {
            return Ok(());
        }
        self.owed += elapsed.as_secs_f64() * f64::from(SPEEDS[self.speed]);
        let whole = self.owed.floor();
        if whole >= 1.0 {
            self.owed -= whole;
            self.apply(Move::Step(whole as i64), app)?;
        }
        Ok(())
    }

    /// Whether it is playing.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// What the bar says now.
    pub fn position(&self) -> Position {
        Position {
            at: self.replay.position(),
            of: self.replay.len(),
            time: self.replay.at(),
            playing: self.playing.then_some(SPEEDS[self.speed]),
        }
    }
}

/// Runs the replay screen until the person quits.
/// `pages` answers the logs pane's reads of older lines; copies go to the clipboard (OSC 52).
pub fn run<S: Source>(
    tui: &mut Tui,
    app: &mut App,
    player: &mut Player<S>,
    pages: &crate::store::Reader,
    color: bool,
) -> std::io::Result<()> {
    let theme = &Theme::new(color);
    let tmux = super::notify::in_tmux();
    let mut last = Instant::now();
    let mut shown: Option<(Position, u16)> = None;
    loop {
        let columns = tui.size()?.width;
        let p = player.position();
        if shown.is_none_or(|(s, c)| {
            c != columns || s.at != p.at || s.playing != p.playing || s.of != p.of
        }) {
            app.set_replay_bar(Some(position_line(p, usize::from(columns), theme)));
            shown = Some((p, columns));
        }
        if app.needs_redraw() {
            tui.draw(|frame| app.render(frame))?;
            app.mark_drawn();
        }
        let wait = if player.playing() {
            Duration::from_millis(40)
        } else {
            Duration::from_millis(500)
        };
        if event::poll(wait)? {
            match event::read()? {
                TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
                    if let Some(m) = replay_move(&key).filter(|_| app.browsing()) {
                        if let Err(e) = player.apply(m, app) {
                            app.notice(e);
                        }
                    } else {
                        for action in app.on_key(key) {
                            if action == Action::Quit {
                                return Ok(());
                            }
                        }
                    }
                }
                TermEvent::Resize(..) => shown = None,
                _ => {}
            }
        }
        // The logs pane reads older pages and copies lines here as on the live screen.
        for request in app.take_log_fetches() {
            match pages.log_lines(request.run, request.filter, request.before, request.limit) {
                Ok(page) => app.on_log_page(request, page),
                Err(e) => app.notice(e.to_string()),
            }
        }
        if let Some(text) = app.take_copy() {
            use std::io::Write;
            let bytes = super::clipboard::osc52(&text, tmux);
            let backend = tui.backend_mut();
            if let Err(e) = backend.write_all(&bytes).and_then(|()| backend.flush()) {
                app.notice(format!("cannot write the clipboard sequence: {e}"));
            }
        }
        let now = Instant::now();
        if let Err(e) = player.tick(now - last, app) {
            app.notice(e);
        }
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn keys_map_to_moves() {
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(replay_move(&key(KeyCode::Right)), Some(Move::Step(1)));
        assert_eq!(replay_move(&key(KeyCode::PageUp)), Some(Move::Step(-100)));
        assert_eq!(replay_move(&key(KeyCode::Char(' '))), Some(Move::Play));
        assert_eq!(replay_move(&key(KeyCode::Char('q'))), None);
    }
}
