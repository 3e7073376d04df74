//! Live universes equal universe backtests: many symbols' bars served by the feed server on loopback — each symbol its
//! own kline stream on one combined connection, with in-progress updates, duplicates, dropped connections and
//! `serverShutdown` events — traded live through the paper broker with one pool of cash give exactly the fills
//! (symbol, ts, side, qty, price, fee), the equity curve (bit for bit) and the summary a universe backtest over the
//! same bars gives.
//!
//! Generated universes have symbols missing at some timestamps (a timestamp waits for every stream, and a symbol
//! without a bar there is not a member of it, as in the backtest), flat runs and extreme moves; some runs warm up on
//! history first. The real daily equities are checked too, with every fault at once, and through the command line
//! (`strata feed serve` of a folder, `strata live --feed binance:A,B,C@1d`, `strata backtest` of the folder: the same
//! files). A killed live universe run resumes from its journal. No sleeps: every wait has a deadline.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::{first_bars, root, stderr, strata, strata_within, tempdir, write_bars};
use proptest::prelude::*;
use strata::strategy::{self, Loaded};
use strata_runtime::bar::Bar;
use strata_runtime::basket::{self, Basket, UniverseReport};
use strata_runtime::bind::resolve_params;
use strata_runtime::broker::FillModel;
use strata_runtime::data::universe::Universe;
use strata_runtime::live::binance::Stream;
use strata_runtime::live::feed::{Backoff, Feed, FeedOptions, FeedStatus};
use strata_runtime::live::server::{self, Faults, FeedConfig};
use strata_runtime::live::universe_run::LiveBasket;
use strata_runtime::metrics::RunFacts;
use strata_runtime::session::SessionConfig;

/// Per live run: far above what one takes, so only a run that lost a bar (and waits for it forever) reaches it.
const DEADLINE: Duration = Duration::from_secs(60);

fn load(name: &str) -> Loaded {
    strategy::load(&root().join("strategies").join(name)).unwrap()
}

fn engines(loaded: &Loaded, set: &[(&str, &str)], n: usize) -> Vec<strata_runtime::Engine> {
    let set: Vec<(String, String)> = set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let params = resolve_params(&loaded.plan, &set).unwrap();
    (0..n).map(|_| loaded.engine_with(&params, false).unwrap()).collect()
}

fn backtest_run(
    loaded: &Loaded,
    set: &[(&str, &str)],
    warm: Option<&Universe>,
    traded: &Universe,
    config: SessionConfig,
) -> UniverseReport {
    // As `strata backtest` does: each engine fits its bar interval from the data.
    let engines = engines(loaded, set, traded.symbols.len());
    basket::run_warmed(warm, &[], traded, engines, config, RunFacts::default()).unwrap()
}

/// The same strategy live: each symbol's bars replayed as its own stream by a feed server with `faults`, all read
/// on one connection.
fn live_run(
    loaded: &Loaded,
    set: &[(&str, &str)],
    warm: Option<&Universe>,
    traded: &Universe,
    config: SessionConfig,
    (interval, faults, updates_per_bar): (&str, Faults, u32),
) -> (UniverseReport, FeedStatus) {
    let streams: Vec<Stream> =
        traded.symbols.iter().map(|s| Stream::parse(&format!("{s}@{interval}")).unwrap()).collect();
    let interval_ms = streams[0].interval.millis().unwrap();
    let mut engines = engines(loaded, set, traded.symbols.len());
    // As `strata live` does: every engine told the stream's interval (the backtest fits it from the bars).
    for e in &mut engines {
        if e.needs_bar_interval() {
            e.set_bar_interval(interval_ms).unwrap();
        }
    }
    let timestamps = traded.timeline().len() as u64;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = server::bind(0).await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let feed_config = FeedConfig { faults, updates_per_bar, ..FeedConfig::new(streams[0].clone()) };
        let served_bars = streams.iter().cloned().zip(traded.bars.iter().cloned()).collect();
        let served = tokio::spawn(server::serve_universe(listener, served_bars, feed_config));
        let mut options =
            FeedOptions::universe(streams.clone(), &format!("ws://{addr}"), &format!("http://{addr}")).unwrap();
        options.backoff = Backoff { initial: Duration::from_millis(1), max: Duration::from_millis(20), attempts: 200 };
        let mut feed = Feed::universe(options);
        let basket = Basket::new(engines, config).unwrap();
        let mut live = LiveBasket::new(basket, traded.symbols.clone(), None, Some(timestamps));
        if let Some(w) = warm {
            live.warm(w).unwrap();
        }
        if let Some(last) = live.last() {
            feed.start_after(last);
        }
        tokio::time::timeout(DEADLINE, feed.run(&mut live)).await.expect("the live run ends in time").unwrap();
        assert!(live.take_error().is_none());
        served.abort();
        let status = feed.status();
        let (report, _, _) = live.finish(RunFacts::default(), "max-bars", status);
        (report, status)
    })
}

