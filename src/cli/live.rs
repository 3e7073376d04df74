//! `strata live`: the backtest's strategy, options and outputs, fed from a live kline stream and filled by the paper
//! broker — which is the backtest's simulated broker — or by a venue (`--broker binance`), or sent to a signal sink.
//!
//! Design choice: this command only plugs things together. The strategy is prepared by the same code as
//! `strata backtest` ([`super::backtest::prepare`]), bars come from [`Feed`], each one goes through the backtest's own
//! per-bar step inside [`LiveRun`], and the outputs are the backtest's files plus `journal.jsonl` and `live.json`.
//! A journal whose last run never stopped is resumed ([`LiveRun::resume`]). The run ends after `--max-bars`, on
//! Ctrl-C or SIGTERM, or when the feed cannot be reached — writing its outputs in every case.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use strata_runtime::backtest::{RunError, params_json};
use strata_runtime::live::bars::BarStream;
use strata_runtime::live::binance::{Interval, Stream};
use strata_runtime::live::feed::{BINANCE_REST, BINANCE_WS, Backoff, Feed, FeedOptions};
use strata_runtime::live::net::Endpoint;
use strata_runtime::live::resume::read_last_run;
use strata_runtime::live::run::{Journal, LiveRun, StateControl};
use strata_runtime::live::signals::{self, SignalTarget};
use strata_runtime::metrics::RunFacts;
use strata_runtime::output::{NoRecorder, ParquetRecorder, Recorder};
use strata_runtime::risk::TradingState;
use strata_runtime::session::{Session, SessionConfig};
use strata_runtime::venue::binance::Credentials;
use strata_runtime::venue::broker::{Holdings, VenueBroker};
use strata_runtime::venue::client::{BinanceClient, ClientConfig};
use tracing::info;

use super::backtest::{RunArgs, prepare};
use super::{Reported, summary};

/// Who fills the orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broker {
    /// The backtest's fill model: the next bar's open, with --fees-bps and --slippage-bps.
    Paper,
    /// Every intent sent to a signal sink for execution elsewhere; the paper simulation runs beside it.
    Signals(SignalTarget),
    /// Binance Spot's order API at --rest-url, signed with BINANCE_API_KEY / BINANCE_API_SECRET or --key-file.
    Binance,
}

