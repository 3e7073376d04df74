//! The `strata` command line.
//!
//! Design choice: each subcommand is a module with a clap `Args` struct and a `run` function returning
//! `anyhow::Result<ExitCode>`; errors are printed here, once, as one line (or a compiler's diagnostics), and map to
//! exit code 1. A panic anywhere — a bug, never an input — is reported as an internal error with exit code 101.

mod backtest;
mod data;
mod feed;
mod help;
mod inspect;
mod live;
mod live_universe;
mod profile;
mod report;
mod summary;
mod sweep;
mod ta;
mod universe;
mod venue;
mod walkforward;

use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Parser, Subcommand};

/// A runtime for trading strategies: write a strategy once, backtest it over Parquet history, run it live.
#[derive(Debug, Parser)]
#[command(name = "strata", version, disable_help_subcommand = true, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a strategy over historical bars and print its results.
    Backtest(backtest::Args),
    /// Run a strategy live: bars from a kline WebSocket, orders to the paper broker or a venue; the backtest's
    /// options and outputs.
    Live(Box<live::Args>),
    /// Run a named profile of strata.toml as a backtest or live: `strata run NAME --mode backtest|live`.
    Run(profile::Args),
    /// Compile a strategy and report every problem in it (exit 0 when it compiles).
    Check(inspect::CheckArgs),
    /// Show what a strategy compiles to: params, series nodes, warm-up and rules.
    Explain(inspect::ExplainArgs),
    /// Compute indicators and expressions over Parquet bars and write them as columns of a Parquet file.
    Ta(ta::Args),
    /// Render a run directory (written by --out) as one self-contained HTML report.
    Report(report::Args),
    /// Backtest a strategy over a grid of its params in parallel (`--grid fast=5..50:5`), ranked by a metric;
    /// `--shard I/N` and `strata sweep merge` split one sweep across machines.
    Sweep(sweep::Args),
    /// Walk-forward analysis: optimise a grid on each training window, trade the winner on the next test window,
    /// stitch the out-of-sample equity (`--train 6M --test 1M [--anchored]`).
    Walkforward(walkforward::Args),
    /// Data tools: `strata data import RAW -o OUT.parquet` (CSV, gzip, JSON klines, Feather, trades with --bars),
    /// `strata data info FILE`, `strata data resample IN --to 1h -o OUT`.
    Data(data::Args),
    /// Market-data tools: `strata feed serve` replays a Parquet file as the venue's live protocol.
    Feed(feed::Args),
    /// A fake venue: `strata venue serve` adds a fake account's signed order API to the replay, for rehearsals.
    Venue(venue::Args),
    /// Reference: `strata help indicators`, `strata help data`.
    Help(help::Args),
}

/// An error already shown to the user (compiler diagnostics): exit 1 without printing more.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported")
    }
}

impl std::error::Error for Reported {}

/// Stack of the thread commands run on.
const COMMAND_STACK: usize = 256 << 20;

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    // Panics are bugs: keep their message for one clear report instead of the default dump.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(format!("{msg}{at}"));
        }
    }));
    // Usage errors are bad input like any other: exit 1 (help and version exit 0).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    // The command runs on a thread with a large stack: strategy scripts may nest calls as deep as their sandbox
    // allows, and unoptimized builds use far more stack per call. (The memory is reserved, not touched.)
    let outcome = std::thread::Builder::new().name("strata".into()).stack_size(COMMAND_STACK).spawn(move || run(cli));
    let outcome = match outcome {
        Ok(handle) => handle.join(),
        Err(e) => Ok(Err(anyhow::anyhow!("cannot start: {e}"))),
    };
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            if e.downcast_ref::<Reported>().is_none() {
                let msg = format!("{e:#}");
                eprint!("error: {msg}");
                if !msg.ends_with('\n') {
                    eprintln!();
                }
            }
            ExitCode::from(1)
        }
        Err(_) => {
            let msg = PANIC_MESSAGE.lock().ok().and_then(|m| m.clone()).unwrap_or_default();
            eprintln!("internal error (a bug in strata, please report it): {msg}");
            ExitCode::from(101)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Backtest(a) => backtest::run(a),
        Command::Live(a) => live::run(*a),
        Command::Run(a) => profile::run(a),
        Command::Check(a) => inspect::check(a),
        Command::Explain(a) => inspect::explain(a),
        Command::Ta(a) => ta::run(a),
        Command::Report(a) => report::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Walkforward(a) => walkforward::run(a),
        Command::Data(a) => data::run(a),
        Command::Feed(a) => feed::run(a),
        Command::Venue(a) => venue::run(a),
        Command::Help(a) => help::run(a),
    }
}

/// Parses `name=value` for `--set`.
pub(crate) fn parse_assignment(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("expected NAME=VALUE, got '{s}'"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("expected NAME=VALUE, got '{s}'"));
    }
    Ok((k.to_string(), v.trim().to_string()))
}
