//! Strata: write a trading strategy once, run it as a backtest or live.
//!
//! This crate holds the language front-ends and the command line: [`dsl`] compiles `.strat` files into a
//! [`strata_runtime::Plan`], [`strategy`] picks the front-end for a file, [`bundled`] carries the real datasets the
//! binary runs on out of the box, and [`cli`] is the `strata` command. The design choice: front-ends only *emit*
//! plans — everything that runs one lives in `strata-runtime`, which knows nothing of the languages.

pub mod bundled;
pub mod cli;
pub mod dsl;
pub mod report;
pub mod script;
pub mod strategy;
