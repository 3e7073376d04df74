//! The compiled tier of `on_bar` against Rhai's interpreter: the same script gives the same run in both.
//!
//! - Generated scripts over the whole compiled subset (float, integer and boolean expressions over the bar, its
//!   series, params, the account, state fields and locals; `if`/`else`, `return`, every order function) compile,
//!   and run in both tiers over real bars to byte-identical fills, equity and summary — or stop with the same error
//!   on the same bar (integer overflow, division by zero, a bad order size).
//! - Scripts outside the subset run interpreted, and `explain` says why.
//! - `STRATA_PROPTEST_CASES` raises the number of generated scripts.

mod common;

use proptest::prelude::*;
use strata::script::Limits;
use strata::strategy::{self, Loaded};
use strata_runtime::backtest::{self, RunError};
use strata_runtime::bar::Bar;
use strata_runtime::bind::resolve_params;
use strata_runtime::broker::FillModel;
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::data::{BarSource, ReadOptions, VecSource};
use strata_runtime::session::SessionConfig;

use common::{Tape, root};

fn config() -> ProptestConfig {
    common::proptest_config(96)
}

/// A small deterministic generator (the proptest seed picks the script; the script is printed on failure).
struct Gen {
    state: u64,
    /// Locals in scope, innermost block last: (name, type).
    scopes: Vec<Vec<(String, char)>>,
    next_local: usize,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen { state: seed | 1, scopes: vec![Vec::new()], next_local: 0 }
    }

    fn below(&mut self, n: usize) -> usize {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn local(&mut self, ty: char) -> Option<String> {
        let visible: Vec<String> =
            self.scopes.iter().flatten().filter(|(_, t)| *t == ty).map(|(n, _)| n.clone()).collect();
        (!visible.is_empty()).then(|| visible[self.below(visible.len())].clone())
    }

    fn float(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.below(3) == 0;
        if leaf {
            if self.below(4) == 0
                && let Some(v) = self.local('f')
            {
                return v;
            }
            return match self.below(12) {
                0 => self.pick(&["0.0", "1.5", "2.0", "100.0", "0.001", "1000000000.0"]).to_string(),
                1 => "bar.close".into(),
                2 => self.pick(&["bar.open", "bar.high", "bar.low", "bar.volume"]).into(),
                3 => "bar.fast".into(),
                4 => "bar.slow".into(),
                5 => "this.level".into(),
                6 => self.pick(&["position()", "equity()", "cash()", "entry_price()"]).into(),
                7 => "param(\"band\")".into(),
                8 => format!("{}.0", self.below(50)),
                9 => "this.peak".into(),
                10 => "bar.upper".into(),
                _ => "bar.close".into(),
            };
        }
        let d = depth - 1;
        match self.below(9) {
            0..=2 => {
                let op = self.pick(&["+", "-", "*", "/", "%"]);
                format!("({} {op} {})", self.float(d), self.float(d))
            }
            3 => format!("({} {} {})", self.float(d), self.pick(&["+", "-", "*", "/"]), self.int(d)),
            4 => format!("({} {} {})", self.int(d), self.pick(&["+", "-", "*", "/"]), self.float(d)),
            5 => {
                format!("{}({})", self.pick(&["abs", "sqrt", "floor", "ceiling", "round", "exp", "ln"]), self.float(d))
            }
            6 => {
                let f = self.pick(&["max", "min"]);
                if self.below(2) == 0 {
                    format!("{f}({}, {})", self.float(d), self.float(d))
                } else {
                    format!("{f}({}, {})", self.int(d), self.float(d))
                }
            }
            7 => format!("-({})", self.float(d)),
            _ => format!("({} ** 0.5)", self.float(d)),
        }
    }

    fn int(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.below(3) == 0;
        if leaf {
            if self.below(4) == 0
                && let Some(v) = self.local('i')
            {
                return v;
            }
            return match self.below(8) {
                0 => format!("{}", self.below(7)),
                1 => "bar.index".into(),
                2 => "this.count".into(),
                3 => "bars_in_trade()".into(),
                4 => "param(\"every\")".into(),
                5 => "bar.time".into(),
                6 => "9223372036854775807".into(),
                _ => format!("{}", self.below(100)),
            };
        }
        let d = depth - 1;
        match self.below(6) {
            0..=2 => {
                let op = self.pick(&["+", "-", "*", "/", "%"]);
                format!("({} {op} {})", self.int(d), self.int(d))
            }
            3 => format!("-({})", self.int(d)),
            4 => format!("abs({})", self.int(d)),
            _ => format!("{}({}, {})", self.pick(&["max", "min"]), self.int(d), self.int(d)),
        }
    }

    fn boolean(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.below(4) == 0;
        if leaf {
            if self.below(3) == 0
                && let Some(v) = self.local('b')
            {
                return v;
            }
            return match self.below(4) {
                0 => self.pick(&["true", "false"]).into(),
                1 => "this.armed".into(),
                _ => format!("({} {} {})", self.float(1), self.pick(&["<", ">", "<=", ">="]), self.float(1)),
            };
        }
        let d = depth - 1;
        let cmp = ["==", "!=", "<", "<=", ">", ">="];
        match self.below(8) {
            0 | 1 => format!("({} {} {})", self.float(d), self.pick(&cmp), self.float(d)),
            2 => format!("({} {} {})", self.int(d), self.pick(&cmp), self.int(d)),
            3 => format!("({} {} {})", self.int(d), self.pick(&cmp), self.float(d)),
            4 => format!("({} && {})", self.boolean(d), self.boolean(d)),
            5 => format!("({} || {})", self.boolean(d), self.boolean(d)),
            6 => format!("!({})", self.boolean(d)),
            _ => format!("({} {} {})", self.boolean(d), self.pick(&["==", "!="]), self.boolean(d)),
        }
    }

    fn block(&mut self, out: &mut String, indent: usize, n: usize, depth: u32) {
        self.scopes.push(Vec::new());
        for _ in 0..n {
            self.stmt(out, indent, depth);
        }
        self.scopes.pop();
    }

    fn stmt(&mut self, out: &mut String, indent: usize, depth: u32) {
        let pad = "    ".repeat(indent);
        let line = match self.below(14) {
            0 | 1 => {
                let ty = ['f', 'i', 'b'][self.below(3)];
                let name = format!("v{}", self.next_local);
                self.next_local += 1;
                let value = match ty {
                    'f' => self.float(2),
                    'i' => self.int(2),
                    _ => self.boolean(2),
                };
                let kw = self.pick(&["let", "let", "const"]);
                if kw == "let"
                    && let Some(scope) = self.scopes.last_mut()
                {
                    scope.push((name.clone(), ty));
                }
                format!("{kw} {name} = {value};")
            }
            2 => format!("this.level = {};", self.float(2)),
            3 => format!("this.count {} {};", self.pick(&["=", "+=", "-=", "*="]), self.int(1)),
            4 => format!("this.armed = {};", self.boolean(2)),
            5 => format!("this.peak = max(this.peak, {});", self.float(1)),
            6 => match self.local('f') {
                Some(v) => format!("{v} {} {};", self.pick(&["=", "+=", "-=", "*=", "/="]), self.float(1)),
                None => format!("this.level += {};", self.float(1)),
            },
            7 | 8 if depth > 0 => {
                let cond = self.boolean(2);
                let mut s = format!("{pad}if {cond} {{\n");
                let n = 1 + self.below(3);
                self.block(&mut s, indent + 1, n, depth - 1);
                if self.below(2) == 0 {
                    s.push_str(&format!("{pad}}} else {{\n"));
                    let n = 1 + self.below(2);
                    self.block(&mut s, indent + 1, n, depth - 1);
                }
                s.push_str(&format!("{pad}}}\n"));
                out.push_str(&s);
                return;
            }
            9 => format!("if {} {{ return; }}", self.boolean(1)),
            10 => {
                let f = self.pick(&["buy", "sell", "buy_pct", "sell_pct", "buy_cash", "sell_cash"]);
                let size = match self.below(4) {
                    0 => self.pick(&["1", "10", "50.0", "0.5"]).to_string(),
                    1 => self.int(1),
                    _ => self.float(1),
                };
                format!("if {} {{ {f}({size}); }}", self.boolean(1))
            }
            11 => format!("if position() > 0.0 && {} {{ exit(); }}", self.boolean(1)),
            12 => format!("if position() == 0.0 && {} {{ buy_pct(50); }}", self.boolean(1)),
            _ => format!("{};", self.float(1)),
        };
        out.push_str(&pad);
        out.push_str(&line);
        out.push('\n');
    }

    fn script(&mut self) -> String {
        let mut s = String::from(
            "param(\"band\", 1.5, 0.5, 5.0);\nparam(\"every\", 3, 1, 10, 1);\n\
             series(\"fast\", \"ema(close, 5)\");\nseries(\"slow\", \"sma(close, 20)\");\n\
             series(\"upper\", \"bbands(close, 20, band).upper\");\n\
             state(#{ level: 0.0, count: 0, armed: false, peak: 0.0, note: \"unused\" });\n\n\
             fn on_bar(bar) {\n",
        );
        let n = 3 + self.below(6);
        self.block(&mut s, 1, n, 2);
        s.push_str("}\n");
        s
    }
}

