//! Returns by calendar: each month's and year's return, and the mean bar return by weekday and hour of day (UTC).
//!
//! Design choice: everything is computed from the equity curve at bar closes, the same numbers the metrics use;
//! a month's return is its last close over the previous month's last close (the initial cash for the first), so
//! months compound exactly to the run's total return.

use std::collections::BTreeMap;

use strata_runtime::time::{DAY_MS, civil_from_days, year_month};

/// One calendar year of returns: twelve months (`None` where the run has no bars) and the whole year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRow {
    pub months: [Option<f64>; 12],
    pub year: f64,
}

/// Monthly and yearly returns of an equity curve that started from `initial`.
pub fn monthly(equity: &[(i64, f64)], initial: f64) -> BTreeMap<i64, YearRow> {
    let mut rows: BTreeMap<i64, YearRow> = BTreeMap::new();
    let (mut month_base, mut year_base) = (initial, initial);
    let mut i = 0;
    while i < equity.len() {
        let (y, m) = year_month(equity[i].0);
        // The last bar of this month.
        let mut j = i;
        while j + 1 < equity.len() && year_month(equity[j + 1].0) == (y, m) {
            j += 1;
        }
        let close = equity[j].1;
        let row = rows.entry(y).or_insert(YearRow { months: [None; 12], year: 0.0 });
        row.months[(m - 1) as usize] = Some(close / month_base - 1.0);
        row.year = close / year_base - 1.0;
        month_base = close;
        let next_year = equity.get(j + 1).map(|e| year_month(e.0).0);
        if next_year != Some(y) {
            year_base = close;
        }
        i = j + 1;
    }
    rows
}

/// Mean bar return and bar count by weekday (Monday first) and hour of day, UTC.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekHour {
    pub mean: [[Option<f64>; 24]; 7],
    pub count: [[usize; 24]; 7],
}

/// The weekday × hour table of the bar returns of `equity` (the first bar's return is from `initial`).
pub fn weekday_hour(equity: &[(i64, f64)], initial: f64) -> WeekHour {
    let mut sum = [[0.0f64; 24]; 7];
    let mut count = [[0usize; 24]; 7];
    let mut prev = initial;
    for &(ts, e) in equity {
        if prev > 0.0 && e.is_finite() {
            let (wd, h) = weekday_and_hour(ts);
            sum[wd][h] += e / prev - 1.0;
            count[wd][h] += 1;
        }
        prev = e;
    }
    let mut mean = [[None; 24]; 7];
    for d in 0..7 {
        for h in 0..24 {
            if count[d][h] > 0 {
                mean[d][h] = Some(sum[d][h] / count[d][h] as f64);
            }
        }
    }
    WeekHour { mean, count }
}

/// (weekday with Monday = 0, hour) of an epoch-ms time, UTC.
pub fn weekday_and_hour(ts: i64) -> (usize, usize) {
    let days = ts.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    let wd = (days + 3).rem_euclid(7) as usize;
    let h = (ts.rem_euclid(DAY_MS) / 3_600_000) as usize;
    (wd, h)
}

/// The UTC date of an epoch-ms time as `YYYY-MM-DD`.
pub fn date(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_runtime::time::days_from_civil;

    fn at(y: i64, m: u32, d: u32, h: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + h * 3_600_000
    }

    #[test]
    fn months_and_years_by_hand() {
        let eq = [
            (at(2020, 11, 30, 0), 110.0), // Nov 2020: 110 / 100 − 1 = 10%
            (at(2020, 12, 1, 0), 99.0),
            (at(2020, 12, 31, 0), 121.0), // Dec: 121 / 110 − 1 = 10%; 2020: 121 / 100 − 1 = 21%
            (at(2021, 2, 1, 0), 108.9),   // Feb 2021 (no January): 108.9 / 121 − 1 = −10%; 2021: −10%
        ];
        let rows = monthly(&eq, 100.0);
        let r2020 = &rows[&2020];
        assert!((r2020.months[10].unwrap() - 0.1).abs() < 1e-12);
        assert!((r2020.months[11].unwrap() - 0.1).abs() < 1e-12);
        assert!((r2020.year - 0.21).abs() < 1e-12);
        let r2021 = &rows[&2021];
        assert_eq!(r2021.months[0], None);
        assert!((r2021.months[1].unwrap() + 0.1).abs() < 1e-12);
        assert!((r2021.year + 0.1).abs() < 1e-12);
    }

    #[test]
    fn weekday_hour_by_hand() {
        // 2024-01-01 was a Monday.
        assert_eq!(weekday_and_hour(at(2024, 1, 1, 13)), (0, 13));
        assert_eq!(weekday_and_hour(at(2024, 1, 7, 23)), (6, 23));
        assert_eq!(weekday_and_hour(at(1969, 12, 31, 5)), (2, 5));
        let eq = [(at(2024, 1, 1, 9), 101.0), (at(2024, 1, 8, 9), 99.99), (at(2024, 1, 2, 10), 99.99)];
        let t = weekday_hour(&eq, 100.0);
        // Monday 09:00: +1% and −1% → mean 0; Tuesday 10:00: one flat bar.
        assert_eq!(t.count[0][9], 2);
        assert!(t.mean[0][9].unwrap().abs() < 1e-12);
        assert_eq!((t.count[1][10], t.mean[1][10]), (1, Some(0.0)));
        assert_eq!(t.mean[3][0], None);
        assert_eq!(date(at(2024, 2, 29, 23)), "2024-02-29");
    }
}
