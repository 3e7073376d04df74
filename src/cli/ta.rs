//! `strata ta`: compute expressions of the language over a Parquet file and write them as columns.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use strata_runtime::data::universe::Universe;
use strata_runtime::data::{BarSource, ReadOptions};
use strata_runtime::output::SeriesWriter;
use strata_runtime::time::{DAY_MS, parse_time};

use super::Reported;
use super::backtest::open_data;
use crate::dsl::{NamedExpr, Source, compile_expressions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Parquet bars (or `bundled:NAME`).
    pub data: String,
    /// The Parquet file to write: `ts`, then one Float64 column per NAME (null while undefined).
    #[arg(long, value_name = "OUT.parquet")]
    pub out: PathBuf,
    /// What to compute, as NAME=EXPR: `rsi14='rsi(close, 14)'` `upper='bbands(close, 20, 2).upper'`.
    #[arg(required = true, value_name = "NAME=EXPR")]
    pub exprs: Vec<String>,
    /// First bar to use (inclusive): YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] UTC, or epoch ms.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Last bar to use (inclusive; a date alone includes that whole day).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Fail on the first bad row instead of dropping it.
    #[arg(long)]
    pub strict: bool,
    /// Over a universe (a folder of files, or a file with a symbol column): only these symbols (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub symbols: Vec<String>,
}

/// Splits `NAME=EXPR` arguments, checking the names.
fn named(args: &[String]) -> anyhow::Result<Vec<NamedExpr>> {
    let mut out: Vec<NamedExpr> = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let Some((name, expr)) = arg.split_once('=') else {
            bail!("argument {}: expected NAME=EXPR, got '{arg}'", i + 1);
        };
        let name = name.trim();
        if name.is_empty() || name == "ts" || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            bail!("argument {}: '{name}' is not a usable column name (letters, digits and _; not `ts`)", i + 1);
        }
        if out.iter().any(|e| e.name == name) {
            bail!("argument {}: the name '{name}' is given twice", i + 1);
        }
        out.push(NamedExpr { name: name.to_string(), label: format!("expression '{name}'"), text: expr.to_string() });
    }
    Ok(out)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let exprs = named(&a.exprs)?;
    let plan = match compile_expressions(&exprs) {
        Ok(plan) => plan,
        Err(failures) => {
            for (i, diags) in failures {
                let e = &exprs[i];
                eprint!("{}", Source::new(&e.label, &e.text).render_all(&diags));
            }
            return Err(Reported.into());
        }
    };
    let from = a.from.as_deref().map(|s| parse_time(s).map_err(|e| anyhow::anyhow!("--from: {e}"))).transpose()?;
    let to = a.to.as_deref().map(|s| parse_time(s).map_err(|e| anyhow::anyhow!("--to: {e}"))).transpose()?;
    let options = ReadOptions {
        strict: a.strict,
        from: from.map(|t| t.ms),
        to: to.map(|t| if t.whole_day { t.ms + DAY_MS - 1 } else { t.ms }),
    };
    let names: Vec<String> = exprs.iter().map(|e| e.name.clone()).collect();
    let path = std::path::Path::new(&a.data);
    if !a.data.starts_with("bundled:") && Universe::is_universe(path) {
        return universe(&a, &plan, &names, options);
    }
    let (label, mut source) = open_data(Some(&a.data), options)?;
    let mut writer = SeriesWriter::create(&a.out, &names)?;
    let bars = strata_runtime::ta::run_columns(&plan, &mut source, &label, &mut |ts, cols| writer.push_rows(ts, cols))?;
    writer.commit().with_context(|| format!("writing {}", a.out.display()))?;
    let rejected = source.rejected().total();
    let note = if rejected > 0 { format!(" ({rejected} bad rows dropped)") } else { String::new() };
    println!("{}: {bars} rows × {} series from {label}{note}", a.out.display(), names.len());
    Ok(ExitCode::SUCCESS)
}

/// `strata ta` over a universe (a folder, or a file with a symbol column): one row per symbol's bar, with `symbol`.
fn universe(
    a: &Args,
    plan: &strata_runtime::plan::Plan,
    names: &[String],
    options: ReadOptions,
) -> anyhow::Result<ExitCode> {
    let mut u = Universe::open(std::path::Path::new(&a.data), options)?;
    u.select(&a.symbols)?;
    let (mut ts, mut sym) = (Vec::new(), Vec::new());
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let rows = strata_runtime::ta::run_universe(plan, &u, &mut |t, s, values| {
        ts.push(t);
        sym.push(s);
        for (c, &v) in cols.iter_mut().zip(values) {
            c.push(v);
        }
        Ok(())
    })?;
    let symbols: Vec<&str> = sym.iter().map(|&s| u.symbols[s].as_str()).collect();
    strata_runtime::output::write_symbol_series(&a.out, &ts, &symbols, names, &cols)
        .with_context(|| format!("writing {}", a.out.display()))?;
    let rejected = u.total_rejected();
    let note = if rejected > 0 { format!(" ({rejected} bad rows dropped)") } else { String::new() };
    println!(
        "{}: {rows} rows × {} series from {} symbols of {}{note}",
        a.out.display(),
        names.len(),
        u.symbols.len(),
        a.data
    );
    Ok(ExitCode::SUCCESS)
}