fn data() -> Vec<Bar> {
    let mut src = ParquetBars::open(&root().join("data/btc-2017-11.1m.parquet"), ReadOptions::default()).unwrap();
    let mut bars = Vec::new();
    while let Some(batch) = src.next_batch().unwrap() {
        bars.extend_from_slice(batch);
        if bars.len() >= 400 {
            break;
        }
    }
    bars.truncate(400);
    bars
}

/// One run of `loaded` in the chosen tier: the report and tape, or the error message.
fn run(loaded: &Loaded, bars: &[Bar], interpret: bool) -> Result<(String, Tape), String> {
    let params = resolve_params(&loaded.plan, &[]).map_err(|e| e.to_string())?;
    let engine = loaded.engine_with(&params, interpret).map_err(|e| e.to_string())?;
    let config = SessionConfig {
        cash: 10_000.0,
        fill: FillModel { fee_bps: 10.0, slippage_bps: 2.0, ..FillModel::default() },
        ..SessionConfig::default()
    };
    let mut tape = Tape::default();
    let mut source = VecSource::new(bars.to_vec());
    match backtest::run_engine(&loaded.plan, &params, engine, config, &mut source, &mut tape, "t") {
        Ok(report) => Ok((serde_json::to_string(&report.summary).unwrap(), tape)),
        Err(RunError::Strategy(e)) => Err(e.message),
        Err(e) => Err(format!("unexpected: {e}")),
    }
}

