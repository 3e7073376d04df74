//! The sandbox a strategy script runs in: which parts of Rhai it gets, and the limits that stop a runaway script.
//!
//! Design choice: start from `Engine::new_raw()` (nothing) and add only what strategies need — arithmetic, logic,
//! strings, iteration, math, arrays, maps, function pointers. Left out on purpose: the language-core package (its
//! `sleep`, `exit` and JSON parsing), time (a result must not depend on when it ran), blobs, module import (no
//! resolver, so `import` finds nothing) and `eval`. Every limit counts work or size, never wall time, so whether a
//! script is stopped is itself deterministic.

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage,
    BasicStringPackage, BitFieldPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{Engine, FLOAT, INT, OptimizationLevel};

/// Limits on what one call into a script may do. The defaults stop a runaway script in well under a second and
/// leave room for any reasonable strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations per bar (and for the top level, once).
    pub operations: u64,
    /// Depth of nested function calls.
    pub call_depth: usize,
    /// Depth of nested expressions, checked when the script is compiled.
    pub expr_depth: usize,
    /// Bytes in one string.
    pub string_size: usize,
    /// Elements in one array (nested arrays count in full).
    pub array_size: usize,
    /// Entries in one object map (nested maps count in full).
    pub map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            operations: 1_000_000,
            call_depth: 64,
            expr_depth: 64,
            string_size: 1 << 20,
            array_size: 100_000,
            map_size: 10_000,
        }
    }
}

/// The limit names `--sandbox NAME=N` accepts, with what each bounds.
pub const LIMIT_NAMES: [(&str, &str); 6] = [
    ("operations", "operations per bar"),
    ("call_depth", "depth of nested function calls"),
    ("expr_depth", "depth of nested expressions"),
    ("string_size", "bytes in one string"),
    ("array_size", "elements in one array"),
    ("map_size", "entries in one object map"),
];

impl Limits {
    /// Sets the limit called `name` (one of [`LIMIT_NAMES`]) from text.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let n: u64 = value
            .trim()
            .replace('_', "")
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("sandbox limit '{name}' must be a positive whole number, got '{value}'"))?;
        let small = usize::try_from(n).unwrap_or(usize::MAX);
        match name {
            "operations" => self.operations = n,
            "call_depth" => self.call_depth = small.min(100_000),
            "expr_depth" => self.expr_depth = small.min(100_000),
            "string_size" => self.string_size = small,
            "array_size" => self.array_size = small,
            "map_size" => self.map_size = small,
            _ => {
                let names = LIMIT_NAMES.iter().map(|(n, _)| *n);
                let hint = strata_runtime::suggest::hint(name, names.clone());
                return Err(format!(
                    "unknown sandbox limit '{name}'{hint} (limits: {})",
                    names.collect::<Vec<_>>().join(", ")
                ));
            }
        }
        Ok(())
    }

    /// The name of the limit a flag would raise, for messages.
    pub fn flag(name: &str) -> String {
        format!("--sandbox {name}=N")
    }
}

/// A bare engine with the strategy packages and `limits`; the host registers the strategy API on it.
pub fn engine(limits: &Limits) -> Engine {
    let mut e = Engine::new_raw();
    e.register_global_module(ArithmeticPackage::new().as_shared_module());
    e.register_global_module(LogicPackage::new().as_shared_module());
    e.register_global_module(BitFieldPackage::new().as_shared_module());
    e.register_global_module(BasicStringPackage::new().as_shared_module());
    e.register_global_module(MoreStringPackage::new().as_shared_module());
    e.register_global_module(BasicIteratorPackage::new().as_shared_module());
    e.register_global_module(BasicFnPackage::new().as_shared_module());
    e.register_global_module(BasicMathPackage::new().as_shared_module());
    e.register_global_module(BasicArrayPackage::new().as_shared_module());
    e.register_global_module(BasicMapPackage::new().as_shared_module());
    exact_comparisons(&mut e);
    e.disable_symbol("eval");
    // Reading a state field that was never set is an error, not a silent `()`.
    e.set_fail_on_invalid_map_property(true);
    // Undefined variables are compile errors (a typo is caught by `strata check`, not on some bar in a backtest).
    e.set_strict_variables(true);
    // Full optimization folds calls of functions with constant arguments; everything the host registers is marked
    // volatile, so nothing whose value changes per bar is folded.
    e.set_optimization_level(OptimizationLevel::Full);
    e.set_max_operations(limits.operations);
    e.set_max_call_levels(limits.call_depth);
    e.set_max_expr_depths(limits.expr_depth, limits.expr_depth);
    e.set_max_string_size(limits.string_size);
    e.set_max_array_size(limits.array_size);
    e.set_max_map_size(limits.map_size);
    e.set_max_modules(0);
    e
}

/// Makes float comparisons exact. Rhai's own compare floats with a relative tolerance of one epsilon, so two
/// averages a few ulps apart would compare equal in a script and unequal in a `.strat` rule, and the same strategy
/// would trade differently in the two languages. Turning off Rhai's fast built-in operators makes it look up these.
fn exact_comparisons(e: &mut Engine) {
    e.set_fast_operators(false);
    macro_rules! compare {
        ($($op:tt),*) => {$(
            e.register_fn(stringify!($op), |x: FLOAT, y: FLOAT| x $op y);
            e.register_fn(stringify!($op), |x: FLOAT, y: INT| x $op y as FLOAT);
            e.register_fn(stringify!($op), |x: INT, y: FLOAT| (x as FLOAT) $op y);
        )*};
    }
    compare!(==, !=, <, <=, >, >=);
}
