//! `/` search in the logs pane: typing the words, then `n` (older) and `N` (newer) move to
//! the next matching line. A search that runs out of loaded lines asks for older pages from
//! the store, one at a time, until it finds a match, reaches the run's first line ("no more
//! matches") or has read [`MAX_PAGES`] pages (then `n` goes on).

use super::super::super::views::log_search::Query;
use super::super::super::views::logs::LogsView;
use super::{LogsPane, Scrolled, find};
use crate::protocol::RunId;

/// The most older pages one `n` reads before asking the person to press it again.
pub const MAX_PAGES: usize = 200;

/// The search state.
#[derive(Debug, Clone, Default)]
pub struct Search {
    typing: Option<String>,
    query: Option<Query>,
    /// The sequence number of the line the search stands on.
    current: Option<i64>,
    /// Searching older pages: search older than this sequence number; pages read so far.
    job: Option<(i64, usize)>,
}

impl Search {
    pub fn push(&mut self, c: char) {
        if let Some(t) = &mut self.typing {
            t.push(c);
        }
    }

    pub fn pop(&mut self) {
        if let Some(t) = &mut self.typing {
            t.pop();
        }
    }

    pub fn is_typing(&self) -> bool {
        self.typing.is_some()
    }

    pub fn prompt(&self) -> Option<String> {
        self.typing.clone()
    }

    pub fn query(&self) -> Option<&Query> {
        self.query.as_ref()
    }

    pub fn current(&self) -> Option<i64> {
        self.current
    }

    /// Forgets where the search stands (the window was reloaded); the words stay.
    pub fn stop(&mut self) {
        self.current = None;
        self.job = None;
    }

    pub fn title(&self) -> Option<String> {
        let q = self.query.as_ref()?;
        Some(match self.job {
            Some((_, pages)) => format!("/{} searching older lines ({pages} pages)…", q.text()),
            None => format!("/{}", q.text()),
        })
    }
}

impl LogsPane {
    /// Opens the search prompt.
    pub fn start_search(&mut self) {
        self.search.typing = Some(String::new());
    }

    /// Closes the prompt without searching.
    pub fn cancel_search(&mut self) -> String {
        self.search.typing = None;
        "search cancelled".into()
    }

    /// Searches for the typed words from the bottom of the screen upwards (an empty prompt
    /// clears the search).
    pub fn send_search(&mut self, view: &mut LogsView, run: Option<RunId>) -> Scrolled {
        let typed = self.search.typing.take().unwrap_or_default();
        self.search.stop();
        self.search.query = Query::new(&typed);
        if self.search.query.is_none() {
            return Scrolled {
                hint: Some("search cleared".into()),
                ..Scrolled::default()
            };
        }
        self.next_match(view, run, true)
    }

    /// Moves to the next matching line, older (`n`) or newer (`N`).
    pub fn next_match(&mut self, view: &mut LogsView, run: Option<RunId>, older: bool) -> Scrolled {
        let mut out = Scrolled::default();
        let Some(query) = self.search.query.clone() else {
            out.hint = Some("no search yet: / starts one".into());
            return out;
        };
        let top = view.base() + self.top_index(view) as i64;
        let from = self.search.current.unwrap_or(if older {
            top + self.height.max(1) as i64
        } else {
            top - 1
        });
        self.search.job = None;
        match find(view, &query, from - view.base(), older) {
            Some(i) => self.jump(view, i),
            None if older && view.has_older() => {
                self.search.job = Some((view.base(), 0));
                out = self.search_older(view, run);
            }
            None if older => out.hint = Some(no_more(&query, "back to the run's first line")),
            None if view.is_detached() => {
                out.hint = Some(no_more(&query, "in the loaded lines; G loads the newest"));
            }
            None => out.hint = Some(no_more(&query, "below")),
        }
        out
    }

    /// Goes on with a search into older pages once one came in; the next page, if needed,
    /// waits in [`LogsPane::take_fetches`]. Returns what to tell.
    pub fn after_page(&mut self, view: &mut LogsView, run: Option<RunId>) -> Option<String> {
        let scrolled = self.continue_search(view, run);
        self.fetches.extend(scrolled.fetch);
        scrolled.hint
    }

    fn continue_search(&mut self, view: &mut LogsView, run: Option<RunId>) -> Scrolled {
        let (Some((from, _)), Some(query)) = (self.search.job, self.search.query.clone()) else {
            return Scrolled::default();
        };
        if view.is_loading() {
            return Scrolled::default();
        }
        match find(view, &query, from - view.base(), true) {
            Some(i) => {
                self.search.job = None;
                self.jump(view, i);
                Scrolled::default()
            }
            None => {
                if let Some(job) = &mut self.search.job {
                    job.0 = view.base();
                }
                self.search_older(view, run)
            }
        }
    }

    /// Asks for the next older page of the search, or says it is over.
    fn search_older(&mut self, view: &mut LogsView, run: Option<RunId>) -> Scrolled {
        let mut out = Scrolled::default();
        let Some((from, pages)) = self.search.job else {
            return out;
        };
        let query = self.search.query.clone();
        let words = query.as_ref().map_or("", |q| q.text());
        if pages >= MAX_PAGES {
            self.search.job = None;
            out.hint = Some(format!(
                "no match for \"{words}\" in the last {} lines read; n searches further back",
                pages * view.page_len()
            ));
            return out;
        }
        match run.and_then(|r| view.request_older(r)) {
            Some(request) => {
                self.search.job = Some((from, pages + 1));
                out.fetch = Some(request);
            }
            None => {
                self.search.job = None;
                if let Some(q) = &query {
                    out.hint = Some(no_more(q, "back to the run's first line"));
                }
            }
        }
        out
    }

    /// Stands on line `index`, showing it a third of the way down.
    fn jump(&mut self, view: &LogsView, index: usize) {
        self.search.current = Some(view.base() + index as i64);
        let above = (self.height / 3) as i64;
        self.pause_at(view, (index as i64 - above).max(0));
    }
}

fn no_more(query: &Query, searched: &str) -> String {
    format!("no more matches for \"{}\" ({searched})", query.text())
}