/// Fills (with their symbols) and equity equal bit for bit, and the summaries equal but for the labels.
fn assert_same(what: &str, b: &UniverseReport, l: &UniverseReport) {
    assert_eq!(b.fills.len(), l.fills.len(), "{what}: fill count");
    for (b, l) in b.fills.iter().zip(&l.fills) {
        let (bf, lf) = (&b.fill, &l.fill);
        let same = b.symbol == l.symbol
            && bf.ts == lf.ts
            && bf.side == lf.side
            && bf.qty.to_bits() == lf.qty.to_bits()
            && bf.price.to_bits() == lf.price.to_bits()
            && bf.fee.to_bits() == lf.fee.to_bits();
        assert!(same, "{what}: backtest fill {b:?} vs live {l:?}");
    }
    let bits = |e: &[(i64, f64)]| e.iter().map(|(t, v)| (*t, v.to_bits())).collect::<Vec<_>>();
    assert_eq!(bits(&b.equity), bits(&l.equity), "{what}: equity curve");
    assert_eq!(b.symbols, l.symbols, "{what}: per-symbol results");
    let mut bs = serde_json::to_value(&b.report.summary).unwrap();
    let mut ls = serde_json::to_value(&l.report.summary).unwrap();
    for s in [&mut bs, &mut ls] {
        for k in ["data", "strategy", "params"] {
            s.as_object_mut().unwrap().remove(k);
        }
    }
    assert_eq!(bs, ls, "{what}: summary");
}

/// Strategies a universe runs: a cross-sectional rotation (rank, top) and a per-symbol crossover sharing the cash.
const STRATEGIES: [(&str, &[(&str, &str)]); 3] = [
    ("momentum_rotation.strat", &[("lookback", "5"), ("hold", "2")]),
    ("momentum_rotation.strat", &[("lookback", "10"), ("hold", "1")]),
    ("sma_cross.strat", &[("fast", "3"), ("slow", "8")]),
];

/// A generated universe: 2–4 symbols of minute bars on one clock, each missing at some minutes (all present at the
/// last one, so the run ends on a complete timestamp), with flat runs and extreme moves.
fn universe_bars() -> impl Strategy<Value = Vec<Vec<Bar>>> {
    let step = (
        prop_oneof![6 => -0.03f64..0.03, 2 => Just(0.0), 1 => prop_oneof![Just(-0.5), Just(1.2)]],
        0.0f64..0.01,
        0.0f64..0.01,
        prop_oneof![8 => Just(true), 2 => Just(false)],
    );
    (2usize..5, 40usize..140).prop_flat_map(move |(symbols, minutes)| {
        proptest::collection::vec(proptest::collection::vec(step.clone(), minutes), symbols).prop_map(move |walks| {
            // A minute boundary.
            let t0 = 1_600_000_020_000i64;
            walks
                .into_iter()
                .enumerate()
                .map(|(s, steps)| {
                    let mut price = 10.0 * (s + 1) as f64;
                    let last = steps.len() - 1;
                    steps
                        .into_iter()
                        .enumerate()
                        .filter_map(|(m, (ret, up, down, present))| {
                            let open = price;
                            price *= 1.0 + ret;
                            let (high, low) = (open.max(price) * (1.0 + up), open.min(price) * (1.0 - down));
                            let bar = Bar { ts: t0 + 60_000 * m as i64, open, high, low, close: price, volume: 1.0 };
                            (present || m == last).then_some(bar)
                        })
                        .collect()
                })
                .collect()
        })
    })
}

