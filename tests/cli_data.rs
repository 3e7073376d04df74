//! `strata data import | info | resample`: every raw layout in `tests/data/import` (slices of ../shared/data/raw)
//! imports to exactly the canonical bars built from it (`NAME.expected.parquet`, slices of ../shared/data); trades
//! and bars aggregate into the bars an independent grouping gives; bad files are refused naming the line and column.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use polars::prelude::*;
use strata_runtime::bar::Bar;

fn import_dir() -> PathBuf {
    root().join("tests/data/import")
}

/// The bars of a Parquet file (every column as f64, `ts` as i64; volume 0 when absent).
fn bars_of(path: &Path) -> (Vec<Bar>, bool) {
    let df = ParquetReader::new(std::fs::File::open(path).expect("open")).finish().expect("read");
    let f = |name: &str| -> Option<Vec<f64>> {
        df.column(name)
            .ok()
            .map(|c| c.cast(&DataType::Float64).expect("f64").f64().expect("f64").into_no_null_iter().collect())
    };
    let ts: Vec<i64> = df.column("ts").expect("ts").i64().expect("i64").into_no_null_iter().collect();
    let (o, h, l, c) =
        (f("open").expect("open"), f("high").expect("high"), f("low").expect("low"), f("close").expect("close"));
    let v = f("volume");
    let bars = (0..ts.len())
        .map(|i| Bar {
            ts: ts[i],
            open: o[i],
            high: h[i],
            low: l[i],
            close: c[i],
            volume: v.as_ref().map_or(0.0, |v| v[i]),
        })
        .collect();
    (bars, v.is_some())
}

fn import(args: &[&str]) -> std::process::Output {
    let mut all = vec!["data", "import"];
    all.extend(args);
    strata(&all)
}

#[test]
fn every_raw_layout_imports_to_the_canonical_bars() {
    let dir = tempdir();
    let cases = [
        ("nvda-1999-2014.yahoo.csv", "nvda-1999-2014.1d", "Yahoo CSV"),
        ("orcl-1995-2014.yahoo.csv", "orcl-1995-2014.1d", "Yahoo CSV"),
        ("btcperp-2022-01.1m.csv", "btcperp-2022-01.1m", "(CSV)"),
        ("gbpusd-2012-02.1m-bid.csv", "gbpusd-2012-02.1m", "no volume"),
        ("6eh4-2024-01.1m.csv.gz", "6eh4-2024-01.1m", "gzip CSV"),
        ("btc-2017-11.1m.klines.json", "btc-2017-11.1m", "JSON klines"),
        ("ethbtc-2018-01.5m.feather", "ethbtc-2018-01.5m", "Feather"),
    ];
    for (raw, canonical, format) in cases {
        let out = dir.path().join(format!("{canonical}.parquet"));
        let o = import(&[import_dir().join(raw).to_str().expect("utf8"), "-o", out.to_str().expect("utf8")]);
        assert!(o.status.success(), "{raw}: {}", stderr(&o));
        assert!(stderr(&o).contains(format), "{raw}: {}", stderr(&o));
        let (got, got_volume) = bars_of(&out);
        let (want, want_volume) = bars_of(&import_dir().join(format!("{canonical}.expected.parquet")));
        assert_eq!(got_volume, want_volume, "{raw}: volume column");
        assert_eq!(got.len(), want.len(), "{raw}: rows");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{raw}: row {}", i + 1);
        }
    }
}

