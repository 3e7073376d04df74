//! Parameter sweeps: a grid of param values ([`grid`]), pruned by a constraint ([`condition`]), every combination
//! backtested in parallel over the same bars ([`run`]), the results written, sharded and merged ([`results`]), and
//! walk-forward analysis built on them ([`walkforward`]); indicators many combinations need are computed once
//! ([`shared`]).
//!
//! Design choice: a sweep is many backtests, never a different simulator — each combination runs the very session
//! `strata backtest` runs, so a sweep's row for `fast=10 slow=30` is that backtest's summary, and combinations are
//! numbered in one fixed order so that shards run anywhere merge back into one result, byte for byte.

pub mod condition;
pub mod grid;
pub mod results;
pub mod run;
pub mod shared;
pub mod walkforward;

pub use grid::{Combo, Grid, GridError};
pub use results::{Fingerprint, Manifest, Shard};
pub use run::{METRICS, Row};