fn symbols(n: usize) -> Vec<String> {
    (0..n).map(|s| format!("{}USDT", ["AAA", "BBB", "CCC", "DDD"][s])).collect()
}

fn config() -> ProptestConfig {
    common::proptest_config(4)
}

proptest! {
    #![proptest_config(ProptestConfig { max_shrink_iters: 16, ..config() })]

    /// A rotation and a crossover over generated universes: live over a faulty loopback feed equals the backtest.
    #[test]
    fn live_universes_equal_backtests(
        bars in universe_bars(),
        drop_every in proptest::option::of(5u64..80),
        duplicate_every in proptest::option::of(2u64..9),
        shutdown_every in proptest::option::of(7u64..120),
        updates in 0u32..3,
        warm_share in prop_oneof![Just(0usize), 1usize..4],
        fee_bps in prop_oneof![Just(0.0), 0.0f64..30.0],
    ) {
        let faults = Faults { drop_every, duplicate_every, shutdown_every, delay_ms: 0 };
        let config = SessionConfig {
            cash: 100_000.0,
            fill: FillModel { fee_bps, ..FillModel::default() },
            ..SessionConfig::default()
        };
        let all = Universe::from_bars(symbols(bars.len()), bars);
        // The warm-up: the first timestamps of every symbol; the rest traded.
        let timeline = all.timeline();
        let split = timeline[timeline.len() * warm_share / 10];
        let warm = (warm_share > 0).then(|| all.between(i64::MIN, split));
        let traded = all.between(split, i64::MAX);
        for (name, set) in STRATEGIES {
            let loaded = load(name);
            let expected = backtest_run(&loaded, set, warm.as_ref(), &traded, config);
            let (report, status) = live_run(&loaded, set, warm.as_ref(), &traded, config, ("1m", faults, updates));
            assert_same(&format!("{name} {set:?} with {faults:?}"), &expected, &report);
            prop_assert_eq!(status.counts.bars as usize, traded.total_bars());
        }
    }
}

/// Three real daily equities over the years all three traded, with every fault at once: days one symbol lacks
/// are days it is not a member of, live as in the backtest.
fn equities() -> Universe {
    let names = ["nvda-1999-2014.1d.parquet", "orcl-1995-2014.1d.parquet", "yhoo-1996-2015.1d.parquet"];
    let all: Vec<Vec<Bar>> = names.iter().map(|n| first_bars(n, 20_000)).collect();
    // From the day the youngest begins; to the last day the oldest-ending has, and 900 days at most.
    let start = all.iter().map(|b| b[0].ts).max().unwrap();
    let bars: Vec<Vec<Bar>> = all.iter().map(|b| b.iter().copied().filter(|b| b.ts >= start).collect()).collect();
    let end = bars.iter().map(|b: &Vec<Bar>| b[899.min(b.len() - 1)].ts).min().unwrap();
    let bars = bars.into_iter().map(|b| b.into_iter().filter(|b| b.ts <= end).collect()).collect();
    Universe::from_bars(vec!["NVDA".into(), "ORCL".into(), "YHOO".into()], bars)
}