fn parse_broker(text: &str) -> Result<Broker, String> {
    match text {
        "paper" => Ok(Broker::Paper),
        "binance" => Ok(Broker::Binance),
        _ => match text.strip_prefix("signals:") {
            Some(target) => SignalTarget::parse(target).map(Broker::Signals),
            None => Err(format!(
                "unknown broker '{text}' (brokers: paper, binance, signals:FILE.jsonl, signals:http://…, \
                 signals:redis://HOST:PORT/STREAM)"
            )),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy file (.strat or .rhai).
    pub strategy: PathBuf,
    /// The market data: binance:SYMBOL@INTERVAL (for example binance:BTCUSDT@1m); for a universe, its symbols —
    /// binance:BTCUSDT,ETHUSDT,SOLUSDT@1m — or none, binance:@1m, for the strategy's `symbols` line.
    #[arg(long, value_name = "VENUE:SYMBOL@INTERVAL")]
    pub feed: String,
    /// Build the bars from the venue's aggregate trade stream (`symbol@aggTrade`) instead of reading its klines —
    /// with the code `strata data import --bars` uses, so they equal bars imported from the same trades. A bar is
    /// complete when the first trade after its period arrives.
    #[arg(long)]
    pub from_trades: bool,
    /// The kline WebSocket: a server (`ws://127.0.0.1:9443`, given `/ws/<stream>`) or a full stream URL.
    #[arg(long, value_name = "URL", default_value = BINANCE_WS)]
    pub feed_url: String,
    /// The REST API, for catching up after a reconnect and for warm-up history.
    #[arg(long, value_name = "URL", default_value = BINANCE_REST)]
    pub rest_url: String,
    /// Who fills the orders: `paper` (the backtest's fill model); `binance` (the venue's order API at --rest-url,
    /// keys from BINANCE_API_KEY / BINANCE_API_SECRET or --key-file); or `signals:TARGET` — every order intent sent
    /// as JSON to a file (one line each), an HTTP endpoint (POST), or a Redis stream (`redis://HOST:PORT/STREAM`,
    /// XADD), with the paper simulation beside it for the run's own report.
    #[arg(long, value_name = "BROKER", default_value = "paper", value_parser = parse_broker)]
    pub broker: Broker,
    #[command(flatten)]
    pub run: RunArgs,
    /// Stop after this many closed bars have been traded (then write the outputs, as on Ctrl-C).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_bars: Option<u64>,
    /// The journal of every bar received and order event (default: journal.jsonl in --out; none without --out).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Log lines as text or as JSON objects (on stderr; RUST_LOG sets the level, default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// With a universe: seconds a timestamp may wait for some symbols' streams (a halted or delisted symbol) before
    /// the run goes on without them until they send again — logged, and recorded in live.json (default: two bar
    /// intervals, at least 60; 0: wait forever). Checked at each heartbeat.
    #[arg(long, value_name = "S")]
    pub stall_after: Option<u64>,
    /// Seconds between heartbeat log lines.
    #[arg(long, value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: u64,
    /// First reconnection delay in milliseconds (doubling, jittered, up to --backoff-max-ms).
    #[arg(long, value_name = "MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(1..))]
    pub backoff_ms: u64,
    /// Longest reconnection delay in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub backoff_max_ms: u64,
    /// Failed attempts in a row (connections or REST requests) before giving up.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub attempts: u32,
    /// A command file holding the trading state — `active`, `reducing` (only orders that shrink the position) or
    /// `halted` (no new orders) — applied from the next bar whenever its content changes. SIGUSR1 halts and SIGUSR2
    /// switches to reducing as well.
    #[arg(long, value_name = "FILE")]
    pub control: Option<PathBuf>,
    /// With --broker binance: the API key and secret, one per line (instead of BINANCE_API_KEY / BINANCE_API_SECRET).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Rehearsal with `strata venue serve --lockstep`: tell the venue when each bar is done, so that it holds the
    /// market until then (deterministic fills however slow, or restarted, the run is).
    #[arg(long)]
    pub venue_lockstep: bool,
    /// Names the run in its client order ids (`st-<id>-<seq>`), so a restarted run finds its orders at the venue
    /// (default: the strategy's file name and a digest of the feed and params).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
}

/// The default run id: the strategy's file stem and a digest of what makes the run itself (feed, params).
fn default_run_id(
    strategy: &std::path::Path,
    feed: &str,
    params: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let stem: String = strategy
        .file_stem()
        .map(|s| s.to_string_lossy().chars().filter(|c| c.is_ascii_alphanumeric()).take(7).collect())
        .unwrap_or_default();
    // FNV-1a: stable across builds and platforms.
    let mut h: u32 = 0x811c_9dc5;
    for b in feed.bytes().chain(serde_json::Value::Object(params.clone()).to_string().into_bytes()) {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    format!("{stem}-{:04x}", h & 0xffff)
}

/// Starts the venue broker for `--broker binance`: credentials, the symbol's rules, the account — which must hold
/// none of the base asset, since this run could not explain it.
fn start_venue(
    a: &Args,
    stream: &Stream,
    run_id: &str,
    config: &SessionConfig,
    resuming: bool,
) -> anyhow::Result<(VenueBroker, Holdings)> {
    let credentials = match &a.key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("--key-file {}", path.display()))?;
            Credentials::from_key_file(&text, &path.display().to_string()).map_err(anyhow::Error::msg)?
        }
        None => Credentials::from_env().map_err(|e| anyhow::anyhow!("--broker binance: {e} (or give --key-file)"))?,
    };
    let rest = Endpoint::parse(&a.rest_url).map_err(|e| anyhow::anyhow!("--rest-url: {e}"))?;
    let mut client = ClientConfig::new(rest, credentials);
    client.attempts = a.attempts.max(2);
    let (broker, holdings) = VenueBroker::start(
        BinanceClient::new(client),
        &stream.symbol,
        run_id,
        config.fill,
        config.risk.price_collar_pct,
    )
    .map_err(|e| anyhow::anyhow!("--broker binance: {e}"))?;
    let info = broker.symbol();
    // (A resumed run holds its own position: the journal explains it, which `LiveRun::resume` checks.)
    if !resuming && holdings.base >= info.min_qty.max(1e-12) {
        bail!(
            "--broker binance: the account holds {} {} that this run did not buy; Strata will not trade a position it \
             cannot explain (close it, or use an account without one)",
            strata_runtime::fmt_num(holdings.base),
            info.base
        );
    }
    Ok((broker, holdings))
}

