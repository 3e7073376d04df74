//! `strata help TOPIC`: reference pages generated from the code, so they cannot drift from it.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::bail;
use strata_stdlib::registry::{self, ParamDefault, ParamKind, ValueKind};

use crate::bundled;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `indicators` (every indicator: signature, outputs, warm-up, definition) or `data` (bundled datasets).
    pub topic: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.topic.as_deref() {
        Some("indicators") => print!("{}", indicators()),
        Some("data") => print!("{}", data()),
        Some(other) => {
            bail!("no help on '{other}' (topics: indicators, data; or run `strata --help`)")
        }
        None => println!("topics: `strata help indicators`, `strata help data`; commands: `strata --help`"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The indicator reference, from the registry (also `docs/indicators.md`, which a test keeps equal to this).
pub fn indicators() -> String {
    let mut o = String::from("# Indicators\n\n");
    o.push_str(
        "Generated from the indicator registry (`strata help indicators`); the compiler checks calls against the \
         same table, so this page cannot drift from the language.\n\n\
         Series arguments may be any expression (`sma(high - low, 14)`); the other arguments are constants or \
         params. Indicators of the whole bar read the bar's high, low, close and volume themselves. Warm-up is \
         the number of bars, from the first bar on which the inputs are defined, before the first defined value; \
         an input bar that is undefined is skipped. Where TA-Lib defines an indicator, the values equal TA-Lib \
         0.8.2's to 1e-9 (tested on five real datasets).\n\n",
    );
    o.push_str("| call | outputs | warm-up (bars) | what |\n| --- | --- | --- | --- |\n");
    for spec in registry::all() {
        let outs: Vec<&str> = spec.outputs.iter().map(|x| x.name).collect();
        let outs = if spec.outputs.len() > 1 { outs.join(", ") } else { kind(spec.outputs[0].kind).to_string() };
        let _ = writeln!(o, "| `{}` | {outs} | {} | {} |", spec.signature(), spec.warmup_text, spec.summary);
    }
    for spec in registry::all() {
        let _ = writeln!(o, "\n## {}\n\n`{}` — {}\n", spec.name, spec.signature(), spec.summary);
        if spec.outputs.len() > 1 {
            let outs: Vec<String> = spec.outputs.iter().map(|x| format!("`.{}`", x.name)).collect();
            let _ = writeln!(
                o,
                "- outputs: {} (pick one, e.g. `{}(...).{}`)",
                outs.join(", "),
                spec.name,
                spec.outputs[0].name
            );
        } else {
            let _ = writeln!(o, "- output: {}", kind(spec.outputs[0].kind));
        }
        let implicit: Vec<&str> = spec.inputs.iter().filter(|i| i.implicit.is_some()).map(|i| i.name).collect();
        if !implicit.is_empty() {
            let _ = writeln!(o, "- reads the bar's {}", implicit.join(", "));
        }
        for i in spec.explicit_inputs() {
            let _ = writeln!(o, "- `{}`: a {} series", i.name, kind(i.kind));
        }
        for p in spec.params {
            let range = match p.kind {
                ParamKind::Length { min } => format!("a whole number ≥ {min}"),
                ParamKind::Real { min, max } => format!("a number in [{min}, {max}]"),
            };
            let default = match p.default {
                ParamDefault::Required => String::new(),
                ParamDefault::Value(v) => format!(", default {v}"),
                ParamDefault::SameAs(k) => format!(", default: the value of `{}`", spec.params[k].name),
            };
            let _ = writeln!(o, "- `{}`: {range}{default}", p.name);
        }
        let _ = writeln!(o, "- warm-up: {}", spec.warmup_text);
        let _ = writeln!(o, "\n{}", spec.definition);
    }
    o
}

fn kind(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Number => "number",
        ValueKind::Bool => "bool",
    }
}

fn data() -> String {
    let mut o = String::from("Bundled datasets (use with --data bundled:NAME; provenance in data/README.md):\n");
    for (i, d) in bundled::DATASETS.iter().enumerate() {
        let default = if i == 0 { "  [default]" } else { "" };
        let _ = writeln!(o, "  {:<20} {}{default}", d.name, d.description);
    }
    o
}