#[test]
fn live_universe_equals_backtest_on_real_equities() {
    let faults = Faults { drop_every: Some(97), duplicate_every: Some(5), shutdown_every: Some(331), delay_ms: 0 };
    let config = SessionConfig {
        cash: 100_000.0,
        fill: FillModel { fee_bps: 5.0, slippage_bps: 2.0, ..FillModel::default() },
        ..SessionConfig::default()
    };
    let u = equities();
    let split = u.timeline()[100];
    let (warm, traded) = (u.between(i64::MIN, split), u.between(split, i64::MAX));
    for (name, set) in [("momentum_rotation.strat", &[("lookback", "20"), ("hold", "2")][..]), ("sma_cross.strat", &[])]
    {
        let loaded = load(name);
        let expected = backtest_run(&loaded, set, Some(&warm), &traded, config);
        assert!(expected.fills.len() > 10, "{name} trades: {}", expected.fills.len());
        let (report, status) = live_run(&loaded, set, Some(&warm), &traded, config, ("1d", faults, 1));
        assert_same(name, &expected, &report);
        // The faults were felt: reconnects, resends or catch-up (which ones depends on timing).
        let c = status.counts;
        assert!(status.reconnects + c.duplicates + c.backfilled > 0, "{name}: {status:?}");
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A folder of one file per symbol.
fn folder(dir: &Path, name: &str, u: &Universe) -> std::path::PathBuf {
    let f = dir.join(name);
    std::fs::create_dir_all(&f).unwrap();
    for (symbol, bars) in u.symbols.iter().zip(&u.bars) {
        write_bars(&f.join(format!("{}.1d.parquet", symbol.to_ascii_lowercase())), bars);
    }
    f
}

fn live_args<'a>(ws: &'a str, http: &'a str, n: &'a str, out: &'a str, warm: &'a str) -> Vec<&'a str> {
    let mut args = vec!["live", "strategies/momentum_rotation.strat", "--feed", "binance:NVDA,ORCL,YHOO@1d"];
    args.extend(["--feed-url", ws, "--rest-url", http, "--max-bars", n, "--backoff-ms", "1", "--out", out]);
    args.extend(["--warmup-data", warm]);
    args.extend(SETTINGS);
    args
}

/// The strategy's settings, the same for the live run and the backtest it is compared with.
const SETTINGS: [&str; 6] = ["--set", "lookback=20", "--set", "hold=2", "--fees-bps", "7"];

/// Backtests the same universe with the live run's settings into `bt_out` and asserts that it wrote byte for byte the
/// fills, equity and trades the live run wrote into `live_out`.
fn backtest_writes_what_live_wrote(traded: &Path, warm: &Path, bt_out: &Path, live_out: &Path) {
    let [traded_s, out_s, warm_s] = [traded, bt_out, warm].map(|p| p.to_str().unwrap());
    let mut args = vec!["backtest", "strategies/momentum_rotation.strat", "--data", traded_s, "--out", out_s];
    args.extend(["--warmup-data", warm_s]);
    args.extend(SETTINGS);
    let bt = strata(&args);
    assert!(bt.status.success(), "{}", stderr(&bt));
    for file in ["fills.parquet", "equity.parquet", "trades.parquet"] {
        assert!(read(&live_out.join(file)) == read(&bt_out.join(file)), "{file} differs");
    }
}

/// The real equities in `dir` as two folders: `warm` (the first 100 days) and `traded` (the rest, also returned as a
/// universe).
fn equity_folders(dir: &Path) -> (std::path::PathBuf, Universe, std::path::PathBuf) {
    let u = equities();
    let split = u.timeline()[100];
    let warm = folder(dir, "warm", &u.between(i64::MIN, split));
    let traded_u = u.between(split, i64::MAX);
    let traded = folder(dir, "traded", &traded_u);
    (warm, traded_u, traded)
}

