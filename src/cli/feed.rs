//! `strata feed serve`: replay a Parquet file as Binance Spot's public market-data protocol on a local port.

use std::process::ExitCode;

use anyhow::{Context, bail};
use strata_runtime::bar::Bar;
use strata_runtime::data::universe::Universe;
use strata_runtime::data::{BarSource, ReadOptions};
use strata_runtime::live::binance::{INTERVALS, Interval, Stream};
use strata_runtime::live::server::{self, Faults, FeedConfig, Pace};

use super::backtest::open_data;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: FeedCommand,
}

#[derive(Debug, clap::Subcommand)]
enum FeedCommand {
    /// Serve history as the venue's kline stream (`/ws/<stream>`, `/stream?streams=`, `/ws` with SUBSCRIBE) and
    /// `GET /api/v3/klines`, for rehearsing live mode offline.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Parquet bars (or `bundled:NAME`), or trades (a table with `price`), replayed as the venue's `aggTrade` stream
    /// with `GET /api/v3/aggTrades` (for `strata live --from-trades`); or a universe (a folder of files, or a file
    /// with a symbol column), each symbol its own kline stream.
    #[arg(long, value_name = "FILE.parquet")]
    pub data: String,
    /// With a universe: serve only these symbols.
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub symbols: Vec<String>,
    /// Port on 127.0.0.1 (0: any free port; the one chosen is printed).
    #[arg(long, default_value_t = 9443)]
    pub port: u16,
    /// Replay at this multiple of real time (1 = real time).
    #[arg(long, conflicts_with = "max_speed")]
    pub speed: Option<f64>,
    /// Replay as fast as the slowest connected client reads (the default).
    #[arg(long)]
    pub max_speed: bool,
    /// The symbol the stream carries (default: the file name's first word, upper case).
    #[arg(long)]
    pub symbol: Option<String>,
    /// The kline interval (default: inferred from the data's bar spacing; 1m for trades).
    #[arg(long)]
    pub interval: Option<String>,
    /// Close each connection after every N messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub drop_every: Option<u64>,
    /// Send every N-th message twice.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub duplicate_every: Option<u64>,
    /// Send a serverShutdown event and close after every N messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shutdown_every: Option<u64>,
    /// Wait this many milliseconds before each message.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub delay_ms: u64,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        FeedCommand::Serve(s) => serve(s),
    }
}

fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let path = std::path::Path::new(&a.data);
    if !a.data.starts_with("bundled:") && Universe::is_universe(path) {
        return serve_universe(&a, path);
    }
    if !a.symbols.is_empty() {
        bail!("--symbols picks symbols of a universe: give --data a folder of files, or a file with a symbol column");
    }
    let (label, bars, config) = replay(&a)?;
    let stream = config.stream.clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = server::bind(a.port).await.with_context(|| format!("--port {}", a.port))?;
        let addr = listener.local_addr()?;
        println!(
            "serving {stream} ({} {} from {label}) on ws://{addr}/ws/{name} (also /stream?streams={name} and /ws), \
             REST on http://{addr}/api/v3/{}",
            bars.len(),
            if stream.trades { "trades" } else { "bars" },
            if stream.trades { "aggTrades and /api/v3/klines" } else { "klines" },
            name = stream.name()
        );
        server::serve(listener, bars, config).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `strata feed serve` of a universe: every symbol (or `--symbols`) its own kline stream on one server.
