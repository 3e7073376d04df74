//! `strata live` over a universe: one strategy on many symbols' kline streams, one portfolio with shared cash, the
//! paper broker — the universe backtest's basket, fed live.
//!
//! Design choice: as `strata live` plugs a feed into the backtest's per-bar step, this plugs a feed of every
//! symbol's stream (one connection, the combined endpoint) into the universe backtest's per-timestamp step through
//! [`LiveBasket`], whose barrier lets out the backtest's own timestamps. The outputs are the universe backtest's files
//! plus `journal.jsonl` and `live.json`; a killed run resumes from its journal.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use strata_runtime::backtest::{RunError, params_json};
use strata_runtime::basket::Basket;
use strata_runtime::data::universe::Universe;
use strata_runtime::live::binance::{Interval, Stream};
use strata_runtime::live::feed::{Backoff, Feed, FeedOptions};
use strata_runtime::live::net::Endpoint;
use strata_runtime::live::resume::read_last_run;
use strata_runtime::live::run::Journal;
use strata_runtime::live::universe_run::LiveBasket;
use strata_runtime::metrics::RunFacts;
use tracing::info;

use super::Reported;
use super::backtest::prepare;
use super::live::{Args, Broker, Failure, init_logging, stop_requested, watch_trading_state};

pub(super) fn run(a: Args, listed: Vec<String>, interval: Interval) -> anyhow::Result<ExitCode> {
    match a.broker {
        Broker::Paper => {}
        Broker::Binance => bail!(
            "--broker binance trades one symbol; a universe runs on the paper broker (one portfolio, shared cash)"
        ),
        Broker::Signals(_) => {
            bail!("--broker signals:… takes one symbol's intents; a universe runs on the paper broker")
        }
    }
    if a.from_trades {
        bail!("--from-trades builds one symbol's bars from its trade stream; a universe reads its symbols' klines");
    }
    if a.venue_lockstep || a.key_file.is_some() || a.run_id.is_some() {
        bail!("--venue-lockstep, --key-file and --run-id belong to --broker binance, which trades one symbol");
    }
    if a.backoff_max_ms < a.backoff_ms {
        bail!("--backoff-max-ms ({}) is less than --backoff-ms ({})", a.backoff_max_ms, a.backoff_ms);
    }
    Endpoint::parse(&a.feed_url).map_err(|e| anyhow::anyhow!("--feed-url: {e}"))?;
    Endpoint::parse(&a.rest_url).map_err(|e| anyhow::anyhow!("--rest-url: {e}"))?;
    let p = prepare(&a.strategy, &a.run)?;
    let plan = &p.loaded.plan;
    // The feed's symbols (else the strategy's), in name order — the order a universe backtest gives them.
    let mut symbols = if listed.is_empty() { plan.symbols.clone() } else { listed };
    if symbols.is_empty() {
        bail!(
            "--feed {}: name the symbols (binance:BTCUSDT,ETHUSDT@{interval}), or give the strategy a `symbols` line",
            a.feed
        );
    }
    symbols.iter_mut().for_each(|s| *s = s.to_ascii_uppercase());
    symbols.sort();
    symbols.dedup();
    let streams: Vec<Stream> = symbols
        .iter()
        .map(|s| Stream::parse(&format!("{s}@{}", interval.name())).map_err(|e| anyhow::anyhow!("--feed: {e}")))
        .collect::<anyhow::Result<_>>()?;
    let mut options = FeedOptions::universe(streams, &a.feed_url, &a.rest_url)?;
    options.backoff = Backoff {
        initial: Duration::from_millis(a.backoff_ms),
        max: Duration::from_millis(a.backoff_max_ms),
        attempts: a.attempts,
    };
    options.heartbeat = Duration::from_secs(a.heartbeat_secs);

    // One engine per symbol, told the bars' interval for its longer timeframes.
    let mut engines = Vec::with_capacity(symbols.len());
    for _ in &symbols {
        let mut engine = p.engine(&a.run, &a.strategy)?;
        if engine.needs_bar_interval() {
            let Some(ms) = interval.millis() else {
                bail!("{}: longer timeframes cannot be built from {interval} bars", a.strategy.display());
            };
            engine.set_bar_interval(ms).map_err(|e| anyhow::anyhow!("{}:{e}", a.strategy.display()))?;
        }
        engines.push(engine);
    }
    let warmup_needed = engines.first().map_or(0, |e| interval.millis().map_or(e.warmup(), |ms| e.history_bars(ms)));
    // `--warmup-data`: a universe holding every symbol of the run.
    let warmup_file = match &p.warmup_universe {
        Some(w) => {
            let mut w = w.clone();
            w.select(&symbols).map_err(|e| anyhow::anyhow!("--warmup-data: {e}"))?;
            Some(w)
        }
        None if !p.warmup.is_empty() => bail!(
            "--warmup-data is one symbol's history; a universe's warm-up is a universe of its symbols (a folder of \
             files, or a file with a symbol column)"
        ),
        None => None,
    };
    init_logging(a.log_format);

    let feed_label = format!("binance:{}@{interval} via {}", symbols.join(","), options.ws.url(true));
    let facts = RunFacts {
        strategy: plan.name.clone(),
        data: format!("{feed_label} ({} symbols)", symbols.len()),
        params: params_json(plan, &p.params),
        ..RunFacts::default()
    };
    let journal_path = a.journal.clone().or_else(|| a.run.outputs_dir().map(|d| d.join("journal.jsonl")));
    // A journal whose last run has no `stop` line is a run that was killed: this run resumes it — if it was this
    // universe's.
    let resuming = match journal_path.as_deref() {
        Some(path) => {
            read_last_run(path).map_err(|e| anyhow::anyhow!("{e}"))?.filter(|r| !r.stopped && !r.bars.is_empty())
        }
        None => None,
    };
    if let Some(run) = &resuming
        && run.universe.as_deref() != Some(symbols.as_slice())
    {
        bail!(
            "{}: its unfinished run traded {}, not this universe ({}); resume it with the same --feed, or write this \
             run elsewhere (--out / --journal)",
            journal_path.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
            run.universe.as_ref().map_or("one symbol".to_string(), |u| u.join(", ")),
            symbols.join(", ")
        );
    }
    let journal = journal_path.as_deref().map(Journal::open).transpose()?;
    let basket = Basket::new(engines, p.config)?;
    let mut live = LiveBasket::new(basket, symbols.clone(), journal, a.max_bars);
    // By default a timestamp waits two bar intervals (at least a minute) for a silent stream.
    let interval_s = interval.millis().map_or(30 * 86_400, |ms| (ms / 1000) as u64);
    live.stall_after(match a.stall_after {
        Some(0) => None,
        Some(s) => Some(Duration::from_secs(s)),
        None => Some(Duration::from_secs((2 * interval_s).max(60))),
    });
    let control = super::live::initial_control(&a)?;
    live.control(control.clone());
    let resumed = match &resuming {
        Some(run) => {
            info!(bars = run.bars.len(), "resuming a run that was stopped uncleanly: replaying its journal");
            match live.resume(run) {
                Ok(_) => true,
                Err(e) => return strategy_failure(e, &a.strategy),
            }
        }
        None => {
            live.start(&facts)?;
            false
        }
    };

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let mut feed = Feed::universe(options);
    let (stopped, failure) = runtime.block_on(async {
        let work = async {
            if !resumed {
                // Warm-up: the file given, or each symbol's most recent closed bars from the venue.
                let history = match warmup_file {
                    Some(w) => {
                        info!(bars = w.total_bars(), "warm-up from --warmup-data");
                        Some(w)
                    }
                    None if warmup_needed > 0 => match venue_history(&mut feed, &symbols, warmup_needed).await {
                        Ok(u) => Some(u),
                        Err(e) => return ("feed error", Some(Failure::Feed(e))),
                    },
                    None => None,
                };
                if let Some(history) = history
                    && let Err(e) = live.warm(&history)
                {
                    return ("strategy error", Some(Failure::Run(e)));
                }
            }
            if let Some(last) = live.last() {
                feed.start_after(last);
            }
            if a.max_bars.is_some_and(|m| live.timestamps() as u64 >= m) {
                return ("max-bars", None);
            }
            info!(feed = %feed_label, strategy = %facts.strategy, symbols = symbols.len(), "live run started");
            let outcome = feed.run(&mut live).await.err().map(|e| Failure::Feed(e.to_string()));
            let outcome = outcome.or_else(|| live.take_error().map(Failure::Run));
            let stopped = match &outcome {
                Some(Failure::Feed(_)) => "feed error",
                Some(Failure::Run(RunError::Strategy(_))) => "strategy error",
                Some(_) => "output error",
                None => "max-bars",
            };
            (stopped, outcome)
        };
        tokio::select! {
            r = work => r,
            () = watch_trading_state(control, a.control.clone()) => ("signal", None),
            signal = stop_requested() => {
                info!(signal, "stopping");
                ("signal", None)
            }
        }
    });
    let status = feed.status();
    let (result, record, end) = live.finish(facts, stopped, status);
    info!(
        stopped,
        timestamps = result.equity.len(),
        final_equity = result.report.summary.final_equity,
        reconnects = record.feed.reconnects,
        latency_p50_us = record.latency.p50_us,
        latency_p99_us = record.latency.p99_us,
        "live run ended"
    );
    // The outputs are written however the run ended: what was traded is kept.
    if let Some(dir) = a.run.outputs_dir() {
        let live_json = serde_json::to_vec_pretty(&record).context("encoding live.json")?;
        super::universe::write_outputs(dir, &symbols, &result, &[("live.json", live_json)])?;
    }
    // Only now is the run over in its journal: a kill before this line resumes it.
    end.close(&result.report)?;
    super::universe::print_result(&result, &a.run)?;
    a.run.write_report()?;
    match failure {
        None => Ok(ExitCode::SUCCESS),
        Some(Failure::Run(e)) => strategy_failure(e, &a.strategy),
        Some(Failure::Feed(e)) | Some(Failure::Sink(e)) => bail!("{e}"),
    }
}

