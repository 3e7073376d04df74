//! Live market data: the venue's protocol as values ([`binance`]) and the state machine that turns kline updates
//! into the bar sequence a session steps on ([`bars`]).
//!
//! Design choice: everything here is pure — no sockets, no clock — so the rules that make a live run equal to a
//! backtest (closed klines only, each bar once, holes backfilled before the bar after them, the file's bad-row
//! policy) are unit-tested without a network, and the connection code around them only moves messages. The engine
//! core stays as it is: a live run hands the same `Session` the same bars a backtest would.

pub mod bars;
pub mod binance;
