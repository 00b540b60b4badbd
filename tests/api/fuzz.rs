//! A black-box fuzzer: seeded, bounded and reproducible. It sends random requests, well-formed
//! and malformed (customer drafts; update actions with deep, long, unicode and huge values;
//! predicates, sorts and paging of customers and messages; sign-ins, credential tokens and OAuth
//! forms; the same bodies on `/me`; associate roles and business units with their actions and
//! the associate lookup; the Emporix dialect's endpoints, with tokens that cannot change a
//! customer it follows), with several kinds of token (a customer's among them), and after
//! every request asserts:
//!
//! - no 5xx;
//! - no request slower than a bound relative to a trivial request measured in the same run;
//! - every customer it touched still reads back by id, by key and by `lowercaseEmail`, at the
//!   version it last saw (and a deleted one is gone).
//!
//! A failure prints the seed and the request; `FUZZ_SEED=<seed>` replays the run. The short run
//! (`FUZZ_REQUESTS`, default 300, seed 1) is part of `bash scripts/test.sh`; a long run is
//! `FUZZ_REQUESTS=20000 FUZZ_SEED=$RANDOM bash scripts/test.sh fuzz`.

use std::time::{Duration, Instant};

use edge_customer_api::domain::validate::lowercase_email;
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{json, Map, Value};

use crate::support::{basic_auth, encode, App, Reply, ADMIN, OTHER_ADMIN, VIEWER};

tests!(fuzz; ; serial: random_requests_never_break_the_api);

const STOREFRONT: (&str, &str) = ("demo-storefront", "demo-storefront-secret");

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn random_requests_never_break_the_api(app: &App) {
    let seed = env_number("FUZZ_SEED", 1);
    let requests = env_number("FUZZ_REQUESTS", 300);
    let mut fuzz = Fuzz::new(app, seed);
    let started = Instant::now();
    for _ in 0..requests {
        fuzz.one();
    }
    fuzz.check_all();
    eprintln!(
        "fuzz: seed {seed}: {} requests ({} generated, {} checks) in {:.1?}; statuses {:?}; bound {:?}",
        fuzz.sent,
        requests,
        fuzz.sent - requests as usize,
        started.elapsed(),
        fuzz.statuses,
        fuzz.bound
    );
}