/// `strata feed serve` of a folder and `strata live --feed binance:NVDA,ORCL,YHOO@1d` write what `strata backtest`
/// of the folder writes: the same fills (with their symbols), equity and trades files, byte for byte, and the same
/// summary; plus a journal of every symbol's bars and fills and `live.json`.
#[test]
fn live_and_backtest_of_a_universe_write_the_same_files() {
    let dir = tempdir();
    let (warm, traded_u, traded) = equity_folders(dir.path());
    let (_server, port) = common::serve_feed(&[
        "--data",
        traded.to_str().unwrap(),
        "--drop-every",
        "101",
        "--duplicate-every",
        "3",
        "--shutdown-every",
        "257",
    ]);
    let (live_out, bt_out) = (dir.path().join("live"), dir.path().join("bt"));
    let (ws, http) = (format!("ws://127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"));
    let n = traded_u.timeline().len().to_string();
    let live = strata_within(&live_args(&ws, &http, &n, live_out.to_str().unwrap(), warm.to_str().unwrap()), DEADLINE);
    assert!(live.status.success(), "{}", stderr(&live));
    backtest_writes_what_live_wrote(&traded, &warm, &bt_out, &live_out);
    let summary = |d: &Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&read(&d.join("summary.json"))).unwrap();
        v.as_object_mut().unwrap().remove("data");
        v
    };
    let live_summary = summary(&live_out);
    assert_eq!(live_summary, summary(&bt_out));
    assert!(live_summary["fills"].as_u64().unwrap() > 10, "{live_summary}");
    let record: serde_json::Value = serde_json::from_slice(&read(&live_out.join("live.json"))).unwrap();
    assert_eq!(record["stopped"], "max-bars");
    assert_eq!(record["feed"]["counts"]["bars"].as_u64(), Some(traded_u.total_bars() as u64), "{record}");
    let journal = String::from_utf8(read(&live_out.join("journal.jsonl"))).unwrap();
    let count = |event: &str| journal.lines().filter(|l| l.contains(&format!("\"event\":\"{event}\""))).count();
    assert_eq!(count("bar"), traded_u.total_bars());
    assert_eq!(count("fill") as u64, live_summary["fills"].as_u64().unwrap());
    assert!(journal.lines().nth(1).unwrap().contains("\"symbol\":\"NVDA\""), "bars name their symbols");
    assert!(journal.lines().next().unwrap().contains("\"universe\":[\"NVDA\",\"ORCL\",\"YHOO\"]"));
}

/// A live universe run killed part-way (its journal has no `stop` line) resumes from its journal: started again,
/// it replays the timestamps it had traded and goes on, and its files are the uninterrupted run's.
#[test]
fn a_killed_live_universe_run_resumes_from_its_journal() {
    let dir = tempdir();
    let (warm, traded_u, traded) = equity_folders(dir.path());
    let n = traded_u.timeline().len().to_string();
    let run = |out: &Path, data: &Path| {
        let (_server, port) = common::serve_feed(&["--data", data.to_str().unwrap()]);
        let (ws, http) = (format!("ws://127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"));
        strata_within(&live_args(&ws, &http, &n, out.to_str().unwrap(), warm.to_str().unwrap()), DEADLINE)
    };
    let whole = dir.path().join("whole");
    assert!(run(&whole, &traded).status.success());
    // A killed run: the whole run's journal cut after the timestamp of its 300th bar line (that timestamp's bars,
    // fills and orders all kept), its outputs never written.
    let killed = dir.path().join("killed");
    std::fs::create_dir_all(&killed).unwrap();
    let text = String::from_utf8(read(&whole.join("journal.jsonl"))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let bar_lines: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains("\"event\":\"bar\"")).collect();
    let ts = |l: &str| l.split("\"ts\":").nth(1).unwrap().split(',').next().unwrap().to_string();
    let at = bar_lines[300];
    let keep = bar_lines.iter().copied().find(|&i| i > at && ts(lines[i]) != ts(lines[at])).unwrap();
    let cut = lines[..keep].join("\n") + "\n";
    std::fs::write(killed.join("journal.jsonl"), &cut).unwrap();
    // The venue has moved on: it serves only the days after the last one journalled, so only a run that takes up
    // its journal's state — not one that starts again — can end as the whole run did.
    let after = folder(dir.path(), "after", &traded_u.between(ts(lines[at]).parse::<i64>().unwrap() + 1, i64::MAX));
    let resumed = run(&killed, &after);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    for file in ["fills.parquet", "equity.parquet", "trades.parquet"] {
        assert!(read(&whole.join(file)) == read(&killed.join(file)), "{file} differs after resuming");
    }
    let journal = String::from_utf8(read(&killed.join("journal.jsonl"))).unwrap();
    assert_eq!(journal.lines().filter(|l| l.contains("\"event\":\"resume\"")).count(), 1);
    // Another universe cannot take it over.
    std::fs::write(killed.join("journal.jsonl"), &cut).unwrap();
    let (_server, port) = common::serve_feed(&["--data", traded.to_str().unwrap()]);
    let (ws, http) = (format!("ws://127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"));
    let mut args = live_args(&ws, &http, &n, killed.to_str().unwrap(), warm.to_str().unwrap());
    args[3] = "binance:NVDA,ORCL@1d";
    let other = strata_within(&args, DEADLINE);
    assert!(!other.status.success());
    assert!(
        stderr(&other).contains("its unfinished run traded NVDA, ORCL, YHOO, not this universe (NVDA, ORCL)"),
        "{}",
        stderr(&other)
    );
    // Nor one symbol's run (given one symbol's options: no universe warm-up).
    args[3] = "binance:NVDA@1d";
    assert_eq!(args[14], "--warmup-data");
    args.drain(14..16);
    let one = strata_within(&args, DEADLINE);
    assert!(!one.status.success());
    let want =
        "its unfinished run traded the universe NVDA, ORCL, YHOO; resume it with --feed binance:NVDA,ORCL,YHOO@1d";
    assert!(stderr(&one).contains(want), "{}", stderr(&one));
}

