//! "Did you mean ...?" — the closest known name to a misspelt one.
//!
//! Design choice: plain Levenshtein distance with a threshold that grows with the word, so `smaa` finds `sma` and
//! `fats` finds `fast`, but an unrelated word suggests nothing rather than something silly.

/// `" — did you mean 'x'?"` for the closest candidate, or nothing: the suffix every message with a suggestion uses.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|s| format!(" — did you mean '{s}'?")).unwrap_or_default()
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo. Ties go to the earliest.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = match word.chars().count() {
        0..=2 => 1,
        3..=5 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Levenshtein edit distance, with a swap of two neighbours counted as one edit (Damerau, optimal string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plausible_typos_only() {
        let names = ["sma", "ema", "rsi", "bbands", "crossover"];
        assert_eq!(closest("smaa", names).as_deref(), Some("sma"));
        assert_eq!(closest("bbnads", names).as_deref(), Some("bbands"));
        assert_eq!(closest("crosover", names).as_deref(), Some("crossover"));
        assert_eq!(closest("volatility", names), None);
        assert_eq!(distance("fats", "fast"), 1);
    }
}