/// Resolves at the next delivery of `signal` (never, when it could not be installed).
#[cfg(unix)]
async fn next_signal(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Applies SIGUSR1 (halt), SIGUSR2 (reducing) and changes of the `--control` file to `control`, until dropped.
pub(super) async fn watch_trading_state(control: StateControl, file: Option<PathBuf>) {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::user_defined1()).ok(), signal(SignalKind::user_defined2()).ok())
    };
    #[cfg(unix)]
    let (mut usr1, mut usr2) = signals;
    let mut last_text: Option<String> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        #[cfg(unix)]
        tokio::select! {
            _ = tick.tick() => {}
            _ = next_signal(&mut usr1) => { info!("SIGUSR1: halting"); control.request(TradingState::Halted); continue; }
            _ = next_signal(&mut usr2) => { info!("SIGUSR2: reducing only"); control.request(TradingState::Reducing); continue; }
        }
        #[cfg(not(unix))]
        tick.tick().await;
        let Some(path) = &file else { continue };
        // A missing file changes nothing; a new content is applied once, so a signal is not undone by it.
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        if last_text.as_deref() == Some(text.as_str()) {
            continue;
        }
        match text.parse::<TradingState>() {
            Ok(state) => control.request(state),
            Err(e) => tracing::warn!(file = %path.display(), "{e}; the trading state is unchanged"),
        }
        last_text = Some(text);
    }
}

/// What `--feed` names: one symbol's stream, or a universe's symbols (none: the strategy's) at one interval.
pub(super) enum FeedTarget {
    One(Stream),
    Universe { symbols: Vec<String>, interval: Interval },
}

/// The trading state the `--control` file holds at the start (it holds from the first bar; later changes apply as
/// they are seen), to share with the run.
pub(super) fn initial_control(a: &Args) -> anyhow::Result<StateControl> {
    let control = StateControl::default();
    if let Some(path) = &a.control
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let state: TradingState = text.parse().map_err(|e| anyhow::anyhow!("--control {}: {e}", path.display()))?;
        control.request(state);
    }
    Ok(control)
}

/// `binance:BTCUSDT@1m` → the stream; `binance:BTCUSDT,ETHUSDT@1m` or `binance:@1m` → a universe.
fn parse_feed(feed: &str) -> anyhow::Result<FeedTarget> {
    let Some((venue, rest)) = feed.split_once(':') else {
        bail!("--feed: '{feed}' is not VENUE:SYMBOL@INTERVAL (for example binance:BTCUSDT@1m)");
    };
    if !venue.eq_ignore_ascii_case("binance") {
        bail!("--feed: unknown venue '{venue}' (venues: binance)");
    }
    let (symbols, interval) = rest.split_once('@').unwrap_or((rest, ""));
    let symbols: Vec<&str> = symbols.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if symbols.len() == 1 {
        return Stream::parse(rest).map(FeedTarget::One).map_err(|e| anyhow::anyhow!("--feed: {e}"));
    }
    // Each symbol as its own stream, to check it and the interval as one symbol's would be.
    let mut names = Vec::with_capacity(symbols.len());
    let mut parsed = None;
    for symbol in &symbols {
        let s = Stream::parse(&format!("{symbol}@{interval}")).map_err(|e| anyhow::anyhow!("--feed: {e}"))?;
        parsed = Some(s.interval);
        names.push(s.symbol);
    }
    let interval = match parsed {
        Some(i) => i,
        None => Stream::parse(&format!("X@{interval}")).map_err(|e| anyhow::anyhow!("--feed: {e}"))?.interval,
    };
    Ok(FeedTarget::Universe { symbols: names, interval })
}