/// What a universe cannot do live is refused, with the reason.
#[test]
fn live_universe_refusals_say_why() {
    let cases: [(&[&str], &str); 5] = [
        (&["--feed", "binance:AAA@1d", "--stall-after", "5"], "--stall-after applies to a universe's streams"),
        (&["--broker", "binance"], "--broker binance trades one symbol"),
        (&["--from-trades"], "--from-trades builds one symbol's bars"),
        (&["--broker", "signals:x.jsonl"], "takes one symbol's intents"),
        (&["--feed", "binance:@1d"], "name the symbols"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["live", "strategies/sma_cross.strat", "--feed", "binance:AAA,BBB@1d"];
        args.extend_from_slice(extra);
        if extra.first() == Some(&"--feed") {
            args.drain(2..4);
        }
        let o = strata(&args);
        assert!(!o.status.success(), "{extra:?}");
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
    }
}

/// A symbol whose stream stops (halted, delisted) does not hold the run: after `--stall-after` the timestamps go on
/// without it — the timestamps a backtest of the same bars has, where it is simply not a member any more — and
/// `live.json` says when the run stopped waiting for whom.
#[test]
fn a_stream_that_stops_is_given_up_on_after_stall_after() {
    let dir = tempdir();
    let (warm, traded_u, _) = equity_folders(dir.path());
    // YHOO's last 150 days never come.
    let mut cut = traded_u.clone();
    let keep = cut.bars[2].len() - 150;
    cut.bars[2].truncate(keep);
    let traded = folder(dir.path(), "cut", &cut);
    let (_server, port) = common::serve_feed(&["--data", traded.to_str().unwrap()]);
    let (ws, http) = (format!("ws://127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"));
    let n = cut.timeline().len().to_string();
    let (live_out, bt_out) = (dir.path().join("live"), dir.path().join("bt"));
    let mut args = live_args(&ws, &http, &n, live_out.to_str().unwrap(), warm.to_str().unwrap());
    // (Three seconds: far longer than any timestamp of the replay waits for a live stream, even on a busy machine.)
    args.extend(["--stall-after", "3", "--heartbeat-secs", "1"]);
    let live = strata_within(&args, DEADLINE);
    assert!(live.status.success(), "{}", stderr(&live));
    assert!(
        stderr(&live).contains("streams stopped: going on without them until they send again"),
        "{}",
        stderr(&live)
    );
    backtest_writes_what_live_wrote(&traded, &warm, &bt_out, &live_out);
    let record: serde_json::Value = serde_json::from_slice(&read(&live_out.join("live.json"))).unwrap();
    let stalls = record["universe"]["stalls"].as_array().unwrap();
    assert_eq!(stalls.len(), 1, "{record}");
    assert_eq!(stalls[0]["symbols"], serde_json::json!(["YHOO"]));
    // It stopped waiting at the first timestamp after YHOO's last bar.
    let yhoo_last = cut.bars[2][keep - 1].ts;
    let first_without = cut.timeline().into_iter().find(|&t| t > yhoo_last);
    assert_eq!(stalls[0]["at"].as_i64(), first_without);
    assert_eq!(record["universe"]["late_bars"], 0);
}
