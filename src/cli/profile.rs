//! `strata run NAME --mode backtest|live`: a named profile in `strata.toml` holds the strategy, its data, its feed
//! and broker, and the run options, so that switching a strategy between backtest and live is one word.
//!
//! Design choice: a profile is turned into the very command line a user would type (`strata backtest …` or
//! `strata live …`) and parsed by the same clap definitions, so a profile can mean nothing a flag cannot, and every
//! check and error message of the two commands applies to it unchanged. Paths in the file are relative to the
//! file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use serde::Deserialize;

use super::Cli;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Backtest,
    Live,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The profile's name (a `[profiles.NAME]` table).
    pub name: String,
    /// Run the profile as a backtest or live.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// The profiles file.
    #[arg(long, value_name = "FILE", default_value = "strata.toml")]
    pub config: PathBuf,
    /// More flags for the command, after `--` (for example `-- --max-bars 100`).
    #[arg(last = true, value_name = "FLAGS")]
    pub extra: Vec<String>,
}

/// The profiles file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One profile: what both modes share, then what each needs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    strategy: PathBuf,
    cash: Option<f64>,
    fees_bps: Option<f64>,
    slippage_bps: Option<f64>,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    warmup_data: Option<String>,
    out: Option<PathBuf>,
    json: Option<bool>,
    /// Backtest: the bars (a Parquet file or `bundled:NAME`), and the range.
    data: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// Live: `binance:SYMBOL@INTERVAL`, the servers, the broker, the limits.
    feed: Option<String>,
    feed_url: Option<String>,
    rest_url: Option<String>,
    broker: Option<String>,
    max_bars: Option<u64>,
    log_format: Option<String>,
    heartbeat_secs: Option<u64>,
    /// Pre-trade risk limits, both modes.
    #[serde(default)]
    risk: Risk,
}

/// A profile's `[profiles.NAME.risk]` table: one key per risk flag.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Risk {
    max_order_qty: Option<f64>,
    max_order_notional: Option<f64>,
    max_position: Option<f64>,
    max_open_orders: Option<u64>,
    max_orders_per_sec: Option<u64>,
    price_collar_pct: Option<f64>,
    daily_loss_limit: Option<f64>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.config).with_context(|| format!("{}", a.config.display()))?;
    let file: File =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", a.config.display(), describe(&e, &text)))?;
    let Some(profile) = file.profiles.get(&a.name) else {
        let names: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
        let hint = strata_runtime::suggest::hint(&a.name, names.iter().copied());
        bail!("{}: no profile '{}'{hint} (profiles: {})", a.config.display(), a.name, names.join(", "));
    };
    let base = a.config.parent().unwrap_or(Path::new(""));
    let argv = command_line(profile, a.mode, base, &a.name, &a.config)?;
    let argv = argv.into_iter().chain(a.extra.iter().cloned());
    let cli = match Cli::try_parse_from(std::iter::once("strata".to_string()).chain(argv)) {
        Ok(cli) => cli,
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            bail!("{}: profile '{}': {}", a.config.display(), a.name, first.trim_start_matches("error: "))
        }
    };
    super::run(cli)
}

/// A TOML error as one line with its line and column.
fn describe(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim_end();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{line}:{column}: {message}")
        }
        None => message.to_string(),
    }
}

/// The `strata backtest …` or `strata live …` arguments the profile stands for.
fn command_line(p: &Profile, mode: Mode, base: &Path, name: &str, config: &Path) -> anyhow::Result<Vec<String>> {
    let path = |s: &Path| base.join(s).display().to_string();
    // A file or `bundled:NAME`.
    let data_path = |s: &str| if s.starts_with("bundled:") { s.to_string() } else { path(Path::new(s)) };
    let mut argv: Vec<String> = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            argv.push(format!("--{name}"));
            argv.push(v);
        }
    };
    let number = |v: Option<f64>| v.map(strata_runtime::fmt_num);
    flag("cash", number(p.cash));
    flag("fees-bps", number(p.fees_bps));
    flag("slippage-bps", number(p.slippage_bps));
    for (k, v) in &p.params {
        let v = match v {
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => strata_runtime::fmt_num(*f),
            other => bail!("{}: profile '{name}': param '{k}' must be a number, got {other}", config.display()),
        };
        flag("set", Some(format!("{k}={v}")));
    }
    flag("warmup-data", p.warmup_data.as_deref().map(data_path));
    let r = &p.risk;
    flag("max-order-qty", number(r.max_order_qty));
    flag("max-order-notional", number(r.max_order_notional));
    flag("max-position", number(r.max_position));
    flag("max-open-orders", r.max_open_orders.map(|n| n.to_string()));
    flag("max-orders-per-sec", r.max_orders_per_sec.map(|n| n.to_string()));
    flag("price-collar-pct", number(r.price_collar_pct));
    flag("daily-loss-limit", number(r.daily_loss_limit));
    flag("out", p.out.as_deref().map(path));
    let missing =
        |key: &str, what: &str| anyhow::anyhow!("{}: profile '{name}' has no `{key}`; {what}", config.display());
    let mut head = match mode {
        Mode::Backtest => {
            let mut head = vec!["backtest".to_string(), path(&p.strategy)];
            for (key, v) in [("data", p.data.as_deref().map(data_path)), ("from", p.from.clone()), ("to", p.to.clone())]
            {
                if let Some(v) = v {
                    head.extend([format!("--{key}"), v]);
                }
            }
            head
        }
        Mode::Live => {
            let feed =
                p.feed.clone().ok_or_else(|| missing("feed", "live mode needs one (binance:SYMBOL@INTERVAL)"))?;
            let mut head = vec!["live".to_string(), path(&p.strategy), "--feed".to_string(), feed];
            let live_flags = [
                ("feed-url", p.feed_url.clone()),
                ("rest-url", p.rest_url.clone()),
                ("broker", p.broker.clone()),
                ("max-bars", p.max_bars.map(|n| n.to_string())),
                ("log-format", p.log_format.clone()),
                ("heartbeat-secs", p.heartbeat_secs.map(|n| n.to_string())),
            ];
            for (key, v) in live_flags {
                if let Some(v) = v {
                    head.extend([format!("--{key}"), v]);
                }
            }
            head
        }
    };
    if p.json == Some(true) {
        head.push("--json".into());
    }
    head.extend(argv);
    Ok(head)
}
