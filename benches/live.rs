//! Live-mode benchmark (issue 5): 100,000 bars through loopback at full speed — the feed server replaying them as
//! the venue's kline stream (two in-progress updates and the close per bar: 300,000 messages), the feed client
//! reading them, and the SMA-cross strategy trading them with the paper broker.
//!
//! Reported: decision latency (from reading the message that closes a bar to that bar's orders being placed) p50 /
//! p99 / max, and ingest in messages and bars per second — next to a baseline measured in the same run, the
//! backtest of the same bars in memory, because this machine is noisy. Targets: p99 ≤ 100 µs, ≥ 100,000 messages/s
//! with nothing lost (the run must see every bar).
//!
//! Run: `cargo bench --bench live` (`STRATA_BENCH_LIVE_BARS=N` changes the bar count).

mod synth;

use std::path::Path;
use std::time::{Duration, Instant};

use strata::strategy;
use strata_runtime::backtest;
use strata_runtime::bind::resolve_params;
use strata_runtime::data::VecSource;
use strata_runtime::live::bars::BarStream;
use strata_runtime::live::binance::Stream;
use strata_runtime::live::feed::{Feed, FeedOptions};
use strata_runtime::live::run::LiveRun;
use strata_runtime::live::server::{self, FeedConfig};
use strata_runtime::output::NoRecorder;
use strata_runtime::session::{Session, SessionConfig};

fn main() {
    let n: usize = std::env::var("STRATA_BENCH_LIVE_BARS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let bars = synth::bars(n, 7);
    let loaded = strategy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies/sma_cross.strat"))
        .expect("the bundled strategy loads");
    let params = resolve_params(&loaded.plan, &[]).expect("default params");
    let config = SessionConfig::default();

    // Baseline: the same bars backtested in memory.
    let mut best_backtest = Duration::MAX;
    for _ in 0..3 {
        let engine = loaded.engine_with(&params, false).expect("engine");
        let start = Instant::now();
        let report = backtest::run_engine(
            &loaded.plan,
            &params,
            engine,
            config,
            &mut VecSource::new(bars.clone()),
            &mut NoRecorder,
            "bench",
        )
        .expect("backtest");
        best_backtest = best_backtest.min(start.elapsed());
        assert_eq!(report.summary.bars, n);
    }

    let stream = Stream::parse("BENCHUSDT@1m").expect("stream");
    let updates_per_bar = 2u32;
    let messages = n as f64 * f64::from(updates_per_bar + 1);
    println!("live: {n} bars, {messages} messages over loopback, sma_cross.strat, paper broker");
    for round in 1..=3 {
        let engine = loaded.engine_with(&params, false).expect("engine");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        // The venue runs on its own thread, as it would on its own machine: what is measured is the client.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let feed_config = FeedConfig { updates_per_bar, ..FeedConfig::new(stream.clone()) };
        let venue_bars = bars.clone();
        std::thread::spawn(move || {
            let venue = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            venue.block_on(async move {
                listener.set_nonblocking(true).expect("nonblocking");
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = server::serve(listener, venue_bars, feed_config).await;
            });
        });
        let (elapsed, latency, bars_seen) = runtime.block_on(async {
            let options =
                FeedOptions::new(stream.clone(), &format!("ws://{addr}"), &format!("http://{addr}")).expect("options");
            let mut feed = Feed::new(options, BarStream::new(stream.clone(), None));
            let mut recorder = NoRecorder;
            let mut live = LiveRun::new(Session::new(engine, config), &mut recorder, None, Some(n as u64));
            let start = Instant::now();
            feed.run(&mut live).await.expect("the feed runs");
            let elapsed = start.elapsed();
            (elapsed, live.latency().clone(), live.bars())
        });
        assert_eq!(bars_seen, n, "every bar arrives");
        let us = |q: f64| latency.quantile(q).map_or(f64::NAN, |d| d.as_nanos() as f64 / 1000.0);
        println!(
            "  round {round}: {:.0} ms — {:.0} messages/s, {:.0} bars/s; latency p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs; \
             {:.1}× the in-memory backtest ({:.1} ms)",
            elapsed.as_secs_f64() * 1000.0,
            messages / elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            us(0.5),
            us(0.99),
            latency.max().as_nanos() as f64 / 1000.0,
            elapsed.as_secs_f64() / best_backtest.as_secs_f64(),
            best_backtest.as_secs_f64() * 1000.0,
        );
    }
}
