//! `strata backtest`: compile a strategy, run it over Parquet bars, print and write the results.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use strata_runtime::Report;
use strata_runtime::backtest::{self, RunError};
use strata_runtime::bar::Bar;
use strata_runtime::bind::resolve_params;
use strata_runtime::broker::{FillModel, FinerPath, IntrabarPath};
use strata_runtime::data::DataError;
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::data::{BarSource, ReadOptions, VecSource};
use strata_runtime::output::{NoRecorder, ParquetRecorder, Recorder};
use strata_runtime::risk::RiskLimits;
use strata_runtime::session::Session;
use strata_runtime::session::SessionConfig;
use strata_runtime::time::{DAY_MS, parse_time};

use super::{Reported, parse_assignment, summary};
use crate::bundled;
use crate::script::Limits;
use crate::strategy::{self, LoadError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy file (.strat or .rhai).
    pub strategy: PathBuf,
    /// Parquet bars: ts (Int64 epoch ms or Datetime), open, high, low, close, optional volume.
    /// `bundled:NAME` reads a dataset carried in the binary (`strata help data`).
    /// [default: bundled:btcperp-2022-01.1m]
    #[arg(long, value_name = "FILE")]
    pub data: Option<String>,
    /// First bar to use: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) or epoch ms (inclusive).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Last bar to use, inclusive (a date alone includes that whole day).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Fail on the first bad row instead of dropping it.
    #[arg(long)]
    pub strict: bool,
    /// Finer data for what happened inside each bar — minute bars, or trades (`ts`, `price`) — so that a bar
    /// reaching both a stop and a target is decided by what came first in it (docs/orders.md); over a universe, a
    /// universe of finer bars.
    #[arg(long, value_name = "FILE")]
    pub intrabar: Option<std::path::PathBuf>,
    /// With a universe as --data (a folder of files, or a file with a symbol column): only these symbols
    /// (comma-separated; default: every symbol of the data).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub symbols: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The options a backtest and a live run share: the account, the fill model, params, outputs, the script host.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Starting cash.
    #[arg(long, default_value_t = 100_000.0, value_name = "N", allow_negative_numbers = true)]
    pub cash: f64,
    /// Fee per fill, in basis points of notional.
    #[arg(long = "fees-bps", default_value_t = 0.0, value_name = "N", allow_negative_numbers = true)]
    pub fees_bps: f64,
    /// Slippage against the trader on market and stop fills, in basis points of price.
    #[arg(long = "slippage-bps", default_value_t = 0.0, value_name = "N", allow_negative_numbers = true)]
    pub slippage_bps: f64,
    /// Initial margin a short position needs, in percent of its value (0: no limit).
    #[arg(long = "margin", default_value_t = 50.0, value_name = "PCT", allow_negative_numbers = true)]
    pub margin: f64,
    /// Override a param: --set fast=20 (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, String)>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write fills.parquet, equity.parquet, trades.parquet and summary.json into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write an HTML report (report.html, self-contained, works offline) into this directory; the run's outputs go
    /// there too unless --out names another directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Raise or lower a limit of the Rhai sandbox: operations, call_depth, expr_depth, string_size, array_size,
    /// map_size (repeatable; see docs/rhai.md).
    #[arg(long = "sandbox", value_name = "LIMIT=N", value_parser = parse_assignment)]
    pub sandbox: Vec<(String, String)>,
    /// Run a Rhai strategy's on_bar in Rhai's interpreter even when it compiles (to compare the two; the results
    /// are the same, only slower).
    #[arg(long)]
    pub rhai_interpreter: bool,
    /// Bars stepped before the first traded bar, to warm indicators and `var`s (orders placed on them are dropped);
    /// traded bars start after its last one. Parquet, or `bundled:NAME`; for a universe, a universe of its symbols.
    #[arg(long, value_name = "FILE")]
    pub warmup_data: Option<String>,
    #[command(flatten)]
    pub risk: RiskArgs,
}

