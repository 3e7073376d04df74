//! Loading a strategy file: read it, pick the front-end by extension, compile it to a plan.
//!
//! Design choice: this is the only place that knows which languages exist; every command that takes a strategy
//! (`check`, `explain`, `backtest`, ...) goes through [`load`], so they all accept the same files.

use std::path::Path;
use std::rc::Rc;

use strata_runtime::bind::BindError;
use strata_runtime::{Engine, Plan};

use crate::dsl::{self, Diagnostic, Source};
use crate::script::{self, Limits, Script};

/// A compiled strategy and the warnings its compiler gave, already rendered.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub plan: Plan,
    pub warnings: String,
    /// The script that decides, for a Rhai strategy.
    pub script: Option<Rc<Script>>,
}

impl Loaded {
    /// An engine for one run with `params`, the script's decider plugged in when there is one.
    pub fn engine(&self, params: &[f64]) -> Result<Engine, BindError> {
        self.engine_with(params, false)
    }

    /// [`Loaded::engine`] with some indicators fed from precomputed columns (a sweep's shared work,
    /// [`Engine::with_feeds`]).
    pub fn engine_with_feeds(
        &self,
        params: &[f64],
        feeds: &[(usize, strata_runtime::engine::Feed)],
    ) -> Result<Engine, BindError> {
        let mut engine = Engine::with_feeds(&self.plan, params, feeds)?;
        if let Some(s) = &self.script {
            engine.set_decider(Box::new(s.decider()));
        }
        Ok(engine)
    }

    /// The same, with a script's `on_bar` run in Rhai's interpreter when `interpret` is set, even if it compiles.
    pub fn engine_with(&self, params: &[f64], interpret: bool) -> Result<Engine, BindError> {
        let mut engine = Engine::new(&self.plan, params)?;
        if let Some(s) = &self.script {
            engine.set_decider(Box::new(if interpret { s.interpreted_decider() } else { s.decider() }));
        }
        Ok(engine)
    }
}

/// Why a strategy could not be loaded. `Display` is the complete message (diagnostics rendered).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: unsupported strategy file: expected a .strat or .rhai file")]
    UnknownKind { path: String },
    #[error("{rendered}")]
    Diagnostics { rendered: String, count: usize },
}

/// Reads and compiles the strategy at `path` (a script gets the default sandbox limits).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_with(path, &Limits::default())
}

/// Reads and compiles the strategy at `path`; a script runs under `limits`.
pub fn load_with(path: &Path, limits: &Limits) -> Result<Loaded, LoadError> {
    let label = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| LoadError::Io {
        path: label.clone(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => e.to_string(),
        },
    })?;
    let text = String::from_utf8(text)
        .map_err(|e| LoadError::Io { path: label.clone(), message: format!("not UTF-8 text ({e})") })?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("strat") => compile_strat(&label, &text),
        Some("rhai") => compile_rhai(&label, &text, limits),
        _ => Err(LoadError::UnknownKind { path: label }),
    }
}

/// Stack for compiling: the passes over the syntax tree recurse, and expressions may nest deeply.
const COMPILER_STACK: usize = 64 << 20;

/// Compiles `.strat` source text labelled `label`.
pub fn compile_strat(label: &str, text: &str) -> Result<Loaded, LoadError> {
    let src = Source::new(label, text);
    let compiled = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(COMPILER_STACK)
            .spawn_scoped(scope, || dsl::compile(label, text))
            .map_err(|e| LoadError::Io {
                path: label.to_string(),
                message: format!("cannot start the compiler: {e}"),
            })?;
        match worker.join() {
            Ok(result) => Ok(result),
            // A panic in the compiler is a bug: let it surface as one.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })?;
    match compiled {
        Ok(c) => Ok(Loaded { plan: c.plan, warnings: src.render_all(&c.warnings), script: None }),
        Err(diags) => {
            let count = diags.iter().filter(|d| d.severity == dsl::Severity::Error).count();
            Err(LoadError::Diagnostics { rendered: render(&src, &diags), count })
        }
    }
}

/// Compiles Rhai strategy text labelled `label`.
pub fn compile_rhai(label: &str, text: &str, limits: &Limits) -> Result<Loaded, LoadError> {
    match script::compile(label, text, limits) {
        Ok((plan, script)) => Ok(Loaded { plan, warnings: String::new(), script: Some(script) }),
        Err(diags) => {
            let src = Source::new(label, text);
            let count = diags.iter().filter(|d| d.severity == dsl::Severity::Error).count();
            Err(LoadError::Diagnostics { rendered: render(&src, &diags), count })
        }
    }
}

fn render(src: &Source, diags: &[Diagnostic]) -> String {
    let mut out = src.render_all(diags);
    let errors = diags.iter().filter(|d| d.severity == dsl::Severity::Error).count();
    if errors > 1 {
        out.push_str(&format!("{}: {errors} errors\n", src.label));
    }
    out
}
