//! Real venues: what it takes to send orders to one. So far, Binance Spot's request signing, its credentials and
//! its errors ([`binance`]); the order adapter that uses them is being built on top.
//!
//! Design choice: everything about a venue's wire format — how a request is signed, how an error reads — is pure
//! and unit-tested against the venue's own documented examples, apart from the connection code, and a secret
//! lives only in a type that cannot be printed.

pub mod binance;
