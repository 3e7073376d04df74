//! Live market data: the venue's protocol as values ([`binance`]), the state machine that turns kline updates into
//! the bar sequence a session steps on ([`bars`]) — or builds that sequence from the trade stream ([`trades`]) — and the offline feed server that replays history as that
//! protocol ([`server`]); a live run ([`run`]) and reading its journal back to resume it ([`resume`]); many symbols'
//! streams merged into the timestamps a universe backtest steps through ([`universe`]).
//!
//! Design choice: the rules that make a live run equal to a backtest (closed klines only, each bar once, holes
//! backfilled before the bar after them, the file's bad-row policy) are pure — no sockets, no clock — and
//! unit-tested without a network; the connection code around them (tokio, WebSocket) only moves messages. The
//! engine core stays as it is: a live run hands the same `Session` the same bars a backtest would.

pub mod bars;
pub mod binance;
pub mod feed;
pub mod net;
pub mod resume;
pub mod run;
pub mod server;
pub mod signals;
pub mod trades;
pub mod universe;
pub mod universe_run;
