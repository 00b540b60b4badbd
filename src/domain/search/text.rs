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
        n if n < LEVEL_2_FROM => 1,
        _ => 2,
    };
    asked.min(cap)
}

/// The shortest term that gets fuzzy level 2 (shorter: at most level 1).
pub const LEVEL_2_FROM: usize = 6;

/// How many leading characters of a term its deletion keys are taken from.
pub const KEY_PREFIX: usize = 10;

/// The deletion keys of an indexed term (symmetric-delete candidates, "SymSpell"): the
/// distinct strings obtained from its first [`KEY_PREFIX`] characters by deleting at most
/// one character, and those obtained by deleting two that are at least
/// `LEVEL_2_FROM - 2` characters long (shorter ones match no query's keys, see
/// [`query_keys`]). Sorted. Migration 0020 computes the same keys in SQL for the terms
/// indexed before it.
pub fn index_keys(term: &str) -> Vec<String> {
    let mut keys = deletions(term, 2);
    keys.retain(|(key, deleted)| *deleted < 2 || key.chars().count() >= LEVEL_2_FROM - 2);
    keys.into_iter().map(|(k, _)| k).collect()
}

/// The deletion keys a fuzzy term of `level` looks up: the distinct strings obtained from
/// its first [`KEY_PREFIX`] characters by deleting at most `level` characters. Sorted.
///
/// **No indexed term within `level` edits is missed** (every such term shares a key of
/// [`index_keys`]), for `level ≤ 1`, or `level = 2` and a term of at least
/// [`LEVEL_2_FROM`] characters (the levels [`effective_level`] grants). Proof: write
/// `P = KEY_PREFIX`, `k = level`, `q` the query term, `t` an indexed term with
/// `d(q, t) ≤ k` (optimal string alignment). Each edit of an alignment costs at most one
/// deletion on each side (a substitution: the character on both sides; an insertion: on
/// one side; a transposition of `xy` into `yx`: `y` on both sides, leaving `x`), so a
/// common string `s` exists that `q` and `t` each become by deleting at most `k`
/// characters. Take `w = s[..min(|s|, P − k)]` if `q` or `t` has at least `P` characters,
/// else `w = s`. (1) `w` is a subsequence of `q[..P]`: its `i`-th character sits in `q` at
/// most `k` places after `i`, so inside the first `P` when `|w| ≤ P − k`, and `q[..P] = q`
/// otherwise. (2) It is `q[..P]` with at most `k` characters deleted: if `|q| ≥ P`, then
/// `|s| ≥ |q| − k ≥ P − k`, so `|w| = P − k`; if `|q| < P`, then `|q| − |w| ≤ k` both when
/// `w = s` and when `|w| = P − k > |q| − k`. The same holds for `t`. So `w` is among the
/// query's keys and, deleting at most `k ≤ 2` characters, among `t`'s; the index drops only
/// keys of two deletions shorter than `LEVEL_2_FROM − 2`, and a level-2 `w` is at least
/// `min(|q|, P) − 2 ≥ LEVEL_2_FROM − 2` long. Keys only select candidates: the distance is
/// then computed exactly.
pub fn query_keys(term: &str, level: u8) -> Vec<String> {
    deletions(term, level).into_iter().map(|(k, _)| k).collect()
}

