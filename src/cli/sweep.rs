//! `strata sweep`: a strategy backtested over a grid of its params, in parallel, with progress; and
//! `strata sweep merge`, which combines the shards of one sweep run on several machines.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use strata_runtime::Engine;
use strata_runtime::backtest::RunError;
use strata_runtime::bar::Bar;
use strata_runtime::bind::{BindError, resolve_params};
use strata_runtime::broker::FillModel;
use strata_runtime::data::universe::Universe;
use strata_runtime::data::{BarSource, ReadOptions};
use strata_runtime::engine::Feed;
use strata_runtime::session::SessionConfig;
use strata_runtime::sweep::results::{self, Manifest};
use strata_runtime::sweep::run::{self as sweep_run, METRICS, metric_index};
use strata_runtime::sweep::shared::Shared;
use strata_runtime::sweep::{Combo, Fingerprint, Grid, Row, Shard};

use super::backtest::{RiskArgs, load_strategy, open_data, sandbox_limits};
use super::parse_assignment;
use crate::script::Limits;
use crate::strategy::{self, Loaded};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    #[command(flatten)]
    pub grid: GridArgs,
    /// Write sweep.parquet, sweep.csv, sweep.json and report.html into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only the I-th of N deterministic slices of the grid (1-based); `strata sweep merge` combines them.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// What a sweep and a walk-forward share: the strategy, the data, the grid and the run settings.
