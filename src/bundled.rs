//! Real datasets compiled into the binary, so `strata backtest FILE` runs with nothing else on disk.
//!
//! Design choice: the canonical Parquet files of `data/` are embedded byte for byte and read by the same reader as
//! any file (`--data bundled:NAME`); their provenance is in `data/README.md`.

/// A dataset carried in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    pub name: &'static str,
    pub description: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! dataset {
    ($name:literal, $desc:literal) => {
        Dataset { name: $name, description: $desc, bytes: include_bytes!(concat!("../data/", $name, ".parquet")) }
    };
}

/// Every bundled dataset; the first is the default for `backtest` without `--data`.
pub static DATASETS: &[Dataset] = &[
    dataset!("btcperp-2022-01.1m", "BTC perpetual, 1-minute bars, 2021-12-31 .. 2022-02-01 (45,031 bars)"),
    dataset!("btc-2017-11.1m", "BTC, 1-minute bars, 2017-11-04 .. 2017-11-14 (13,681 bars)"),
    dataset!("ethbtc-2018-01.5m", "ETH/BTC, 5-minute bars, 2018-01-10 .. 2018-01-30 (5,760 bars)"),
    dataset!("gbpusd-2012-02.1m", "GBP/USD bid, 1-minute bars, February 2012, no volume (30,117 bars)"),
    dataset!("6eh4-2024-01.1m", "CME EUR/USD future 6EH4, 1-minute bars, January 2024 (29,996 bars)"),
    dataset!("orcl-1995-2014.1d", "Oracle, daily bars, 1995 .. 2014 (5,036 bars)"),
    dataset!("yhoo-1996-2015.1d", "Yahoo, daily bars, 1996 .. 2015 (4,965 bars)"),
    dataset!("nvda-1999-2014.1d", "NVIDIA, daily bars, 1999 .. 2014 (4,012 bars)"),
];

/// The dataset `backtest` uses when no `--data` is given.
pub fn default_dataset() -> &'static Dataset {
    &DATASETS[0]
}

/// The bundled dataset called `name`.
pub fn lookup(name: &str) -> Option<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name)
}
