//! `strata help TOPIC`: reference pages generated from the code, so they cannot drift from it.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::bail;
use strata_stdlib::registry::{self, ParamKind};

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

/// The indicator reference, from the registry.
pub fn indicators() -> String {
    let mut o = String::from("# Indicators\n\n");
    o.push_str("Series arguments may be any expression; the other arguments are constants or params.\n");
    o.push_str("Warm-up: bars from the first bar its inputs are defined to its first defined value.\n");
    for spec in registry::all() {
        let _ = writeln!(o, "\n## {} — {}\n", spec.signature(), spec.summary);
        let outs: Vec<String> =
            spec.outputs.iter().map(|x| format!("{} ({:?})", x.name, x.kind).to_lowercase()).collect();
        if spec.outputs.len() > 1 {
            let _ = writeln!(o, "- outputs: {} — pick one with `.name`", outs.join(", "));
        } else {
            let _ = writeln!(
                o,
                "- output: {}",
                spec.outputs.first().map_or("number", |x| match x.kind {
                    strata_stdlib::ValueKind::Bool => "bool",
                    strata_stdlib::ValueKind::Number => "number",
                })
            );
        }
        let implicit: Vec<&str> = spec.inputs.iter().filter(|i| i.implicit.is_some()).map(|i| i.name).collect();
        if !implicit.is_empty() {
            let _ = writeln!(o, "- reads the bar's {} implicitly", implicit.join(", "));
        }
        for p in spec.params {
            let kind = match p.kind {
                ParamKind::Length { min } => format!("whole number ≥ {min}"),
                ParamKind::Real { min, max } => format!("number in [{min}, {max}]"),
            };
            let _ = writeln!(o, "- `{}`: {kind}", p.name);
        }
        let example: Vec<f64> = spec
            .params
            .iter()
            .map(|p| match p.kind {
                ParamKind::Length { .. } => 14.0,
                ParamKind::Real { min, .. } => min.max(1.0),
            })
            .collect();
        let all = spec.fill_defaults(&example);
        let _ = writeln!(o, "- warm-up: {} bars with the values above set to 14", (spec.warmup)(&all));
        let _ = writeln!(o, "\n{}", spec.definition);
    }
    o
}

fn data() -> String {
    let mut o = String::from("Bundled datasets (use with --data bundled:NAME; provenance in data/README.md):\n");
    for (i, d) in bundled::DATASETS.iter().enumerate() {
        let default = if i == 0 { "  [default]" } else { "" };
        let _ = writeln!(o, "  {:<20} {}{default}", d.name, d.description);
    }
    o
}
