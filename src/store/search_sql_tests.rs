use super::*;
use crate::domain::search::fields::CUSTOMERS as SCHEMA;
use crate::domain::search::parse;
use serde_json::{json, Value};

fn compiled(body: Value) -> Statement {
    let request = parse(body.to_string().as_bytes(), &SCHEMA).unwrap();
    compile(CUSTOMERS, "p", &request, &Expansions::new()).unwrap()
}

#[test]
fn binds_every_value_and_quotes_user_text() {
    let s =
        compiled(json!({"query": {"fullText": {"field": "all", "value": "a\" OR NEAR(b*) ^c:d"}}}));
    assert!(s.sql.contains("customer_fts MATCH ?3"));
    assert_eq!(
        s.params[2],
        Param::text("(\"a\" AND \"or\" AND \"near\" AND \"b\" AND \"c\" AND \"d\")")
    );
    let s = compiled(
        json!({"query": {"exact": {"field": "custom.x'; DROP TABLE customers; --", "value": "'"}}}),
    );
    assert!(!s.sql.contains("DROP"));
    assert!(s.params.contains(&Param::text("'")));
}

#[test]
fn prefix_applies_to_the_last_term_and_columns_restrict() {
    let s = compiled(
        json!({"query": {"fullTextPrefix": {"field": "lastName", "value": "van de", "mustMatch": "any"}}}),
    );
    assert_eq!(
        s.params[2],
        Param::text("{last_name} : (\"van\" OR \"de\" *)")
    );
}

#[test]
fn a_value_without_terms_matches_nothing() {
    let s = compiled(json!({"query": {"fullText": {"field": "all", "value": "*^\""}}}));
    assert!(s.sql.contains("WHERE 0"));
}

#[test]
fn compounds_nest_and_share_parameters() {
    let s = compiled(json!({"query": {"and": [
        {"exact": {"field": "firstName", "value": "Jo"}},
        {"not": [{"exact": {"field": "lastName", "value": "Jo"}}]},
        {"filter": [{"range": {"field": "createdAt", "gte": "2024-01-01T00:00:00Z"}}]},
        {"or": [{"exists": {"field": "companyName"}}, {"prefix": {"field": "key", "value": "k"}}]}
    ]}, "sort": [{"field": "lastName", "order": "desc"}], "limit": 5, "offset": 10}));
    assert!(s.sql.contains("NOT IN"));
    assert!(s.sql.contains("GROUP BY doc"));
    assert!(s.sql.ends_with("LIMIT 5 OFFSET 10"));
    assert!(s.sql.contains("MAX(v.lower)"));
    assert_eq!(
        s.params.iter().filter(|p| **p == Param::text("Jo")).count(),
        1
    );
    let count = count_of(&s);
    assert!(count.sql.ends_with("LIMIT 1 OFFSET 0"));
    assert_eq!(count.params, s.params);
}

#[test]
fn fuzzy_expands_to_the_candidates_kept() {
    assert_eq!(
        keep_within(
            "smith",
            1,
            vec![
                "smyth".into(),
                "smithers".into(),
                "smiht".into(),
                "smith".into()
            ]
        ),
        ["smith", "smiht", "smyth"]
    );
    let request = parse(
        json!({"query": {"fuzzy": {"field": "lastName", "value": "smyth", "level": 1}}})
            .to_string()
            .as_bytes(),
        &SCHEMA,
    )
    .unwrap();
    assert_eq!(
        fuzzy_terms(request.query.as_ref()),
        [("smyth".to_string(), 1)]
    );
    let mut x = Expansions::new();
    x.insert(("smyth".into(), 1), vec!["smith".into(), "smyth".into()]);
    let s = compile(CUSTOMERS, "p", &request, &x).unwrap();
    assert_eq!(
        s.params[2],
        Param::text("{last_name} : ((\"smyth\" OR \"smith\"))")
    );
    let c = fuzzy_candidates(CUSTOMERS, "smyth", 1);
    assert!(c.sql.contains("length(term) BETWEEN ?2 AND ?3"));
    assert!(c
        .sql
        .contains("kind = ?5 AND key IN (?6, ?7, ?8, ?9, ?10, ?11)"));
    assert_eq!(c.params[1..3], [Param::Int(4), Param::Int(6)]);
    assert_eq!(c.params[4], Param::Int(0));
    assert_eq!(c.params[5], Param::text("myth"));
    assert_eq!(
        fuzzy_candidates(BUSINESS_UNITS, "smyth", 1).params[4],
        Param::Int(1)
    );
}