fn same(a: &Result<(String, Tape), String>, b: &Result<(String, Tape), String>) -> Result<(), String> {
    match (a, b) {
        (Ok((sa, ta)), Ok((sb, tb))) => {
            if ta.fills != tb.fills {
                return Err(format!("fills differ: {:?}\nvs {:?}", ta.fills, tb.fills));
            }
            let bits = |t: &Tape| t.equity.iter().map(|(ts, e)| (*ts, e.to_bits())).collect::<Vec<_>>();
            if bits(ta) != bits(tb) {
                return Err("equity curves differ".into());
            }
            if sa != sb {
                return Err(format!("summaries differ:\n{sa}\n{sb}"));
            }
            Ok(())
        }
        (Err(x), Err(y)) if x == y => Ok(()),
        _ => Err(format!(
            "outcomes differ:\ncompiled: {}\ninterpreted: {}",
            a.as_ref().map_or_else(String::clone, |r| r.0.clone()),
            b.as_ref().map_or_else(String::clone, |r| r.0.clone())
        )),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_scripts_run_the_same_in_both_tiers(seed in any::<u64>()) {
        let text = Gen::new(seed).script();
        let loaded = strategy::compile_rhai("gen.rhai", &text, &Limits::default())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let script = loaded.script.as_ref().unwrap();
        prop_assert!(script.is_compiled(), "not compiled: {}\n{text}", loaded.plan.script.as_ref().unwrap().tier);
        let bars = data();
        let compiled = run(&loaded, &bars, false);
        let interpreted = run(&loaded, &bars, true);
        if let Err(e) = same(&compiled, &interpreted) {
            panic!("{e}\n--- script\n{text}");
        }
    }
}

/// The generator reaches what it is meant to: trades, errors, and every kind of statement, over many seeds.
#[test]
fn the_generated_scripts_trade_and_fail_in_every_way() {
    let bars = data();
    let (mut traded, mut failed) = (0, 0);
    let mut errors = std::collections::BTreeSet::new();
    for seed in 0..300u64 {
        let text = Gen::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).script();
        let loaded = strategy::compile_rhai("gen.rhai", &text, &Limits::default()).unwrap();
        assert!(loaded.script.as_ref().unwrap().is_compiled(), "{text}");
        match run(&loaded, &bars, false) {
            Ok((_, tape)) => traded += usize::from(!tape.fills.is_empty()),
            Err(e) => {
                failed += 1;
                let kind = ["overflow", "by zero", "must be a positive number"].into_iter().find(|k| e.contains(k));
                errors.insert(kind.unwrap_or("other"));
            }
        }
    }
    assert!(traded >= 30, "only {traded} of 300 generated scripts traded");
    assert!(failed >= 10, "only {failed} of 300 generated scripts failed");
    for kind in ["overflow", "by zero", "must be a positive number"] {
        assert!(errors.contains(kind), "no generated script failed with '{kind}': {errors:?}");
    }
}