#[derive(Debug, clap::Args)]
pub struct GridArgs {
    /// The strategy file (.strat or .rhai).
    #[arg(required = true)]
    pub strategy: Option<PathBuf>,
    /// Parquet bars, or `bundled:NAME` [default: bundled:btcperp-2022-01.1m], or a universe (a folder of files, or
    /// a file with a symbol column).
    #[arg(long, value_name = "FILE")]
    pub data: Option<String>,
    /// With a universe as --data: only these symbols (comma-separated; default: the strategy's `symbols`, else
    /// every symbol of the data).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub symbols: Vec<String>,
    /// A param's values: NAME=START..END:STEP (inclusive) or NAME=V1,V2,... (repeatable; one axis each).
    #[arg(long = "grid", value_name = "NAME=RANGE")]
    pub grid: Vec<String>,
    /// A constraint between params, e.g. "fast < slow"; combinations that fail it are not run.
    #[arg(long = "where", value_name = "CONDITION")]
    pub condition: Option<String>,
    /// Worker threads [default: the machine's cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// The metric that ranks the results (best first).
    #[arg(long, default_value = "sharpe", value_name = "METRIC")]
    pub sort: String,
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
    /// Fix a param that is not swept: --set atr_len=20 (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, String)>,
    #[command(flatten)]
    pub risk: RiskArgs,
    /// Compute every indicator in every combination instead of sharing the ones several need (the results are the
    /// same; for measuring what sharing saves).
    #[arg(long)]
    pub no_share: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum SweepCommand {
    /// Combine the outputs of every `--shard I/N` run of one sweep into the result one run would have written.
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' output directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged result.
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
}

/// A sweep ready to run: the strategy, its grid's combinations, the bars and the settings.
pub(crate) struct Setup {
    pub path: PathBuf,
    pub plan: strata_runtime::Plan,
    /// The plan decides in a script (each worker thread loads its own copy).
    pub scripted: bool,
    pub limits: Limits,
    pub grid: Grid,
    pub combos: Vec<Combo>,
    pub config: SessionConfig,
    /// One symbol's bars (empty when the data is a universe).
    pub bars: Vec<Bar>,
    /// The universe the sweep runs over, when the data is one.
    pub universe: Option<Universe>,
    pub label: String,
    pub sort: usize,
    pub jobs: usize,
    pub fingerprint: Fingerprint,
}

impl GridArgs {
    /// Loads and checks everything before any combination runs.
    pub(crate) fn prepare(&self) -> anyhow::Result<Setup> {
        let Some(path) = self.strategy.clone() else { bail!("a strategy file is required") };
        for (flag, v, min, max) in [
            ("--cash", self.cash, f64::MIN_POSITIVE, 1e15),
            ("--fees-bps", self.fees_bps, 0.0, 1e4),
            ("--slippage-bps", self.slippage_bps, 0.0, 1e4),
        ] {
            if !(v.is_finite() && v >= min && v <= max) {
                bail!("{flag} must be a number from {} to {max}, got {v}", strata_runtime::fmt_num(min.max(0.0)));
            }
        }
        let Some(sort) = metric_index(&self.sort) else {
            let names: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
            let hint = strata_runtime::suggest::hint(&self.sort, names.iter().copied());
            bail!("--sort: unknown metric '{}'{hint}; metrics: {}", self.sort, names.join(", "));
        };
        let limits = sandbox_limits(&[])?;
        let loaded = load_strategy(&path, &limits)?;
        let plan = &loaded.plan;
        let base = resolve_params(plan, &self.set).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let grid = Grid::parse(plan, &base, &self.grid, self.condition.as_deref())?;
        let combos = grid.combos(&base);
        // Every combination's params bind (indicator lengths and all) before any bar is read.
        for c in &combos {
            strata_runtime::bind::bind(plan, &c.params).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
        }
        let config = SessionConfig {
            cash: self.cash,
            fill: FillModel {
                fee_bps: self.fees_bps,
                slippage_bps: self.slippage_bps,
                short_margin: self.margin / 100.0,
            },
            risk: self.risk.limits()?,
            ..SessionConfig::default()
        };
        let reads_volume = loaded.engine(&base)?.reads_volume();
        let (label, bars, universe) = match self.data.as_deref().filter(|d| !d.starts_with("bundled:")) {
            Some(dir) if Universe::is_universe(Path::new(dir)) => {
                let u = super::universe::open(dir, ReadOptions::default(), &self.symbols, plan, reads_volume)?;
                (format!("{dir} ({} symbols)", u.symbols.len()), Vec::new(), Some(u))
            }
            _ => {
                super::universe::refuse_on_one_symbol(&self.symbols, plan, &path)?;
                let (label, mut source) = open_data(self.data.as_deref(), ReadOptions::default())?;
                let mut bars: Vec<Bar> = Vec::new();
                while let Some(batch) = source.next_batch()? {
                    bars.extend_from_slice(batch);
                }
                if bars.is_empty() {
                    bail!("{label}: no bars");
                }
                if reads_volume && !source.has_volume() {
                    bail!("{label}: the strategy reads volume, but the data has no volume column");
                }
                (label, bars, None)
            }
        };
        let mut id = Fingerprint::default();
        // The plan without the path it was loaded from: the same strategy, however its path is spelled.
        let mut unplaced = plan.clone();
        unplaced.source.clear();
        id.add(&serde_json::to_vec(&unplaced).context("fingerprinting the plan")?);
        id.add(&std::fs::read(&path).unwrap_or_default());
        let add_bars = |id: &mut Fingerprint, bars: &[Bar]| {
            for b in bars {
                for v in [b.ts as f64, b.open, b.high, b.low, b.close, b.volume] {
                    id.add(&v.to_bits().to_le_bytes());
                }
            }
        };
        add_bars(&mut id, &bars);
        for (symbol, bars) in universe.iter().flat_map(|u| u.symbols.iter().zip(&u.bars)) {
            id.add(symbol.as_bytes());
            add_bars(&mut id, bars);
        }
        id.add(grid.to_string().as_bytes());
        id.add(format!("{:?} {:?}", base, config).as_bytes());
        let jobs = self.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
        let (plan, scripted) = (loaded.plan.clone(), loaded.script.is_some());
        Ok(Setup {
            path,
            plan,
            scripted,
            limits,
            grid,
            combos,
            config,
            bars,
            universe,
            label,
            sort,
            jobs,
            fingerprint: id,
        })
    }
}

impl Setup {
    /// Builds a combination's engine, its shared indicators fed: a `.strat` plan's directly; a script's from a copy
    /// of the strategy each worker thread loads once (a script stays on its thread).
    pub(crate) fn make_engine(&self, params: &[f64], feeds: &[(usize, Feed)]) -> Result<Engine, RunError> {
        if !self.scripted {
            return Ok(Engine::with_feeds(&self.plan, params, feeds)?);
        }
        thread_local!(static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) });
        LOADED.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let l = strategy::load_with(&self.path, &self.limits).map_err(|e| BindError::Invalid(e.to_string()))?;
                *slot = Some(l);
            }
            match slot.as_ref() {
                Some(l) => Ok(l.engine_with_feeds(params, feeds)?),
                None => Err(BindError::Invalid("the strategy did not load".into()).into()),
            }
        })
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if let Some(SweepCommand::Merge(m)) = a.command {
        return merge(m);
    }
    let shard = a.shard.as_deref().map(Shard::parse).transpose().map_err(anyhow::Error::msg)?;
    let setup = a.grid.prepare()?;
    let plan = &setup.plan;
    let total = setup.combos.len();
    let combos: Vec<Combo> = setup.combos.iter().filter(|c| shard.is_none_or(|s| s.holds(c.index))).cloned().collect();
    let manifest = Manifest {
        strategy: plan.name.clone(),
        data: setup.label.clone(),
        sweep_id: setup.fingerprint.hex(),
        grid: setup.grid.axes.iter().map(|x| x.spec.clone()).collect(),
        condition: setup.grid.condition.as_ref().map(|c| c.text().to_string()),
        sort: METRICS[setup.sort].0.to_string(),
        combinations: total,
        params: plan.params.iter().map(|p| p.name.clone()).collect(),
        metrics: METRICS.iter().map(|m| m.0.to_string()).collect(),
        shard,
    };
    let shard_note = shard.map_or(String::new(), |s| format!(", shard {}/{}", s.index, s.count));
    let bars = setup.universe.as_ref().map_or(setup.bars.len(), Universe::total_bars);
    eprintln!(
        "sweep: {} combinations of {} ({bars} bars of {}) on {} threads{shard_note}",
        combos.len(),
        plan.name,
        setup.label,
        setup.jobs
    );
    let started = Instant::now();
    let progress = Progress::new(combos.len(), "sweep");
    let make_engine = |p: &[f64], f: &[(usize, Feed)]| setup.make_engine(p, f);
    let rows = if let Some(universe) = &setup.universe {
        let tick = |done| progress.tick(done);
        sweep_run::run_universe(plan, &combos, universe, setup.config, &setup.label, setup.jobs, &make_engine, &tick)?
    } else {
        let params: Vec<Vec<f64>> = combos.iter().map(|c| c.params.clone()).collect();
        let shared = if a.grid.no_share { Shared::default() } else { Shared::prepare(plan, &params, &setup.bars) };
        if !shared.is_empty() {
            eprintln!(
                "sweep: {} indicator series computed once, shared by the combinations that use them",
                shared.len()
            );
        }
        sweep_run::run(
            plan,
            &combos,
            &setup.bars,
            setup.config,
            &setup.label,
            setup.jobs,
            &shared,
            &make_engine,
            &|done| progress.tick(done),
        )?
    };
    progress.finish(started);
    finish(&manifest, rows, a.out.as_deref())
}