/// Pre-trade risk limits (docs/risk.md): every order passes them, in backtests as live; what they deny is reported.
#[derive(Debug, Default, clap::Args)]
pub struct RiskArgs {
    /// Largest quantity of one order, in units.
    #[arg(long, value_name = "N", allow_negative_numbers = true, help_heading = "Risk limits")]
    pub max_order_qty: Option<f64>,
    /// Largest notional (quantity × price) of one order.
    #[arg(long, value_name = "N", allow_negative_numbers = true, help_heading = "Risk limits")]
    pub max_order_notional: Option<f64>,
    /// Largest absolute position an order may leave.
    #[arg(long, value_name = "N", allow_negative_numbers = true, help_heading = "Risk limits")]
    pub max_position: Option<f64>,
    /// Most orders open at once.
    #[arg(long, value_name = "N", help_heading = "Risk limits")]
    pub max_open_orders: Option<usize>,
    /// Most orders within one second of the run's (bar) time.
    #[arg(long, value_name = "N", help_heading = "Risk limits")]
    pub max_orders_per_sec: Option<u32>,
    /// Farthest a fill may be from the last price, in percent (a venue order's protective limit price).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true, help_heading = "Risk limits")]
    pub price_collar_pct: Option<f64>,
    /// Loss from the UTC day's starting equity after which only position-reducing orders pass, until the next day.
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true, help_heading = "Risk limits")]
    pub daily_loss_limit: Option<f64>,
}

impl RiskArgs {
    pub fn limits(&self) -> anyhow::Result<RiskLimits> {
        let limits = RiskLimits {
            max_order_qty: self.max_order_qty,
            max_order_notional: self.max_order_notional,
            max_position: self.max_position,
            max_open_orders: self.max_open_orders,
            max_orders_per_sec: self.max_orders_per_sec,
            price_collar_pct: self.price_collar_pct,
            daily_loss_limit: self.daily_loss_limit,
        };
        limits.validate().map_err(anyhow::Error::msg)?;
        Ok(limits)
    }
}

/// The sandbox limits from `--sandbox` flags.
pub(crate) fn sandbox_limits(flags: &[(String, String)]) -> anyhow::Result<Limits> {
    let mut limits = Limits::default();
    for (name, value) in flags {
        limits.set(name, value).map_err(|e| anyhow::anyhow!("--sandbox: {e}"))?;
    }
    Ok(limits)
}

/// A strategy loaded and checked with its params and account settings: ready to run in either mode.
pub(crate) struct Prepared {
    pub loaded: strategy::Loaded,
    pub params: Vec<f64>,
    pub config: SessionConfig,
    /// `--warmup-data`'s bars.
    pub warmup: Vec<Bar>,
    /// `--warmup-data` when it is a universe (a folder, or a file with a symbol column), for a universe run.
    pub warmup_universe: Option<strata_runtime::data::universe::Universe>,
}

impl Prepared {
    pub fn engine(&self, r: &RunArgs, path: &std::path::Path) -> anyhow::Result<strata_runtime::Engine> {
        self.loaded.engine_with(&self.params, r.rhai_interpreter).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))
    }
}

/// Checks the shared options, compiles the strategy and binds its params — before any data or network is touched.
impl RunArgs {
    /// Where the run's files go: --out, else the --report directory.
    pub(crate) fn outputs_dir(&self) -> Option<&std::path::Path> {
        self.out.as_deref().or(self.report.as_deref())
    }

    /// Renders the run's outputs to --report DIR/report.html, once they are written.
    pub(crate) fn write_report(&self) -> anyhow::Result<()> {
        if let (Some(report), Some(outputs)) = (self.report.as_deref(), self.outputs_dir()) {
            let page = crate::report::write(outputs, report)?;
            eprintln!("report: {}", page.display());
        }
        Ok(())
    }
}

