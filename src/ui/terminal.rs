//! Taking the terminal and giving it back: raw mode, the alternate screen, the cursor and
//! (when asked for) mouse capture. Restoring is idempotent and is also done by the panic hook
//! (before color-eyre prints its report) and after SIGTERM/SIGHUP/SIGINT (the run loop returns
//! and the screen's guard restores), so the person's shell is never left broken. Owns nothing
//! else: what is drawn belongs to the App.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal the screen draws on.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Enters raw mode and the alternate screen, hides the cursor and, with `mouse`, reports
/// mouse events (wheel and clicks).
pub fn enter(mouse: bool) -> io::Result<Tui> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut stdout = io::stdout();
    if let Err(e) = execute!(stdout, terminal::EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    if mouse {
        MOUSE.store(true, Ordering::SeqCst);
        if let Err(e) = execute!(stdout, EnableMouseCapture) {
            restore();
            return Err(e);
        }
    }
    Terminal::new(CrosstermBackend::new(stdout)).inspect_err(|_| restore())
}

/// Turns mouse reporting off, leaves the alternate screen, shows the cursor and turns raw
/// mode off. Safe to call twice and from a panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = execute!(stdout, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = stdout.flush();
}

/// Installs color-eyre's report hooks with a panic hook that restores the terminal first.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!("panic: {info}");
        panic_hook(info);
    }));
    Ok(())
}

/// Restores the terminal when dropped, whatever path leaves the screen.
pub struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        restore();
    }
}
