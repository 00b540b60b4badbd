use super::fields::CUSTOMERS;
use super::*;
use serde_json::json;

fn parsed(body: Value) -> Result<SearchRequest, ApiError> {
    parse(body.to_string().as_bytes(), &CUSTOMERS)
}

fn problem(body: Value) -> String {
    match parsed(body) {
        Err(ApiError::InvalidInput { message }) => message,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn defaults_and_paging() {
    let r = parse(b"", &CUSTOMERS).unwrap();
    assert_eq!((r.limit, r.offset, r.query), (20, 0, None));
    let r = parsed(json!({"limit": 100, "offset": 9900})).unwrap();
    assert_eq!((r.limit, r.offset), (100, 9900));
    assert!(problem(json!({"limit": 0})).contains("limit"));
    assert!(problem(json!({"limit": 101})).contains("limit"));
    assert!(problem(json!({"offset": 9901})).contains("offset"));
    assert!(problem(json!({"offset": -1})).contains("offset"));
    assert!(problem(json!({"nope": 1})).contains("nope"));
}

#[test]
fn parses_every_expression() {
    let r = parsed(json!({"query": {"and": [
        {"fullText": {"field": "all", "value": "John Smi", "mustMatch": "any"}},
        {"fullTextPrefix": {"field": "lastName", "value": "smi"}},
        {"exact": {"field": "email", "values": ["a@b.c", "d@e.f"], "caseInsensitive": true}},
        {"prefix": {"field": "addresses.postalCode", "value": "10"}},
        {"wildcard": {"field": "key", "value": "k-*"}},
        {"range": {"field": "createdAt", "gte": "2024-01-01"}},
        {"exists": {"field": "companyName"}},
        {"fuzzy": {"field": "firstName", "value": "jhon", "level": 2, "boost": 2}},
        {"not": [{"exact": {"field": "isEmailVerified", "value": true}}]},
        {"filter": [{"range": {"field": "custom.size", "fieldType": "number", "lt": 3}}]},
        {"or": [{"exact": {"field": "stores.key", "value": "s"}}]}
    ]}, "sort": [{"field": "score", "order": "desc"}, {"field": "lastName", "order": "asc"}]}))
    .unwrap();
    let Some(Query::And(parts)) = r.query else {
        panic!()
    };
    assert_eq!(parts.len(), 11);
    let Query::Simple(fuzzy) = &parts[7] else {
        panic!()
    };
    assert_eq!(fuzzy.boost, 2.0);
    assert_eq!(
        fuzzy.test,
        Test::Fuzzy {
            terms: vec![("jhon".into(), 1)],
            all: true
        }
    );
    let Query::Simple(range) = &parts[5] else {
        panic!()
    };
    assert_eq!(
        range.test,
        Test::Range {
            gt: None,
            gte: Some(Scalar::Text("2024-01-01T00:00:00.000Z".into())),
            lt: None,
            lte: None
        }
    );
    assert_eq!(r.sort.len(), 2);
}

#[test]
fn names_each_bad_input() {
    assert!(
        problem(json!({"query": {"exact": {"field": "nope", "value": "x"}}}))
            .contains("unknown field 'nope'")
    );
    assert!(
        problem(json!({"query": {"fullText": {"field": "id", "value": "x"}}}))
            .contains("fullText cannot be used")
    );
    assert!(
        problem(json!({"query": {"range": {"field": "email", "gt": "a"}}}))
            .contains("range cannot be used")
    );
    assert!(
        problem(json!({"query": {"range": {"field": "createdAt", "gt": 3}}})).contains("date-time")
    );
    assert!(
        problem(json!({"query": {"exact": {"field": "isEmailVerified", "value": "yes"}}}))
            .contains("boolean")
    );
    assert!(
        problem(json!({"query": {"exact": {"field": "all", "value": "x"}}}))
            .contains("exact cannot be used")
    );
    assert!(
        problem(json!({"query": {"fuzzy": {"field": "firstName", "value": "x", "level": 3}}}))
            .contains("level")
    );
    assert!(
        problem(json!({"query": {"frobnicate": {"field": "email"}}}))
            .contains("unknown expression")
    );
    assert!(problem(json!({"query": {"and": []}})).contains("non-empty"));
    assert!(
        problem(json!({"query": {"exact": {"field": "email", "value": "x"}, "or": []}}))
            .contains("exactly one")
    );
    assert!(
        problem(json!({"query": {"exact": {"field": "email", "value": "x".repeat(257)}}}))
            .contains("256")
    );
    assert!(problem(json!({"query": {"exact": {"field": "email"}}})).contains("value"));
    assert!(problem(json!({"sort": [{"field": "email", "order": "up"}]})).contains("asc or desc"));
    let many: Vec<Value> = (0..50)
        .map(|_| json!({"exists": {"field": "email"}}))
        .collect();
    assert!(problem(json!({"query": {"or": many}})).contains("at most 50"));
    let fifty: Vec<Value> = (0..49)
        .map(|_| json!({"exists": {"field": "email"}}))
        .collect();
    assert!(parsed(json!({"query": {"or": fifty}})).is_ok());
    assert!(matches!(
        parse(b"{", &CUSTOMERS),
        Err(ApiError::InvalidJsonInput { .. })
    ));
}

#[test]
fn language_picks_the_locale_of_a_localized_custom_field() {
    let field = |q: Value| match parsed(json!({ "query": q })).unwrap().query {
        Some(Query::Simple(s)) => s.field.name,
        other => panic!("{other:?}"),
    };
    let ltext = json!({"exact": {"field": "custom.motto", "fieldType": "ltext", "language": "de", "value": "x"}});
    assert_eq!(field(ltext), "custom.motto.de");
    let lenum = json!({"exact": {"field": "custom.fruit", "fieldType": "set_lenum", "language": "en-US", "value": "x"}});
    assert_eq!(field(lenum), "custom.fruit.label.en-US");
    let plain = json!({"exact": {"field": "lastName", "language": "de", "value": "x"}});
    assert_eq!(field(plain), "lastName");
    for bad in ["", "d", "deutsch", "de_DE", "de-", "12"] {
        let q = json!({"query": {"exists": {"field": "email", "language": bad}}});
        assert!(problem(q).contains("query.exists.language"), "{bad}");
    }
}

#[test]
fn a_sort_filter_tests_the_sort_field_only() {
    let r = parsed(json!({"sort": [{"field": "addresses.city", "order": "asc",
        "filter": {"not": [{"prefix": {"field": "addresses.city", "value": "A"}}]}}]}))
    .unwrap();
    assert!(matches!(r.sort[0].filter, Some(Query::Not(_))));
    let other = json!({"sort": [{"field": "addresses.city", "order": "asc",
        "filter": {"exact": {"field": "addresses.country", "value": "DE"}}}]});
    assert!(problem(other).contains("sort[0].filter"));
    let full_text = json!({"sort": [{"field": "lastName", "order": "asc",
        "filter": {"fuzzy": {"field": "lastName", "value": "x", "level": 1}}}]});
    assert!(problem(full_text).contains("exact, prefix"));
    let score = json!({"sort": [{"field": "score", "order": "asc", "filter": {"exists": {"field": "email"}}}]});
    assert!(problem(score).contains("sort[0].filter"));
}