pub(crate) fn prepare(path: &std::path::Path, r: &RunArgs) -> anyhow::Result<Prepared> {
    check_number("--cash", r.cash, f64::MIN_POSITIVE, 1e15)?;
    check_number("--fees-bps", r.fees_bps, 0.0, 10_000.0)?;
    check_number("--slippage-bps", r.slippage_bps, 0.0, 10_000.0)?;
    check_number("--margin", r.margin, 0.0, 10_000.0)?;
    let limits = sandbox_limits(&r.sandbox)?;
    let loaded = load_strategy(path, &limits)?;
    let plan = &loaded.plan;
    let params = resolve_params(plan, &r.set).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    // Binding checks every indicator parameter before any data is touched.
    strata_runtime::bind::bind(plan, &params).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
    let risk = r.risk.limits()?;
    let fill = FillModel { fee_bps: r.fees_bps, slippage_bps: r.slippage_bps, short_margin: r.margin / 100.0 };
    let config = SessionConfig { cash: r.cash, fill, risk, ..SessionConfig::default() };
    let warmup_universe = match r.warmup_data.as_deref().filter(|d| !d.starts_with("bundled:")) {
        Some(dir) if strata_runtime::data::universe::Universe::is_universe(std::path::Path::new(dir)) => Some(
            strata_runtime::data::universe::Universe::open(std::path::Path::new(dir), ReadOptions::default())
                .map_err(|e| anyhow::anyhow!("--warmup-data: {e:#}"))?,
        ),
        _ => None,
    };
    let warmup = match &r.warmup_data {
        _ if warmup_universe.is_some() => Vec::new(),
        Some(file) => {
            let (label, mut src) =
                open_data(Some(file), ReadOptions::default()).map_err(|e| anyhow::anyhow!("--warmup-data: {e:#}"))?;
            let mut bars = Vec::new();
            while let Some(batch) = src.next_batch().map_err(|e| anyhow::anyhow!("--warmup-data: {e}"))? {
                bars.extend_from_slice(batch);
            }
            if bars.is_empty() {
                bail!("--warmup-data: {label} has no bars");
            }
            bars
        }
        None => Vec::new(),
    };
    Ok(Prepared { loaded, params, config, warmup, warmup_universe })
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let p = prepare(&a.strategy, &a.run)?;
    let r = &a.run;
    let plan = &p.loaded.plan;
    let from = a.from.as_deref().map(|s| parse_time(s).map_err(|e| anyhow::anyhow!("--from: {e}"))).transpose()?;
    let to = a.to.as_deref().map(|s| parse_time(s).map_err(|e| anyhow::anyhow!("--to: {e}"))).transpose()?;
    let mut options = ReadOptions {
        strict: a.strict,
        from: from.map(|t| t.ms),
        to: to.map(|t| if t.whole_day { t.ms + DAY_MS - 1 } else { t.ms }),
    };
    if let (Some(f), Some(t)) = (options.from, options.to)
        && f > t
    {
        bail!("--from is after --to");
    }
    // Traded bars start after the warm-up history, as a live run's do.
    let warmup_end = p.warmup.last().map(|b| b.ts).or_else(|| {
        p.warmup_universe.as_ref().and_then(|u| u.bars.iter().filter_map(|b| b.last().map(|b| b.ts)).max())
    });
    if let Some(last) = warmup_end {
        options.from = Some(options.from.map_or(last + 1, |f| f.max(last + 1)));
    }
    if let Some(dir) = a.data.as_deref().filter(|d| !d.starts_with("bundled:"))
        && strata_runtime::data::universe::Universe::is_universe(std::path::Path::new(dir))
    {
        return super::universe::backtest(&a, &p, dir, options);
    }
    super::universe::refuse_on_one_symbol(&a.symbols, plan, &a.strategy)?;
    if p.warmup_universe.is_some() {
        bail!("--warmup-data is a universe (many symbols' history); --data must be one too");
    }
    let (label, mut source) = bars_or_trades(a.data.as_deref(), options)?;

    let finer = a.intrabar.as_deref().map(|file| intrabar(file, a.data.as_deref(), options)).transpose()?;
    let session = |engine, config| {
        let s = Session::new(engine, config);
        match &finer {
            Some(f) => s.with_intrabar(f.clone()),
            None => s,
        }
    };
    let engine = p.engine(r, &a.strategy)?;
    let (params, config, warmup) = (&p.params, p.config, &p.warmup);
    let mut parquet = r.outputs_dir().map(ParquetRecorder::create).transpose()?;
    let mut none = NoRecorder;
    let recorder: &mut dyn Recorder = match parquet.as_mut() {
        Some(p) => p,
        None => &mut none,
    };
    let mut report = reported(
        backtest::run_session(plan, params, session(engine, config), warmup, source.as_mut(), recorder, &label),
        &a.strategy,
    )?;
    if report.summary.ambiguous_fills > 0 {
        // The run again with each fixed order of the extremes: the spread of outcomes the bars cannot decide.
        let mut band = report.summary.equity_band;
        for path in [IntrabarPath::HighFirst, IntrabarPath::LowFirst] {
            let (_, mut again) = bars_or_trades(a.data.as_deref(), options)?;
            let engine = p.engine(r, &a.strategy)?;
            let config = SessionConfig { intrabar: path, ..config };
            let run = backtest::run_session(
                plan,
                params,
                session(engine, config),
                warmup,
                again.as_mut(),
                &mut NoRecorder,
                &label,
            );
            let end = reported(run, &a.strategy)?.summary.final_equity;
            band = [band[0].min(end), band[1].max(end)];
        }
        report.summary.equity_band = band;
    }
    strata_runtime::metrics::add_monte_carlo(&mut report.summary, &report.trades);
    if let Some(rec) = parquet.as_mut() {
        rec.attach("summary.json", serde_json::to_vec_pretty(&report.summary).context("encoding the summary")?)?;
        rec.attach_trades(&report.trades)?;
        rec.commit()?;
    }
    if r.json {
        println!("{}", serde_json::to_string_pretty(&report.summary).context("encoding the summary")?);
    } else {
        print!("{}", summary::render(&report, source.rejected(), r.outputs_dir()));
    }
    r.write_report()?;
    Ok(ExitCode::SUCCESS)
}

