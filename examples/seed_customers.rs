//! Writes SQL that seeds a local D1 database with customers built by the domain core, laid out
//! exactly as the Worker stores them. For the query benchmark (bench/query-latency.mjs): the
//! local Worker creates about a hundred customers a second, so 100,000 would take too long
//! through the API. Each customer carries its `CustomerCreated` message and, if asked, the
//! messages of `updates` further updates (one `setFirstName` each), made by the domain core.
//!
//! Usage: `cargo run --release --example seed_customers -- <from> <to> [updates] > seed.sql`
//!
//! `SEED_PROFILE` chooses the customers: `bench` (default; the query benchmark's), `small`
//! (email and password only) or `typical` (names, key, customer number, 5 addresses, custom
//! fields, a group). `SEED_SHARDS` (binding names, as `CUSTOMER_DATABASES`) lays them out over
//! shards as `store::shards` does: every line then starts with its database's binding and a
//! tab (the catalog `DB` gets the types, groups, stub rows and email claims).

use edge_customer_api::domain::auth::StoreReach;
use edge_customer_api::domain::custom_type::{self, Type, TypeDraft};
use edge_customer_api::domain::customer::draft::{create, CreateContext, CustomerDraft};
use edge_customer_api::domain::customer::StoredCustomer;
use edge_customer_api::domain::customer_group::{self, CustomerGroupDraft};
use edge_customer_api::domain::ids::Random;
use edge_customer_api::domain::json;
use edge_customer_api::domain::message::Message;
use edge_customer_api::domain::references::{GroupRef, Referenced};
use edge_customer_api::domain::refs::ClientLogging;
use edge_customer_api::domain::resource::{parse_request, update, UpdateContext};
use edge_customer_api::store::customer_group_table::CustomerGroups;
use edge_customer_api::store::customer_table::Customers;
use edge_customer_api::store::shards::{self, Layout, CATALOG};
use edge_customer_api::store::sql::Param;
use edge_customer_api::store::table::{message_values, Table, MESSAGE_COLUMNS};
use edge_customer_api::store::type_table::Types;
use std::io::{BufWriter, Write};

/// A small deterministic generator: the seed only needs distinct ids, not secrecy.
struct XorShift(u64);

impl Random for XorShift {
    fn fill(&mut self, dest: &mut [u8]) {
        for byte in dest {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *byte = self.0 as u8;
        }
    }
}

const PROJECT: &str = "demo";

/// The custom type the seeded customers use (`bench`: a `segment` String), written to the SQL
/// once (with the first batch of customers).
fn bench_type(out: &mut impl Write, write: bool) -> Type {
    let draft: TypeDraft = json::parse(
        serde_json::json!({
            "key": "bench", "name": {"en": "Bench"}, "resourceTypeIds": ["customer"],
            "fieldDefinitions": [{"name": "segment", "label": {"en": "Segment"}, "required": false, "type": {"name": "String"}}]
        })
        .to_string()
        .as_bytes(),
    )
    .expect("a valid type draft");
    let mut bench = custom_type::create(
        draft,
        1_700_000_000_000,
        &ClientLogging::client("seed"),
        &mut XorShift(7),
    )
    .expect("a valid type");
    bench.meta.id = "bench-type".into();
    if write {
        let mut values = vec![
            Param::Text(PROJECT.into()),
            Param::Text(bench.meta.id.clone()),
        ];
        values.extend(Types::values(&bench));
        let literals: Vec<String> = values.iter().map(Param::sql_literal).collect();
        writeln!(
            out,
            "INSERT INTO types (project, id, {}) VALUES ({});",
            Types::COLUMNS.join(", "),
            literals.join(", ")
        )
        .unwrap();
    }
    bench
}

/// How many customer groups the seeded customers are spread over.
const GROUPS: u64 = 100;

/// The customer groups the seeded customers belong to (`bench-group-<n>`, id and key alike),
/// written to the SQL once (with the first batch of customers).
fn bench_groups(out: &mut impl Write, write: bool) -> Vec<GroupRef> {
    let mut rows = Vec::new();
    let mut refs = Vec::new();
    for g in 0..GROUPS {
        let name = format!("bench-group-{g}");
        let draft: CustomerGroupDraft = json::parse(
            serde_json::json!({"groupName": name, "key": name})
                .to_string()
                .as_bytes(),
        )
        .expect("a valid group draft");
        let by = ClientLogging::client("seed");
        let mut group = customer_group::create(
            draft,
            (1_700_000_000_000, &by),
            &Referenced::default(),
            &mut XorShift(11 + g),
        )
        .expect("a valid group");
        group.meta.id = name.clone();
        let mut values = vec![Param::text(PROJECT), Param::text(&name)];
        values.extend(CustomerGroups::values(&group));
        let literals: Vec<String> = values.iter().map(Param::sql_literal).collect();
        rows.push(format!("({})", literals.join(", ")));
        refs.push(GroupRef {
            id: name.clone(),
            key: Some(name),
        });
    }
    if write {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            writeln!(
                out,
                "INSERT INTO customer_groups (project, id, {}) VALUES {};",
                CustomerGroups::COLUMNS.join(", "),
                chunk.join(", ")
            )
            .unwrap();
        }
    }
    refs
}