/// Logs on stderr, as text or JSON; `RUST_LOG` overrides the level.
pub(super) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    // A second initialisation (tests running commands in one process) keeps the first: ignore the error.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM on Unix.
pub(super) async fn stop_requested() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut stream = match parse_feed(&a.feed)? {
        FeedTarget::One(stream) => stream,
        FeedTarget::Universe { symbols, interval } => return super::live_universe::run(a, symbols, interval),
    };
    if a.from_trades {
        if stream.interval.millis().is_none() {
            bail!("--from-trades: bars of a calendar month cannot be built from trades");
        }
        stream.trades = true;
    }
    if a.backoff_max_ms < a.backoff_ms {
        bail!("--backoff-max-ms ({}) is less than --backoff-ms ({})", a.backoff_max_ms, a.backoff_ms);
    }
    Endpoint::parse(&a.feed_url).map_err(|e| anyhow::anyhow!("--feed-url: {e}"))?;
    Endpoint::parse(&a.rest_url).map_err(|e| anyhow::anyhow!("--rest-url: {e}"))?;
    let mut options = FeedOptions::new(stream.clone(), &a.feed_url, &a.rest_url)?;
    options.backoff = Backoff {
        initial: Duration::from_millis(a.backoff_ms),
        max: Duration::from_millis(a.backoff_max_ms),
        attempts: a.attempts,
    };
    options.heartbeat = Duration::from_secs(a.heartbeat_secs);
    let p = prepare(&a.strategy, &a.run)?;
    if !p.loaded.plan.symbols.is_empty() {
        // The strategy names its universe: this one symbol is that universe's only member.
        return super::live_universe::run(a, vec![stream.symbol.clone()], stream.interval);
    }
    if a.stall_after.is_some() {
        bail!("--stall-after applies to a universe's streams; this run reads one symbol's");
    }
    if p.warmup_universe.is_some() {
        bail!(
            "--warmup-data is a universe (many symbols' history): name the universe's symbols in --feed \
             (binance:A,B,C@INTERVAL)"
        );
    }
    let mut engine = p.engine(&a.run, &a.strategy)?;
    if engine.needs_bar_interval() {
        let Some(ms) = stream.interval.millis() else {
            bail!("{}: longer timeframes cannot be built from {} bars", a.strategy.display(), stream.interval);
        };
        engine.set_bar_interval(ms).map_err(|e| anyhow::anyhow!("{}:{e}", a.strategy.display()))?;
    }
    init_logging(a.log_format);

    let feed_label = format!("binance:{stream} via {}", options.ws.url(true));
    let facts = RunFacts {
        strategy: p.loaded.plan.name.clone(),
        data: feed_label.clone(),
        params: params_json(&p.loaded.plan, &p.params),
        ..RunFacts::default()
    };
    let journal_path = a.journal.clone().or_else(|| a.run.outputs_dir().map(|d| d.join("journal.jsonl")));
    let mut parquet = a.run.outputs_dir().map(ParquetRecorder::create).transpose()?;
    let mut none = NoRecorder;
    let recorder: &mut dyn Recorder = match parquet.as_mut() {
        Some(p) => p,
        None => &mut none,
    };
    // A journal whose last run has no `stop` line is a run that was killed: this run resumes it.
    let resuming = match journal_path.as_deref() {
        // (One killed before its first bar traded nothing: it starts again from the beginning.)
        Some(path) => {
            read_last_run(path).map_err(|e| anyhow::anyhow!("{e}"))?.filter(|r| !r.stopped && !r.bars.is_empty())
        }
        None => None,
    };
    if let Some(universe) = resuming.as_ref().and_then(|r| r.universe.as_ref()) {
        bail!(
            "{}: its unfinished run traded the universe {}; resume it with --feed binance:{}@{}, or write this run \
             elsewhere (--out / --journal)",
            journal_path.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
            universe.join(", "),
            universe.join(","),
            stream.interval
        );
    }
    let journal = journal_path.as_deref().map(Journal::open).transpose()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let warmup_needed = stream.interval.millis().map_or(engine.warmup(), |ms| engine.history_bars(ms));
    let venue = match a.broker {
        Broker::Binance => {
            let run_id = a.run_id.clone().unwrap_or_else(|| default_run_id(&a.strategy, &a.feed, &facts.params));
            if let Some(run) = &resuming
                && run.run_id.as_deref() != Some(run_id.as_str())
            {
                bail!(
                    "{}: its unfinished run is {}, not {run_id}; resume it with the same strategy, feed, params and \
                     --run-id, or write this run elsewhere (--out / --journal)",
                    journal_path.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
                    run.run_id.as_deref().map_or("a paper run".to_string(), |id| format!("run {id}"))
                );
            }
            let resumed_start = resuming.as_ref().and_then(|r| r.venue_start);
            let (broker, holdings) = start_venue(&a, &stream, &run_id, &p.config, resumed_start.is_some())?;
            info!(run_id, base = holdings.base, quote = holdings.quote, "venue account");
            // A resumed run's books begin where the first start's account was.
            let start = resumed_start.map_or(holdings, |h| Holdings { base: h.base, quote: h.quote });
            Some((broker, start))
        }
        _ => {
            if let Some(run) = &resuming
                && let Some(id) = &run.run_id
            {
                bail!(
                    "{}: its unfinished run {id} traded on a venue; resume it with --broker binance, or write this \
                     run elsewhere (--out / --journal)",
                    journal_path.as_deref().map(|p| p.display().to_string()).unwrap_or_default()
                );
            }
            None
        }
    };
    let session = match &venue {
        // The run trades at most --cash of the account's quote balance.
        Some((_, holdings)) => {
            let cash = p.config.cash.min(holdings.quote);
            if cash < p.config.cash {
                tracing::warn!(
                    cash,
                    wanted = p.config.cash,
                    "the account holds less than --cash; trading what it holds"
                );
            }
            let mut session = Session::external(engine, SessionConfig { cash, ..p.config });
            // What the venue will not trade (below its minimum quantity) is dust, not a position to exit.
            session.set_dust(venue.as_ref().map_or(0.0, |(b, _)| b.symbol().min_qty * (1.0 - 1e-9)));
            session
        }
        None => Session::new(engine, p.config),
    };
    let mut live = LiveRun::new(session, recorder, journal, a.max_bars);
    if let Some((broker, holdings)) = venue {
        live.use_venue(broker, holdings, a.venue_lockstep);
    }
    let control = initial_control(&a)?;
    live.control(control.clone());
    // A resumed run replays its journal (the warm-up included); a new one starts its journal.
    let resumed_after = match &resuming {
        Some(run) => {
            info!(bars = run.bars.len(), "resuming a run that was stopped uncleanly: replaying its journal");
            match live.resume(run) {
                Ok(last) => Some(last),
                Err(RunError::Strategy(e)) => {
                    eprint!("{}", e.message);
                    return Err(Reported.into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            live.start(&facts)?;
            None
        }
    };

    let backoff = options.backoff;
    let mut feed = Feed::new(options, BarStream::new(stream.clone(), None));
    let (stopped, failure) = runtime.block_on(async {
        let sink = match &a.broker {
            Broker::Paper | Broker::Binance => None,
            Broker::Signals(target) => match signals::start(target.clone(), backoff, Duration::from_secs(10)).await {
                Ok((tx, task)) => {
                    live.send_signals(tx, &facts.strategy, &feed_label);
                    Some(task)
                }
                Err(e) => return ("signal sink error", Some(Failure::Sink(e.to_string()))),
            },
        };
        let work = async {
            // Warm-up: the file given, or the venue's most recent closed bars (a resumed run has had its own).
            let warm = if resumed_after.is_some() {
                Vec::new()
            } else if !p.warmup.is_empty() {
                info!(bars = p.warmup.len(), "warm-up from --warmup-data");
                p.warmup.clone()
            } else if warmup_needed > 0 {
                match feed.history(warmup_needed).await {
                    Ok(k) => {
                        info!(bars = k.len(), wanted = warmup_needed, "warm-up from the venue's history");
                        k.iter().map(|k| k.bar()).collect()
                    }
                    Err(e) => return ("feed error", Some(Failure::Feed(e.to_string()))),
                }
            } else {
                Vec::new()
            };
            if let Err(e) = live.warm(&warm) {
                return ("strategy error", Some(Failure::Run(e)));
            }
            if let Some(last) = warm.last().map(|b| b.ts).or(resumed_after.flatten()) {
                feed.start_after(last);
            }
            // A run killed after its last bar but before it ended has nothing left to trade.
            if a.max_bars.is_some_and(|m| live.bars() as u64 >= m) {
                return ("max-bars", None);
            }
            info!(feed = %feed_label, strategy = %facts.strategy, "live run started");
            let outcome = feed.run(&mut live).await.err().map(|e| Failure::Feed(e.to_string()));
            let outcome = outcome.or_else(|| live.take_error().map(Failure::Run));
            let stopped = match &outcome {
                Some(Failure::Feed(_)) => "feed error",
                Some(Failure::Sink(_)) => "signal sink error",
                Some(Failure::Run(RunError::Strategy(_))) => "strategy error",
                Some(Failure::Run(_)) => "output error",
                None => "max-bars",
            };
            (stopped, outcome)
        };
        // A signal at any point — warm-up included — stops the run with its outputs written.
        let (stopped, failure) = tokio::select! {
            r = work => r,
            () = watch_trading_state(control, a.control.clone()) => ("signal", None),
            signal = stop_requested() => {
                info!(signal, "stopping");
                ("signal", None)
            }
        };
        // What is queued for the signal sink is delivered before the run ends.
        let stopped_by_sink = live.sink_error().map(|e| Failure::Sink(e.to_string()));
        live.close_signals();
        let delivered = match sink {
            None => None,
            Some(task) => match tokio::time::timeout(Duration::from_secs(60), task).await {
                Ok(Ok(Ok(_))) => None,
                Ok(Ok(Err(e))) => Some(Failure::Sink(e.to_string())),
                Ok(Err(e)) => Some(Failure::Sink(format!("the signal sink failed: {e}"))),
                Err(_) => Some(Failure::Sink("signals still undelivered after 60 s".into())),
            },
        };
        match (failure, delivered.or(stopped_by_sink)) {
            (Some(f), _) => (stopped, Some(f)),
            (None, Some(f)) => ("signal sink error", Some(f)),
            (None, None) => (stopped, None),
        }
    });
    let (mut report, record, end) = live.finish(facts, stopped, feed.status())?;
    strata_runtime::metrics::add_monte_carlo(&mut report.summary, &report.trades);
    info!(
        stopped,
        bars = report.summary.bars,
        final_equity = report.summary.final_equity,
        reconnects = record.feed.reconnects,
        latency_p50_us = record.latency.p50_us,
        latency_p99_us = record.latency.p99_us,
        "live run ended"
    );
    // The outputs are written however the run ended: what was traded is kept.
    if let Some(rec) = parquet.as_mut() {
        rec.attach("summary.json", serde_json::to_vec_pretty(&report.summary).context("encoding the summary")?)?;
        rec.attach("live.json", serde_json::to_vec_pretty(&record).context("encoding live.json")?)?;
        rec.attach_trades(&report.trades)?;
        rec.commit()?;
    }
    // Only now is the run over in its journal: a kill before this line resumes it.
    end.close(&report)?;
    if a.run.json {
        println!("{}", serde_json::to_string_pretty(&report.summary).context("encoding the summary")?);
    } else {
        print!("{}", summary::render(&report, Default::default(), a.run.outputs_dir()));
    }
    a.run.write_report()?;
    match failure {
        None => Ok(ExitCode::SUCCESS),
        Some(Failure::Run(RunError::Strategy(e))) => {
            eprint!("{}", e.message);
            Err(Reported.into())
        }
        Some(Failure::Run(e)) => Err(e.into()),
        Some(Failure::Feed(e)) | Some(Failure::Sink(e)) => bail!("{e}"),
    }
}

/// Why a live run ended early.
pub(super) enum Failure {
    Feed(String),
    Sink(String),
    Run(RunError),
}
