//! UTC timestamps: epoch milliseconds to and from ISO 8601 text.
//!
//! Design choice: timestamps are plain `i64` epoch milliseconds everywhere (as in the data); calendar conversion
//! lives only here, with Howard Hinnant's days-from-civil algorithm, so no date library sits in the hot path.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Monday 1970-01-05, 00:00 UTC, in days since the epoch: weeks start on Mondays.
const FIRST_MONDAY_DAYS: i64 = 4;

/// The start of the period of length `period` (ms) that contains `ts`. Periods are aligned to the epoch (UTC) — an
/// hour starts on the hour, a day at midnight — except that a whole number of weeks starts on a Monday, as
/// exchanges' weekly bars do.
pub fn period_start(ts: i64, period: i64) -> i64 {
    let anchor = if period % (7 * DAY_MS) == 0 { FIRST_MONDAY_DAYS * DAY_MS } else { 0 };
    ts - (ts - anchor).rem_euclid(period.max(1))
}

/// True when every period of length `coarse` starts where a period of length `fine` does (both by
/// [`period_start`]): `coarse` is a multiple of `fine`, and a week's Monday is a `fine` boundary.
pub fn periods_nest(coarse: i64, fine: i64) -> bool {
    fine > 0 && coarse % fine == 0 && period_start(FIRST_MONDAY_DAYS * DAY_MS, fine) == FIRST_MONDAY_DAYS * DAY_MS
}

/// A period as the language writes it: `1w`, `1d`, `4h`, `15m`, `30s` (else milliseconds, `250ms`).
pub fn format_period(ms: i64) -> String {
    for (unit, len) in [("w", 7 * DAY_MS), ("d", DAY_MS), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms > 0 && ms % len == 0 {
            return format!("{}{unit}", ms / len);
        }
    }
    format!("{ms}ms")
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The UTC year and month of a timestamp.
pub fn year_month(ms: i64) -> (i64, u32) {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    (y, m)
}

/// The first millisecond of a UTC month.
pub fn month_start(year: i64, month: u32) -> i64 {
    days_from_civil(year, month, 1) * DAY_MS
}

/// `2022-01-31T23:59:00Z` (milliseconds shown only when non-zero).
pub fn format_ts(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    }
}

/// A point in time given on the command line, and whether it named a whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeArg {
    pub ms: i64,
    /// True for `YYYY-MM-DD`: the bound covers that whole day.
    pub whole_day: bool,
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]` (also with a space instead of `T`), or epoch milliseconds.
pub fn parse_time(s: &str) -> Result<TimeArg, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !s[1..].contains('-') {
        return s.parse::<i64>().map(|ms| TimeArg { ms, whole_day: false }).map_err(|e| e.to_string());
    }
    let bad = || format!("'{s}' is not a date (YYYY-MM-DD), a date-time (YYYY-MM-DDTHH:MM:SS) or epoch milliseconds");
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim_end_matches('Z'))),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return Err(bad());
    }
    let y: i64 = parts[0].parse().map_err(|_| bad())?;
    let m: u32 = parts[1].parse().map_err(|_| bad())?;
    let d: u32 = parts[2].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, m, d) * DAY_MS;
    let Some(time) = time else {
        return Ok(TimeArg { ms, whole_day: true });
    };
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (time, None),
    };
    let t: Vec<&str> = hms.split(':').collect();
    if t.len() < 2 || t.len() > 3 {
        return Err(bad());
    }
    let h: i64 = t[0].parse().map_err(|_| bad())?;
    let mi: i64 = t[1].parse().map_err(|_| bad())?;
    let sec: i64 = if t.len() == 3 { t[2].parse().map_err(|_| bad())? } else { 0 };
    if h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    ms += h * 3_600_000 + mi * 60_000 + sec * 1000;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        ms += f.parse::<i64>().map_err(|_| bad())? * 10i64.pow(3 - f.len() as u32);
    }
    Ok(TimeArg { ms, whole_day: false })
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_align_to_the_epoch_and_weeks_to_mondays() {
        let h = 3_600_000;
        assert_eq!(period_start(5 * h + 17, h), 5 * h);
        assert_eq!(period_start(-1, DAY_MS), -DAY_MS);
        // 2022-01-06 is a Thursday; its week began on Monday 2022-01-03.
        let thursday = days_from_civil(2022, 1, 6) * DAY_MS + 7 * h;
        assert_eq!(period_start(thursday, 7 * DAY_MS), days_from_civil(2022, 1, 3) * DAY_MS);
        assert!(periods_nest(7 * DAY_MS, DAY_MS) && periods_nest(7 * DAY_MS, 4 * h) && periods_nest(DAY_MS, h));
        assert!(!periods_nest(7 * DAY_MS, 7 * h), "weeks are 24 × 7h, but Monday is not a 7h boundary");
        assert!(!periods_nest(6 * h, 4 * h));
        assert_eq!(
            [7 * DAY_MS, DAY_MS, 4 * h, 15 * 60_000, 30_000, 250].map(format_period),
            ["1w", "1d", "4h", "15m", "30s", "250ms"]
        );
    }

    #[test]
    fn round_trips_dates() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2022, 1, 31), (1995, 1, 3), (2100, 12, 31)] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_from_civil(1995, 1, 3) * DAY_MS, 789_091_200_000);
    }

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_ts(789_091_200_000), "1995-01-03T00:00:00Z");
        assert_eq!(format_ts(1_640_991_660_500), "2021-12-31T23:01:00.500Z");
        assert_eq!(parse_time("1995-01-03").unwrap(), TimeArg { ms: 789_091_200_000, whole_day: true });
        assert_eq!(parse_time("2021-12-31T23:01:00.5Z").unwrap().ms, 1_640_991_660_500);
        assert_eq!(parse_time("2021-12-31 23:01").unwrap().ms, 1_640_991_660_000);
        assert_eq!(parse_time("1640991660000").unwrap().ms, 1_640_991_660_000);
        assert!(parse_time("2021-02-30").is_err());
        assert!(parse_time("yesterday").is_err());
    }
}
