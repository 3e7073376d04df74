//! Bad indicator parameters are compile errors, for every parameter of every indicator: a length of 0 (where the
//! minimum is above 0), a negative length, a fractional length, and a real parameter outside its range — each
//! reported at the argument, naming the indicator and the parameter. NaN cannot be written in the language, and
//! `--set p=nan` is refused when parsing params (tested in cli_backtest).

use strata::strategy::{LoadError, compile_strat};
use strata_stdlib::ValueKind;
use strata_stdlib::registry::{self, ParamDefault, ParamKind};

fn call(spec: &strata_stdlib::IndicatorSpec, params: &[String]) -> String {
    let mut args: Vec<String> = spec
        .explicit_inputs()
        .map(|i| if i.kind == ValueKind::Bool { "close > open".to_string() } else { "close".to_string() })
        .collect();
    args.extend(params.iter().cloned());
    let mut text = format!("{}({})", spec.name, args.join(", "));
    if spec.outputs.len() > 1 {
        text.push('.');
        text.push_str(spec.outputs[0].name);
    }
    text
}

#[test]
fn every_bad_parameter_is_a_compile_error_at_its_argument() {
    let mut checked = 0;
    for spec in registry::all() {
        // Valid values for every parameter.
        let good: Vec<String> = spec
            .params
            .iter()
            .map(|p| match (p.default, p.kind) {
                (ParamDefault::Value(v), _) => format!("{v}"),
                (_, ParamKind::Length { min }) => format!("{}", min.max(2) + 3),
                (_, ParamKind::Real { min, max }) => format!("{}", ((min + max) / 2.0).min(min + 1.0)),
            })
            .collect();
        let valid = format!("let v = {}\nwhen close > 0 {{ buy 1 }}\n", call(spec, &good));
        assert!(compile_strat("ok.strat", &valid).is_ok(), "{}: valid call refused: {valid}", spec.name);

        for (i, p) in spec.params.iter().enumerate() {
            let bad: Vec<String> = match p.kind {
                ParamKind::Length { min } => {
                    let mut v = vec!["-3".to_string(), "2.5".to_string()];
                    if min > 0 {
                        v.push(format!("{}", min - 1));
                    }
                    v
                }
                ParamKind::Real { min, max } => vec![format!("{}", min - 1.0), format!("{}", max * 10.0 + 1.0)],
            };
            for value in bad {
                let mut ps = good.clone();
                ps[i] = value.clone();
                let text = format!("let v = {}\nwhen close > 0 {{ buy 1 }}\n", call(spec, &ps));
                match compile_strat("bad.strat", &text) {
                    Err(LoadError::Diagnostics { rendered, .. }) => {
                        let first = rendered.lines().next().unwrap_or("");
                        assert!(first.starts_with("bad.strat:1:"), "{}: {first}", spec.name);
                        assert!(
                            first.contains(spec.name) && first.contains(p.name),
                            "{} {}={value}: {first}",
                            spec.name,
                            p.name
                        );
                    }
                    other => panic!("{} {}={value} was accepted: {:?}", spec.name, p.name, other.map(|l| l.plan.name)),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} cases");
}
