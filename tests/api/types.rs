//! Custom types: create, get by id and key, query, every update action, delete (refused while
//! a customer, an address or a customer group uses the type); and the custom fields of
//! customers and their addresses checked against their type on create and on every action
//! that sets them.

use serde_json::{json, Value};

use crate::support::{encode, id_of, unique, unique_email, App};

tests!(types;
    create_get_query_update_and_delete,
    bad_type_drafts_and_actions_are_refused,
    customer_custom_fields_are_checked_and_canonical,
    address_custom_fields_are_checked,
    a_type_in_use_cannot_be_deleted,
    type_scopes_are_their_own,
);

fn create_type(app: &App, draft: &Value) -> Value {
    let reply = app.post("/demo/types", app.admin(), draft);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

fn type_path(custom_type: &Value) -> String {
    format!("/demo/types/{}", id_of(custom_type))
}

/// A type with a field of every kind, for `customer` (and `address` if asked).
fn every_kind(key: &str, resource_type_ids: &[&str]) -> Value {
    let fields = [
        ("flag", json!({"name": "Boolean"})),
        ("text", json!({"name": "String"})),
        ("title", json!({"name": "LocalizedString"})),
        (
            "size",
            json!({"name": "Enum", "values": [{"key": "s", "label": "Small"}, {"key": "l", "label": "Large"}]}),
        ),
        (
            "tone",
            json!({"name": "LocalizedEnum", "values": [{"key": "warm", "label": {"en": "Warm"}}]}),
        ),
        ("rank", json!({"name": "Number"})),
        ("day", json!({"name": "Date"})),
        ("at", json!({"name": "Time"})),
        ("since", json!({"name": "DateTime"})),
        ("budget", json!({"name": "Money"})),
        (
            "friend",
            json!({"name": "Reference", "referenceTypeId": "customer"}),
        ),
        (
            "tags",
            json!({"name": "Set", "elementType": {"name": "String"}}),
        ),
    ];
    let definitions: Vec<Value> = fields
        .iter()
        .map(|(name, ty)| json!({"name": name, "label": {"en": name}, "required": false, "type": ty, "inputHint": "SingleLine"}))
        .collect();
    json!({"key": key, "name": {"en": "Every kind", "de": "Jede Art"},
           "description": {"en": "for tests"},
           "resourceTypeIds": resource_type_ids, "fieldDefinitions": definitions})
}

fn create_get_query_update_and_delete(app: &App) {
    let key = unique("type");
    let draft = every_kind(&key, &["customer"]);
    let created = create_type(app, &draft);
    assert_eq!(created["key"], key.as_str());
    assert_eq!(created["version"], 1);
    assert_eq!(created["name"], draft["name"]);
    assert_eq!(created["fieldDefinitions"], draft["fieldDefinitions"]);
    assert_eq!(created["resourceTypeIds"], json!(["customer"]));
    let path = type_path(&created);
    assert_eq!(app.get(&path, app.admin()).json, created);
    assert_eq!(
        app.get(&format!("/demo/types/key={key}"), app.admin()).json,
        created
    );
    assert_eq!(app.head(&path, app.admin()).status, 200);
    let where_ = encode(&format!(
        "key = \"{key}\" and resourceTypeIds contains any (\"customer\")"
    ));
    let page = app.get(&format!("/demo/types?where={where_}"), app.admin());
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["results"], json!([created.clone()]));
    // Every update action, in one request.
    let new_key = unique("type2");
    let reply = app.update(
        &path,
        app.admin(),
        1,
        json!([
            {"action": "changeName", "name": {"en": "Renamed"}},
            {"action": "setDescription"},
            {"action": "setKey", "key": new_key},
            {"action": "addFieldDefinition", "fieldDefinition": {"name": "extra", "label": {"en": "Extra"}, "required": false, "type": {"name": "String"}}},
            {"action": "removeFieldDefinition", "fieldName": "flag"},
            {"action": "changeLabel", "fieldName": "text", "label": {"en": "Text!"}},
            {"action": "addEnumValue", "fieldName": "size", "value": {"key": "m", "label": "Medium"}},
            {"action": "changeEnumValueLabel", "fieldName": "size", "value": {"key": "s", "label": "Tiny"}},
            {"action": "addLocalizedEnumValue", "fieldName": "tone", "value": {"key": "cold", "label": {"en": "Cold"}}},
            {"action": "changeLocalizedEnumValueLabel", "fieldName": "tone", "value": {"key": "warm", "label": {"en": "Hot"}}}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let t = &reply.json;
    assert_eq!(t["version"], 11);
    assert_eq!(t["name"], json!({"en": "Renamed"}));
    assert!(t.get("description").is_none());
    assert_eq!(t["key"], new_key.as_str());
    let names: Vec<&str> = t["fieldDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"flag") && names.ends_with(&["extra"]),
        "{names:?}"
    );
    let field = |name: &str| {
        t["fieldDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("text")["label"], json!({"en": "Text!"}));
    assert_eq!(
        field("size")["type"]["values"],
        json!([{"key": "s", "label": "Tiny"}, {"key": "l", "label": "Large"}, {"key": "m", "label": "Medium"}])
    );
    assert_eq!(
        field("tone")["type"]["values"],
        json!([{"key": "warm", "label": {"en": "Hot"}}, {"key": "cold", "label": {"en": "Cold"}}])
    );
    // changeKey is another name of setKey.
    let reply = app.update(
        &path,
        app.admin(),
        11,
        json!([{"action": "changeKey", "key": key}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Delete.
    app.delete(&format!("{path}?version=3"), app.admin())
        .assert_error(409, "ConcurrentModification");
    let deleted = app.delete(&format!("/demo/types/key={key}?version=12"), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["version"], 12);
    app.get(&path, app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn bad_type_drafts_and_actions_are_refused(app: &App) {
    let key = unique("badtype");
    let create = |draft: Value| app.post("/demo/types", app.admin(), &draft);
    let with = |changes: Value| {
        let mut draft = every_kind(&unique("bt"), &["customer"]);
        for (k, v) in changes.as_object().unwrap() {
            draft[k] = v.clone();
        }
        create(draft)
    };
    app.post_raw("/demo/types", app.admin(), b"{\"key\":")
        .assert_error(400, "InvalidJsonInput");
    create(json!({"name": {"en": "x"}, "resourceTypeIds": ["customer"]}))
        .assert_error(400, "InvalidJsonInput");
    with(json!({"key": "a b"})).assert_error(400, "InvalidField");
    with(json!({"resourceTypeIds": ["order"]})).assert_error(400, "InvalidField");
    with(json!({"resourceTypeIds": []})).assert_error(400, "RequiredField");
    with(json!({"name": {"en": 5}})).assert_error(400, "InvalidJsonInput");
    with(json!({"fieldDefinitions": [{"name": "x", "label": {"en": "x"}, "required": false, "type": {"name": "Blob"}}]}))
        .assert_error(400, "InvalidJsonInput");
    with(json!({"fieldDefinitions": [{"name": "bad name", "label": {"en": "x"}, "required": false, "type": {"name": "String"}}]}))
        .assert_error(400, "InvalidField");
    let twice =
        json!({"name": "x", "label": {"en": "x"}, "required": false, "type": {"name": "String"}});
    let reply = with(json!({"fieldDefinitions": [twice, twice]}));
    assert_eq!(
        reply.assert_error(400, "DuplicateField")["duplicateValue"],
        "x"
    );
    with(json!({"fieldDefinitions": [{"name": "e", "label": {"en": "e"}, "required": false,
        "type": {"name": "Enum", "values": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}}]}))
        .assert_error(400, "DuplicateField");
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"name": format!("f{i}"), "label": {"en": "f"}, "required": false, "type": {"name": "String"}}))
        .collect();
    with(json!({"fieldDefinitions": too_many})).assert_error(400, "InvalidInput");
    // The key is unique.
    let created = create_type(app, &every_kind(&key, &["customer"]));
    let reply = create(every_kind(&key, &["customer"]));
    assert_eq!(reply.assert_error(400, "DuplicateField")["field"], "key");
    // Actions that cannot apply leave the type as it was.
    let path = type_path(&created);
    let cases = [
        (
            json!([{"action": "addFieldDefinition", "fieldDefinition": {"name": "text", "label": {"en": "t"}, "required": false, "type": {"name": "String"}}}]),
            "DuplicateField",
        ),
        (
            json!([{"action": "removeFieldDefinition", "fieldName": "nope"}]),
            "InvalidInput",
        ),
        (
            json!([{"action": "changeLabel", "fieldName": "nope", "label": {"en": "x"}}]),
            "InvalidInput",
        ),
        (
            json!([{"action": "addEnumValue", "fieldName": "size", "value": {"key": "s", "label": "again"}}]),
            "DuplicateField",
        ),
        (
            json!([{"action": "addEnumValue", "fieldName": "text", "value": {"key": "s", "label": "S"}}]),
            "InvalidOperation",
        ),
        (
            json!([{"action": "changeEnumValueLabel", "fieldName": "size", "value": {"key": "xl", "label": "XL"}}]),
            "InvalidInput",
        ),
        (json!([{"action": "setKey", "key": "!"}]), "InvalidField"),
        (
            json!([{"action": "changeName", "name": {"en": "ok"}}, {"action": "teleport"}]),
            "InvalidJsonInput",
        ),
    ];
    for (actions, code) in cases {
        app.update(&path, app.admin(), 1, actions)
            .assert_error(400, code);
    }
    assert_eq!(app.get(&path, app.admin()).json, created);
    // A type cannot grow past the stored-document limit, one enum value at a time.
    let big: Vec<Value> = (0..300)
        .map(|i| {
            json!({"action": "addLocalizedEnumValue", "fieldName": "tone",
                        "value": {"key": format!("k{i}"), "label": {"en": "x".repeat(1000)}}})
        })
        .collect();
    app.update(&path, app.admin(), 1, json!(big))
        .assert_error(400, "InvalidInput");
}

fn customer_custom_fields_are_checked_and_canonical(app: &App) {
    let key = unique("cf");
    let mut draft = every_kind(&key, &["customer"]);
    draft["fieldDefinitions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "must", "label": {"en": "Must"}, "required": true, "type": {"name": "String"}}));
    let custom_type = create_type(app, &draft);
    let create = |fields: Value| {
        app.post(
            "/demo/customers",
            app.admin(),
            &json!({"email": unique_email("cf"), "password": "x",
                    "custom": {"type": {"key": key, "typeId": "type"}, "fields": fields}}),
        )
    };
    let bad = [
        (
            json!({"must": "y", "flag": "yes"}),
            "InvalidField",
            "custom.fields.flag",
        ),
        (
            json!({"must": "y", "size": "xl"}),
            "InvalidField",
            "custom.fields.size",
        ),
        (
            json!({"must": "y", "rank": "1"}),
            "InvalidField",
            "custom.fields.rank",
        ),
        (
            json!({"must": "y", "day": "2026-13-01"}),
            "InvalidField",
            "custom.fields.day",
        ),
        (
            json!({"must": "y", "at": "25:00:00"}),
            "InvalidField",
            "custom.fields.at",
        ),
        (
            json!({"must": "y", "since": "yesterday"}),
            "InvalidField",
            "custom.fields.since",
        ),
        (
            json!({"must": "y", "budget": {"currencyCode": "eur", "centAmount": 1}}),
            "InvalidField",
            "custom.fields.budget",
        ),
        (
            json!({"must": "y", "friend": {"typeId": "cart", "id": "x"}}),
            "InvalidField",
            "custom.fields.friend",
        ),
        (
            json!({"must": "y", "tags": ["a", 1]}),
            "InvalidField",
            "custom.fields.tags[1]",
        ),
        (
            json!({"must": "y", "title": {"en": 1}}),
            "InvalidField",
            "custom.fields.title",
        ),
        (
            json!({"must": "y", "unknown": 1}),
            "InvalidField",
            "custom.fields.unknown",
        ),
        (
            json!({"text": "no must"}),
            "RequiredField",
            "custom.fields.must",
        ),
    ];
    for (fields, code, field) in bad {
        let reply = create(fields.clone());
        assert_eq!(reply.assert_error(400, code)["field"], field, "{fields}");
    }
    // Every problem is reported at once.
    let reply = create(json!({"flag": 1, "rank": true}));
    assert_eq!(
        reply.json["errors"].as_array().unwrap().len(),
        3,
        "{}",
        reply.text
    );
    let reply = create(json!({
        "must": "y", "flag": true, "text": "t", "title": {"en": "T"}, "size": "s", "tone": "warm",
        "rank": 1.5, "day": "2026-02-28", "at": "12:30:00", "since": "2026-01-02T03:04:05+01:00",
        "budget": {"currencyCode": "JPY", "centAmount": 500},
        "friend": {"id": "someone"}, "tags": ["a", "b", "a"]
    }));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let c = &reply.json["customer"];
    assert_eq!(
        c["custom"]["type"],
        json!({"typeId": "type", "id": id_of(&custom_type)})
    );
    let fields = &c["custom"]["fields"];
    assert_eq!(fields["since"], "2026-01-02T02:04:05.000Z");
    assert_eq!(
        fields["budget"],
        json!({"type": "centPrecision", "currencyCode": "JPY", "centAmount": 500, "fractionDigits": 0})
    );
    assert_eq!(
        fields["friend"],
        json!({"typeId": "customer", "id": "someone"})
    );
    assert_eq!(fields["tags"], json!(["a", "b"]));
    // setCustomField checks the one field; removing a required field is refused.
    let path = format!("/demo/customers/{}", id_of(c));
    let update = |version: u64, actions: Value| app.update(&path, app.admin(), version, actions);
    update(
        1,
        json!([{"action": "setCustomField", "name": "rank", "value": "high"}]),
    )
    .assert_error(400, "InvalidField");
    update(
        1,
        json!([{"action": "setCustomField", "name": "nope", "value": 1}]),
    )
    .assert_error(400, "InvalidField");
    update(1, json!([{"action": "setCustomField", "name": "must"}]))
        .assert_error(400, "RequiredField");
    let reply = update(
        1,
        json!([{"action": "setCustomField", "name": "since", "value": "2026-05-05T00:00:00Z"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["custom"]["fields"]["since"],
        "2026-05-05T00:00:00.000Z"
    );
    // setCustomType checks the whole set; a type for another resource is refused.
    update(
        2,
        json!([{"action": "setCustomType", "type": {"key": key}, "fields": {}}]),
    )
    .assert_error(400, "RequiredField");
    app.ensure_type("t-groups-only", &["customer-group"], &[]);
    update(
        2,
        json!([{"action": "setCustomType", "type": {"key": "t-groups-only"}}]),
    )
    .assert_error(400, "InvalidOperation");
    update(
        2,
        json!([{"action": "setCustomType", "type": {"key": "t-no-such-type"}}]),
    )
    .assert_error(400, "ReferencedResourceNotFound");
    let reply = update(
        2,
        json!([{"action": "setCustomType", "type": {"id": id_of(&custom_type)}, "fields": {"must": "z"}}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["custom"]["fields"], json!({"must": "z"}));
}

fn address_custom_fields_are_checked(app: &App) {
    let key = unique("addrcf");
    create_type(app, &every_kind(&key, &["address"]));
    let customer_only = unique("custonly");
    create_type(app, &every_kind(&customer_only, &["customer"]));
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("acf"), "password": "x",
                "addresses": [{"country": "DE"}, {"country": "FR", "custom": {"type": {"key": key}, "fields": {"rank": "x"}}}]}),
    );
    assert_eq!(
        reply.assert_error(400, "InvalidField")["field"],
        "addresses[1].custom.fields.rank"
    );
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("acf"), "password": "x",
                "addresses": [{"country": "DE", "custom": {"type": {"key": customer_only}}}]}),
    );
    reply.assert_error(400, "InvalidOperation");
    let c = app.create_customer(&json!({"email": unique_email("acf"), "password": "x",
        "addresses": [{"key": "home", "country": "DE", "custom": {"type": {"key": key}, "fields": {"rank": 1}}}]}));
    assert_eq!(c["addresses"][0]["custom"]["type"]["typeId"], "type");
    let path = format!("/demo/customers/{}", id_of(&c));
    // The address custom-field actions name the address by id (commercetools has no addressKey
    // on them).
    let home = c["addresses"][0]["id"].clone();
    let update = |version: u64, actions: Value| app.update(&path, app.admin(), version, actions);
    update(1, json!([{"action": "setAddressCustomField", "addressId": home, "name": "size", "value": "huge"}]))
        .assert_error(400, "InvalidField");
    update(1, json!([{"action": "setAddressCustomType", "addressId": home, "type": {"key": customer_only}}]))
        .assert_error(400, "InvalidOperation");
    let reply = update(
        1,
        json!([
            {"action": "setAddressCustomField", "addressId": home, "name": "day", "value": "2026-01-01"},
            {"action": "setAddressCustomType", "addressId": home, "type": {"key": key}, "fields": {"flag": false}}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["addresses"][0]["custom"]["fields"],
        json!({"flag": false})
    );
}

fn a_type_in_use_cannot_be_deleted(app: &App) {
    for resource in ["customer", "address", "customer-group"] {
        let key = unique("inuse");
        let custom_type = create_type(app, &every_kind(&key, &[resource]));
        let custom = json!({"type": {"key": key}, "fields": {"rank": 1}});
        let (user_path, user_version) = match resource {
            "customer" => {
                let c = app.create_customer(
                    &json!({"email": unique_email("tu"), "password": "x", "custom": custom}),
                );
                (format!("/demo/customers/{}", id_of(&c)), 1)
            }
            "address" => {
                let c = app.create_customer(&json!({"email": unique_email("tu"), "password": "x",
                    "addresses": [{"country": "DE", "custom": custom}]}));
                (format!("/demo/customers/{}", id_of(&c)), 1)
            }
            _ => {
                let g = app.post(
                    "/demo/customer-groups",
                    app.admin(),
                    &json!({"groupName": key, "custom": custom}),
                );
                assert_eq!(g.status, 201, "{}", g.text);
                (format!("/demo/customer-groups/{}", id_of(&g.json)), 1)
            }
        };
        let delete_path = format!("{}?version=1", type_path(&custom_type));
        let refused = app.delete(&delete_path, app.admin());
        let error = refused.assert_error(400, "ReferenceExists");
        let by = if resource == "customer-group" {
            "customer-group"
        } else {
            "customer"
        };
        assert_eq!(error["referencedBy"], by, "{}", refused.text);
        assert_eq!(
            app.get(&type_path(&custom_type), app.admin()).json,
            custom_type
        );
        let reply = app.delete(&format!("{user_path}?version={user_version}"), app.admin());
        assert_eq!(reply.status, 200, "{}", reply.text);
        let deleted = app.delete(&delete_path, app.admin());
        assert_eq!(deleted.status, 200, "{resource}: {}", deleted.text);
    }
}

fn type_scopes_are_their_own(app: &App) {
    let key = unique("scoped");
    let custom_type = create_type(app, &every_kind(&key, &["customer"]));
    let path = type_path(&custom_type);
    let viewer = app.token(crate::support::ADMIN, Some("view_types:demo"));
    assert_eq!(app.get(&path, &viewer).status, 200);
    app.update(&path, &viewer, 1, json!([]))
        .assert_error(403, "insufficient_scope");
    let customers_only = app.token(crate::support::ADMIN, Some("manage_customers:demo"));
    app.get(&path, &customers_only)
        .assert_error(403, "insufficient_scope");
    let manager = app.token(crate::support::ADMIN, Some("manage_types:demo"));
    let reply = app.update(
        &path,
        &manager,
        1,
        json!([{"action": "changeName", "name": {"en": "m"}}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.get("/demo/customer-groups", &manager)
        .assert_error(403, "insufficient_scope");
}
