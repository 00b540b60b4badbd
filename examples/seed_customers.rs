//! Writes SQL that seeds a local D1 database with customers built by the domain core, laid out
//! exactly as the Worker stores them. For the query benchmark (bench/query-latency.mjs): the
//! local Worker creates about a hundred customers a second, so 100,000 would take too long
//! through the API. Each customer carries its `CustomerCreated` message and, if asked, the
//! messages of `updates` further updates (one `setFirstName` each), made by the domain core.
//!
//! Usage: `cargo run --release --example seed_customers -- <from> <to> [updates] > seed.sql`

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
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ from);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let refs = Referenced {
        types: vec![bench_type(&mut out, from == 0)],
        groups: bench_groups(&mut out, from == 0),
        ..Referenced::default()
    };
    let columns = format!("project, id, {}", Customers::COLUMNS.join(", "));
    let mut customers = Vec::new();
    let mut claims = Vec::new();
    let mut messages = Vec::new();
    for i in from..to {
        let draft = serde_json::json!({
            "email": format!("bench-{i}@example.com"),
            "key": format!("bench-{i}"),
            "authenticationMode": "ExternalAuth",
            "firstName": format!("First{}", i % 1000),
            "lastName": format!("Last{}", i % 5000),
            "middleName": format!("Middle{}", i % 2000),
            "addresses": [{"country": "DE", "city": format!("City{}", i % 300)}],
            "custom": {"type": {"key": "bench"}, "fields": {"segment": format!("s{}", i % 100)}},
            "customerGroup": {"key": format!("bench-group-{}", i % GROUPS)}
        });
        let draft: CustomerDraft = json::parse(draft.to_string().as_bytes()).expect("valid draft");
        let created_ms = 1_700_000_000_000 + i as i64;
        let ctx = CreateContext {
            now_ms: created_ms,
            by: ClientLogging::client("seed"),
            store: None,
            reach: &StoreReach::Project,
            refs: &refs,
        };
        let created = create(draft, ctx, &mut rng, &mut |_| unreachable!("no passwords"))
            .expect("valid customer");
        messages.push(row(&message_values(PROJECT, &created.message)));
        let (stored, more) = updated(created.stored, (created_ms, updates), &refs, &mut rng);
        messages.extend(more.iter().map(|m| row(&message_values(PROJECT, m))));
        let mut values = vec![
            Param::Text(PROJECT.into()),
            Param::Text(stored.customer.meta.id.clone()),
        ];
        values.extend(Customers::values(&stored));
        customers.push(row(&values));
        for (email, store) in stored.customer.email_claims() {
            let claim = [PROJECT, &email, &store, &stored.customer.meta.id]
                .map(|v| Param::Text(v.to_string()));
            claims.push(row(&claim));
        }
        if customers.len() == ROWS_PER_INSERT || i + 1 == to {
            inserts(&mut out, &format!("customers ({columns})"), &customers);
            let into = "customer_emails (project, lowercase_email, store, customer_id)";
            inserts(&mut out, into, &claims);
            inserts(
                &mut out,
                &format!("messages ({MESSAGE_COLUMNS})"),
                &messages,
            );
            customers.clear();
            claims.clear();
            messages.clear();
        }
    }
}