/// The strings obtained from the first [`KEY_PREFIX`] characters of `term` by deleting at
/// most `most` (≤ 2) characters, each with how many were deleted (the fewest), sorted.
fn deletions(term: &str, most: u8) -> Vec<(String, u8)> {
    let chars: Vec<char> = term.chars().take(KEY_PREFIX).collect();
    let without = |skip: &[usize]| -> String {
        chars
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip.contains(i))
            .map(|(_, c)| *c)
            .collect()
    };
    let mut found = std::collections::BTreeMap::new();
    found.insert(without(&[]), 0u8);
    for i in 0..chars.len() {
        if most >= 1 {
            found.entry(without(&[i])).or_insert(1);
        }
        for j in i + 1..chars.len() {
            if most >= 2 {
                found.entry(without(&[i, j])).or_insert(2);
            }
        }
    }
    found.into_iter().collect()
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

    #[test]
    fn deletion_keys() {
        assert_eq!(query_keys("abc", 0), ["abc"]);
        assert_eq!(query_keys("abc", 1), ["ab", "abc", "ac", "bc"]);
        assert_eq!(query_keys("aab", 1), ["aa", "aab", "ab"]);
        assert_eq!(query_keys("abc", 2).len(), 7);
        // Two deletions are kept only when at least LEVEL_2_FROM - 2 characters remain.
        assert_eq!(index_keys("abcd"), ["abc", "abcd", "abd", "acd", "bcd"]);
        assert_eq!(index_keys("abcdef").len(), 1 + 6 + 15);
        assert!(index_keys("abcdef").contains(&"cdef".to_string()));
        // Only the first KEY_PREFIX characters count.
        assert_eq!(index_keys("abcdefghijXYZ"), index_keys("abcdefghij"));
        assert_eq!(query_keys("ñandú", 1).len(), 6);
        assert_eq!(index_keys(""), [""]);
    }

    #[test]
    fn keys_equal_those_migration_0020_computes_in_sql() {
        // The keys migration 0020 wrote for these terms (its SQL run on them in SQLite, sorted
        // by key): the terms indexed before it must have the keys the Worker looks up.
        let sql: [(&str, &str); 6] = [
            ("a", "|a"),
            ("abcde", "abcd|abcde|abce|abde|acde|bcde"),
            ("aaaaaa", "aaaa|aaaaa|aaaaaa"),
            (
                "ñandúes",
                "adúes|andes|andúe|andúes|andús|anúes|ndúes|ñades|ñadúe|ñadúes|ñadús|ñande|\
                 ñandes|ñands|ñandú|ñandúe|ñandúes|ñandús|ñanes|ñanúe|ñanúes|ñanús|ñaúes|\
                 ñdúes|ñndes|ñndúe|ñndúes|ñndús|ñnúes",
            ),
            (
                "c000012345",
                "00001234|000012345|00001235|00001245|00001345|00002345|00012345|c0000123|\
                 c00001234|c000012345|c00001235|c0000124|c00001245|c0000125|c0000134|\
                 c00001345|c0000135|c0000145|c0000234|c00002345|c0000235|c0000245|c0000345|\
                 c0001234|c00012345|c0001235|c0001245|c0001345|c0002345|c0012345",
            ),
            ("acme", "ace|acm|acme|ame|cme"),
        ];
        for (term, keys) in sql {
            assert_eq!(index_keys(term).join("|"), keys, "{term}");
        }
        assert_eq!(index_keys("abcdef").len(), 22);
        assert_eq!(index_keys("abcdefghijklm").len(), 56);
    }

    /// `term` with the edits applied (operation, position, character): 0 substitutes,
    /// 1 inserts, 2 deletes, 3 swaps two neighbours.
    fn edited(term: &str, edits: &[(u8, usize, char)]) -> String {
        let mut chars: Vec<char> = term.chars().collect();
        for &(op, at, c) in edits {
            let at = at % (chars.len() + 1);
            match op {
                0 if at < chars.len() => chars[at] = c,
                1 => chars.insert(at, c),
                2 if at < chars.len() => {
                    chars.remove(at);
                }
                3 if at + 1 < chars.len() => chars.swap(at, at + 1),
                _ => {}
            }
        }
        chars.into_iter().collect()
    }

    proptest::proptest! {
        // Every term within the distance shares a deletion key with the query (the proof at
        // `query_keys`), whatever the lengths around KEY_PREFIX: terms made by random edits
        // (up to two) of random terms, and unrelated random terms.
        #[test]
        fn a_close_term_shares_a_key(
            q in "[abcü1]{0,14}",
            edits in proptest::collection::vec((0u8..4, 0usize..16, proptest::sample::select(vec!['a', 'b', 'c', 'ü', '1', 'x'])), 0..3),
            other in "[abc1]{0,13}",
            asked in 0u8..=2
        ) {
            let level = effective_level(&q, asked);
            let keys = query_keys(&q, level);
            for t in [edited(&q, &edits), other] {
                if distance_within(&q, &t, level).is_some() {
                    let shared = index_keys(&t).iter().any(|k| keys.binary_search(k).is_ok());
                    proptest::prop_assert!(shared, "{q} / {t} at level {level}");
                }
            }
        }
    }
}