/// The data to backtest on: bars, or trades (a Parquet table with `price`), each trade then a bar of its own (open,
/// high, low and close its price, volume its quantity) — so orders fill at the next trade, and a series counts trades.
fn bars_or_trades(data: Option<&str>, options: ReadOptions) -> anyhow::Result<(String, Box<dyn BarSource>)> {
    if let Some(file) = data.filter(|d| !d.starts_with("bundled:"))
        && let Some(trades) = super::data::trades_of(std::path::Path::new(file))?
    {
        let (from, to) = (options.from.unwrap_or(i64::MIN), options.to.unwrap_or(i64::MAX));
        let bars: Vec<Bar> = trades
            .trades
            .iter()
            .filter(|t| (from..=to).contains(&t.0))
            .map(|&(ts, price, qty)| Bar { ts, open: price, high: price, low: price, close: price, volume: qty })
            .collect();
        if bars.is_empty() {
            bail!("{file}: no trades between --from and --to");
        }
        return Ok((file.to_string(), Box::new(VecSource::new(bars))));
    }
    let (label, src) = open_data(data, options)?;
    Ok((label, Box::new(src)))
}

/// `--intrabar FILE`: trades (a `price` column) or finer bars, checked against the data's own bar interval.
fn intrabar(file: &std::path::Path, data: Option<&str>, options: ReadOptions) -> anyhow::Result<Arc<FinerPath>> {
    let shown = file.display();
    // The data's bar interval: the smallest step between the timestamps of its first batch.
    let (label, mut base) = open_data(data, options)?;
    let first: Vec<i64> = base.next_batch()?.map(|b| b.iter().map(|b| b.ts).collect()).unwrap_or_default();
    let interval = strata_runtime::data::smallest_step(&first)
        .with_context(|| format!("{label}: too few bars to tell their interval"))?;
    match strata_runtime::data::parquet::read_trade_prices(file) {
        Ok(trades) => return Ok(Arc::new(FinerPath::from_trades(&trades, interval))),
        Err(DataError::MissingColumn { column, .. }) if column == "price" => {}
        Err(e) => bail!("--intrabar: {e}"),
    }
    let (_, mut src) = open_data(Some(&file.to_string_lossy()), ReadOptions { strict: true, ..ReadOptions::default() })
        .map_err(|e| anyhow::anyhow!("--intrabar: {e:#} (it needs a `price` column for trades, or bars)"))?;
    let mut bars = Vec::new();
    while let Some(batch) = src.next_batch().map_err(|e| anyhow::anyhow!("--intrabar: {e}"))? {
        bars.extend_from_slice(batch);
    }
    let step = strata_runtime::data::smallest_step(&bars.iter().map(|b| b.ts).collect::<Vec<_>>())
        .with_context(|| format!("--intrabar: {shown} has too few bars to tell their interval"))?;
    if step >= interval {
        bail!("--intrabar: {shown}'s bars are {} s apart, no finer than {label}'s {} s", step / 1000, interval / 1000);
    }
    Ok(Arc::new(FinerPath::from_bars(&bars, interval)))
}

