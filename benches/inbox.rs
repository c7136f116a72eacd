//! The approval inbox under load: 500 pending approvals (one patch of 5,000 diff lines, one
//! binary patch, a small patch every tenth, commands for the rest), the whole App driven with
//! keys and drawn with ratatui's `TestBackend` at 120x40. Measured, each as key -> frame (the
//! key handled, then one `Terminal::draw`): moving through the queue with `j` (500 rows),
//! paging through the 5,000-line diff with PgDn and `]`, and switching between the big diff and
//! a command (each switch indexes the diff again). Target: key -> frame p99 <= 16 ms (one frame
//! at 60 Hz), the screen issue's keypress budget.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::protocol::{
    AgentId, ApprovalId, ApprovalSubject, Event, EventId, Millis, Record, RunId,
};
use warroom::ui::{App, Mode, UiOptions};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const TARGET: Duration = Duration::from_millis(16);
const RUN: RunId = RunId(1);

fn main() -> Res<()> {
    if common::skip_unless_bench("inbox") {
        return Ok(());
    }
    banner("inbox");
    println!("{}", common::machine());
    let approvals = 500u32;
    let rounds = size(2_000usize, 200);
    let records = records(approvals);
    let mut app = App::new(Mode::Owner, UiOptions::default());
    let started = Instant::now();
    app.apply(&records);
    println!(
        "fold {} approvals (with a 5,000-line diff): {} ms",
        approvals + 2,
        ms(started.elapsed())
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
    let mut frame = |app: &mut App, key: KeyEvent| -> Res<Duration> {
        let t = Instant::now();
        app.on_key(key);
        terminal.draw(|f| app.render(f))?;
        Ok(t.elapsed())
    };
    frame(&mut app, ch('A'))?;

    let mut queue = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let key = if i % usize::try_from(approvals)? == 0 {
            ch('g')
        } else {
            ch('j')
        };
        queue.push(frame(&mut app, key)?);
    }
    report("queue: j through 500 approvals", &queue);

    frame(&mut app, ch('g'))?;
    let mut paging = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let key = match i % 40 {
            0 => ch('g'),
            n if n % 2 == 0 => ch(']'),
            _ => code(KeyCode::PageDown),
        };
        paging.push(frame(&mut app, key)?);
    }
    report("diff: PgDn and ] through 5,000 lines", &paging);

    let mut switching = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let key = if i % 2 == 0 { ch('j') } else { ch('k') };
        switching.push(frame(&mut app, key)?);
    }
    report("switch: big diff <-> binary patch (re-index)", &switching);

    let all: Vec<Duration> = [queue, paging, switching].concat();
    let stats = Stats::of(&all);
    println!(
        "key -> frame, all {} presses: p99 {} ms (target <= {} ms): {}",
        stats.n,
        ms(stats.p99),
        ms(TARGET),
        verdict(stats.p99 <= TARGET)
    );
    Ok(())
}

fn report(what: &str, samples: &[Duration]) {
    let s = Stats::of(samples);
    println!(
        "{what}: n {} p50 {} ms, p99 {} ms, max {} ms, mean {} ms",
        s.n,
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        ms(s.mean)
    );
}

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// A run with two agents and `n` approvals: the big patch, the binary one, then the rest.
fn records(n: u32) -> Vec<Record> {
    let big: String = std::iter::once(
        "diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n".to_string(),
    )
    .chain((0..50).map(|h| {
        let mut hunk = format!(
            "@@ -{},50 +{},50 @@ fn part_{h}()\n",
            h * 100 + 1,
            h * 100 + 1
        );
        for i in 0..50 {
            hunk.push_str(&format!("-    let value_{i} = old_call({i}, \"{h}\");\n"));
            hunk.push_str(&format!("+    let value_{i} = new_call({i}, \"{h}\");\n"));
        }
        hunk
    }))
    .collect();
    let binary = "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nGIT binary patch\nliteral 5\nMcmZ?wbhH6\n\n";
    let small = "--- a/src/a.rs\n+++ b/src/a.rs\n@@ -1,2 +1,2 @@\n fn a() {\n-    1\n+    2\n";
    let mut events = vec![
        Event::RunStarted {
            goal: "bench".into(),
            repo: "/bench".into(),
        },
        Event::AgentSpawned {
            agent: AgentId(1),
            parent: None,
            role: "planner".into(),
            model: "m".into(),
        },
        Event::AgentSpawned {
            agent: AgentId(2),
            parent: Some(AgentId(1)),
            role: "analyst".into(),
            model: "m".into(),
        },
    ];
    for i in 0..n + 2 {
        let subject = match i {
            0 => ApprovalSubject::Patch {
                diff: big.clone(),
                files: vec!["big.txt".into()],
            },
            1 => ApprovalSubject::Patch {
                diff: binary.into(),
                files: vec!["logo.png".into()],
            },
            i if i % 10 == 0 => ApprovalSubject::Patch {
                diff: small.into(),
                files: vec!["src/a.rs".into()],
            },
            i => ApprovalSubject::Command {
                command: format!("make target-{i}"),
                reason: "outside the worktree".into(),
            },
        };
        events.push(Event::ApprovalRequested {
            approval: ApprovalId(i + 1),
            agent: AgentId(2),
            subject,
        });
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Record {
            id: EventId(i as i64 + 1),
            run: RUN,
            at: Millis(1_700_000_000_000 + i as i64),
            event,
        })
        .collect()
}
