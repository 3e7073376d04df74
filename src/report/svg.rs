//! The report's charts, drawn as inline SVG: the equity curve over its drawdown, a histogram, and a heatmap.
//!
//! Design choice: charts are plain SVG text built here — no chart library, no script needed to draw them — so the
//! page renders offline in any browser, prints, and is byte-identical for the same run. A curve with more points
//! than the chart has pixels is reduced per pixel column to its first, lowest, highest and last point, which keeps
//! every peak and trough a reader could see.

use std::fmt::Write;

use strata_runtime::time::{DAY_MS, month_start, year_month};

use super::calendar::WeekHour;

/// Green for gains, red for losses (ColorBrewer RdYlGn ends, readable by most colour-blind readers).
pub const UP: &str = "#1a9850";
pub const DOWN: &str = "#d73027";

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A number short enough for an axis label.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Up to about `n` round tick values covering `lo..=hi` (steps of 1, 2 or 5 × 10^k).
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || n == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Calendar-aligned time ticks (hours, days, months or years) within `t0..=t1`, about `n` of them, with labels.
pub fn time_ticks(t0: i64, t1: i64, n: usize) -> Vec<(i64, String)> {
    let span = (t1 - t0).max(1);
    let hour = 3_600_000;
    // Fixed steps in ms, then calendar steps in months.
    for step in [hour, 2 * hour, 6 * hour, 12 * hour, DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS] {
        if span / step <= n as i64 {
            let mut out = Vec::new();
            let mut t = t0.div_euclid(step) * step;
            if t < t0 {
                t += step;
            }
            while t <= t1 {
                let label = if step < DAY_MS {
                    let d = super::calendar::date(t);
                    format!("{} {:02}:00", &d[5..], t.rem_euclid(DAY_MS) / hour)
                } else {
                    super::calendar::date(t)
                };
                out.push((t, label));
                t += step;
            }
            return out;
        }
    }
    let months_span = span / (30 * DAY_MS);
    let step = [1i64, 2, 3, 6, 12, 24, 60, 120, 240].into_iter().find(|m| months_span / m <= n as i64).unwrap_or(480);
    let (y0, m0) = year_month(t0);
    let mut k = (y0 * 12 + m0 as i64 - 1).div_euclid(step) * step;
    let mut out = Vec::new();
    loop {
        let (y, m) = (k.div_euclid(12), (k.rem_euclid(12) + 1) as u32);
        let t = month_start(y, m);
        if t > t1 {
            break;
        }
        if t >= t0 {
            out.push((t, if step >= 12 { format!("{y}") } else { format!("{y}-{m:02}") }));
        }
        k += step;
    }
    out
}

/// Reduces `(x, y)` points to at most four per pixel column: first, lowest, highest, last (in time order).
pub fn reduce(points: &[(f64, f64)], columns: usize) -> Vec<(f64, f64)> {
    if points.len() <= 4 * columns || columns == 0 {
        return points.to_vec();
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let width = (x1 - x0).max(f64::MIN_POSITIVE);
    let mut out = Vec::with_capacity(4 * columns);
    let mut i = 0;
    while i < points.len() {
        let col = (((points[i].0 - x0) / width) * columns as f64).floor().min(columns as f64 - 1.0);
        let start = i;
        let (mut lo, mut hi) = (i, i);
        while i < points.len()
            && (((points[i].0 - x0) / width) * columns as f64).floor().min(columns as f64 - 1.0) == col
        {
            if points[i].1 < points[lo].1 {
                lo = i;
            }
            if points[i].1 > points[hi].1 {
                hi = i;
            }
            i += 1;
        }
        let mut keep = [start, lo, hi, i - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(points[k]);
                last = k;
            }
        }
    }
    out
}

/// A linear map from data to pixels.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.p0 + self.p1) / 2.0;
        }
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

fn polyline(points: &[(f64, f64)], x: Scale, y: Scale) -> String {
    let mut d = String::with_capacity(points.len() * 14);
    for (k, &(px, py)) in points.iter().enumerate() {
        let _ = write!(d, "{}{:.1},{:.1}", if k == 0 { "M" } else { "L" }, x.at(px), y.at(py));
    }
    d
}