/// A script's failure is a rendered diagnostic: print it as it is.
/// A plan that does not fit the data (a timeframe its bars cannot build) is reported against the strategy's file.
pub(crate) fn reported(r: Result<Report, RunError>, strategy: &std::path::Path) -> anyhow::Result<Report> {
    match r {
        Err(RunError::Strategy(e)) => {
            eprint!("{}", e.message);
            Err(Reported.into())
        }
        Err(RunError::Bind(e)) => Err(anyhow::anyhow!("{}:{e}", strategy.display())),
        other => Ok(other?),
    }
}

fn check_number(flag: &str, v: f64, min: f64, max: f64) -> anyhow::Result<()> {
    if !(v.is_finite() && v >= min && v <= max) {
        bail!("{flag} must be a number from {} to {}, got {v}", strata_runtime::fmt_num(min.max(0.0)), max);
    }
    Ok(())
}

/// Loads a strategy, printing warnings; compile errors are printed here and become [`Reported`].
pub(crate) fn load_strategy(path: &std::path::Path, limits: &Limits) -> anyhow::Result<strategy::Loaded> {
    match strategy::load_with(path, limits) {
        Ok(l) => {
            eprint!("{}", l.warnings);
            Ok(l)
        }
        Err(LoadError::Diagnostics { rendered, .. }) => {
            eprint!("{rendered}");
            Err(Reported.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens the data: a file, or `bundled:NAME`, or the default bundled dataset.
pub(crate) fn open_data(data: Option<&str>, options: ReadOptions) -> anyhow::Result<(String, ParquetBars)> {
    let bundled_name = match data {
        None => Some(bundled::default_dataset().name),
        Some(d) => d.strip_prefix("bundled:"),
    };
    if let Some(name) = bundled_name {
        let Some(ds) = bundled::lookup(name) else {
            let names: Vec<&str> = bundled::DATASETS.iter().map(|d| d.name).collect();
            bail!("no bundled dataset '{name}' (bundled: {})", names.join(", "));
        };
        let label = format!("bundled:{}", ds.name);
        let src = ParquetBars::from_static(&label, ds.bytes, options)?;
        return Ok((label, src));
    }
    let path = PathBuf::from(data.unwrap_or_default());
    if strata_runtime::data::universe::Universe::is_universe(&path) {
        bail!(
            "{}: a universe (a folder of files, or a table with a symbol column); `strata backtest`, `strata ta`, `strata sweep` and \
             `strata walkforward` run universes, this command reads one symbol's bars",
            path.display()
        );
    }
    let src = ParquetBars::open(&path, options)?;
    Ok((path.display().to_string(), src))
}