/// A run error as the command reports it: a script's error as the compiler would print it.
fn strategy_failure(e: RunError, strategy: &Path) -> anyhow::Result<ExitCode> {
    match e {
        RunError::Strategy(e) => {
            eprint!("{}", e.message);
            Err(Reported.into())
        }
        RunError::Bind(e) => bail!("{}:{e}", strategy.display()),
        e => Err(e.into()),
    }
}

/// Each symbol's most recent `n` closed bars from the venue, cut at the latest time every symbol's history reaches
/// (so that warm-up ends at one timestamp and every stream goes on from there; what is cut is fetched again live).
async fn venue_history(feed: &mut Feed, symbols: &[String], n: usize) -> Result<Universe, String> {
    let mut bars = Vec::with_capacity(symbols.len());
    for s in 0..symbols.len() {
        let k = feed.history_of(s, n).await.map_err(|e| e.to_string())?;
        bars.push(k.iter().map(|k| k.bar()).collect::<Vec<_>>());
    }
    let end = bars.iter().filter_map(|b: &Vec<_>| b.last().map(|b| b.ts)).min();
    if let Some(end) = end {
        for b in &mut bars {
            b.retain(|b| b.ts <= end);
        }
    }
    info!(bars = bars.iter().map(Vec::len).sum::<usize>(), wanted = n, "warm-up from the venue's history");
    Ok(Universe::from_bars(symbols.to_vec(), bars))
}
