//! `strata data import | info | resample`: getting market data into the canonical Parquet layout, and looking at it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use strata_runtime::bar::Bar;
use strata_runtime::data::aggregate::{BarBuilder, BarSpec, Finished};
use strata_runtime::data::clean::Cleaner;
use strata_runtime::data::import::{ImportError, ImportOptions, import};
use strata_runtime::data::parquet::{ParquetBars, read_trades};
use strata_runtime::data::{BarSource, DataError, ReadOptions};
use strata_runtime::output::write_bars;
use strata_runtime::time::format_ts;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DataCommand {
    /// Read bars in any layout strata knows — Yahoo CSV, timestamped CSV with or without volume, gzip, JSON kline
    /// arrays, Feather, Parquet — or trades (with --bars), and write canonical Parquet.
    Import(ImportArgs),
    /// Rows, time range, interval, the steps between bars and their gaps, and the rows the bad-row policy rejects —
    /// of canonical Parquet or of any raw layout `import` reads.
    Info(InfoArgs),
    /// Aggregate bars into longer ones (`--to 1h`), aligned to the epoch in UTC.
    Resample(ResampleArgs),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The raw file.
    input: PathBuf,
    /// The canonical Parquet file to write.
    #[arg(short = 'o', long = "out", value_name = "OUT.parquet")]
    out: PathBuf,
    /// Apply Yahoo's `Adj Close`: open, high and low scaled by Adj Close / Close, the close replaced by it, the
    /// volume divided by the same ratio.
    #[arg(long)]
    adjust: bool,
    /// Drop rows that cannot be read (counted and reported) instead of stopping at the first.
    #[arg(long)]
    skip_bad: bool,
    /// For trades (a file with `price`): the bars to build — a time (1m, 1h, 1d), ticks (500t) or volume (10v).
    #[arg(long, value_name = "SPEC")]
    bars: Option<String>,
}

#[derive(Debug, clap::Args)]
struct InfoArgs {
    /// Parquet bars, `bundled:NAME`, or a raw file in any layout `import` reads.
    file: String,
}

#[derive(Debug, clap::Args)]
struct ResampleArgs {
    /// Parquet bars (or `bundled:NAME`).
    input: String,
    /// The longer interval: a whole multiple of the data's (5m, 1h, 4h, 1d, 1w).
    #[arg(long = "to", value_name = "INTERVAL")]
    to: String,
    /// The Parquet file to write.
    #[arg(short = 'o', long = "out", value_name = "OUT.parquet")]
    out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        DataCommand::Import(a) => import_cmd(a),
        DataCommand::Info(a) => info(a),
        DataCommand::Resample(a) => resample(a),
    }
}

