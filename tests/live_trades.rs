//! Bars built live from a trade stream equal the bars `strata data import --bars` builds from the same trades.
//!
//! Real BTCUSDT trades are replayed by the feed server as the venue's `aggTrade` stream — with dropped connections,
//! duplicated messages and shutdowns — and read by the feed client in `--from-trades` mode. The bars it hands on
//! must equal, bit for bit, the one-second bars `strata data import` writes for the same file: the period the feed
//! joined in is never built; after warm-up history it starts with the bar after it; every trade missed while
//! reconnecting is caught up over `GET /api/v3/aggTrades`. A strategy then fills the same live as in a backtest.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Tape, root, strata, tempdir};
use strata::strategy;
use strata_runtime::backtest;
use strata_runtime::bar::Bar;
use strata_runtime::bind::resolve_params;
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::data::{BarSource, ReadOptions, VecSource};
use strata_runtime::live::bars::BarStream;
use strata_runtime::live::binance::Stream;
use strata_runtime::live::feed::{Backoff, BarSink, Feed, FeedOptions, FeedStatus, Flow};
use strata_runtime::live::run::LiveRun;
use strata_runtime::live::server::{self, Faults, FeedConfig};
use strata_runtime::session::{Session, SessionConfig};

const DEADLINE: Duration = Duration::from_secs(30);

fn trades_file() -> std::path::PathBuf {
    root().join("tests/data/import/btcusdt-2021-01-08.trades.parquet")
}

fn stream() -> Stream {
    Stream { trades: true, ..Stream::parse("BTCUSDT@1s").unwrap() }
}

/// The trades as the server replays them (each a bar of one price), and the bars `strata data import` builds.
fn trades_and_imported() -> (Vec<Bar>, Vec<Bar>) {
    let dir = tempdir();
    let out = dir.path().join("bars.parquet");
    let file = trades_file();
    let r = strata(&["data", "import", file.to_str().unwrap(), "--bars", "1s", "-o", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", common::stderr(&r));
    let mut src = ParquetBars::open(&out, ReadOptions::default()).unwrap();
    let mut bars = Vec::new();
    while let Some(b) = src.next_batch().unwrap() {
        bars.extend_from_slice(b);
    }
    let trades = strata_runtime::data::parquet::read_trades(&file).unwrap();
    let rows = trades
        .trades
        .iter()
        .map(|&(ts, p, q)| Bar { ts, open: p, high: p, low: p, close: p, volume: q })
        .collect::<Vec<_>>();
    (rows, bars)
}

struct Collect {
    bars: Vec<Bar>,
    want: usize,
}

impl BarSink for Collect {
    fn bar(&mut self, _: usize, bar: &Bar, _: Instant, _: &FeedStatus) -> Flow {
        self.bars.push(*bar);
        if self.bars.len() >= self.want { Flow::Stop } else { Flow::Continue }
    }
}

/// Serves `rows` as trades with `faults` and runs a feed client (after warm-up ending at `after`) into `sink`.
fn run_feed(rows: &[Bar], faults: Faults, after: Option<i64>, sink: &mut dyn BarSink) -> FeedStatus {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = server::bind(0).await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let config = FeedConfig { faults, ..FeedConfig::new(stream()) };
        let served = tokio::spawn(server::serve(listener, rows.to_vec(), config));
        let mut options = FeedOptions::new(stream(), &format!("ws://{addr}"), &format!("http://{addr}")).unwrap();
        options.backoff = Backoff { initial: Duration::from_millis(1), max: Duration::from_millis(20), attempts: 200 };
        let mut feed = Feed::new(options, BarStream::new(stream(), None));
        if let Some(t) = after {
            feed.start_after(t);
        }
        tokio::time::timeout(DEADLINE, feed.run(sink)).await.expect("the feed ends in time").unwrap();
        served.abort();
        feed.status()
    })
}

