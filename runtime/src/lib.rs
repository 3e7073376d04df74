//! Strata's runtime: the plan IR, the engine that runs it, the simulated broker and portfolio, data in and
//! results out.
//!
//! The one design choice everything else follows: the engine core ([`engine`], [`session`], [`broker`],
//! [`portfolio`], [`metrics`]) does no I/O and never reads a clock — it steps on bars it is handed — so a backtest
//! and a live run differ only in what feeds the session and where its outputs go. This crate knows nothing of the
//! strategy languages: front-ends hand it a [`plan::Plan`].

pub mod backtest;
pub mod bar;
pub mod basket;
pub mod bind;
pub mod broker;
pub mod cross;
pub mod data;
pub mod decide;
pub mod engine;
pub mod live;
pub mod metrics;
pub mod order;
pub mod output;
pub mod plan;
pub mod portfolio;
pub mod risk;
pub mod run_dir;
pub mod session;
pub mod suggest;
pub mod sweep;
pub mod ta;
pub mod time;
pub mod venue;

mod serde_bar_field;

pub use bar::{AccountView, Bar};
pub use engine::Engine;
pub use plan::Plan;
pub use session::{Report, Session, SessionConfig};

/// A number for messages: shortest form that reads back exactly.
pub fn fmt_num(v: f64) -> String {
    plan::format_number(v)
}