fn import_cmd(a: ImportArgs) -> anyhow::Result<ExitCode> {
    let shown = a.input.display().to_string();
    let spec = a.bars.as_deref().map(BarSpec::parse).transpose().map_err(|e| anyhow::anyhow!("--bars: {e}"))?;
    // Trades: a table with `price` (and no `open`).
    if let Some(trades) = trades_of(&a.input)? {
        let Some(spec) = spec else {
            bail!("{shown} holds trades: say which bars to build from them with --bars (1m, 500t, 10v)")
        };
        if matches!(spec, BarSpec::Volume(_)) && !trades.has_qty {
            bail!("{shown} has no quantity column (qty, quantity, amount, size): volume bars need one");
        }
        let mut builder = BarBuilder::new(spec);
        let mut bars = Vec::new();
        for &(ts, price, qty) in &trades.trades {
            bars.extend(builder.push_trade(ts, price, qty));
        }
        let last = trades.trades.last().map_or(i64::MIN, |t| t.0);
        let partial = match builder.finish(last) {
            Finished::Complete(b) => {
                bars.push(b);
                false
            }
            Finished::Partial(_) => true,
            Finished::Nothing => false,
        };
        if bars.is_empty() {
            bail!("{shown}: {} trades make no complete bar of {}", trades.trades.len(), a.bars.unwrap_or_default());
        }
        write_bars(&a.out, &bars, trades.has_qty)?;
        let note = if partial { "; the last, unfinished bar left out" } else { "" };
        eprintln!("{}: {} trades → {} bars{note}", a.out.display(), trades.trades.len(), bars.len());
        return Ok(ExitCode::SUCCESS);
    }
    let options = ImportOptions { adjust: a.adjust, skip_bad: a.skip_bad };
    let imported = import(&a.input, options).map_err(|e| match e {
        ImportError::BadRow { .. } if !a.skip_bad => {
            anyhow::anyhow!("{e}\n  (--skip-bad drops unreadable rows and counts them)")
        }
        e => e.into(),
    })?;
    let mut bars = imported.bars;
    let mut note = String::new();
    if let Some(spec) = spec {
        let Some(to) = spec.period() else { bail!("--bars: bars can only be resampled by time (5m, 1h, 1d)") };
        bars = resample_bars(&bars, to).map_err(|e| anyhow::anyhow!("--bars: {shown}: {e}"))?;
        let _ = write!(note, ", resampled to {}", a.bars.unwrap_or_default());
    }
    write_bars(&a.out, &bars, imported.has_volume)?;
    if imported.skipped > 0 {
        let _ = write!(
            note,
            "; {} unreadable rows dropped (first: {})",
            imported.skipped,
            imported.first_skip.unwrap_or_default()
        );
    }
    let adjusted = if a.adjust { ", adjusted" } else { "" };
    let volume = if imported.has_volume { "" } else { ", no volume" };
    eprintln!("{}: {} bars from {} ({}{adjusted}{volume}){note}", a.out.display(), bars.len(), shown, imported.format);
    Ok(ExitCode::SUCCESS)
}

/// True when the file at `path` begins with `magic`.
fn starts_with(path: &Path, magic: &[u8]) -> bool {
    let mut head = vec![0u8; magic.len()];
    std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok() && head == magic
}

/// The trades in `path`, when it is a Parquet table of trades.
pub(crate) fn trades_of(path: &Path) -> anyhow::Result<Option<strata_runtime::data::parquet::Trades>> {
    if !starts_with(path, b"PAR1") {
        return Ok(None);
    }
    match read_trades(path) {
        Ok(t) => Ok(Some(t)),
        Err(DataError::MissingColumn { column, .. }) if column == "price" => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Every bar of `data`, read under the bad-row policy.
fn read_all(data: &str) -> anyhow::Result<(String, Vec<Bar>, ParquetBars)> {
    let (label, mut src) = super::backtest::open_data(Some(data), ReadOptions::default())?;
    let mut bars = Vec::new();
    while let Some(batch) = src.next_batch()? {
        bars.extend_from_slice(batch);
    }
    Ok((label, bars, src))
}

/// The data's interval: its most common step.
fn interval(bars: &[Bar]) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for w in bars.windows(2) {
        *counts.entry(w[1].ts - w[0].ts).or_default() += 1;
    }
    // The most common; the shortest on a tie.
    counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(step, _)| *step)
}

/// `bars` in longer bars of `to` ms, which must be a whole multiple (≥ 2) of their interval; the first and the last
/// only when the data covers their whole period (a gap inside the data just leaves a bar with fewer rows).
fn resample_bars(bars: &[Bar], to: i64) -> Result<Vec<Bar>, String> {
    let Some(step) = interval(bars) else { return Err("too few bars to tell their interval".into()) };
    if to <= step {
        return Err(format!("{} is not longer than the data's interval, {}", span(to), span(step)));
    }
    if to % step != 0 {
        return Err(format!("{} is not a whole multiple of the data's interval, {}", span(to), span(step)));
    }
    let mut builder = BarBuilder::new(BarSpec::Time(to));
    let mut out: Vec<Bar> = bars.iter().filter_map(|b| builder.push_bar(b)).collect();
    if let Finished::Complete(b) = builder.finish(bars.last().map_or(i64::MIN, |b| b.ts + step)) {
        out.push(b);
    }
    // A first bar whose period began before the data did is partial too.
    if out.first().zip(bars.first()).is_some_and(|(o, b)| o.ts < b.ts) {
        out.remove(0);
    }
    Ok(out)
}

