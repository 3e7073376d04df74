//! `strata venue serve`: a fake Binance Spot venue on a local port — the market-data replay of `strata feed serve`
//! plus the signed order API, checked as the venue documents it — to rehearse `strata live` against orders, fills
//! and failures without risking money.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use strata_runtime::live::server;
use strata_runtime::venue::binance::Secret;
use strata_runtime::venue::fake::{Exchange, FakeConfig};

use super::feed::{ServeArgs, replay};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: VenueCommand,
}

#[derive(Debug, clap::Subcommand)]
enum VenueCommand {
    /// Serve history as the venue's market data and a fake account's order API (`/api/v3/order`, `openOrders`,
    /// `account`, `myTrades`, `exchangeInfo`, `time`), filling at the replayed market; `POST /fake/fault?type=…`
    /// makes the next placement fail on demand (docs/venue.md).
    Serve(ServeVenueArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeVenueArgs {
    #[command(flatten)]
    pub replay: ServeArgs,
    /// The API key requests must carry in X-MBX-APIKEY (default: BINANCE_API_KEY).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// The secret requests must be signed with (default: BINANCE_API_SECRET).
    #[arg(long, value_name = "SECRET")]
    pub api_secret: Option<String>,
    /// The account's starting balance of the quote asset.
    #[arg(long, value_name = "N", default_value_t = 100_000.0, allow_negative_numbers = true)]
    pub cash: f64,
    /// Hold the market at each bar's close until the run acknowledges the bar (`strata live --venue-lockstep`):
    /// fills then meet the market as it was at the close however slow, or restarted, the run is.
    #[arg(long)]
    pub lockstep: bool,
    /// The venue's commission, in basis points (a buy pays it in the base asset, a sell in the quote asset).
    #[arg(long, value_name = "BPS", default_value_t = 10.0, allow_negative_numbers = true)]
    pub commission_bps: f64,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        VenueCommand::Serve(s) => serve(s),
    }
}

fn serve(a: ServeVenueArgs) -> anyhow::Result<ExitCode> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let key = a.api_key.clone().or_else(|| from_env("BINANCE_API_KEY"));
    let secret = a.api_secret.clone().or_else(|| from_env("BINANCE_API_SECRET"));
    let (Some(key), Some(secret)) = (key, secret) else {
        bail!(
            "the fake venue needs an API key and secret: --api-key and --api-secret (or BINANCE_API_KEY and BINANCE_API_SECRET)"
        );
    };
    if !(a.cash.is_finite() && a.cash > 0.0) {
        bail!("--cash must be a positive number, got {}", a.cash);
    }
    if !(a.commission_bps.is_finite() && (0.0..10_000.0).contains(&a.commission_bps)) {
        bail!("--commission-bps must be from 0 to 10000, got {}", a.commission_bps);
    }
    if !a.replay.symbols.is_empty() {
        bail!("--symbols: the fake venue trades one symbol; give --data one symbol's bars");
    }
    let (label, bars, mut config) = replay(&a.replay)?;
    config.lockstep = a.lockstep;
    let stream = config.stream.clone();
    let mut fake = FakeConfig::new(key.trim(), Secret::new(secret.trim()), &stream.symbol, a.cash);
    fake.commission = a.commission_bps / 10_000.0;
    let (base, quote) = (fake.base.clone(), fake.quote.clone());
    let exchange = Arc::new(Mutex::new(Exchange::new(fake)));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let port = a.replay.port;
    runtime.block_on(async move {
        let listener = server::bind(port).await.with_context(|| format!("--port {port}"))?;
        let addr = listener.local_addr()?;
        println!(
            "fake venue: {stream} ({} bars from {label}) on ws://{addr}/ws/{name}; orders on http://{addr}/api/v3/order \
             ({base}/{quote}, {} {quote} to start)",
            bars.len(),
            strata_runtime::fmt_num(a.cash),
            name = stream.name()
        );
        server::serve_with(listener, bars, config, Some(exchange)).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