/// What is outside the subset runs in the interpreter — with the same results — and the reason is reported.
#[test]
fn scripts_outside_the_subset_run_interpreted_and_say_why() {
    let cases = [
        ("fn on_bar(bar) { let x = 0.0; for i in 0..3 { x += bar.close; } }", "a `for` loop at 1:31"),
        ("fn on_bar(bar) { let x = 1; x = 2.0; }", "assigning a float to an integer"),
        ("state(#{ a: 0.0 });\nfn on_bar(bar) { this.b = 1.0; }", "state field 'b' is not in the initial state"),
        ("state(#{ a: [] });\nfn on_bar(bar) { let n = this.a; }", "state field 'a' holds array"),
        ("fn half(x) { x / 2.0 }\nfn on_bar(bar) { let h = half(bar.close); }", "the script function half()"),
        ("fn on_bar(bar) { let s = \"x\"; }", "a string"),
        ("fn on_bar(bar) { print(bar.close); }", "print()"),
        ("fn on_bar(bar) { let b = bar; }", "'bar' used other than as bar.FIELD"),
        ("fn on_bar(bar) { let x = 2 ** 3; let y = x ** 2; }", "integer '**'"),
    ];
    let bars = data();
    for (text, why) in cases {
        let loaded = strategy::compile_rhai("x.rhai", text, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!loaded.script.as_ref().unwrap().is_compiled(), "{text}");
        let tier = &loaded.plan.script.as_ref().unwrap().tier;
        assert!(tier.starts_with("interpreted: ") && tier.contains(why), "{text}: {tier}");
        // Both deciders are the interpreter then: the same run.
        same(&run(&loaded, &bars, false), &run(&loaded, &bars, true)).unwrap();
    }
    // A body longer than the operations limit is left to the interpreter, which enforces the limit exactly.
    let text = "fn on_bar(bar) { let a = bar.close + 1.0; let b = a * 2.0; let c = b - a; }";
    let tight = Limits { operations: 5, ..Limits::default() };
    let loaded = strategy::compile_rhai("ops.rhai", text, &tight).unwrap();
    let tier = &loaded.plan.script.as_ref().unwrap().tier;
    assert!(tier.contains("more than the sandbox's operations limit of 5"), "{tier}");
    let err = run(&loaded, &bars, false).unwrap_err();
    assert!(err.contains("sandbox limit operations"), "{err}");
}

/// The reference strategies are all in the compiled subset.
#[test]
fn the_reference_strategies_compile() {
    for name in ["sma_cross", "rsi_revert", "bb_break"] {
        let loaded = strategy::load(&root().join(format!("strategies/{name}.rhai"))).unwrap();
        assert_eq!(loaded.plan.script.as_ref().unwrap().tier, "compiled", "{name}");
    }
}