fn resample(a: ResampleArgs) -> anyhow::Result<ExitCode> {
    let to = BarSpec::parse(&a.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let Some(to) = to.period() else { bail!("--to: give a time (5m, 1h, 1d), not ticks or volume") };
    let (label, bars, src) = read_all(&a.input)?;
    let out = resample_bars(&bars, to).map_err(|e| anyhow::anyhow!("--to: {label}: {e}"))?;
    if out.is_empty() {
        bail!("--to: {label} has no complete {} bar", a.to);
    }
    write_bars(&a.out, &out, src.has_volume())?;
    eprintln!("{}: {} bars of {} from {} bars of {label}", a.out.display(), out.len(), a.to, bars.len());
    Ok(ExitCode::SUCCESS)
}

/// A span of milliseconds in the largest unit that divides it (`5m`, `1d`, `90s`).
fn span(ms: i64) -> String {
    for (unit, n) in [("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms % n == 0 && ms != 0 {
            return format!("{}{unit}", ms / n);
        }
    }
    format!("{ms}ms")
}

fn info(a: InfoArgs) -> anyhow::Result<ExitCode> {
    let path = Path::new(&a.file);
    let parquet_or_bundled = a.file.starts_with("bundled:") || starts_with(path, b"PAR1");
    let (label, bars, rejected, has_volume) = if parquet_or_bundled {
        let (label, bars, src) = read_all(&a.file)?;
        (label, bars, src.rejected(), src.has_volume())
    } else {
        // Any other layout `data import` reads, through the same bad-row policy a backtest applies.
        let imported = import(path, ImportOptions::default())?;
        let mut cleaner = Cleaner::new(false, None, None, imported.has_volume);
        let bars: Vec<Bar> = imported.bars.into_iter().filter(|b| cleaner.admit(b.ts, b).is_ok()).collect();
        (format!("{} ({})", a.file, imported.format), bars, *cleaner.counts(), imported.has_volume)
    };
    let mut o = String::new();
    let _ = writeln!(o, "{label}");
    let _ = writeln!(o, "  rows       {} read, {} rejected by the bad-row policy", bars.len(), rejected.total());
    for (reason, n) in rejected.by_reason() {
        let _ = writeln!(o, "               {n} {reason}");
    }
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = writeln!(o, "  range      {} .. {}", format_ts(first.ts), format_ts(last.ts));
    }
    let _ = writeln!(o, "  volume     {}", if has_volume { "yes" } else { "no volume column" });
    if let Some(step) = interval(&bars) {
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for w in bars.windows(2) {
            *counts.entry(w[1].ts - w[0].ts).or_default() += 1;
        }
        let total = bars.len() - 1;
        let usual = counts.get(&step).copied().unwrap_or(0);
        let _ = writeln!(o, "  interval   {} ({:.1}% of steps)", span(step), 100.0 * usual as f64 / total as f64);
        let mut by_count: Vec<(i64, usize)> = counts.iter().map(|(s, n)| (*s, *n)).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let steps: Vec<String> = by_count.iter().take(6).map(|(s, n)| format!("{} ×{n}", span(*s))).collect();
        let more =
            if by_count.len() > 6 { format!(", {} other step sizes", by_count.len() - 6) } else { String::new() };
        let _ = writeln!(o, "  steps      {}{more}", steps.join(", "));
        let longer: Vec<&[Bar]> = bars.windows(2).filter(|w| w[1].ts - w[0].ts > step).collect();
        match longer.iter().max_by_key(|w| w[1].ts - w[0].ts) {
            Some(w) => {
                let _ = writeln!(
                    o,
                    "  gaps       {} steps longer than {}; the longest {} → {} ({})",
                    longer.len(),
                    span(step),
                    format_ts(w[0].ts),
                    format_ts(w[1].ts),
                    span(w[1].ts - w[0].ts)
                );
            }
            None => {
                let _ = writeln!(o, "  gaps       none");
            }
        }
    }
    print!("{o}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_their_largest_unit() {
        assert_eq!(span(300_000), "5m");
        assert_eq!(span(86_400_000 * 3), "3d");
        assert_eq!(span(90_000), "90s");
        assert_eq!(span(1500), "1500ms");
    }
}
