//! Text for the full-text index: how a value splits into terms (as SQLite FTS5's `unicode61`
//! tokenizer splits it), how terms become an FTS5 query in which user input is always a quoted
//! string (so `"`, `*`, `NEAR`, `OR`, `^`, `:` are searched literally, never obeyed), and the
//! fuzzy matching of terms (edit distance, with transpositions).

/// The terms of a value: runs of letters and digits, lower-cased.
pub fn terms(value: &str) -> Vec<String> {
    value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A term as an FTS5 string: quoted. Terms hold only letters and digits, so the quotes are
/// the only syntax in it; a `"` inside would be doubled all the same.
pub fn quoted(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// Joins FTS5 sub-queries with `AND` (all must match) or `OR`.
pub fn join(parts: &[String], all: bool) -> String {
    let op = if all { " AND " } else { " OR " };
    parts.join(op)
}

/// Restricts an FTS5 query to one column (`""`: every column).
pub fn in_column(column: &str, query: &str) -> String {
    if column.is_empty() {
        format!("({query})")
    } else {
        format!("{{{column}}} : ({query})")
    }
}

/// The fuzzy level a term gets: the asked one capped by its length (1–2 characters → 0,
/// 3–5 → 1, longer → 2).
pub fn effective_level(term: &str, asked: u8) -> u8 {
    let cap = match term.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    asked.min(cap)
}

/// Pieces of `term` for finding candidates within `level` edits: `2 × level + 1` disjoint
/// pieces (character offset, text), of which at least one survives unchanged in any term
/// within `level` edits (an edit — a transposition too — touches at most two adjacent
/// pieces), within `level` characters of its place.
pub fn pieces(term: &str, level: u8) -> Vec<(usize, String)> {
    let chars: Vec<char> = term.chars().collect();
    let count = 2 * usize::from(level) + 1;
    let bound = |i: usize| i * chars.len() / count;
    (0..count)
        .map(|i| (bound(i), chars[bound(i)..bound(i + 1)].iter().collect()))
        .filter(|(_, piece): &(usize, String)| !piece.is_empty())
        .collect()
}

/// Which characters a term holds, as bits: `a`–`z` bits 0–25, `0`–`9` bits 26–35, any other
/// character bit 36 + its code point mod 27. A term within `level` edits of `term` lacks at
/// most `level` of the characters of `term` and holds at most `level` it lacks, so at most
/// `level` bits of `char_mask(term) & !char_mask(candidate)` (and of the reverse) are set
/// (several characters sharing a bit only lower the count). `search_terms.mask` holds it
/// (migration 0018 computes it in SQL for the terms indexed before).
pub fn char_mask(term: &str) -> i64 {
    term.chars().fold(0i64, |mask, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + (c as u32 - '0' as u32),
            _ => 36 + (c as u32 % 27),
        };
        mask | (1i64 << bit)
    })
}

/// Most characters of a term the fuzzy candidates' character filter counts (each costs two
/// bound parameters; counting fewer only weakens the filter).
pub const MAX_COUNTED_CHARS: usize = 30;

