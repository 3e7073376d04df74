//! `strata ta` steps bars in columns (`Engine::on_bars`); a backtest steps them one by one (`Engine::on_bar`).
//! Over real data, for expressions using every kind of step (arithmetic, comparisons, three-valued logic,
//! selects, functions, history, and every registered indicator, some of expressions), both give every series the
//! same bits on every bar, whatever the batch sizes.

mod common;

use common::root;
use strata::dsl::{NamedExpr, compile_expressions};
use strata_runtime::bar::{AccountView, Bar};
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::data::{BarSource, ReadOptions};
use strata_runtime::engine::{Columns, Engine};
use strata_stdlib::registry;

fn bars(name: &str) -> Vec<Bar> {
    let mut source = ParquetBars::open(&root().join(format!("data/{name}")), ReadOptions::default()).unwrap();
    let mut all = Vec::new();
    while let Some(batch) = source.next_batch().unwrap() {
        all.extend_from_slice(batch);
    }
    all
}

/// One expression per registered indicator (its required parameters from a small table), plus expressions that
/// exercise every other kind of step.
fn expressions() -> Vec<NamedExpr> {
    let mut texts: Vec<String> = vec![
        "sma(close, 20) - ema(close, 10) * 2 / (1 + high - low)".into(),
        "-close[3] + close[0]".into(),
        "(close > sma(close, 5) and rsi(close, 14) < 70) or not (close <= open)".into(),
        "close == close[1] ? 1 : (close != open ? 2 : 3)".into(),
        "max(abs(close - open), sqrt(volume)) + log(close) + nz(close / (close - close[1]), -1)".into(),
        "na(close[2]) ? 0 : pow(close / close[2], 2)".into(),
        "sma(high - low, 14)[2]".into(),
        "ema(rsi(close, 7), 5)".into(),
        "crossover(sma(close, 5), sma(close, 20)) ? 1 : 0".into(),
    ];
    for spec in registry::all() {
        let explicit: Vec<String> = spec
            .explicit_inputs()
            .enumerate()
            .map(|(k, input)| match (input.kind, k) {
                (strata_stdlib::ValueKind::Bool, _) => "close > open".to_string(),
                (_, 0) => "close".to_string(),
                _ => "high".to_string(),
            })
            .collect();
        let required: Vec<String> = spec
            .params
            .iter()
            .filter(|p| p.default == registry::ParamDefault::Required)
            .enumerate()
            .map(|(i, p)| match p.kind {
                registry::ParamKind::Length { .. } => (7 + 5 * i).to_string(),
                registry::ParamKind::Real { min, max } => ((min + 1.0).min(max)).to_string(),
            })
            .collect();
        let args = explicit.into_iter().chain(required).collect::<Vec<_>>().join(", ");
        let call = format!("{}({args})", spec.name);
        if spec.outputs.len() == 1 {
            texts.push(call);
        } else {
            texts.extend(spec.outputs.iter().map(|o| format!("{call}.{}", o.name)));
        }
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| NamedExpr { name: format!("e{i}"), label: format!("e{i}"), text })
        .collect()
}

#[test]
fn columns_equal_bar_by_bar() {
    let exprs = expressions();
    let plan = match compile_expressions(&exprs) {
        Ok(plan) => plan,
        Err(failures) => panic!(
            "expressions do not compile: {:?}",
            failures.iter().map(|(i, _)| &exprs[*i].text).collect::<Vec<_>>()
        ),
    };
    let nodes: Vec<usize> = plan.outputs.iter().map(|o| o.node).collect();
    for data in ["nvda-1999-2014.1d.parquet", "btc-2017-11.1m.parquet"] {
        let bars = bars(data);
        let mut one = Engine::new(&plan, &plan.default_params()).unwrap();
        let (mut intents, mut rejected) = (Vec::new(), Vec::new());
        let account = AccountView::default();
        let mut want: Vec<Vec<f64>> = vec![Vec::with_capacity(bars.len()); nodes.len()];
        for bar in &bars {
            one.on_bar(bar, &account, &mut intents, &mut rejected).unwrap();
            for (w, &n) in want.iter_mut().zip(&nodes) {
                w.push(one.value(n));
            }
        }
        let mut cols = Engine::new(&plan, &plan.default_params()).unwrap();
        assert!(cols.steps_in_columns(), "a plan of expressions steps in columns");
        let mut columns = Columns::new();
        let mut got: Vec<Vec<f64>> = vec![Vec::with_capacity(bars.len()); nodes.len()];
        let (mut start, sizes) = (0, [1usize, 4096, 7, 333, 2]);
        for k in 0.. {
            if start >= bars.len() {
                break;
            }
            let end = (start + sizes[k % sizes.len()]).min(bars.len());
            assert!(cols.on_bars(&bars[start..end], &mut columns));
            for (g, &n) in got.iter_mut().zip(&nodes) {
                g.extend_from_slice(cols.column(&columns, n));
            }
            start = end;
        }
        for (e, (w, g)) in exprs.iter().zip(want.iter().zip(&got)) {
            assert_eq!(w.len(), g.len(), "{data}: {}", e.text);
            for (i, (&w, &g)) in w.iter().zip(g).enumerate() {
                assert!(
                    (w.is_nan() && g.is_nan()) || w.to_bits() == g.to_bits(),
                    "{data}: `{}` on bar {i}: bar by bar {w:e}, in columns {g:e}",
                    e.text
                );
            }
        }
        for (e, &n) in exprs.iter().zip(&nodes) {
            let (w, g) = (one.value(n), cols.value(n));
            assert!(
                (w.is_nan() && g.is_nan()) || w.to_bits() == g.to_bits(),
                "{data}: `{}` after the last bar",
                e.text
            );
        }
    }
}

#[test]
fn a_plan_with_rules_does_not_step_in_columns() {
    let loaded = strata::strategy::load(&root().join("strategies/sma_cross.strat")).unwrap();
    let plan = loaded.plan;
    let mut engine = Engine::new(&plan, &plan.default_params()).unwrap();
    assert!(!engine.steps_in_columns());
    let bars = bars("nvda-1999-2014.1d.parquet");
    assert!(!engine.on_bars(&bars[..10], &mut Columns::new()), "refused, not silently wrong");
    assert_eq!(engine.bars_seen(), 0);
}