#[test]
fn fuzzy_candidates_bind_at_most_the_limit() {
    let c = fuzzy_candidates(CUSTOMERS, "abcdefghijklmnop", 2);
    assert_eq!(c.params.len(), 5 + 1 + 10 + 45);
    assert!(c.params.len() <= MAX_PARAMS);
    assert!(!c.sql.contains("abcde"));
}

/// What `fuzzy_candidates` selects, over an index of `terms` held in memory as its tables
/// hold it: the terms sharing a deletion key, of a length within `level`, whose masks differ
/// by at most `level` bits each way.
fn model_candidates(terms: &[(String, Vec<String>)], term: &str, level: u8) -> Vec<String> {
    let keys = text::query_keys(term, level);
    let (len, mask) = (term.chars().count(), text::char_mask(term));
    let mut found: Vec<String> = terms
        .iter()
        .filter(|(_, ks)| ks.iter().any(|k| keys.binary_search(k).is_ok()))
        .map(|(t, _)| t)
        .filter(|t| t.chars().count().abs_diff(len) <= usize::from(level))
        .filter(|t| {
            let m = text::char_mask(t);
            (mask & !m).count_ones() <= u32::from(level)
                && (m & !mask).count_ones() <= u32::from(level)
        })
        .cloned()
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn fuzzy_candidates_hold_every_term_within_the_distance() {
    // Random term sets over a small alphabet (so that many terms are close), random queries
    // and edits of indexed terms; brute force: every term within the distance is a candidate.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let alphabet: Vec<char> = "abcü1".chars().collect();
    let word = |next: &mut dyn FnMut(usize) -> usize| -> String {
        let n = 1 + next(14);
        (0..n).map(|_| alphabet[next(alphabet.len())]).collect()
    };
    let mut checked = 0;
    for _ in 0..40 {
        let terms: Vec<String> = (0..200).map(|_| word(&mut next)).collect();
        let index: Vec<(String, Vec<String>)> = terms
            .iter()
            .map(|t| (t.clone(), text::index_keys(t)))
            .collect();
        for _ in 0..40 {
            let query = match next(2) {
                0 => word(&mut next),
                _ => {
                    let mut q: Vec<char> = terms[next(terms.len())].chars().collect();
                    for _ in 0..next(3) {
                        let at = next(q.len() + 1);
                        match next(4) {
                            0 if at < q.len() => q[at] = alphabet[next(alphabet.len())],
                            1 => q.insert(at, alphabet[next(alphabet.len())]),
                            2 if at < q.len() => {
                                q.remove(at);
                            }
                            3 if at + 1 < q.len() => q.swap(at, at + 1),
                            _ => {}
                        }
                    }
                    q.into_iter().collect()
                }
            };
            let level = text::effective_level(&query, 2);
            let candidates = model_candidates(&index, &query, level);
            for t in terms
                .iter()
                .filter(|t| text::distance_within(&query, t, level).is_some())
            {
                assert!(candidates.contains(t), "{query} / {t} at level {level}");
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn wildcards_escape_glob_classes() {
    assert_eq!(glob_pattern("a[b]*?"), "a[[]b[]]*?");
}

#[test]
fn unions_hold_at_most_five_terms() {
    let many: Vec<Value> = (0..23)
        .map(|i| json!({"exact": {"field": "key", "value": format!("k{i}")}}))
        .collect();
    let s = compiled(json!({"query": {"or": many.clone()}}));
    for sub in s.sql.split('(') {
        assert!(sub.matches(" UNION ALL ").count() <= 4, "{sub}");
    }
    let s = compiled(json!({"query": {"not": many}}));
    assert!(s.sql.contains("SELECT * FROM ("));
}

#[test]
fn a_date_time_range_compares_lower_cased_and_units_have_their_own_index() {
    let s = compiled(
        json!({"query": {"range": {"field": "createdAt", "lte": "2026-01-01T00:00:00.000Z"}}}),
    );
    assert!(s.sql.contains("lower <= lower(?"), "{}", s.sql);
    let schema = &crate::domain::search::fields::BUSINESS_UNITS;
    let body = json!({"query": {"fullText": {"field": "all", "value": "plumbing"}}});
    let request = parse(body.to_string().as_bytes(), schema).unwrap();
    let s = compile(BUSINESS_UNITS, "p", &request, &Expansions::new()).unwrap();
    assert!(s.sql.contains("business_unit_fts MATCH"));
    assert_eq!(s.params[1], Param::text("business-unit"));
}

#[test]
fn the_single_database_order_is_unchanged() {
    let s = compiled(
        json!({"sort": [{"field": "lastName", "order": "asc"}, {"field": "score", "order": "desc"}]}),
    );
    assert!(s.sql.ends_with(
        "ORDER BY (SELECT MIN(v.lower) FROM search_values v WHERE v.doc = d.doc AND v.field = ?3) ASC NULLS LAST, \
         m.score DESC, d.id ASC LIMIT 20 OFFSET 0"
    ), "{}", s.sql);
    let s = compiled(json!({}));
    assert!(s
        .sql
        .ends_with("ORDER BY m.score DESC, d.id ASC LIMIT 20 OFFSET 0"));
}

#[test]
fn a_scattered_search_asks_for_offset_plus_limit_with_its_sort_keys() {
    let body = json!({"sort": [{"field": "lastName", "order": "desc"}], "limit": 5, "offset": 10});
    let request = parse(body.to_string().as_bytes(), &SCHEMA).unwrap();
    let s = compile_scattered(CUSTOMERS, "p", &request, &Expansions::new()).unwrap();
    assert!(
        s.statement.sql.contains("AS s0 FROM"),
        "{}",
        s.statement.sql
    );
    assert!(s
        .statement
        .sql
        .ends_with("ORDER BY s0 DESC NULLS LAST, d.id ASC LIMIT 15"));
    assert_eq!(s.descending, vec![true]);
}

#[test]
fn merging_orders_as_one_database_nulls_last_then_id() {
    let hit = |id: &str, total: u64, keys: Vec<Value>| ScatteredHit {
        id: id.into(),
        relevance: 1.0,
        total,
        keys,
    };
    let a = vec![
        hit("a1", 2, vec![json!("b")]),
        hit("a2", 2, vec![Value::Null]),
    ];
    let b = vec![
        hit("b1", 3, vec![json!("a")]),
        hit("b2", 3, vec![json!("b")]),
    ];
    let (page, total) = merge(vec![a.clone(), b.clone(), vec![]], &[false], (0, 10));
    let ids: Vec<&str> = page.iter().map(|p| p.0.as_str()).collect();
    assert_eq!((ids, total), (vec!["b1", "a1", "b2", "a2"], 5));
    let (page, _) = merge(vec![a, b], &[true], (1, 2));
    let ids: Vec<&str> = page.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(ids, vec!["b2", "b1"]);
    let scores = vec![hit("x", 1, vec![json!(2.5)]), hit("y", 1, vec![json!(7)])];
    let (page, _) = merge(vec![scores], &[true], (0, 10));
    assert_eq!(page[0].0, "y");
}

#[test]
fn a_customer_in_two_shards_is_found_once_at_its_best_place() {
    // Re-balancing: "m" is in its old and its new shard (between its copy and its delete),
    // scored differently (per-shard statistics); the page keeps its better copy, and the
    // page after it is still full.
    let hit = |id: &str, score: f64| ScatteredHit {
        id: id.into(),
        relevance: score,
        total: 2,
        keys: vec![json!(score)],
    };
    let old = vec![hit("m", 9.0), hit("a", 5.0)];
    let new = vec![hit("b", 8.0), hit("m", 4.0)];
    let (page, total) = merge(vec![old.clone(), new.clone()], &[true], (0, 10));
    let ids: Vec<&str> = page.iter().map(|p| p.0.as_str()).collect();
    assert_eq!((ids, page[0].1), (vec!["m", "b", "a"], 9.0));
    assert_eq!(total, 4, "the total may count it twice (documented)");
    let (page, _) = merge(vec![old, new], &[true], (1, 2));
    let ids: Vec<&str> = page.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(ids, vec!["b", "a"]);
}

#[test]
fn a_sort_filter_restricts_the_values_sorted_by() {
    let body = json!({"sort": [{"field": "addresses.city", "order": "asc",
        "filter": {"or": [{"exact": {"field": "addresses.city", "value": "Berlin"}},
            {"not": [{"prefix": {"field": "addresses.city", "value": "A"}}]}]}}]});
    let s = compiled(body);
    assert!(
        s.sql.contains("v.field = ?3 AND ((1 AND ((lower = lower(?4) AND text = ?4))) OR NOT ((1 AND lower >= lower(?5)"),
        "{}",
        s.sql
    );
    assert_eq!(
        s.params[2..5],
        [
            Param::text("addresses.city"),
            Param::text("Berlin"),
            Param::text("A")
        ]
    );
}