/// Rows per INSERT: D1 refuses statements over 100 000 bytes (SQLITE_TOOBIG).
const ROWS_PER_INSERT: usize = 50;

/// The customer after `updates` updates (one `setFirstName` each, an hour apart), and the
/// messages those made.
fn updated(
    mut stored: StoredCustomer,
    (created_ms, updates): (i64, u64),
    refs: &Referenced,
    rng: &mut XorShift,
) -> (StoredCustomer, Vec<Message>) {
    let mut messages = Vec::new();
    for n in 1..=updates {
        let body = serde_json::json!({
            "version": stored.customer.meta.version,
            "actions": [{"action": "setFirstName", "firstName": format!("Renamed{n}")}]
        });
        let request = parse_request(body.to_string().as_bytes()).expect("a valid update");
        let ctx = UpdateContext {
            now_ms: created_ms + n as i64 * 3_600_000,
            by: ClientLogging::client("seed"),
            rng,
            refs,
        };
        let done = update(&stored, &request, ctx).expect("a valid update");
        stored = done.state;
        messages.extend(done.messages);
    }
    (stored, messages)
}

/// Local D1 refuses statements over 100 000 bytes: multi-row inserts stay below this.
const MAX_STATEMENT_BYTES: usize = 90_000;

/// `INSERT INTO {into} VALUES …` for the rows (`(…)` each), in statements under
/// [`MAX_STATEMENT_BYTES`].
fn inserts(out: &mut impl Write, into: &str, rows: &[String]) {
    let mut start = 0;
    let mut bytes = 0;
    for (i, row) in rows.iter().enumerate() {
        if bytes + row.len() > MAX_STATEMENT_BYTES && i > start {
            write_insert(out, into, &rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += row.len() + 2;
    }
    if start < rows.len() {
        write_insert(out, into, &rows[start..]);
    }
}

fn write_insert(out: &mut impl Write, into: &str, rows: &[String]) {
    writeln!(out, "INSERT INTO {into} VALUES {};", rows.join(", ")).unwrap();
}

/// The customer's draft in the chosen profile.
fn draft_of(profile: &str, i: u64) -> serde_json::Value {
    match profile {
        "small" => serde_json::json!({
            "email": format!("bench-{i}@example.com"),
            "password": "secret123",
        }),
        "typical" => {
            let addresses: Vec<serde_json::Value> = (0..5)
                .map(|a| {
                    serde_json::json!({
                        "key": format!("a{a}"), "firstName": format!("First{}", i % 1000),
                        "lastName": format!("Last{}", i % 5000), "streetName": "Hauptstraße",
                        "streetNumber": format!("{}", a + 1), "postalCode": "10115",
                        "city": format!("City{}", i % 300), "country": "DE",
                        "phone": "+49 30 1234567", "email": format!("bench-{i}@example.com")
                    })
                })
                .collect();
            serde_json::json!({
                "email": format!("bench-{i}@example.com"),
                "password": "secret123",
                "key": format!("bench-{i}"),
                "customerNumber": format!("C{i:09}"),
                "firstName": format!("First{}", i % 1000),
                "lastName": format!("Last{}", i % 5000),
                "companyName": "Example GmbH",
                "dateOfBirth": "1980-01-31",
                "locale": "de-DE",
                "addresses": addresses,
                "defaultShippingAddress": 0,
                "defaultBillingAddress": 1,
                "custom": {"type": {"key": "bench"}, "fields": {"segment": format!("s{}", i % 100)}},
                "customerGroup": {"key": format!("bench-group-{}", i % GROUPS)}
            })
        }
        _ => serde_json::json!({
            "email": format!("bench-{i}@example.com"),
            "key": format!("bench-{i}"),
            "authenticationMode": "ExternalAuth",
            "firstName": format!("First{}", i % 1000),
            "lastName": format!("Last{}", i % 5000),
            "middleName": format!("Middle{}", i % 2000),
            "addresses": [{"country": "DE", "city": format!("City{}", i % 300)}],
            "custom": {"type": {"key": "bench"}, "fields": {"segment": format!("s{}", i % 100)}},
            "customerGroup": {"key": format!("bench-group-{}", i % GROUPS)}
        }),
    }
}

/// Rows bound for one table of one database.
#[derive(Default)]
struct Pending {
    /// (database, table with columns, rows)
    rows: Vec<(String, String, Vec<String>)>,
}

impl Pending {
    fn push(&mut self, database: &str, into: &str, row: String) {
        match self
            .rows
            .iter_mut()
            .find(|(d, t, _)| d == database && t == into)
        {
            Some((_, _, rows)) => rows.push(row),
            None => self
                .rows
                .push((database.to_string(), into.to_string(), vec![row])),
        }
    }

    /// Writes the pending inserts (each line prefixed with its database when sharded).
    fn flush(&mut self, out: &mut impl Write, sharded: bool) {
        for (database, into, rows) in self.rows.drain(..) {
            let mut sql = Vec::new();
            inserts(&mut sql, &into, &rows);
            for line in String::from_utf8(sql).expect("SQL is text").lines() {
                if sharded {
                    writeln!(out, "{database}\t{line}").unwrap();
                } else {
                    writeln!(out, "{line}").unwrap();
                }
            }
        }
    }
}

/// A row of literals: `(…)`.
fn row(values: &[Param]) -> String {
    let literals: Vec<String> = values.iter().map(Param::sql_literal).collect();
    format!("({})", literals.join(", "))
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("usage: seed_customers <from> <to> [updates]")
        })
        .collect();
    let (from, to, updates) = match args[..] {
        [from, to] => (from, to, 0),
        [from, to, updates] => (from, to, updates),
        _ => panic!("usage: seed_customers <from> <to> [updates]"),
    };
    let profile = std::env::var("SEED_PROFILE").unwrap_or_else(|_| "bench".into());
    let layout = Layout::parse(std::env::var("SEED_SHARDS").ok().as_deref()).expect("SEED_SHARDS");
    let sharded = layout.is_sharded();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ from);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut head = Vec::new();
    let refs = Referenced {
        types: vec![bench_type(&mut head, from == 0)],
        groups: bench_groups(&mut head, from == 0),
        ..Referenced::default()
    };
    for line in String::from_utf8(head).expect("SQL is text").lines() {
        if sharded {
            writeln!(out, "{CATALOG}\t{line}").unwrap();
        } else {
            writeln!(out, "{line}").unwrap();
        }
    }
    let columns = format!("customers (project, id, {})", Customers::COLUMNS.join(", "));
    let stub_columns = format!(
        "customers (project, id, {}, doc)",
        shards::STUB_COLUMNS.join(", ")
    );
    let claim_columns = "customer_emails (project, lowercase_email, store, customer_id)";
    let message_columns = format!("messages ({MESSAGE_COLUMNS})");
    // A fixed hash: the seeded customers never sign in, and PBKDF2 per row would be slow.
    let mut hash = |_: &str| {
        "$pbkdf2-sha256$i=100000$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
            .to_string()
    };
    let mut pending = Pending::default();
    for i in from..to {
        let draft: CustomerDraft =
            json::parse(draft_of(&profile, i).to_string().as_bytes()).expect("valid draft");
        let created_ms = 1_700_000_000_000 + i as i64;
        let ctx = CreateContext {
            now_ms: created_ms,
            by: ClientLogging::client("seed"),
            store: None,
            reach: &StoreReach::Project,
            refs: &refs,
        };
        let created = create(draft, ctx, &mut rng, &mut hash).expect("valid customer");
        let id = created.stored.customer.meta.id.clone();
        let home = layout.shard_of(&id).to_string();
        pending.push(
            &home,
            &message_columns,
            row(&message_values(PROJECT, &created.message)),
        );
        let (stored, more) = updated(created.stored, (created_ms, updates), &refs, &mut rng);
        for m in &more {
            pending.push(&home, &message_columns, row(&message_values(PROJECT, m)));
        }
        let mut values = vec![Param::Text(PROJECT.into()), Param::Text(id.clone())];
        values.extend(Customers::values(&stored));
        pending.push(&home, &columns, row(&values));
        if sharded {
            let mut stub = vec![Param::Text(PROJECT.into()), Param::Text(id.clone())];
            stub.extend(shards::stub_values(&stored));
            stub.push(Param::Text(String::new()));
            pending.push(CATALOG, &stub_columns, row(&stub));
        }
        for (email, store) in stored.customer.email_claims() {
            let claim = [PROJECT, &email, &store, &id].map(|v| Param::Text(v.to_string()));
            pending.push(CATALOG, claim_columns, row(&claim));
        }
        if (i + 1 - from) % ROWS_PER_INSERT as u64 == 0 || i + 1 == to {
            pending.flush(&mut out, sharded);
        }
    }
}
