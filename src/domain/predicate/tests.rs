//! Parser and resolver tests: every grammar form, and the errors with their positions.

use super::parse::{parse, CmpOp, Expr, IsTest, ListOperand, Literal, Operand};
use super::resolve::{normalize_datetime, Cond, Path};
use super::*;

/// A condition on a customer (the tests use the customer's schema).
fn condition(text: &str, vars: Variables<'_>) -> Result<Cond, ApiError> {
    super::condition(text, vars, crate::domain::customer::schema::FIELDS)
}

fn ok(text: &str) -> Cond {
    condition(text, &[]).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn with_vars(text: &str, vars: &[(&str, &[&str])]) -> Result<Cond, ApiError> {
    let vars: Vec<(String, Vec<String>)> = vars
        .iter()
        .map(|(n, vs)| (n.to_string(), vs.iter().map(|v| v.to_string()).collect()))
        .collect();
    condition(text, &vars)
}

fn message(text: &str) -> String {
    match condition(text, &[]) {
        Err(ApiError::InvalidInput { message }) => message,
        other => panic!("{text}: expected an error, got {other:?}"),
    }
}

fn path(keys: &[&str], kind: Kind) -> Path {
    Path {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        kind,
    }
}

fn s(text: &str) -> Literal {
    Literal::Str(text.into())
}

#[test]
fn every_comparison_operator() {
    for (text, op) in [
        ("=", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<>", CmpOp::Ne),
        ("<", CmpOp::Lt),
        ("<=", CmpOp::Le),
        (">", CmpOp::Gt),
        (">=", CmpOp::Ge),
    ] {
        assert_eq!(
            ok(&format!("firstName {text} \"Jo\"")),
            Cond::Compare {
                path: path(&["firstName"], Kind::Str),
                op,
                value: s("Jo")
            }
        );
    }
    assert_eq!(
        ok("version>=3"),
        Cond::Compare {
            path: path(&["version"], Kind::Num),
            op: CmpOp::Ge,
            value: Literal::Num(3.into())
        }
    );
}

#[test]
fn boolean_logic_and_parentheses() {
    let c = ok("firstName = \"a\" or lastName = \"b\" and not (isEmailVerified = true)");
    match c {
        Cond::Or(items) => {
            assert_eq!(items.len(), 2);
            match &items[1] {
                Cond::And(and) => assert!(matches!(and[1], Cond::Not(_))),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ok("(firstName = \"a\" or lastName = \"b\") and key = \"k\""),
        Cond::And(_)
    ));
    // Keywords are case-insensitive.
    assert!(matches!(
        ok("firstName = \"a\" AND lastName = \"b\" Or key = \"c\""),
        Cond::Or(_)
    ));
    assert!(matches!(ok("NOT(firstName = \"a\")"), Cond::Not(_)));
}

#[test]
fn in_and_not_in() {
    assert_eq!(
        ok("key in (\"a\", \"b\")"),
        Cond::In {
            path: path(&["key"], Kind::Str),
            values: vec![s("a"), s("b")],
            negated: false
        }
    );
    assert!(matches!(
        ok("version not in (1, 2)"),
        Cond::In { negated: true, .. }
    ));
}

#[test]
fn contains_any_and_all() {
    assert_eq!(
        ok("shippingAddressIds contains any (\"x\", \"y\")"),
        Cond::Holds {
            path: path(&["shippingAddressIds"], Kind::Str),
            values: vec![s("x"), s("y")],
            all: false
        }
    );
    assert!(matches!(
        ok("billingAddressIds contains all (\"x\")"),
        Cond::Holds { all: true, .. }
    ));
    // `=` on an array of scalars means "holds".
    assert!(matches!(
        ok("shippingAddressIds = \"x\""),
        Cond::Holds { all: false, .. }
    ));
}

#[test]
fn is_empty_and_is_defined() {
    assert_eq!(
        ok("addresses is empty"),
        Cond::Empty {
            path: path(&["addresses"], Kind::Any),
            empty: true
        }
    );
    assert!(matches!(
        ok("stores is not empty"),
        Cond::Empty { empty: false, .. }
    ));
    assert!(matches!(
        ok("key is defined"),
        Cond::Defined { defined: true, .. }
    ));
    assert!(matches!(
        ok("customerGroup is not defined"),
        Cond::Defined { defined: false, .. }
    ));
}

#[test]
fn nested_objects_flatten_into_paths() {
    assert_eq!(
        ok("customerGroup(id = \"g\")"),
        Cond::Compare {
            path: path(&["customerGroup", "id"], Kind::Str),
            op: CmpOp::Eq,
            value: s("g")
        }
    );
    assert_eq!(
        ok("custom(type(key = \"t\"))"),
        Cond::Compare {
            path: path(&["custom", "type", "key"], Kind::Str),
            op: CmpOp::Eq,
            value: s("t")
        }
    );
    assert!(matches!(
        ok("lastModifiedBy(clientId = \"c\")"),
        Cond::Compare { .. }
    ));
}

#[test]
fn arrays_of_objects_match_one_element() {
    match ok("addresses(city = \"Berlin\" and country = \"DE\")") {
        Cond::Element { path: p, inner } => {
            assert_eq!(p.keys, vec!["addresses"]);
            match *inner {
                Cond::And(items) => assert_eq!(
                    items[0],
                    Cond::Compare {
                        path: path(&["city"], Kind::Str),
                        op: CmpOp::Eq,
                        value: s("Berlin")
                    }
                ),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(ok("stores(key = \"eu\")"), Cond::Element { .. }));
    assert!(matches!(
        ok("customerGroupAssignments(customerGroup(id = \"g\"))"),
        Cond::Element { .. }
    ));
    assert!(matches!(
        ok("addresses(custom(fields(floor > 2)))"),
        Cond::Element { .. }
    ));
}

#[test]
fn custom_fields_take_any_name_and_value() {
    assert_eq!(
        ok("custom(fields(tier = \"gold\"))"),
        Cond::Compare {
            path: path(&["custom", "fields", "tier"], Kind::Any),
            op: CmpOp::Eq,
            value: s("gold")
        }
    );
    assert!(matches!(
        ok("custom(fields(score > 2.5))"),
        Cond::Compare { .. }
    ));
    assert!(matches!(
        ok("custom(fields(vip = true))"),
        Cond::Compare { .. }
    ));
    assert!(matches!(
        ok("custom(fields(tags contains any (\"a\")))"),
        Cond::Holds { .. }
    ));
    assert!(matches!(
        ok("custom(fields(tags is empty))"),
        Cond::Empty { .. }
    ));
    assert!(matches!(
        ok("custom(fields(my-field is defined))"),
        Cond::Defined { .. }
    ));
    // Objects inside custom fields (LocalizedString, Money, sets of objects).
    match ok("custom(fields(name(en = \"x\")))") {
        Cond::Within { path: p, inner } => {
            assert_eq!(p.keys, vec!["custom", "fields", "name"]);
            assert_eq!(
                *inner,
                Cond::Compare {
                    path: path(&["en"], Kind::Any),
                    op: CmpOp::Eq,
                    value: s("x")
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn lowercase_email_is_a_field() {
    assert!(matches!(
        ok("lowercaseEmail = \"jo@example.com\""),
        Cond::Compare { .. }
    ));
}

#[test]
fn literals_and_escapes() {
    assert_eq!(
        parse(r#"firstName = "a \"quoted\" \\ back\nslash \u00e9""#).unwrap(),
        Expr::Compare {
            field: parse::Name {
                text: "firstName".into(),
                position: 1
            },
            op: CmpOp::Eq,
            value: Operand::Lit(Literal::Str("a \"quoted\" \\ back\nslash é".into()))
        }
    );
    assert!(
        matches!(ok("firstName = 'single'"), Cond::Compare { value: Literal::Str(ref v), .. } if v == "single")
    );
    assert!(matches!(ok("version = -1"), Cond::Compare { .. }));
    assert!(matches!(
        ok("custom(fields(x = 1.5e3))"),
        Cond::Compare {
            value: Literal::Num(_),
            ..
        }
    ));
    assert!(matches!(
        ok("isEmailVerified = FALSE"),
        Cond::Compare {
            value: Literal::Bool(false),
            ..
        }
    ));
}

#[test]
fn dates_and_datetimes() {
    assert!(matches!(
        ok("dateOfBirth < \"2000-01-01\""),
        Cond::Compare { .. }
    ));
    assert!(message("dateOfBirth < \"yesterday\"").contains("date"));
    // Date-times are normalized to the stored form, so they compare as stored.
    match ok("createdAt > \"2024-01-02T03:04:05+02:00\"") {
        Cond::Compare { value, .. } => assert_eq!(value, s("2024-01-02T01:04:05.000Z")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        normalize_datetime("2024-01-02").as_deref(),
        Some("2024-01-02T00:00:00.000Z")
    );
    assert_eq!(
        normalize_datetime("2024-01-02T03:04:05.123456Z").as_deref(),
        Some("2024-01-02T03:04:05.123Z")
    );
    assert!(normalize_datetime("soon").is_none());
    assert!(message("lastModifiedAt > 5").contains("date-time"));
}

#[test]
fn variables() {
    let c = with_vars("firstName = :name", &[("name", &["Jo"])]).unwrap();
    assert!(matches!(c, Cond::Compare { value: Literal::Str(ref v), .. } if v == "Jo"));
    let c = with_vars("version = :v", &[("v", &["3"])]).unwrap();
    assert!(matches!(
        c,
        Cond::Compare {
            value: Literal::Num(_),
            ..
        }
    ));
    let c = with_vars("key in :keys", &[("keys", &["a", "b", "c"])]).unwrap();
    assert!(matches!(c, Cond::In { ref values, .. } if values.len() == 3));
    let c = with_vars("key in (:a, \"lit\")", &[("a", &["x", "y"])]).unwrap();
    assert!(matches!(c, Cond::In { ref values, .. } if values.len() == 3));
    let c = with_vars("shippingAddressIds contains any :ids", &[("ids", &["1"])]).unwrap();
    assert!(matches!(c, Cond::Holds { .. }));
    for (text, vars) in [
        ("firstName = :missing", &[][..]),
        ("firstName = :name", &[("name", &["a", "b"][..])][..]),
        ("version = :v", &[("v", &["three"][..])][..]),
        ("isEmailVerified = :b", &[("b", &["yes"][..])][..]),
    ] {
        assert!(
            matches!(with_vars(text, vars), Err(ApiError::InvalidInput { .. })),
            "{text}"
        );
    }
}

#[test]
fn syntax_errors_name_the_position() {
    for (text, position) in [
        ("", 1),
        ("firstName", 10),
        ("firstName =", 12),
        ("firstName = \"unterminated", 13),
        ("firstName == \"a\"", 12),
        ("firstName = \"a\" and", 20),
        ("(firstName = \"a\"", 17),
        ("firstName = \"a\")", 16),
        ("firstName in \"a\"", 14),
        ("firstName in (\"a\",)", 19),
        ("key contains (\"a\")", 14),
        ("key is nothing", 8),
        ("firstName = \"a\" firstName = \"b\"", 17),
        ("firstName = #", 13),
        ("firstName = \"\\q\"", 14),
        ("not firstName = \"a\"", 5),
        ("key = :", 7),
        ("geo within circle(1, 2, 3)", 5),
    ] {
        let message = message(text);
        assert!(
            message.contains(&format!("at position {position} ")),
            "{text:?} → {message}"
        );
    }
}

#[test]
fn semantic_errors() {
    for (text, needle) in [
        ("nope = \"x\"", "Unknown field 'nope'"),
        ("password = \"x\"", "Unknown field 'password'"),
        ("addresses(nope = \"x\")", "Unknown field 'nope'"),
        ("firstName = 3", "takes a string"),
        ("version = \"3\"", "takes a number"),
        ("isEmailVerified = \"true\"", "true or false"),
        ("isEmailVerified > true", "cannot compare"),
        ("firstName(x = 1)", "not an object"),
        ("addresses = \"x\"", "is an object"),
        ("customerGroup = \"x\"", "is an object"),
        ("shippingAddressIds > \"x\"", "is an array"),
        ("addresses in (\"x\")", "single value"),
        ("firstName contains any (\"x\")", "array of values"),
        ("firstName is empty", "applies to arrays"),
        ("lowercaseEmail(x = 1)", "not an object"),
    ] {
        let message = message(text);
        assert!(message.contains(needle), "{text} → {message}");
        assert!(message.contains("at position"), "{text} → {message}");
    }
}

#[test]
fn limits_guard_against_hostile_input() {
    let deep = format!("{}firstName = \"a\"{}", "(".repeat(40), ")".repeat(40));
    assert!(message(&deep).contains("nested deeper"));
    let long = format!("firstName = \"{}\"", "a".repeat(20_000));
    assert!(message(&long).contains("longer than"));
}

#[test]
fn parse_tree_shapes() {
    assert!(matches!(
        parse("key in :k").unwrap(),
        Expr::In {
            values: ListOperand::Var(_),
            negated: false,
            ..
        }
    ));
    assert!(matches!(
        parse("key is not defined").unwrap(),
        Expr::Is {
            test: IsTest::NotDefined,
            ..
        }
    ));
}