fn merge(m: MergeArgs) -> anyhow::Result<ExitCode> {
    let (manifest, rows) = results::merge(&m.dirs)?;
    if rows.len() != manifest.combinations {
        bail!("the shards hold {} combinations, the sweep has {}", rows.len(), manifest.combinations);
    }
    eprintln!("sweep merge: {} shards, {} combinations", m.dirs.len(), rows.len());
    finish(&manifest, rows, Some(&m.out))
}

/// Writes the results (when asked to) and prints the best ten.
fn finish(manifest: &Manifest, mut rows: Vec<Row>, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let sort = metric_index(&manifest.sort).unwrap_or(0);
    sweep_run::sort(&mut rows, sort);
    if let Some(dir) = out {
        results::write(dir, manifest, rows.clone())?;
        let page = crate::report::sweep::write(dir, manifest, &rows)?;
        eprintln!("wrote {}/sweep.parquet, sweep.csv, sweep.json, {}", dir.display(), page.display());
    }
    print!("{}", top_table(manifest, &rows, 10));
    Ok(ExitCode::SUCCESS)
}

fn top_table(manifest: &Manifest, rows: &[Row], n: usize) -> String {
    use std::fmt::Write;
    let swept: Vec<usize> = manifest
        .grid
        .iter()
        .filter_map(|g| g.split_once('=').and_then(|(name, _)| manifest.params.iter().position(|p| p == name.trim())))
        .collect();
    let shown = ["sharpe", "total_return", "max_drawdown", "trades", "win_rate", "profit_factor"];
    let mut o = String::new();
    let _ = writeln!(o, "best {} of {} by {}:", n.min(rows.len()), rows.len(), manifest.sort);
    let mut header: Vec<String> = swept.iter().map(|&i| manifest.params[i].clone()).collect();
    header.extend(shown.iter().map(|s| s.to_string()));
    let _ = writeln!(o, "  {}", header.iter().map(|h| format!("{h:>14}")).collect::<String>());
    for r in rows.iter().take(n) {
        let mut cells: Vec<String> = swept.iter().map(|&i| strata_runtime::fmt_num(r.params[i])).collect();
        for s in shown {
            let v = metric_index(s).map_or(f64::NAN, |k| r.metrics[k]);
            cells.push(crate::report::metric(s, v));
        }
        let _ = writeln!(o, "  {}", cells.iter().map(|c| format!("{c:>14}")).collect::<String>());
    }
    o
}

/// Progress: a bar with ETA on a terminal, a log line every tenth of the way otherwise.
pub(crate) struct Progress {
    what: &'static str,
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    started: Instant,
    logged: AtomicUsize,
}

impl Progress {
    pub(crate) fn new(total: usize, what: &'static str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} combinations  {elapsed} elapsed, ETA {eta}  {per_sec}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress { what, bar, total, started: Instant::now(), logged: AtomicUsize::new(0) }
    }

    pub(crate) fn tick(&self, done: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
            return;
        }
        let tenth = done * 10 / self.total.max(1);
        if tenth > self.logged.load(Ordering::Relaxed) && self.logged.fetch_max(tenth, Ordering::Relaxed) < tenth {
            let elapsed = self.started.elapsed().as_secs_f64();
            let eta = elapsed / done as f64 * (self.total - done) as f64;
            eprintln!(
                "{}: {done}/{} combinations ({}%), {elapsed:.1} s elapsed, ETA {eta:.1} s",
                self.what,
                self.total,
                done * 100 / self.total.max(1)
            );
        }
    }

    pub(crate) fn finish(&self, started: Instant) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{}: {} combinations in {:.2} s", self.what, self.total, started.elapsed().as_secs_f64());
    }
}