/// An Emporix anonymous session of the demo tenant.
fn emporix_session(app: &App) -> String {
    let path = "/customerlogin/auth/anonymous/login?tenant=demo&client_id=demo-storefront";
    let reply = app.send("GET", path, &[], None);
    assert_eq!(reply.status, 200, "emporix session: {}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_string()
}

/// The token of a shopper who signed up through `/me` for this run.
fn shopper_token(app: &App, seed: u64) -> String {
    let email = format!(
        "fz-shopper-{seed}-{}@example.com",
        crate::support::unique("fz")
    );
    let storefront = app.token(STOREFRONT, None);
    let draft = json!({"email": email, "password": "fz-pw"});
    let signed_up = app.post("/demo/me/signup", &storefront, &draft);
    assert_eq!(signed_up.status, 201, "{}", signed_up.text);
    let body = format!(
        "grant_type=password&username={}&password=fz-pw",
        encode(&email)
    );
    let reply = crate::support::form(app, STOREFRONT, "/oauth/demo/customers/token", &body, &[]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_string()
}

/// A request as the fuzzer sends it (kept to print on failure).
#[derive(Clone, Debug)]
struct Request {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// Sign-ins may be delayed on purpose by the throttling (up to 2 s).
    throttled: bool,
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path: String = self.path.chars().take(4000).collect();
        write!(f, "{} {path}", self.method)?;
        for (name, value) in &self.headers {
            write!(f, "\n  {name}: {value}")?;
        }
        if let Some(body) = &self.body {
            let text = String::from_utf8_lossy(body);
            let shown: String = text.chars().take(2000).collect();
            write!(f, "\n  body ({} bytes): {shown}", body.len())?;
        }
        Ok(())
    }
}

/// A customer the fuzzer created or saw, as it last saw it.
struct Known {
    id: String,
    key: Option<String>,
    email: String,
    version: u64,
    address_ids: Vec<String>,
    deleted: bool,
}

struct Fuzz<'a> {
    app: &'a App,
    seed: u64,
    rng: TestRng,
    tokens: Vec<(&'static str, String)>,
    customers: Vec<Known>,
    /// Associate roles and business units it created: `(segment, id, key, version)`.
    b2b: Vec<(&'static str, String, String, u64)>,
    counter: u64,
    sent: usize,
    bound: Duration,
    statuses: std::collections::BTreeMap<u16, usize>,
    /// An Emporix anonymous session of the demo tenant.
    emporix: String,
}

impl<'a> Fuzz<'a> {
    fn new(app: &'a App, seed: u64) -> Fuzz<'a> {
        let fields = [
            ("a", json!({"name": "String"})),
            ("f", json!({"name": "Number"})),
        ];
        app.ensure_type("fz-type", &["customer", "address"], &fields);
        app.ensure_group("fz-group");
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let token = |client, scope: Option<&str>| app.token(client, scope);
        let tokens = vec![
            ("admin", app.admin().to_string()),
            ("manage", token(ADMIN, Some("manage_customers:demo"))),
            ("view", token(VIEWER, None)),
            ("store", token(ADMIN, Some("manage_customers:demo:fz-s1"))),
            ("other project", token(OTHER_ADMIN, None)),
            ("storefront", token(STOREFRONT, None)),
            ("garbage", "not-a-token".to_string()),
            ("customer", shopper_token(app, seed)),
        ];
        let mut fuzz = Fuzz {
            app,
            seed,
            rng: TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
            tokens,
            customers: Vec::new(),
            b2b: Vec::new(),
            counter: 0,
            sent: 0,
            bound: Duration::ZERO,
            statuses: Default::default(),
            emporix: emporix_session(app),
        };
        fuzz.bound = fuzz.measure_bound();
        fuzz
    }

    /// The slowest a request may be: 200 times a trivial request (an unknown path, no I/O)
    /// measured now, and never below one second (a password derivation under load).
    fn measure_bound(&mut self) -> Duration {
        let mut times: Vec<Duration> = (0..21)
            .map(|_| {
                let started = Instant::now();
                self.app.send("GET", "/nothing/here", &[], None);
                started.elapsed()
            })
            .collect();
        times.sort();
        (times[times.len() / 2] * 200).max(Duration::from_secs(1))
    }

    // -----------------------------------------------------------------------------------------
    // Randomness

    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn next_unique(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn text(&mut self) -> String {
        match self.below(12) {
            0 => String::new(),
            1 => "x".repeat(1 + self.below(300_000)),
            2 => "ü€𝄞 مرحبا 日本語".to_string(),
            3 => "a\u{200B}b\u{202E}c\u{FEFF}".to_string(),
            4 => "'; DROP TABLE customers; --".to_string(),
            5 => "\"\\\u{0}\n\t".to_string(),
            6 => "e\u{301}\u{301}\u{301}".to_string(),
            7 => "(((((( and or not in".to_string(),
            8 => format!("fz-{}", self.next_unique()),
            9 => "%00%ff%2F..".to_string(),
            _ => self
                .pick(&["Berlin", "Ada", "gold", "DE", "en-US", "1990-01-01"])
                .to_string(),
        }
    }

    fn number(&mut self) -> Value {
        match self.below(8) {
            0 => json!(0),
            1 => json!(-1),
            2 => json!(1.5),
            3 => json!(9_007_199_254_740_992u64),
            4 => json!(u64::MAX),
            5 => json!(i64::MIN),
            6 => json!(1e308),
            _ => json!(self.below(1000)),
        }
    }

    fn nested(&mut self) -> Value {
        let levels = self.pick(&[2usize, 15, 16, 17, 40, 124, 127]);
        (0..levels).fold(json!("leaf"), |inner, _| json!([inner]))
    }

    /// Any JSON value: scalars, containers, deep nesting.
    fn value(&mut self, depth: usize) -> Value {
        match self.below(if depth > 3 { 5 } else { 8 }) {
            0 => Value::Null,
            1 => json!(self.chance(50)),
            2 => self.number(),
            3 | 4 => json!(self.text()),
            5 => self.nested(),
            6 => {
                let n = self.below(5);
                json!((0..n).map(|_| self.value(depth + 1)).collect::<Vec<_>>())
            }
            _ => {
                let mut map = Map::new();
                for _ in 0..self.below(5) {
                    let name = self.pick(&["a", "b", "tier", "x y", ""]).to_string();
                    map.insert(name, self.value(depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    /// A plausible value for a field of type `kind`, or (sometimes) anything at all.
    fn field(&mut self, kind: &str) -> Value {
        if self.chance(15) {
            return self.value(0);
        }
        match kind {
            "email" => json!(self.email()),
            "key" => json!(format!("fz-key-{}", self.next_unique())),
            "country" => json!(self.pick(&["DE", "US", "de", "XXX"])),
            "locale" => json!(self.pick(&["en", "de-DE", "english"])),
            "date" => json!(self.pick(&["1990-01-31", "1990-13-01", "x"])),
            "store" => json!({"key": self.pick(&["fz-s1", "fz-s2", "fz s3"])}),
            "group" => json!({"key": "fz-group"}),
            "bool" => json!(self.chance(50)),
            _ => json!(self.text()),
        }
    }

    fn email(&mut self) -> String {
        let n = self.next_unique();
        match self.below(10) {
            0 => format!("Fz-{n}@Example.COM"),
            1 => format!("fz-{n}\u{e9}@example.com"),
            2 => format!("fz-e\u{301}{n}@example.com"),
            3 => "not-an-email".to_string(),
            4 if !self.customers.is_empty() => {
                let i = self.below(self.customers.len());
                self.customers[i].email.to_uppercase()
            }
            _ => format!("fz-{n}@example.com"),
        }
    }

    fn address(&mut self) -> Value {
        let mut address = json!({"country": self.field("country")});
        for name in ["city", "streetName", "postalCode", "firstName"] {
            if self.chance(40) {
                address[name] = self.field("text");
            }
        }
        if self.chance(20) {
            address["key"] = self.field("key");
        }
        if self.chance(15) {
            address["custom"] = json!({"type": {"key": "fz-type"}, "fields": {"f": self.value(0)}});
        }
        address
    }

    // -----------------------------------------------------------------------------------------
    // Requests

    fn token(&mut self) -> (&'static str, String) {
        // Mostly tokens that may do something, so requests reach the code behind the checks.
        if self.chance(60) {
            return self.tokens[0].clone();
        }
        self.pick(&self.tokens.clone())
    }

    fn base(&mut self) -> String {
        match self.below(6) {
            0 => "/demo/in-store/key=fz-s1".to_string(),
            1 => "/demo/in-store/key=fz-s2".to_string(),
            _ => "/demo".to_string(),
        }
    }

    fn customer_target(&mut self) -> String {
        if self.customers.is_empty() || self.chance(10) {
            return "00000000-0000-4000-8000-000000000000".to_string();
        }
        let i = self.below(self.customers.len());
        let by_key = self.below(3) == 0;
        match &self.customers[i].key {
            Some(key) if by_key => format!("key={}", encode(key)),
            _ => self.customers[i].id.clone(),
        }
    }

    /// `…/customers/{target}`, or now and then `…/me` (whose customer is the token's).
    fn customer_path(&mut self, target: &str) -> String {
        let base = self.base();
        if self.chance(15) {
            format!("{base}/me")
        } else {
            format!("{base}/customers/{target}")
        }
    }

    fn known_version(&mut self, target: &str) -> Value {
        let version = self
            .customers
            .iter()
            .find(|c| {
                c.id == target
                    || c.key
                        .as_deref()
                        .is_some_and(|k| target.ends_with(&encode(k)))
            })
            .map_or(1, |c| c.version);
        match self.below(10) {
            0 => self.number(),
            1 => json!(version + 1),
            _ => json!(version),
        }
    }

    fn json_request(&mut self, method: &'static str, path: String, body: Value) -> Request {
        let (_, token) = self.token();
        let mut bytes = body.to_string().into_bytes();
        if self.chance(5) {
            // Malformed: cut short, or a stray byte.
            match self.below(3) {
                0 => bytes.truncate(bytes.len() / 2),
                1 => bytes.insert(self.below(bytes.len() + 1), 0xff),
                _ => bytes = b"{\"version\": 1e999, \"actions\": []}".to_vec(),
            }
        }
        Request {
            method,
            path,
            headers: vec![
                ("Authorization".into(), format!("Bearer {token}")),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(bytes),
            throttled: false,
        }
    }

    fn draft(&mut self) -> Value {
        let mut draft = json!({"email": self.email(), "password": "pw"});
        let optional = [
            ("key", "key"),
            ("firstName", "text"),
            ("lastName", "text"),
            ("companyName", "text"),
            ("locale", "locale"),
            ("dateOfBirth", "date"),
            ("customerNumber", "key"),
            ("externalId", "text"),
            ("isEmailVerified", "bool"),
            ("customerGroup", "group"),
        ];
        for (name, kind) in optional {
            if self.chance(25) {
                draft[name] = self.field(kind);
            }
        }
        if self.chance(40) {
            let n = self.pick(&[1usize, 2, 5, 201]);
            draft["addresses"] = json!((0..n).map(|_| self.address()).collect::<Vec<_>>());
            draft["defaultShippingAddress"] = json!(self.below(3));
        }
        if self.chance(25) {
            draft["stores"] = json!([self.field("store")]);
        }
        if self.chance(15) {
            draft["custom"] = json!({"type": {"key": "fz-type"}, "fields": {"a": self.value(0)}});
        }
        if self.chance(5) {
            draft["authenticationMode"] = json!(self.pick(&["ExternalAuth", "Magic"]));
        }
        if self.chance(5) {
            draft["password"] = self.value(0);
        }
        draft
    }

    fn action(&mut self, address_ids: &[String]) -> Value {
        let address_id = if address_ids.is_empty() || self.chance(10) {
            json!("no-such-address")
        } else {
            json!(self.pick(address_ids))
        };
        let name = self.pick(&[
            "changeEmail",
            "setFirstName",
            "setLastName",
            "setMiddleName",
            "setTitle",
            "setSalutation",
            "setCompanyName",
            "setDateOfBirth",
            "setVatId",
            "setExternalId",
            "setLocale",
            "setKey",
            "setCustomerNumber",
            "addAddress",
            "changeAddress",
            "removeAddress",
            "addShippingAddressId",
            "removeShippingAddressId",
            "setDefaultShippingAddress",
            "addBillingAddressId",
            "removeBillingAddressId",
            "setDefaultBillingAddress",
            "setCustomerGroup",
            "setCustomerGroupAssignments",
            "addCustomerGroupAssignment",
            "removeCustomerGroupAssignment",
            "setStores",
            "addStore",
            "removeStore",
            "setAuthenticationMode",
            "setCustomType",
            "setCustomField",
            "setAddressCustomType",
            "setAddressCustomField",
            "noSuchAction",
        ]);
        let mut action = json!({"action": name});
        let fields: Vec<(&str, Value)> = match name {
            "changeEmail" => vec![("email", self.field("email"))],
            "setFirstName" => vec![("firstName", self.field("text"))],
            "setLastName" => vec![("lastName", self.field("text"))],
            "setMiddleName" => vec![("middleName", self.field("text"))],
            "setTitle" => vec![("title", self.field("text"))],
            "setSalutation" => vec![("salutation", self.field("text"))],
            "setCompanyName" => vec![("companyName", self.field("text"))],
            "setVatId" => vec![("vatId", self.field("text"))],
            "setExternalId" => vec![("externalId", self.field("text"))],
            "setDateOfBirth" => vec![("dateOfBirth", self.field("date"))],
            "setLocale" => vec![("locale", self.field("locale"))],
            "setKey" => vec![("key", self.field("key"))],
            "setCustomerNumber" => vec![("customerNumber", self.field("key"))],
            "addAddress" => vec![("address", self.address())],
            "changeAddress" => vec![("addressId", address_id), ("address", self.address())],
            "setCustomerGroup" => vec![("customerGroup", self.field("group"))],
            "setCustomerGroupAssignments" => vec![(
                "customerGroupAssignments",
                json!([{"customerGroup": self.field("group")}]),
            )],
            "addCustomerGroupAssignment" => vec![(
                "customerGroupAssignment",
                json!({"customerGroup": self.field("group")}),
            )],
            "removeCustomerGroupAssignment" => vec![("customerGroup", self.field("group"))],
            "setStores" => {
                let n = self.below(3);
                vec![(
                    "stores",
                    json!((0..n).map(|_| self.field("store")).collect::<Vec<_>>()),
                )]
            }
            "addStore" | "removeStore" => vec![("store", self.field("store"))],
            "setAuthenticationMode" => vec![
                (
                    "authMode",
                    json!(self.pick(&["Password", "ExternalAuth", "Other"])),
                ),
                ("password", json!(format!("pw-{}", self.below(3)))),
            ],
            "setCustomType" => vec![
                ("type", json!({"key": "fz-type"})),
                ("fields", json!({"a": self.value(0)})),
            ],
            "setCustomField" => vec![("name", json!("a")), ("value", self.value(0))],
            "setAddressCustomType" => vec![
                ("addressId", address_id),
                ("type", json!({"key": "fz-type"})),
            ],
            "setAddressCustomField" => vec![
                ("addressId", address_id),
                ("name", json!("f")),
                ("value", self.value(0)),
            ],
            _ => vec![("addressId", address_id)],
        };
        for (field, value) in fields {
            if !self.chance(5) {
                action[field] = value;
            }
        }
        action
    }

    fn update(&mut self) -> Request {
        let target = self.customer_target();
        let address_ids = self
            .customers
            .iter()
            .find(|c| c.id == target)
            .map(|c| c.address_ids.clone())
            .unwrap_or_default();
        let n = self.pick(&[1usize, 1, 2, 5, 20, 500]);
        let actions: Vec<Value> = (0..n).map(|_| self.action(&address_ids)).collect();
        let body = json!({"version": self.known_version(&target), "actions": actions});
        let path = self.customer_path(&target);
        self.json_request("POST", path, body)
    }

    fn predicate(&mut self, depth: usize) -> String {
        if depth < 3 && self.chance(30) {
            let joiner = self.pick(&[" and ", " or "]);
            let many = self.chance(10);
            let n = 2 + self.below(if many { 100 } else { 3 });
            return (0..n)
                .map(|_| format!("({})", self.predicate(depth + 1)))
                .collect::<Vec<_>>()
                .join(joiner);
        }
        let field = self.pick(&[
            "email",
            "lowercaseEmail",
            "key",
            "firstName",
            "version",
            "createdAt",
            "isEmailVerified",
            "addresses(city",
            "custom(fields(a",
            "stores(key",
            "shippingAddressIds",
            "customerGroup(id",
            "password",
            "nope",
            // Message fields (the fuzzer also queries /messages).
            "type",
            "resource(id",
            "sequenceNumber",
        ]);
        let op = self.pick(&[
            "=",
            "!=",
            "<",
            ">=",
            "in",
            "not in",
            "contains any",
            "is defined",
            "is empty",
        ]);
        let literal = match self.below(5) {
            0 => format!("\"{}\"", self.text().replace(['"', '\\'], "")),
            1 => self.number().to_string(),
            2 => "true".to_string(),
            3 => "\"2024-01-01T00:00:00Z\"".to_string(),
            _ => ":v".to_string(),
        };
        let operand = match op {
            "in" | "not in" | "contains any" => format!("({literal}, {literal})"),
            "is defined" | "is empty" => String::new(),
            _ => literal,
        };
        let closing = ")".repeat(field.matches('(').count());
        let mut text = format!("{field} {op} {operand}{closing}");
        if self.chance(5) {
            let cut = self.below(text.len());
            text.truncate(text.floor_char_boundary(cut));
        }
        if self.chance(10) {
            text = format!("not ({text})");
        }
        text
    }

    fn query(&mut self) -> Request {
        let mut params: Vec<String> = Vec::new();
        for _ in 0..self.below(3) {
            params.push(format!("where={}", encode(&self.predicate(0))));
        }
        let sorts = if self.chance(5) { 12 } else { self.below(3) };
        for _ in 0..sorts {
            let sort = self.pick(&[
                "lastModifiedAt desc",
                "key asc",
                "custom.fields.a asc",
                "nope asc",
                "email",
            ]);
            params.push(format!("sort={}", encode(sort)));
        }
        for (name, values) in [
            ("limit", &["0", "20", "500", "501", "-1", "x"][..]),
            ("offset", &["0", "10", "10000", "10001"][..]),
            ("withTotal", &["true", "false", "True", "maybe"][..]),
            ("var.v", &["a", "1"][..]),
            ("expand", &["customerGroup"][..]),
        ] {
            if self.chance(30) {
                params.push(format!("{name}={}", self.pick(values)));
            }
        }
        // Cloudflare refuses URLs over 16 KB before they reach a Worker: stay below.
        while params.iter().map(|p| p.len() + 1).sum::<usize>() > 15_000 {
            params.remove(0);
        }
        let (_, token) = self.token();
        let method = if self.chance(10) { "HEAD" } else { "GET" };
        let collection = if self.chance(20) {
            "/demo/messages".to_string()
        } else {
            format!("{}/customers", self.base())
        };
        Request {
            method,
            path: format!("{collection}?{}", params.join("&")),
            headers: vec![("Authorization".into(), format!("Bearer {token}"))],
            body: None,
            throttled: false,
        }
    }

    fn form(&mut self, path: String, body: String) -> Request {
        let client = self.pick(&[ADMIN, STOREFRONT, ("demo-admin", "wrong"), ("nobody", "x")]);
        Request {
            method: "POST",
            path,
            headers: vec![
                ("Authorization".into(), basic_auth(client.0, client.1)),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                (
                    "CF-Connecting-IP".into(),
                    format!("203.0.113.{}", self.below(250)),
                ),
            ],
            body: Some(body.into_bytes()),
            throttled: true,
        }
    }

    fn known_email(&mut self) -> String {
        if self.customers.is_empty() || self.chance(20) {
            return self.email();
        }
        let i = self.below(self.customers.len());
        self.customers[i].email.clone()
    }

    fn credentials(&mut self) -> Request {
        let base = self.base();
        let email = self.known_email();
        let password = self.pick(&["pw", "pw-0", "pw-1", "wrong", ""]);
        match self.below(8) {
            0 => {
                let path = if base == "/demo" {
                    "/oauth/demo/customers/token".to_string()
                } else {
                    format!("/oauth{base}/customers/token")
                };
                let body = format!(
                    "grant_type=password&username={}&password={password}",
                    encode(&email)
                );
                self.form(path, body)
            }
            1 => {
                let grant = self.pick(&[
                    "client_credentials",
                    "refresh_token",
                    "password",
                    "magic",
                    "",
                ]);
                let scope = self.pick(&[
                    "",
                    "&scope=view_customers:demo",
                    "&scope=manage_project:other",
                    "&scope=%00",
                ]);
                self.form(
                    "/oauth/token".into(),
                    format!("grant_type={grant}{scope}&refresh_token=x"),
                )
            }
            2 => self.form(
                "/oauth/demo/anonymous/token".into(),
                "grant_type=client_credentials".into(),
            ),
            3 => {
                let body = json!({"email": email, "password": password});
                let login = self.pick(&["login", "login", "me/login"]);
                let mut request = self.json_request("POST", format!("{base}/{login}"), body);
                request.headers.push((
                    "CF-Connecting-IP".into(),
                    format!("203.0.113.{}", self.below(250)),
                ));
                request.throttled = true;
                request
            }
            4 => {
                let ttl = self.pick(&[json!(10), json!(0), json!(43_201), json!("x")]);
                let body = json!({"email": email, "ttlMinutes": ttl, "invalidateOlderTokens": self.chance(50)});
                self.json_request("POST", format!("{base}/customers/password-token"), body)
            }
            5 => {
                let target = self.customer_target();
                let body = json!({"id": target, "ttlMinutes": self.pick(&[json!(5), json!(-1)]), "version": self.known_version(&target)});
                self.json_request("POST", format!("{base}/customers/email-token"), body)
            }
            6 => {
                let target = self.customer_target();
                let body = json!({"id": target, "version": self.known_version(&target), "currentPassword": password, "newPassword": self.pick(&["pw", "pw-1", ""])});
                self.json_request("POST", format!("{base}/customers/password"), body)
            }
            _ => {
                let body = json!({"tokenValue": self.text(), "newPassword": "pw", "version": self.number()});
                let endpoint = self.pick(&[
                    "customers/password/reset",
                    "customers/email/confirm",
                    "me/password/reset",
                    "me/email/confirm",
                ]);
                self.json_request("POST", format!("{base}/{endpoint}"), body)
            }
        }
    }

    /// An Emporix request. Its tokens (an Emporix anonymous session, a bad one, a back-office
    /// one) change no customer the fuzzer follows: sign-ins use wrong passwords, a reset only
    /// issues a token, a signup makes a customer the fuzzer does not follow.
    fn emporix_request(&mut self) -> Request {
        let tenant = self.pick(&["demo", "demo", "demo", "demooptin", "BAD", "zzz", ""]);
        let token = match self.below(5) {
            0 => "not-a-token".to_string(),
            1 => self.tokens[0].1.clone(),
            _ => self.emporix.clone(),
        };
        let email = json!(self.known_email());
        let (method, tail, body) = match self.below(10) {
            0 => {
                let session = format!("tenant={tenant}&client_id=demo-storefront&refresh_token=x");
                let path = format!(
                    "/customerlogin/auth/anonymous/{}?{session}",
                    self.pick(&["login", "refresh"])
                );
                return Request {
                    method: "GET",
                    path,
                    headers: vec![],
                    body: None,
                    throttled: false,
                };
            }
            1 => (
                "POST",
                "signup",
                json!({"email": self.email(), "password": self.value(0),
                "customerDetails": {"firstName": self.value(1), "preferredLanguage": self.value(0)},
                "customerAddress": {"country": self.field("country"), "tags": [self.value(0)]}}),
            ),
            2 => (
                "POST",
                "login",
                json!({"email": email, "password": self.pick(&["wrong", "", "x"])}),
            ),
            3 => (
                "PATCH",
                "me",
                json!({"firstName": self.value(0), "metadata": {"version": self.number()}}),
            ),
            4 => (
                "POST",
                "me/addresses",
                json!({"country": self.field("country"), "tags": [self.value(0)]}),
            ),
            5 => ("POST", "password/reset", json!({"email": email})),
            6 => (
                "POST",
                "password/reset/update",
                json!({"token": self.value(0), "password": self.value(0)}),
            ),
            7 => (
                "POST",
                "me/accounts/internal/email/change/confirm",
                json!({"token": self.value(1)}),
            ),
            8 => ("DELETE", "me/addresses/x/tags?tags=GIFT", Value::Null),
            _ => ("GET", "me?expand=addresses", Value::Null),
        };
        let mut headers = vec![
            ("Authorization".into(), format!("Bearer {token}")),
            ("Content-Type".into(), "application/json".into()),
            (
                "CF-Connecting-IP".into(),
                format!("203.0.113.{}", self.below(250)),
            ),
        ];
        if self.chance(5) {
            let saas = self.pick(&["a.b.c", "not-a-jwt", "eyJhbGciOiJub25lIn0.e30."]);
            headers.push(("saas-token".into(), saas.to_string()));
        }
        Request {
            method,
            path: format!("/customer/{tenant}/{tail}"),
            headers,
            body: (!body.is_null()).then(|| body.to_string().into_bytes()),
            throttled: tail == "login",
        }
    }

    fn next_request(&mut self) -> Request {
        match self.below(25) {
            23..=24 => self.emporix_request(),
            20..=22 => self.b2b_request(),
            0..=4 => {
                let body = self.draft();
                let endpoint = if self.chance(20) {
                    "me/signup"
                } else {
                    "customers"
                };
                let path = format!("{}/{endpoint}", self.base());
                self.json_request("POST", path, body)
            }
            5..=10 => self.update(),
            11..=13 => self.query(),
            14 => {
                let target = self.customer_target();
                let (_, token) = self.token();
                Request {
                    method: "GET",
                    path: self.customer_path(&target),
                    headers: vec![("Authorization".into(), format!("Bearer {token}"))],
                    body: None,
                    throttled: false,
                }
            }
            15 => {
                let target = self.customer_target();
                let version = self.known_version(&target);
                let erasure = self.pick(&["", "&dataErasure=true", "&dataErasure=yes"]);
                let (_, token) = self.token();
                Request {
                    method: "DELETE",
                    path: format!("{}?version={version}{erasure}", self.customer_path(&target)),
                    headers: vec![("Authorization".into(), format!("Bearer {token}"))],
                    body: None,
                    throttled: false,
                }
            }
            _ => self.credentials(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Associate roles and business units

    /// A role or unit it knows of (`segment`), or a made-up one.
    fn b2b_target(&mut self, segment: &str) -> (String, String, u64) {
        let known: Vec<_> = self
            .b2b
            .iter()
            .filter(|(s, ..)| *s == segment)
            .cloned()
            .collect();
        if known.is_empty() || self.chance(10) {
            return ("no-such-id".into(), "no-such-key".into(), 1);
        }
        let (_, id, key, version) = self.pick(&known);
        (id, key, version)
    }

    fn permissions(&mut self) -> Value {
        let names = [
            "ViewMyCarts",
            "AddChildUnits",
            "UpdateAssociates",
            "Fly",
            "",
        ];
        let n = if self.chance(5) { 5_000 } else { self.below(6) };
        json!((0..n).map(|_| self.pick(&names)).collect::<Vec<_>>())
    }

    fn associate(&mut self) -> Value {
        let customer = if self.customers.is_empty() || self.chance(20) {
            json!({"id": self.text()})
        } else {
            let i = self.below(self.customers.len());
            json!({"id": self.customers[i].id})
        };
        let (_, role, _) = self.b2b_target("associate-roles");
        let inheritance = self.pick(&[json!("Enabled"), json!("Disabled"), json!("Maybe")]);
        json!({"customer": customer,
               "associateRoleAssignments": [{"associateRole": {"key": role}, "inheritance": inheritance}]})
    }

    fn unit_draft(&mut self) -> Value {
        let (_, parent, _) = self.b2b_target("business-units");
        let unit_type = self.pick(&["Company", "Division", "Division", "Team"]);
        let mut draft = json!({"key": self.field("key"), "name": self.field("text"), "unitType": unit_type,
                               "parentUnit": {"key": parent}});
        for (name, value) in [
            ("associates", json!([self.associate()])),
            ("stores", json!([self.field("store")])),
            ("storeMode", json!(self.pick(&["Explicit", "FromParent"]))),
            ("addresses", json!([self.address()])),
            ("contactEmail", self.field("email")),
        ] {
            if self.chance(30) {
                draft[name] = value;
            }
        }
        draft
    }

    fn b2b_action(&mut self, segment: &str) -> Value {
        if segment == "associate-roles" {
            let name = self.pick(&[
                "addPermission",
                "removePermission",
                "setPermissions",
                "changeBuyerAssignable",
                "setName",
                "setKey",
            ]);
            let permissions = self.permissions();
            let permission = permissions.get(0).cloned().unwrap_or(json!("Fly"));
            let buyer_assignable = self.value(0);
            let text = self.field("text");
            return json!({"action": name, "permission": permission, "permissions": permissions,
                          "buyerAssignable": buyer_assignable, "name": text});
        }
        let name = self.pick(&[
            "changeName",
            "setContactEmail",
            "changeStatus",
            "setStoreMode",
            "setStores",
            "addStore",
            "removeStore",
            "changeAssociateMode",
            "addAssociate",
            "changeAssociate",
            "removeAssociate",
            "setAssociates",
            "addAddress",
            "removeAddress",
            "setDefaultShippingAddress",
            "changeParentUnit",
            "setUnitType",
            "fly",
        ]);
        let (_, parent, _) = self.b2b_target("business-units");
        let associate = self.associate();
        json!({"action": name, "name": self.field("text"), "contactEmail": self.field("email"),
               "status": self.pick(&["Active", "Inactive", "x"]), "storeMode": self.pick(&["Explicit", "FromParent"]),
               "stores": [self.field("store")], "store": self.field("store"),
               "associateMode": self.pick(&["Explicit", "ExplicitAndFromParent"]),
               "associate": associate.clone(), "associates": [associate.clone()],
               "customer": associate["customer"].clone(), "address": self.address(),
               "addressKey": self.text(), "parentUnit": {"key": parent},
               "unitType": self.pick(&["Company", "Division"])})
    }

    fn b2b_request(&mut self) -> Request {
        let segment = self.pick(&["associate-roles", "business-units"]);
        let (id, key, version) = self.b2b_target(segment);
        let target = if self.chance(50) {
            id.clone()
        } else {
            format!("key={}", encode(&key))
        };
        let (_, token) = self.token();
        let plain = |method, path| Request {
            method,
            path,
            headers: vec![("Authorization".into(), format!("Bearer {token}"))],
            body: None,
            throttled: false,
        };
        match self.below(8) {
            0 | 1 => {
                let body = if segment == "associate-roles" {
                    json!({"key": self.field("key"), "name": self.field("text"),
                           "buyerAssignable": self.value(0), "permissions": self.permissions()})
                } else {
                    self.unit_draft()
                };
                self.json_request("POST", format!("/demo/{segment}"), body)
            }
            2..=4 => {
                let actions: Vec<Value> = (0..1 + self.below(3))
                    .map(|_| self.b2b_action(segment))
                    .collect();
                let version = if self.chance(80) {
                    json!(version)
                } else {
                    self.number()
                };
                let body = json!({"version": version, "actions": actions});
                self.json_request("POST", format!("/demo/{segment}/{target}"), body)
            }
            5 => {
                let customer = self.customer_target();
                plain(
                    "GET",
                    format!("/demo/business-units/{target}/associates/{customer}"),
                )
            }
            6 => {
                let predicate = self.pick(&[
                    "key = \"x\"",
                    "permissions contains any (\"ViewMyCarts\")",
                    "topLevelUnit(key = \"x\")",
                    "associates(customer(id = \"x\"))",
                    "unitType in (\"Company\")",
                    "(((",
                ]);
                plain(
                    "GET",
                    format!(
                        "/demo/{segment}?where={}&sort=key+desc&limit=5",
                        encode(predicate)
                    ),
                )
            }
            _ => plain(
                "DELETE",
                format!("/demo/{segment}/{target}?version={version}"),
            ),
        }
    }

    /// Remembers a role or unit from a 2xx answer to a write.
    fn remember_b2b(&mut self, request: &Request, reply: &Reply) {
        let segment = if reply.json["unitType"].is_string() {
            "business-units"
        } else if reply.json["buyerAssignable"].is_boolean() {
            "associate-roles"
        } else {
            return;
        };
        let (Some(id), Some(key), Some(version)) = (
            reply.json["id"].as_str(),
            reply.json["key"].as_str(),
            reply.json["version"].as_u64(),
        ) else {
            return;
        };
        self.b2b.retain(|(_, known, ..)| known != id);
        if request.method != "DELETE" {
            self.b2b.push((segment, id.into(), key.into(), version));
        }
    }

    // -----------------------------------------------------------------------------------------
    // Sending and checking

    fn send(&mut self, request: &Request) -> Reply {
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let started = Instant::now();
        let reply = self
            .app
            .try_send(
                request.method,
                &request.path,
                &headers,
                request.body.as_deref(),
            )
            .unwrap_or_else(|e| self.fail(request, &format!("no answer: {e}")));
        let elapsed = started.elapsed();
        self.sent += 1;
        *self.statuses.entry(reply.status).or_default() += 1;
        if reply.status >= 500 {
            self.fail(
                request,
                &format!("answered {}: {}", reply.status, reply.text),
            );
        }
        let bound = self.bound
            + if request.throttled {
                Duration::from_secs(2)
            } else {
                Duration::ZERO
            };
        if elapsed > bound {
            self.fail(request, &format!("took {elapsed:?}, more than {bound:?}"));
        }
        reply
    }

    fn fail(&self, request: &Request, what: &str) -> ! {
        panic!(
            "fuzz: seed {} (replay with FUZZ_SEED={}), request {}: {what}\n{request}",
            self.seed, self.seed, self.sent
        );
    }

    fn one(&mut self) {
        let request = self.next_request();
        let reply = self.send(&request);
        if !(200..300).contains(&reply.status)
            || request.method == "GET"
            || request.method == "HEAD"
        {
            return;
        }
        self.remember_b2b(&request, &reply);
        let customer = if reply.json["customer"].is_object() {
            &reply.json["customer"]
        } else {
            &reply.json
        };
        if customer["id"].is_string()
            && customer["email"].is_string()
            && customer["version"].is_u64()
        {
            let deleted = request.method == "DELETE";
            self.remember(customer, deleted);
            let id = customer["id"].as_str().unwrap().to_string();
            self.check(&id, &request);
        }
    }

    fn remember(&mut self, customer: &Value, deleted: bool) {
        let id = customer["id"].as_str().unwrap().to_string();
        let known = Known {
            id: id.clone(),
            key: customer["key"].as_str().map(str::to_string),
            email: customer["email"].as_str().unwrap().to_string(),
            version: customer["version"].as_u64().unwrap(),
            address_ids: customer["addresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["id"].as_str().map(str::to_string))
                .collect(),
            deleted,
        };
        match self.customers.iter_mut().find(|c| c.id == id) {
            Some(existing) => *existing = known,
            None => self.customers.push(known),
        }
    }

    /// The customer reads back by id, by key and by `lowercaseEmail` at the version last seen
    /// (or is gone everywhere, once deleted).
    fn check(&mut self, id: &str, after: &Request) {
        let Some(known) = self.customers.iter().find(|c| c.id == id) else {
            return;
        };
        let (key, email, version, deleted) = (
            known.key.clone(),
            known.email.clone(),
            known.version,
            known.deleted,
        );
        let admin = format!("Bearer {}", self.tokens[0].1);
        let get = |fuzz: &mut Self, path: String| {
            let request = Request {
                method: "GET",
                path,
                headers: vec![("Authorization".into(), admin.clone())],
                body: None,
                throttled: false,
            };
            let reply = fuzz.send(&request);
            (request, reply)
        };
        let (request, by_id) = get(self, format!("/demo/customers/{id}"));
        let expected = if deleted { 404 } else { 200 };
        if by_id.status != expected || (!deleted && by_id.json["version"] != version) {
            self.fail(
                &request,
                &format!(
                    "after\n{after}\nread back {} (expected {expected} at version {version}): {}",
                    by_id.status, by_id.text
                ),
            );
        }
        if deleted {
            return;
        }
        if let Some(key) = key {
            let (request, by_key) = get(self, format!("/demo/customers/key={}", encode(&key)));
            if by_key.status != 200 || by_key.json["id"] != id || by_key.json["version"] != version
            {
                self.fail(
                    &request,
                    &format!(
                        "after\n{after}\nread by key: {} {}",
                        by_key.status, by_key.text
                    ),
                );
            }
        }
        let predicate = format!(
            "lowercaseEmail = \"{}\"",
            lowercase_email(&email)
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
        );
        let (request, by_email) = get(
            self,
            format!("/demo/customers?where={}", encode(&predicate)),
        );
        let found = by_email.json["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|c| c["id"] == id && c["version"] == version));
        if by_email.status != 200 || !found {
            self.fail(
                &request,
                &format!(
                    "after\n{after}\nread by lowercaseEmail: {} {}",
                    by_email.status, by_email.text
                ),
            );
        }
    }

    /// Every customer the run touched, once more at the end.
    fn check_all(&mut self) {
        let ids: Vec<String> = self.customers.iter().map(|c| c.id.clone()).collect();
        let end = Request {
            method: "GET",
            path: "(the end of the run)".into(),
            headers: Vec::new(),
            body: None,
            throttled: false,
        };
        for id in ids {
            self.check(&id, &end);
        }
    }
}