/// The distinct characters of `term` with how often each occurs (at most
/// [`MAX_COUNTED_CHARS`], in order of first occurrence). A term within `level` edits of
/// `term` lacks at most `level` of these occurrences (only a deletion or a substitution
/// removes one; a transposition moves two), which [`lacks_at_most`] tests and the fuzzy
/// candidates' SQL filter computes with `replace`.
pub fn char_counts(term: &str) -> Vec<(char, usize)> {
    let mut counts: Vec<(char, usize)> = Vec::new();
    for c in term.chars() {
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    counts.truncate(MAX_COUNTED_CHARS);
    counts
}

/// Whether `candidate` lacks at most `level` of the character occurrences of `term` (as
/// [`char_counts`] counts them): a necessary condition of being within `level` edits.
pub fn lacks_at_most(term: &str, candidate: &str, level: u8) -> bool {
    let lacking: usize = char_counts(term)
        .iter()
        .map(|(c, n)| n.saturating_sub(candidate.chars().filter(|x| x == c).count()))
        .sum();
    lacking <= usize::from(level)
}

/// The optimal-string-alignment distance (insertions, deletions, substitutions and adjacent
/// transpositions), or `None` if it exceeds `max`.
pub fn distance_within(a: &str, b: &str, max: u8) -> Option<u8> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    let found = d[a.len() * width + b.len()];
    (found <= max).then_some(found as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_unicode61() {
        assert_eq!(terms("John  Smith-Jones"), ["john", "smith", "jones"]);
        assert_eq!(terms("jo@example.com"), ["jo", "example", "com"]);
        assert_eq!(terms("\"NEAR\" OR a*^b:c"), ["near", "or", "a", "b", "c"]);
        assert!(terms("*\"^:").is_empty());
        assert_eq!(terms("Ñandú"), ["ñandú"]);
    }

    #[test]
    fn quotes_and_columns() {
        assert_eq!(quoted("near"), "\"near\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            in_column("last_name", &join(&[quoted("a"), quoted("b")], true)),
            "{last_name} : (\"a\" AND \"b\")"
        );
        assert_eq!(in_column("", "\"a\""), "(\"a\")");
    }

    #[test]
    fn caps_fuzzy_levels_by_length() {
        assert_eq!(effective_level("ab", 2), 0);
        assert_eq!(effective_level("abcde", 2), 1);
        assert_eq!(effective_level("abcdef", 2), 2);
        assert_eq!(effective_level("abcdef", 1), 1);
    }

    #[test]
    fn measures_edit_distance_with_transpositions() {
        assert_eq!(distance_within("smith", "smith", 0), Some(0));
        assert_eq!(distance_within("smith", "smyth", 1), Some(1));
        assert_eq!(distance_within("smith", "smtih", 1), Some(1));
        assert_eq!(distance_within("smith", "smiths", 1), Some(1));
        assert_eq!(distance_within("smith", "mith", 1), Some(1));
        assert_eq!(distance_within("smith", "smythe", 1), None);
        assert_eq!(distance_within("smith", "smythe", 2), Some(2));
        assert_eq!(distance_within("smith", "smith", 0), Some(0));
        assert_eq!(distance_within("abc", "abcdef", 2), None);
    }

    #[test]
    fn counts_characters_lacking() {
        assert_eq!(char_counts("anna"), [('a', 2), ('n', 2)]);
        assert!(lacks_at_most("lsat1234", "last1234", 0));
        assert!(lacks_at_most("lsat1234", "last1235", 1));
        assert!(!lacks_at_most("lsat1234", "last1235", 0));
        assert!(!lacks_at_most("lsat1234", "city10", 2));
        assert_eq!(
            char_counts(&"abcdefghijklmnopqrstuvwxyz0123456789".repeat(2)).len(),
            30
        );
    }

    #[test]
    fn masks_characters() {
        assert_eq!(char_mask("ab9"), 0b11 | 1 << 35);
        assert_eq!(char_mask("aaa"), 1);
        assert!(char_mask("ü") >= 1 << 36);
        assert_eq!(char_mask(""), 0);
    }

    proptest::proptest! {
        // At most `level` characters of a term are missing from a term within `level` edits.
        #[test]
        fn the_mask_filter_keeps_every_close_term(
            a in "[abcü12]{0,9}", b in "[abcü12]{0,9}", level in 0u8..=2
        ) {
            if distance_within(&a, &b, level).is_some() {
                let missing = (char_mask(&a) & !char_mask(&b)).count_ones();
                let extra = (char_mask(&b) & !char_mask(&a)).count_ones();
                proptest::prop_assert!(missing <= u32::from(level));
                proptest::prop_assert!(extra <= u32::from(level));
            }
        }
    }

    proptest::proptest! {
        // The character filter never drops a term within the distance: it only narrows the
        // candidates the distance is computed for.
        #[test]
        fn the_character_filter_keeps_every_close_term(
            a in "[abc12]{0,9}", b in "[abc12]{0,9}", level in 0u8..=2
        ) {
            if distance_within(&a, &b, level).is_some() {
                proptest::prop_assert!(lacks_at_most(&a, &b, level));
            }
        }
    }

    #[test]
    fn some_piece_survives_the_edits() {
        let term = "johnson";
        for level in 1..=2u8 {
            let ps = pieces(term, level);
            assert_eq!(ps.len(), 2 * usize::from(level) + 1);
            assert_eq!(ps.iter().map(|(_, p)| p.as_str()).collect::<String>(), term);
        }
        let owned = |v: &[(usize, &str)]| -> Vec<(usize, String)> {
            v.iter().map(|(i, p)| (*i, p.to_string())).collect()
        };
        assert_eq!(pieces("jhon", 1), owned(&[(0, "j"), (1, "h"), (2, "on")]));
        assert_eq!(pieces("abc", 1), owned(&[(0, "a"), (1, "b"), (2, "c")]));
    }
}
