//! Reading a live run's journal back, to resume the run after it was killed.
//!
//! Design choice: the journal is the run's memory, not a log. Every bar stepped, every fill applied, every order
//! placed and everything the venue said is a line synced to disk before it is acted on, so the last run in a
//! journal can be replayed bar by bar through the same session — giving back the strategy's indicators and `var`s,
//! the portfolio and the venue orders exactly as they were — instead of checkpointing opaque state. A torn last line
//! (the process died while writing it) is dropped; any other unreadable line is an error naming the line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::bar::Bar;
use crate::order::{Fill, OrderIntent, Rejection};
use crate::risk::TradingState;
use crate::venue::broker::VenueEvent;

use super::run::HoldingsRecord;

/// One journal line, read back (the owned twin of [`super::run::Entry`]).
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Line {
    Start {
        #[serde(default)]
        run_id: Option<String>,
        #[serde(default)]
        venue_start: Option<HoldingsRecord>,
        #[serde(default)]
        universe: Option<Vec<String>>,
    },
    WarmupBar {
        #[serde(default)]
        symbol: Option<String>,
        bar: Bar,
    },
    Bar {
        #[serde(default)]
        symbol: Option<String>,
        bar: Bar,
    },
    Order {
        order: OrderIntent,
    },
    Fill {
        fill: Fill,
    },
    Rejected {
        rejection: Rejection,
    },
    /// Reported, not replayed: the replay denies the same orders again.
    Denied {},
    Venue {
        venue: VenueEvent,
    },
    State {
        state: TradingState,
    },
    Resume {},
    Stop {},
}

/// A bar as the run stepped it: what was applied on it, and the orders it placed.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalBar {
    /// A universe run's: the bar's symbol.
    pub symbol: Option<String>,
    pub bar: Bar,
    pub fills: Vec<Fill>,
    pub rejected: Vec<Rejection>,
    pub orders: Vec<OrderIntent>,
}

/// The last run of a journal.
#[derive(Debug, Clone, Default)]
pub struct JournalRun {
    pub run_id: Option<String>,
    /// The venue account when the run first started (`--broker binance`).
    pub venue_start: Option<HoldingsRecord>,
    /// A universe run's symbols, in order.
    pub universe: Option<Vec<String>>,
    pub warmup: Vec<Bar>,
    /// A universe run's: each warm-up bar's symbol (parallel to `warmup`).
    pub warmup_symbols: Vec<Option<String>>,
    pub bars: Vec<JournalBar>,
    /// Everything the venue did, in order.
    pub venue: Vec<VenueEvent>,
    /// `venue[pending_from..]` came after the last bar line: their trades are fills the session has not applied yet.
    pub pending_from: usize,
    /// The trading state last set.
    pub state: Option<TradingState>,
    /// Whether the run ended cleanly (a `stop` line): nothing to resume.
    pub stopped: bool,
}

#[derive(Debug, Error)]
pub enum ResumeError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: not a journal line this version of strata wrote: {why}")]
    Line { path: PathBuf, line: usize, why: String },
}

/// Reads the last run of the journal at `path` (`None` when the file does not exist or holds no run).
pub fn read_last_run(path: &Path) -> Result<Option<JournalRun>, ResumeError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ResumeError::Io { path: path.to_path_buf(), source }),
    };
    let lines: Vec<&str> = text.lines().collect();
    // The last run starts at the last `start` line.
    let Some(first) = lines.iter().rposition(|l| l.starts_with("{\"event\":\"start\"")) else { return Ok(None) };
    let mut run = JournalRun::default();
    // A line cut off by a kill has no newline after it: it never happened.
    let complete = if text.ends_with('\n') { lines.len() } else { lines.len() - 1 };
    for (i, raw) in lines.iter().enumerate().take(complete).skip(first) {
        let line: Line = serde_json::from_str(raw).map_err(|e| ResumeError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            why: e.to_string(),
        })?;
        match line {
            Line::Start { run_id, venue_start, universe } => {
                run.run_id = run_id;
                run.venue_start = venue_start;
                run.universe = universe;
            }
            Line::WarmupBar { symbol, bar } => {
                run.warmup.push(bar);
                run.warmup_symbols.push(symbol);
            }
            Line::Bar { symbol, bar } => {
                run.pending_from = run.venue.len();
                run.bars.push(JournalBar { symbol, bar, fills: Vec::new(), rejected: Vec::new(), orders: Vec::new() })
            }
            Line::Order { order } => {
                if let Some(b) = run.bars.last_mut() {
                    b.orders.push(order);
                }
            }
            Line::Fill { fill } => {
                if let Some(b) = run.bars.last_mut() {
                    b.fills.push(fill);
                }
            }
            Line::Rejected { rejection } => {
                if let Some(b) = run.bars.last_mut() {
                    b.rejected.push(rejection);
                }
            }
            Line::Denied { .. } | Line::Resume {} => {}
            Line::Venue { venue } => run.venue.push(venue),
            Line::State { state } => run.state = Some(state),
            Line::Stop {} => run.stopped = true,
        }
    }
    Ok(Some(run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_run_is_read_back_and_a_torn_last_line_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let bar = r#"{"ts":60000,"open":1.0,"high":2.0,"low":0.5,"close":1.5,"volume":3.0}"#;
        let text = format!(
            "{{\"event\":\"start\",\"strategy\":\"old\",\"feed\":\"f\",\"params\":{{}}}}\n\
             {{\"event\":\"stop\",\"reason\":\"max-bars\",\"bars\":0,\"final_equity\":1.0}}\n\
             {{\"event\":\"start\",\"strategy\":\"s\",\"feed\":\"f\",\"params\":{{}},\"run_id\":\"r-1\"}}\n\
             {{\"event\":\"warmup_bar\",\"bar\":{bar}}}\n\
             {{\"event\":\"bar\",\"bar\":{bar}}}\n\
             {{\"event\":\"order\",\"order\":{{\"seq\":1,\"signal_ts\":60000,\"action\":\"Close\"}}}}\n\
             {{\"event\":\"state\",\"state\":\"HALTED\",\"from\":\"ACTIVE\"}}\n\
             {{\"event\":\"bar\",\"bar\":{bar}}}\n\
             {{\"event\":\"fill\",\"fill\":{{\"ts\":60000,\"side\":\"sell\",\"qty\":2.0,\"price\":1.5,\"fee\":0.1,\"order_seq\":1}}}}\n\
             {{\"event\":\"bar\",\"bar\":{{\"ts\":"
        );
        std::fs::write(&path, text).unwrap();
        let run = read_last_run(&path).unwrap().unwrap();
        assert_eq!(run.run_id.as_deref(), Some("r-1"));
        assert!(!run.stopped);
        assert_eq!((run.warmup.len(), run.bars.len()), (1, 2), "the torn bar line is dropped");
        assert_eq!(run.bars[0].orders[0].seq, 1);
        assert_eq!(run.bars[1].fills[0].qty, 2.0);
        assert_eq!(run.state, Some(TradingState::Halted));
        // Damage anywhere else is an error with its line.
        std::fs::write(&path, "{\"event\":\"start\",\"strategy\":\"s\",\"feed\":\"f\",\"params\":{}}\nnot json\n{}\n")
            .unwrap();
        let e = read_last_run(&path).unwrap_err().to_string();
        assert!(e.contains("journal.jsonl:2: not a journal line"), "{e}");
        assert!(read_last_run(&dir.path().join("none.jsonl")).unwrap().is_none());
    }
}