#[test]
fn adjust_applies_the_adjusted_close_ratio() {
    let dir = tempdir();
    let out = dir.path().join("adj.parquet");
    let raw = import_dir().join("nvda-1999-2014.yahoo.csv");
    let o = import(&[raw.to_str().expect("utf8"), "--adjust", "-o", out.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (bars, _) = bars_of(&out);
    // The first row: 1999-01-22, Open 1.750000, High 1.953125, Low 1.552083, Close 1.640625, Adj 1.518424, Volume
    // 67867200. The ratio is 1.518424 / 1.640625.
    let r = 1.518424 / 1.640625;
    let b = bars[0];
    assert_eq!(b.ts, 916_963_200_000, "1999-01-22");
    assert_eq!((b.open, b.high, b.low, b.close), (1.75 * r, 1.953125 * r, 1.552083 * r, 1.518424));
    assert_eq!(b.volume, 67_867_200.0 / r);
    let o =
        import(&[import_dir().join("btcperp-2022-01.1m.csv").to_str().expect("utf8"), "--adjust", "-o", "/dev/null"]);
    assert!(stderr(&o).contains("--adjust needs an `Adj Close` column"), "{}", stderr(&o));
}

#[test]
fn trades_aggregate_into_time_tick_and_volume_bars() {
    let dir = tempdir();
    let raw = import_dir().join("btcusdt-2021-01-08.trades.parquet");
    let trades = strata_runtime::data::parquet::read_trades(&raw).expect("trades").trades;
    assert_eq!(trades.len(), 2001);
    // The reference: trades grouped by hand.
    let group = |key: &dyn Fn(usize, i64) -> i64| -> Vec<Bar> {
        let mut out: Vec<(i64, Bar)> = Vec::new();
        for (i, &(ts, p, q)) in trades.iter().enumerate() {
            let k = key(i, ts);
            match out.last_mut() {
                Some((last, b)) if *last == k => {
                    b.high = b.high.max(p);
                    b.low = b.low.min(p);
                    b.close = p;
                    b.volume += q;
                }
                _ => out.push((
                    k,
                    Bar { ts: if k >= 1_000_000 { k } else { ts }, open: p, high: p, low: p, close: p, volume: q },
                )),
            }
        }
        out.into_iter().map(|(_, b)| b).collect()
    };
    // 5-second bars: the last (45 s .. 50 s, trades until 46.355 s) is unfinished and left out.
    let out = dir.path().join("5s.parquet");
    let o = import(&[raw.to_str().expect("utf8"), "--bars", "5s", "-o", out.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("the last, unfinished bar left out"), "{}", stderr(&o));
    let mut want = group(&|_, ts| ts - ts.rem_euclid(5000));
    want.pop();
    assert_eq!(bars_of(&out).0, want);
    // 100-trade bars: 20 full ones; the 2001st trade starts a 21st, unfinished.
    let out = dir.path().join("100t.parquet");
    assert!(
        import(&[raw.to_str().expect("utf8"), "--bars", "100t", "-o", out.to_str().expect("utf8")]).status.success()
    );
    let mut want = group(&|i, _| (i / 100) as i64);
    want.pop();
    assert_eq!(bars_of(&out).0, want);
    assert_eq!(want.len(), 20);
    let o = import(&[raw.to_str().expect("utf8"), "-o", out.to_str().expect("utf8")]);
    assert!(stderr(&o).contains("holds trades: say which bars to build from them with --bars"), "{}", stderr(&o));
}

#[test]
fn resample_builds_longer_bars_and_refuses_impossible_intervals() {
    let dir = tempdir();
    let minutes = first_bars("btcperp-2022-01.1m.parquet", 600);
    let input = dir.path().join("m.parquet");
    write_bars(&input, &minutes);
    let out = dir.path().join("h.parquet");
    let run = |to: &str| {
        strata(&["data", "resample", input.to_str().expect("utf8"), "--to", to, "-o", out.to_str().expect("utf8")])
    };
    let o = run("1h");
    assert!(o.status.success(), "{}", stderr(&o));
    // By hand: group the minutes by hour; the data starts at 23:01 and ends at 08:59 + 1: the first hour is partial.
    let mut want: Vec<Bar> = Vec::new();
    let hours: Vec<&[Bar]> = minutes.chunk_by(|a, b| a.ts / 3_600_000 == b.ts / 3_600_000).collect();
    let last = hours.len() - 1;
    for (k, chunk) in hours.into_iter().enumerate() {
        let starts_on_the_hour = chunk[0].ts % 3_600_000 == 0;
        let ends_at_59 = chunk[chunk.len() - 1].ts % 3_600_000 == 59 * 60_000;
        if (k == 0 && !starts_on_the_hour) || (k == last && !ends_at_59) {
            continue;
        }
        want.push(Bar {
            ts: chunk[0].ts,
            open: chunk[0].open,
            high: chunk.iter().map(|b| b.high).fold(f64::MIN, f64::max),
            low: chunk.iter().map(|b| b.low).fold(f64::MAX, f64::min),
            close: chunk[chunk.len() - 1].close,
            volume: chunk.iter().map(|b| b.volume).sum(),
        });
    }
    assert!(want.len() >= 8);
    assert_eq!(bars_of(&out).0, want);
    for (to, why) in [
        ("90s", "is not a whole multiple of the data's interval, 1m"),
        ("1m", "is not longer than"),
        ("5t", "give a time"),
    ] {
        let o = run(to);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(why), "{to}: {}", stderr(&o));
    }
}

#[test]
fn info_reports_range_interval_gaps_and_bad_rows() {
    let dir = tempdir();
    let mut rows = rising(10);
    for r in &mut rows[4..] {
        r.0 += 3 * 86_400_000; // a 4-day step between rows 4 and 5
    }
    rows[9].2 = rows[9].3 - 1.0; // the last row's high below its low
    let path = dir.path().join("d.parquet");
    write_parquet(&path, bars_df(&rows), None);
    let o = strata(&["data", "info", path.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("rows       9 read, 1 rejected by the bad-row policy"), "{text}");
    assert!(text.contains("1 high below low"), "{text}");
    assert!(text.contains("interval   1d"), "{text}");
    assert!(
        text.contains(
            "gaps       1 steps longer than 1d; the longest 1970-01-04T00:00:00Z → 1970-01-08T00:00:00Z (4d)"
        ),
        "{text}"
    );
}

#[test]
fn bad_raw_files_name_the_line_and_column_and_leave_the_output_alone() {
    let dir = tempdir();
    let out = dir.path().join("out.parquet");
    std::fs::write(&out, b"earlier output").expect("write");
    let csv = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let header = "timestamp,open,high,low,close,volume\n";
    let cases = [
        (
            csv("num.csv", &format!("{header}2022-01-01 00:00,1,2,0.5,1.5,10\n2022-01-01 00:01,1,2,0.5,abc,10\n")),
            "num.csv:3: column 'close': 'abc' is not a number",
        ),
        (
            csv("order.csv", &format!("{header}2022-01-01 00:01,1,2,0.5,1.5,10\n2022-01-01 00:00,1,2,0.5,1.5,10\n")),
            "order.csv:3: timestamp 2022-01-01T00:00:00Z is not after the previous row's",
        ),
        (
            csv("time.csv", &format!("{header}01/02/2022,1,2,0.5,1.5,10\n")),
            "time.csv:2: column 'timestamp': '01/02/2022' is not a date or time",
        ),
        (csv("short.csv", &format!("{header}2022-01-01,1,2\n")), "short.csv:2: no value for column 'low'"),
        (csv("cols.csv", "when,open,high,low,close\n2022-01-01,1,2,0.5,1.5\n"), "cols.csv: no column for the time"),
        (csv("json.json", "[[1, 2, 3, 4]]"), "json.json:1: row 1: no close (field 4)"),
    ];
    for (path, want) in &cases {
        let o = import(&[path.to_str().expect("utf8"), "-o", out.to_str().expect("utf8")]);
        assert!(!o.status.success(), "{}", path.display());
        assert!(stderr(&o).contains(want), "{}: {}", path.display(), stderr(&o));
        assert_eq!(std::fs::read(&out).expect("read"), b"earlier output", "the earlier output is untouched");
    }
    // --skip-bad drops the unreadable row and says so.
    let o = import(&[cases[0].0.to_str().expect("utf8"), "--skip-bad", "-o", out.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 unreadable rows dropped (first: line 3: column 'close': 'abc' is not a number)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(bars_of(&out).0.len(), 1);
}

#[test]
fn a_strategy_backtests_on_trades_filling_at_the_next_trade() {
    let dir = tempdir();
    let raw = import_dir().join("btcusdt-2021-01-08.trades.parquet");
    let strat = dir.path().join("tick.strat");
    std::fs::write(
        &strat,
        "var placed = false\nlet avg = sma(close, 50)\n\
         when not placed and close < avg * 0.9999 {\n    buy 0.01 takeprofit 0.05%\n    placed := true\n}\n",
    )
    .expect("write");
    let out = dir.path().join("run");
    let o = strata(&[
        "backtest",
        strat.to_str().expect("utf8"),
        "--data",
        raw.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // By hand: each trade is a bar; the signal is the first trade below 0.9999 × the mean of the last 50 prices; the
    // buy fills at the next trade's price; the take-profit at the first later trade at or above 1.0005 × that.
    let trades = strata_runtime::data::parquet::read_trades(&raw).expect("trades").trades;
    let p: Vec<f64> = trades.iter().map(|t| t.1).collect();
    let signal = (49..p.len()).find(|&i| p[i] < p[i - 49..=i].iter().sum::<f64>() / 50.0 * 0.9999).expect("a signal");
    let entry = p[signal + 1];
    let target = entry * (1.0 + 0.05 / 100.0);
    let exit = (signal + 2..p.len()).find(|&i| p[i] >= target).expect("reaches the target");
    let df = ParquetReader::new(std::fs::File::open(out.join("fills.parquet")).expect("fills")).finish().expect("read");
    let ts: Vec<i64> = df.column("ts").expect("ts").i64().expect("i64").into_no_null_iter().collect();
    let price: Vec<f64> = df.column("price").expect("price").f64().expect("f64").into_no_null_iter().collect();
    assert_eq!(ts, vec![trades[signal + 1].0, trades[exit].0]);
    assert_eq!(price, vec![entry, p[exit]], "a limit reached by a trade fills at that trade's price");
}

#[test]
fn info_reads_raw_layouts_through_the_bad_row_policy() {
    let dir = tempdir();
    let path = dir.path().join("raw.csv");
    std::fs::write(
        &path,
        "Date,Open,High,Low,Close,Volume\n2020-01-01,10,11,9,10.5,100\n2020-01-02,10,9,11,10,100\n2020-01-03,10,12,9,11,100\n",
    )
    .expect("write");
    let o = strata(&["data", "info", path.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("raw.csv (CSV)"), "{text}");
    assert!(text.contains("rows       2 read, 1 rejected by the bad-row policy"), "{text}");
    assert!(text.contains("1 high below low"), "{text}");
    assert!(text.contains("range      2020-01-01T00:00:00Z .. 2020-01-03T00:00:00Z"), "{text}");
}
