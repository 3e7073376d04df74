//! Real venues: what it takes to send orders to one, and a fake one to rehearse against.
//!
//! - [`binance`]: Binance Spot's request signing, credentials and errors — pure, tested on the venue's own examples.
//! - [`client`]: its signed REST API as an async client that never resubmits an order whose outcome is unknown.
//! - [`orders`]: a run's orders at the venue and their fills, deduplicated by trade id, overfills refused.
//! - [`broker`]: the venue as a live run's broker — orders sized and placed per bar, fills handed to the session.
//! - [`fake`]: a fake venue (a pure state machine) that checks requests as the venue documents them.
//!
//! Design choice: everything about a venue's wire format — how a request is signed, how an error reads, how a fill
//! becomes a portfolio fill — is pure and unit-tested apart from the connection code, and a secret lives only in a
//! type that cannot be printed.

pub mod binance;
pub mod broker;
pub mod client;
pub mod fake;
pub mod orders;