fn serve_universe(a: &ServeArgs, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    if a.symbol.is_some() {
        bail!("--symbol names the stream of one symbol's data; {} is a universe (use --symbols to pick)", a.data);
    }
    let mut universe = Universe::open(path, ReadOptions::default())?;
    if !a.symbols.is_empty() {
        universe.select(&a.symbols)?;
    }
    let interval = match &a.interval {
        Some(name) => parse_interval(name)?,
        None => infer_interval_of(&universe.timeline())
            .with_context(|| format!("{}: cannot tell the bar interval from the data; give --interval", a.data))?,
    };
    let mut streams = Vec::with_capacity(universe.symbols.len());
    for (symbol, bars) in universe.symbols.iter().zip(std::mem::take(&mut universe.bars)) {
        let stream = Stream::parse(&format!("{symbol}@{}", interval.name()))
            .map_err(|e| anyhow::anyhow!("{}: symbol {symbol}: {e}", a.data))?;
        streams.push((stream, bars));
    }
    let config = FeedConfig { pace: pace(a.speed)?, faults: faults(a), ..FeedConfig::new(streams[0].0.clone()) };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = server::bind(a.port).await.with_context(|| format!("--port {}", a.port))?;
        let addr = listener.local_addr()?;
        let names: Vec<String> = streams.iter().map(|(s, _)| s.name()).collect();
        let bars: usize = streams.iter().map(|(_, b)| b.len()).sum();
        println!(
            "serving {} symbols ({bars} bars from {}) on ws://{addr}/stream?streams={} (each also alone at /ws/<stream>, \
             and /ws), REST on http://{addr}/api/v3/klines",
            names.len(),
            a.data,
            names.join("/")
        );
        server::serve_universe(listener, streams, config).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn parse_interval(name: &str) -> anyhow::Result<Interval> {
    Interval::parse(name).with_context(|| {
        let names: Vec<&str> = INTERVALS.iter().map(|(n, _)| *n).collect();
        format!("--interval: unknown interval '{name}' (intervals: {})", names.join(", "))
    })
}

fn pace(speed: Option<f64>) -> anyhow::Result<Pace> {
    match speed {
        Some(x) if x.is_finite() && x > 0.0 => Ok(Pace::Speed(x)),
        Some(x) => bail!("--speed must be a positive number, got {x}"),
        None => Ok(Pace::Max),
    }
}

fn faults(a: &ServeArgs) -> Faults {
    Faults {
        drop_every: a.drop_every,
        duplicate_every: a.duplicate_every,
        shutdown_every: a.shutdown_every,
        delay_ms: a.delay_ms,
    }
}

/// The data's label, its bars and the replay's configuration, from the serve options.
pub(crate) fn replay(a: &ServeArgs) -> anyhow::Result<(String, Vec<Bar>, FeedConfig)> {
    let trades = match a.data.starts_with("bundled:") {
        true => None,
        false => super::data::trades_of(std::path::Path::new(&a.data))?,
    };
    let (label, bars) = match &trades {
        // Each trade is held as a bar of one price (its quantity the volume), in the order it was made.
        Some(t) => {
            let bars = t
                .trades
                .iter()
                .map(|&(ts, p, q)| Bar { ts, open: p, high: p, low: p, close: p, volume: q })
                .collect::<Vec<Bar>>();
            (a.data.clone(), bars)
        }
        None => {
            let (label, mut source) = open_data(Some(&a.data), ReadOptions::default())?;
            let mut bars: Vec<Bar> = Vec::new();
            while let Some(batch) = source.next_batch()? {
                bars.extend_from_slice(batch);
            }
            (label, bars)
        }
    };
    let interval = match &a.interval {
        Some(name) => parse_interval(name)?,
        None if trades.is_some() => Interval::Fixed(60_000),
        None => infer_interval(&bars)
            .with_context(|| format!("{label}: cannot tell the bar interval from the data; give --interval"))?,
    };
    let symbol = a.symbol.clone().unwrap_or_else(|| default_symbol(&label));
    let mut stream =
        Stream::parse(&format!("{symbol}@{}", interval.name())).map_err(|e| anyhow::anyhow!("--symbol: {e}"))?;
    stream.trades = trades.is_some();
    if stream.trades && interval.millis().is_none() {
        bail!("--interval {interval}: bars of a calendar month cannot be built from trades");
    }
    let config = FeedConfig { pace: pace(a.speed)?, faults: faults(a), ..FeedConfig::new(stream) };
    if bars.is_empty() {
        bail!("{label} has no bars to replay");
    }
    Ok((label, bars, config))
}

/// The named interval equal to the most common spacing of the first bars.
fn infer_interval(bars: &[Bar]) -> Option<Interval> {
    infer_interval_of(&bars.iter().take(1001).map(|b| b.ts).collect::<Vec<_>>())
}

/// The named interval equal to the most common spacing of the first of these times (in order).
fn infer_interval_of(ts: &[i64]) -> Option<Interval> {
    let mut gaps: Vec<i64> = ts.windows(2).take(1000).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let mut best = (0, 0usize);
    for run in gaps.chunk_by(|a, b| a == b) {
        if run.len() > best.1 {
            best = (run[0], run.len());
        }
    }
    INTERVALS.iter().map(|(_, i)| *i).find(|i| *i == Interval::Fixed(best.0))
}

/// `bundled:btc-2017-11.1m` or `data/btc-2017-11.1m.parquet` → `BTC`.
fn default_symbol(label: &str) -> String {
    let stem = label.rsplit(['/', ':']).next().unwrap_or(label);
    let word: String = stem.chars().take_while(char::is_ascii_alphanumeric).collect();
    if word.is_empty() { "STRATA".into() } else { word.to_ascii_uppercase() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_intervals_have_sensible_defaults() {
        assert_eq!(default_symbol("bundled:btc-2017-11.1m"), "BTC");
        assert_eq!(default_symbol("/data/nvda-1999-2014.1d.parquet"), "NVDA");
        let bar = |ts| Bar { ts, open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0 };
        let day = 86_400_000;
        // Weekends do not change the answer: most gaps are one day.
        let ts = [0, day, 2 * day, 3 * day, 4 * day, 7 * day, 8 * day];
        let bars: Vec<Bar> = ts.iter().map(|&t| bar(t)).collect();
        assert_eq!(infer_interval(&bars), Some(Interval::Fixed(day)));
        assert_eq!(infer_interval(&[bar(0), bar(7)]), None);
    }
}