#[test]
fn bars_built_from_the_live_trade_stream_equal_the_imported_bars() {
    let (rows, imported) = trades_and_imported();
    assert!(imported.len() >= 40, "{} bars", imported.len());
    let faults = Faults { drop_every: Some(97), duplicate_every: Some(5), shutdown_every: Some(331), delay_ms: 0 };
    // Joined at the first trade: its second is not built (the feed cannot know it saw the start of it); the last
    // second has no trade after it to complete it.
    let mut sink = Collect { bars: Vec::new(), want: imported.len() - 1 };
    let status = run_feed(&rows, faults, None, &mut sink);
    let bits = |b: &[Bar]| {
        b.iter()
            .map(|b| {
                [
                    b.ts as u64,
                    b.open.to_bits(),
                    b.high.to_bits(),
                    b.low.to_bits(),
                    b.close.to_bits(),
                    b.volume.to_bits(),
                ]
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&sink.bars), bits(&imported[1..]));
    let c = status.counts;
    // The faults were felt. (How many reconnects depends on how much of the replay came by the stream and how much by
    // REST catch-up, which is timing; the first connection is always dropped after 97 messages.)
    assert!(status.reconnects > 0 && c.duplicates > 0 && c.backfilled > 0, "the faults were felt: {status:?}");
    assert_eq!(c.gaps, 0);

    // After warm-up history ending with bar 9, the feed catches up from bar 10 by time, then follows the stream.
    let mut sink = Collect { bars: Vec::new(), want: imported.len() - 11 };
    run_feed(&rows, Faults::default(), Some(imported[9].ts), &mut sink);
    assert_eq!(bits(&sink.bars), bits(&imported[10..imported.len() - 1]));
}

#[test]
fn a_strategy_fills_the_same_on_live_trades_as_in_a_backtest_of_the_imported_bars() {
    let (rows, imported) = trades_and_imported();
    let loaded = strategy::load(&root().join("strategies/sma_cross.strat")).unwrap();
    let set = [("fast".to_string(), "3".to_string()), ("slow".to_string(), "8".to_string())];
    let params = resolve_params(&loaded.plan, &set).unwrap();
    let config = SessionConfig::default();
    let (warm, traded) = imported.split_at(5);
    let traded = &traded[..traded.len() - 1];
    let mut tape = Tape::default();
    let engine = loaded.engine_with(&params, false).unwrap();
    let mut source = VecSource::new(traded.to_vec());
    let expected =
        backtest::run_with_warmup(&loaded.plan, &params, engine, config, warm, &mut source, &mut tape, "t").unwrap();
    assert!(!tape.fills.is_empty(), "the strategy trades");

    let mut live_tape = Tape::default();
    let engine = loaded.engine_with(&params, false).unwrap();
    let mut live = LiveRun::new(Session::new(engine, config), &mut live_tape, None, Some(traded.len() as u64));
    live.warm(warm).unwrap();
    let faults = Faults { drop_every: Some(61), duplicate_every: Some(7), shutdown_every: None, delay_ms: 0 };
    let status = run_feed(&rows, faults, warm.last().map(|b| b.ts), &mut live);
    assert!(live.error().is_none(), "{:?}", live.error());
    let (report, _, _) = live.finish(strata_runtime::metrics::RunFacts::default(), "max-bars", status).unwrap();
    assert_eq!(live_tape.fills, tape.fills);
    assert_eq!(live_tape.equity, tape.equity);
    assert_eq!(report.summary.final_equity.to_bits(), expected.summary.final_equity.to_bits());
}

/// `strata feed serve` replays a trades file as the `aggTrade` stream, and `strata live --from-trades` trades on
/// the bars built from it: the same fills as `strata backtest` on the imported bars.
#[test]
fn the_cli_serves_trades_and_trades_live_on_bars_built_from_them() {
    let (_, imported) = trades_and_imported();
    let file = trades_file();
    let server =
        common::spawn_server(&["feed", "serve", "--data", file.to_str().unwrap(), "--interval", "1s", "--port", "0"]);
    assert!(server.first_line.contains("btcusdt@aggTrade"), "{}", server.first_line);
    let addr = server.first_line.split("ws://").nth(1).and_then(|s| s.split('/').next()).expect("the address");
    let dir = tempdir();
    let (live_out, back_out, bars) = (dir.path().join("live"), dir.path().join("back"), dir.path().join("b.parquet"));
    let n = imported.len() - 2;
    let r = strata(&[
        "live",
        "strategies/sma_cross.strat",
        "--feed",
        "binance:BTCUSDT@1s",
        "--from-trades",
        "--feed-url",
        &format!("ws://{addr}"),
        "--rest-url",
        &format!("http://{addr}"),
        "--set",
        "fast=3",
        "--set",
        "slow=8",
        "--max-bars",
        &n.to_string(),
        "--json",
        "--out",
        live_out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", common::stderr(&r));
    // The backtest: the imported bars the live run saw (from the second one on: it joined during the first).
    common::write_bars(&bars, &imported[1..=n]);
    let r = strata(&[
        "backtest",
        "strategies/sma_cross.strat",
        "--data",
        bars.to_str().unwrap(),
        "--set",
        "fast=3",
        "--set",
        "slow=8",
        "--json",
        "--out",
        back_out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", common::stderr(&r));
    let fills = |d: &std::path::Path| std::fs::read(d.join("fills.parquet")).unwrap();
    let read = |d: &std::path::Path| {
        use polars::prelude::{ParquetReader, SerReader};
        ParquetReader::new(std::io::Cursor::new(fills(d))).finish().unwrap()
    };
    let (l, b) = (read(&live_out), read(&back_out));
    assert!(l.height() > 0, "the strategy trades");
    assert!(l.equals(&b), "live fills {l}\nbacktest fills {b}");
}