/// The equity curve (top) over its drawdown from the running peak (bottom), sharing the time axis. The points
/// drawn are embedded as `data-points` for the page's hover readout.
pub fn equity_chart(equity: &[(i64, f64)]) -> String {
    let (w, left, right) = (960.0, 70.0, 16.0);
    let (top_h, gap, dd_h, axis) = (300.0, 16.0, 120.0, 26.0);
    let h = 10.0 + top_h + gap + dd_h + axis;
    let mut s = format!(
        r#"<svg id="equity-chart" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="Equity curve and drawdown">"#
    );
    if equity.is_empty() {
        s.push_str(r#"<text x="20" y="40">no bars</text></svg>"#);
        return s;
    }
    let mut peak = f64::NEG_INFINITY;
    let mut eq = Vec::with_capacity(equity.len());
    let mut dd = Vec::with_capacity(equity.len());
    for &(t, e) in equity {
        peak = peak.max(e);
        eq.push((t as f64, e));
        dd.push((t as f64, if peak > 0.0 { e / peak - 1.0 } else { 0.0 }));
    }
    let columns = (w - left - right) as usize;
    let (eq, dd) = (reduce(&eq, columns), reduce(&dd, columns));
    let (t0, t1) = (equity[0].0, equity[equity.len() - 1].0);
    let x = Scale { d0: t0 as f64, d1: t1 as f64, p0: left, p1: w - right };
    let (lo, hi) = eq.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-6).max(1e-9);
    let y = Scale { d0: lo - pad, d1: hi + pad, p0: 10.0 + top_h, p1: 10.0 };
    let dd_min = dd.iter().fold(0.0f64, |a, p| a.min(p.1)).min(-1e-4);
    let dd_top = 10.0 + top_h + gap;
    let yd = Scale { d0: dd_min * 1.05, d1: 0.0, p0: dd_top + dd_h, p1: dd_top };
    // Grid and axes.
    for v in ticks(y.d0, y.d1, 6) {
        let py = y.at(v);
        let _ = write!(
            s,
            r##"<line class="grid" x1="{left}" x2="{}" y1="{py:.1}" y2="{py:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            w - right,
            left - 6.0,
            py + 4.0,
            short(v)
        );
    }
    for v in ticks(yd.d0, 0.0, 3) {
        let py = yd.at(v);
        let _ = write!(
            s,
            r##"<line class="grid" x1="{left}" x2="{}" y1="{py:.1}" y2="{py:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            w - right,
            left - 6.0,
            py + 4.0,
            v * 100.0
        );
    }
    for (t, label) in time_ticks(t0, t1, 8) {
        let px = x.at(t as f64);
        let _ = write!(
            s,
            r##"<line class="grid" x1="{px:.1}" x2="{px:.1}" y1="10" y2="{:.1}"/><text class="tick" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            dd_top + dd_h,
            dd_top + dd_h + 18.0,
            esc(&label)
        );
    }
    let _ = write!(s, r#"<path class="equity" d="{}"/>"#, polyline(&eq, x, y));
    let mut area = polyline(&dd, x, yd);
    let _ = write!(area, "L{:.1},{:.1}L{:.1},{:.1}Z", x.at(t1 as f64), yd.at(0.0), x.at(t0 as f64), yd.at(0.0));
    let _ = write!(s, r#"<path class="drawdown" d="{area}"/>"#);
    let _ = write!(
        s,
        r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">drawdown from peak</text><line id="equity-cursor" class="cursor" x1="0" x2="0" y1="10" y2="{:.1}" visibility="hidden"/>"#,
        w - right - 4.0,
        dd_top + dd_h - 6.0,
        dd_top + dd_h
    );
    // The points drawn, for the hover readout: pixel x, time, equity.
    let mut data = String::new();
    for (k, &(t, e)) in eq.iter().enumerate() {
        let _ = write!(data, "{}{:.1}:{}:{}", if k == 0 { "" } else { ";" }, x.at(t), t as i64, e);
    }
    let _ = write!(s, r#"<g id="equity-points" data-points="{data}"></g></svg>"#);
    s
}

/// A histogram of `values` (fractions, shown as percent), bins split at zero, wins green and losses red.
pub fn histogram(id: &str, values: &[f64], label: &str) -> String {
    let (w, h, left, bottom, top) = (960.0, 260.0, 50.0, 30.0, 12.0);
    let mut s = format!(
        r#"<svg id="{id}" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(label)
    );
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        s.push_str(r#"<text x="20" y="40">no closed trades</text></svg>"#);
        return s;
    }
    let (lo, hi) = finite.iter().fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    let bins = ((finite.len() as f64).sqrt().ceil() as usize).clamp(5, 40);
    let width = ((hi - lo) / bins as f64).max(1e-9);
    // Bin edges at whole multiples of the width, so zero is an edge.
    let first = (lo / width).floor() as i64;
    let last = ((hi / width).floor() as i64).max(first);
    let mut counts = vec![0usize; (last - first + 1) as usize];
    for v in &finite {
        let k = ((v / width).floor() as i64).clamp(first, last);
        counts[(k - first) as usize] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    let x = Scale { d0: first as f64 * width, d1: (last + 1) as f64 * width, p0: left, p1: w - 12.0 };
    let y = Scale { d0: 0.0, d1: max as f64, p0: h - bottom, p1: top };
    for v in ticks(0.0, max as f64, 4) {
        let py = y.at(v);
        let _ = write!(
            s,
            r##"<line class="grid" x1="{left}" x2="{}" y1="{py:.1}" y2="{py:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{v}</text>"##,
            w - 12.0,
            left - 6.0,
            py + 4.0
        );
    }
    for (i, &c) in counts.iter().enumerate() {
        let b0 = (first + i as i64) as f64 * width;
        let (px0, px1) = (x.at(b0), x.at(b0 + width));
        let color = if b0 >= 0.0 { UP } else { DOWN };
        let _ = write!(
            s,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"><title>{:.2}% to {:.2}%: {c}</title></rect>"#,
            px0 + 0.5,
            y.at(c as f64),
            (px1 - px0 - 1.0).max(0.5),
            y.at(0.0) - y.at(c as f64),
            b0 * 100.0,
            (b0 + width) * 100.0
        );
    }
    for v in ticks(x.d0, x.d1, 8) {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{:.1}%</text>"#,
            x.at(v),
            h - bottom + 18.0,
            v * 100.0
        );
    }
    s.push_str("</svg>");
    s
}

/// A diverging colour for `v` in `-scale..=scale`: red below zero, green above, white at zero.
pub fn diverging(v: f64, scale: f64) -> String {
    let t = if scale > 0.0 { (v / scale).clamp(-1.0, 1.0) } else { 0.0 };
    let (r, g, b) = if t >= 0.0 { (0x1a, 0x98, 0x50) } else { (0xd7, 0x30, 0x27) };
    let a = t.abs();
    let mix = |c: i32| (255.0 + (c as f64 - 255.0) * a).round() as i32;
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

/// The weekday × hour heatmap of mean bar returns.
pub fn week_hour_heatmap(t: &WeekHour) -> String {
    let (cell, left, top) = (36.0, 44.0, 22.0);
    let (w, h) = (left + 24.0 * cell + 8.0, top + 7.0 * cell + 8.0);
    let mut s = format!(
        r#"<svg id="weekday-hour" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="Mean return by weekday and hour">"#
    );
    let scale = t.mean.iter().flatten().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    for hr in 0..24 {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{hr:02}</text>"#,
            left + (hr as f64 + 0.5) * cell,
            top - 6.0
        );
    }
    for (d, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().enumerate() {
        let py = top + d as f64 * cell;
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{name}</text>"#,
            left - 6.0,
            py + cell / 2.0 + 4.0
        );
        for hr in 0..24 {
            let px = left + hr as f64 * cell;
            match t.mean[d][hr] {
                Some(v) => {
                    let _ = write!(
                        s,
                        r#"<rect class="cell" x="{px:.1}" y="{py:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{name} {hr:02}:00 UTC: mean {:.4}% over {} bars</title></rect>"#,
                        cell - 2.0,
                        cell - 2.0,
                        diverging(v, scale),
                        v * 100.0,
                        t.count[d][hr]
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        r#"<rect class="empty" x="{px:.1}" y="{py:.1}" width="{:.1}" height="{:.1}"/>"#,
                        cell - 2.0,
                        cell - 2.0
                    );
                }
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_runtime::time::days_from_civil;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(95.0, 130.0, 4), vec![100.0, 110.0, 120.0, 130.0]);
        assert_eq!(ticks(1.0, 1.0, 4), vec![1.0]);
    }

    #[test]
    fn reduce_keeps_extremes_in_order() {
        let pts: Vec<(f64, f64)> =
            (0..1000).map(|i| (i as f64, if i == 500 { 99.0 } else { (i % 7) as f64 })).collect();
        let r = reduce(&pts, 10);
        assert!(r.len() <= 40);
        assert!(r.contains(&(500.0, 99.0)), "the spike survives");
        assert!(r.windows(2).all(|w| w[0].0 < w[1].0), "in time order");
        assert_eq!((r[0], r[r.len() - 1]), (pts[0], pts[999]));
    }

    #[test]
    fn time_ticks_follow_the_calendar() {
        let d = |y, m, dd| days_from_civil(y, m, dd) * DAY_MS;
        let t = time_ticks(d(2001, 3, 5), d(2014, 6, 1), 8);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("2002"));
        assert!(t.iter().all(|(ts, _)| year_month(*ts).1 == 1 && ts % DAY_MS == 0));
        let t = time_ticks(d(2024, 1, 1), d(2024, 1, 3), 8);
        assert_eq!(t[0].1, "01-01 00:00");
    }

    #[test]
    fn diverging_colours() {
        assert_eq!(diverging(0.0, 1.0), "#ffffff");
        assert_eq!(diverging(1.0, 1.0), UP);
        assert_eq!(diverging(-2.0, 1.0), DOWN);
    }
}
