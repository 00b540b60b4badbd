//! Where a customer lives when a project's customers are spread over several D1 databases
//! (pure: the Worker's `store::d1` and the bench seeder share it). See `docs/scale.md`.
//!
//! **Layout.** `CUSTOMER_DATABASES` lists D1 binding names (space-separated). Unset, or just
//! `DB`, is today's single database: everything in `DB`, every write one batch. With other
//! bindings listed, `DB` is the **catalog** (groups, types, roles, business units, API clients,
//! projects, messages of those resources, and a *stub* row per customer carrying only its
//! unique values) and the listed bindings are the customer **shards** (the customer's row,
//! its messages, its search rows). The catalog may not also be a shard: its stub and a full
//! row would share a primary key.
//!
//! **Placement.** A customer id hashes (FNV-1a, 32 bits, stable across builds and languages)
//! to one of [`BUCKETS`] buckets; bucket `b` lives in shard `b mod n`. Re-sharding moves whole
//! buckets (the buckets whose owner changes), never single customers.
//!
//! **Splitting a write.** A customer write is built as one batch (`store::table`); with shards
//! it is split by table: what uniqueness and references need ([`CATALOG_TABLES`], plus the
//! stub row of [`stub_statements`]) goes to the catalog first, the rest to the customer's
//! shard. The catalog part claims before the shard part writes, so a taken email, key or
//! customer number fails before any customer row exists; if the shard part then fails, the
//! catalog part is undone ([`undo`]), so no half-written customer remains.

use super::customer_table::Customers;
use super::sql::{Param, Statement};
use super::table;
use crate::domain::customer::{Customer, StoredCustomer};
use crate::domain::resource::Resource;

/// How many buckets customer ids hash to (the unit a re-balancing step moves).
pub const BUCKETS: u32 = 1024;

/// The binding of the catalog database (and of the single database of an unsharded setup).
pub const CATALOG: &str = "DB";

/// Tables a customer write touches that live in the catalog: email and anonymous-id claims,
/// the reference rows and the guards that check them against groups, types and business
/// units.
pub const CATALOG_TABLES: &[&str] = &[
    "customer_emails",
    "customer_anonymous_ids",
    "resource_references",
    "reference_guards",
    "usage_guards",
];

/// The databases of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The customer shards (binding names); `[DB]` when unsharded.
    pub shards: Vec<String>,
    /// While re-balancing (`CUSTOMER_DATABASES_NEXT` set): the shard list being moved to.
    /// Customer writes are refused meanwhile; a customer whose bucket changes owner is read
    /// from its old owner, else from its new one ([`Layout::places_of`]).
    pub next: Option<Vec<String>>,
}

impl Layout {
    /// The layout `CUSTOMER_DATABASES` describes (`None`, empty or `DB`: one database).
    pub fn parse(list: Option<&str>) -> Result<Layout, String> {
        let shards: Vec<String> = list
            .unwrap_or_default()
            .split([' ', ',', '\n', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if shards.is_empty() || shards == [CATALOG] {
            return Ok(Layout {
                shards: vec![CATALOG.into()],
                next: None,
            });
        }
        if shards.iter().any(|s| s == CATALOG) {
            return Err(format!(
                "CUSTOMER_DATABASES may not list the catalog '{CATALOG}' beside other databases"
            ));
        }
        for (i, s) in shards.iter().enumerate() {
            if shards[..i].contains(s) {
                return Err(format!("CUSTOMER_DATABASES lists '{s}' twice"));
            }
        }
        Ok(Layout { shards, next: None })
    }

    /// The layout of `CUSTOMER_DATABASES` while `CUSTOMER_DATABASES_NEXT` (`next`; unset or
    /// empty: no re-balancing) names the list being moved to. `next` must name shards: moving
    /// from shards to shards, or out of the single database `DB` into shards, is supported;
    /// moving back into `DB` (shrinking to one database) is not.
    pub fn parse_with_next(list: Option<&str>, next: Option<&str>) -> Result<Layout, String> {
        let mut layout = Layout::parse(list)?;
        if next.unwrap_or_default().trim().is_empty() {
            return Ok(layout);
        }
        let to = Layout::parse(next)
            .map_err(|e| e.replace("CUSTOMER_DATABASES", "CUSTOMER_DATABASES_NEXT"))?;
        if !to.is_sharded() {
            return Err(
                "CUSTOMER_DATABASES_NEXT must list shards: moving customers back into the \
                 single database DB is not supported"
                    .into(),
            );
        }
        layout.next = Some(to.shards);
        Ok(layout)
    }

    /// Whether a re-balancing is under way (customer writes are refused).
    pub fn is_rebalancing(&self) -> bool {
        self.next.is_some()
    }

    /// The layout being moved to (itself when not re-balancing).
    pub fn target(&self) -> Layout {
        Layout {
            shards: self.next.clone().unwrap_or_else(|| self.shards.clone()),
            next: None,
        }
    }

    /// Where customer `id` may be, in the order to read: its owner, and while re-balancing
    /// moves its bucket, then its new owner. Read in this order a customer is never missed:
    /// its bucket is copied to the new owner before it is deleted from the old one, so a
    /// customer not found in the old owner is already in the new one.
    pub fn places_of(&self, id: &str) -> Vec<&str> {
        let mut places = vec![self.shard_of(id)];
        if let Some(next) = &self.next {
            let new = next[(bucket(id) % next.len() as u32) as usize].as_str();
            if new != places[0] {
                places.push(new);
            }
        }
        places
    }

    /// Every shard that may hold customers: the current ones, then (re-balancing) the new
    /// ones not among them.
    pub fn all_shards(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.shards.iter().map(String::as_str).collect();
        for s in self.next.iter().flatten() {
            if !all.contains(&s.as_str()) {
                all.push(s);
            }
        }
        all
    }

    /// The name of a re-balancing (`"C1 C2 -> C1 C2 C3 C4"`): its progress is kept under it,
    /// so a later change of the list starts afresh.
    pub fn plan(&self) -> String {
        format!(
            "{} -> {}",
            self.shards.join(" "),
            self.target().shards.join(" ")
        )
    }

    /// Whether customers live outside the catalog (writes are split, reads go to the shards),
    /// or are being moved out of it (re-balancing from the single database: the catalog is
    /// then read as one shard among the others, its stub rows not counted as customers, see
    /// [`holds_stubs`](Layout::holds_stubs)).
    pub fn is_sharded(&self) -> bool {
        self.shards != [CATALOG] || self.next.is_some()
    }

    /// Whether database `binding`, read as a place of customers, holds stub rows beside full
    /// ones: the catalog while customers are moved out of it (re-balancing from `DB`). Its
    /// reads of customers then skip the stubs ([`without_stubs`]).
    pub fn holds_stubs(&self, binding: &str) -> bool {
        binding == CATALOG && self.shards == [CATALOG] && self.next.is_some()
    }

    /// The binding of the shard holding customer `id`.
    pub fn shard_of(&self, id: &str) -> &str {
        let n = self.shards.len() as u32;
        &self.shards[(bucket(id) % n) as usize]
    }

    /// Every database, the catalog first, each once (re-balancing: the new shards too).
    pub fn every(&self) -> Vec<&str> {
        let mut all = vec![CATALOG];
        all.extend(self.all_shards().into_iter().filter(|s| *s != CATALOG));
        all
    }
}

/// The buckets a change of the shard list moves, `(bucket, from, to)` in bucket order: those
/// whose owner (`bucket mod n`) differs between the two layouts. Growing 2 → 4 moves half of
/// them, 4 → 8 half, 4 → 5 four fifths (the hash is kept, the modulus changes). The move is
/// `store::rebalance` (docs/scale.md, **Re-balancing**).
pub fn moves<'a>(from: &'a Layout, to: &'a Layout) -> Vec<(u32, &'a str, &'a str)> {
    (0..BUCKETS)
        .filter_map(|b| {
            let old = from.shards[(b % from.shards.len() as u32) as usize].as_str();
            let new = to.shards[(b % to.shards.len() as u32) as usize].as_str();
            (old != new).then_some((b, old, new))
        })
        .collect()
}

/// The bucket of a customer id: FNV-1a (32 bits) of its bytes, mod [`BUCKETS`].
pub fn bucket(id: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % BUCKETS
}

/// Whether a statement of a customer write belongs to the catalog.
pub fn is_catalog(statement: &Statement) -> bool {
    CATALOG_TABLES.iter().any(|t| statement.sql.contains(t))
}

/// A customer write's batch split into its catalog part (the stub row first, so a taken key
/// or customer number is named by `customers.key` / `customers.customer_number`) and its shard
/// part.
pub fn split(
    project: &str,
    before: Option<&StoredCustomer>,
    after: Option<&StoredCustomer>,
    batch: &[Statement],
) -> (Vec<Statement>, Vec<Statement>) {
    let mut catalog = stub_statements(project, before, after);
    let (claims, shard): (Vec<Statement>, Vec<Statement>) =
        batch.iter().cloned().partition(is_catalog);
    catalog.extend(claims);
    (catalog, shard)
}

/// What undoes a catalog part that went to the catalog when the shard part then failed:
/// the catalog part of the opposite write (`after` back to `before`), without its guards
/// (undoing must not be refused).
pub fn undo(opposite_catalog_part: Vec<Statement>) -> Vec<Statement> {
    opposite_catalog_part
        .into_iter()
        .filter(|s| !s.sql.contains("_guards"))
        .collect()
}

/// The columns of a stub row after `project` and `id` (and before its empty `doc`): what
/// uniqueness and lookups by key or email need.
pub const STUB_COLUMNS: &[&str] = &[
    "version",
    "key",
    "customer_number",
    "email",
    "lowercase_email",
    "stores",
    "created_at",
    "last_modified_at",
];

/// The values of [`STUB_COLUMNS`].
pub fn stub_values(stored: &StoredCustomer) -> Vec<Param> {
    let c = &stored.customer;
    let stores = serde_json::to_string(&c.store_keys()).expect("store keys always serialize");
    vec![
        Param::Int(0),
        Param::opt_text(c.key.as_deref()),
        Param::opt_text(c.customer_number.as_deref()),
        Param::text(c.email.as_str()),
        Param::text(c.lowercase_email()),
        Param::Text(stores),
        Param::text(&c.meta.created_at),
        Param::text(&c.meta.created_at),
    ]
}

/// The catalog's stub row of a customer (`doc` empty, version 0): inserted with the customer,
/// changed when a unique value or its stores change, deleted with it. Its `UNIQUE (project,
/// key)` and `UNIQUE (project, customer_number)` keep those unique across shards, and business
/// units' references to customers are checked against it.
pub fn stub_statements(
    project: &str,
    before: Option<&StoredCustomer>,
    after: Option<&StoredCustomer>,
) -> Vec<Statement> {
    let id = before.or(after).map(|s| s.customer.meta.id.as_str());
    let Some(id) = id else {
        return Vec::new();
    };
    let mut params = vec![Param::text(project), Param::text(id)];
    match (before, after) {
        (None, Some(after)) => {
            params.extend(stub_values(after));
            let placeholders: Vec<String> = (1..=STUB_COLUMNS.len() + 2)
                .map(|i| format!("?{i}"))
                .collect();
            vec![Statement::new(
                format!(
                    "INSERT INTO customers (project, id, {}, doc) VALUES ({}, '')",
                    STUB_COLUMNS.join(", "),
                    placeholders.join(", ")
                ),
                params,
            )]
        }
        (Some(before), Some(after)) if stub_values(before) == stub_values(after) => Vec::new(),
        (Some(_), Some(after)) => {
            params.extend(stub_values(after).into_iter().skip(1));
            let assignments: Vec<String> = STUB_COLUMNS[1..]
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ?{}", i + 3))
                .collect();
            vec![Statement::new(
                format!(
                    "UPDATE customers SET {} WHERE project = ?1 AND id = ?2",
                    assignments.join(", ")
                ),
                params,
            )]
        }
        (Some(_), None) => vec![Statement::new(
            "DELETE FROM customers WHERE project = ?1 AND id = ?2",
            params,
        )],
        (None, None) => Vec::new(),
    }
}

/// A stub row's `doc`: empty (a full row's is its JSON document).
pub const STUB_DOC: &str = "";

/// `statement` as read from a database holding stub rows beside full customer rows (the
/// catalog while customers are moved out of it): every read of `customers` reads only the
/// full rows (`doc <> ''`), so a stub answers as "no customer here". The table is replaced by
/// a subquery under its own name (qualified columns keep working, no parameter is added);
/// statements that delete or update customers are left as they are.
pub fn without_stubs(statement: &Statement) -> Statement {
    let sql = statement.sql.trim_start();
    if sql.starts_with("DELETE") || sql.starts_with("UPDATE") {
        return statement.clone();
    }
    Statement::new(
        statement.sql.replace(
            "FROM customers WHERE ",
            "FROM (SELECT * FROM customers WHERE doc <> '') AS customers WHERE ",
        ),
        statement.params.clone(),
    )
}

/// The id under which a write holds the unique values it releases (see [`hold`]).
pub fn held_id(id: &str) -> String {
    format!("{id}:held")
}

/// What keeps the unique values a write releases — `before`'s key and customer number that
/// `after` no longer has, and the email claims of an email `after` no longer has — taken
/// while its shard part is written: a stub row and claims under [`held_id`], appended to the
/// catalog part (after its own deletes), removed by [`release`] once the shard part is written
/// or before the catalog part is undone. So no other customer can take them in between, and
/// the undo (or the orphan sweep's rebuild) can always give them back. Reads by key or email
/// find no customer under the held id (as when the values were released).
pub fn hold(
    project: &str,
    before: Option<&StoredCustomer>,
    after: Option<&StoredCustomer>,
) -> Vec<Statement> {
    let Some(before) = before.map(|b| &b.customer) else {
        return Vec::new();
    };
    let after = after.map(|a| &a.customer);
    let held = held_id(&before.meta.id);
    let key = before
        .key
        .as_deref()
        .filter(|k| after.and_then(|a| a.key.as_deref()) != Some(*k));
    let number = before
        .customer_number
        .as_deref()
        .filter(|n| after.and_then(|a| a.customer_number.as_deref()) != Some(*n));
    let mut statements = Vec::new();
    if key.is_some() || number.is_some() {
        statements.push(Statement::new(
            format!(
                "INSERT INTO customers (project, id, {}, doc) VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, '[]', ?7, ?7, '')",
                STUB_COLUMNS.join(", ")
            ),
            vec![
                Param::text(project),
                Param::text(&held),
                Param::opt_text(key),
                Param::opt_text(number),
                Param::text(before.email.as_str()),
                Param::text(before.lowercase_email()),
                Param::text(&before.meta.created_at),
            ],
        ));
    }
    let kept = after.map(|a| a.lowercase_email());
    if kept != Some(before.lowercase_email()) {
        for (email, store) in before.email_claims() {
            statements.push(Statement::new(
                "INSERT INTO customer_emails (project, lowercase_email, store, customer_id) VALUES (?1, ?2, ?3, ?4)",
                vec![
                    Param::text(project),
                    Param::Text(email),
                    Param::Text(store),
                    Param::text(&held),
                ],
            ));
        }
    }
    statements
}

/// Removes what [`hold`] kept for customer `id`.
pub fn release(project: &str, id: &str) -> Vec<Statement> {
    let params = vec![Param::text(project), Param::Text(held_id(id))];
    vec![
        Statement::new(
            "DELETE FROM customers WHERE project = ?1 AND id = ?2",
            params.clone(),
        ),
        Statement::new(
            "DELETE FROM customer_emails WHERE project = ?1 AND customer_id = ?2",
            params,
        ),
    ]
}

/// How long a write may take between its catalog part and its shard part before the orphan
/// sweep treats it as abandoned (its Worker died): far beyond any D1 call's timeout.
pub const ORPHAN_AGE_MS: i64 = 15 * 60 * 1000;

/// How many abandoned writes one run of the orphan sweep repairs at most.
pub const SWEEP_BATCH: u32 = 100;

/// Records, in the catalog part's batch, that customer `id` has a write between its two
/// parts (started at `started_ms` on the write's clock). Writes to one customer are
/// serialized by its writer object, so one row per customer is enough.
pub fn pending(project: &str, id: &str, started_ms: i64) -> Statement {
    Statement::new(
        "INSERT OR REPLACE INTO customer_pending_writes (project, id, started_at) VALUES (?1, ?2, ?3)",
        vec![Param::text(project), Param::text(id), Param::Int(started_ms)],
    )
}

/// Removes the record of [`pending`] once the shard part is written or the catalog part undone.
pub fn done(project: &str, id: &str, started_ms: i64) -> Statement {
    Statement::new(
        "DELETE FROM customer_pending_writes WHERE project = ?1 AND id = ?2 AND started_at = ?3",
        vec![
            Param::text(project),
            Param::text(id),
            Param::Int(started_ms),
        ],
    )
}

/// The oldest writes started before `now_ms - ORPHAN_AGE_MS` that never finished: `project`,
/// `id`, `started_at`, at most [`SWEEP_BATCH`].
pub fn abandoned(now_ms: i64) -> Statement {
    Statement::new(
        "SELECT project, id, started_at FROM customer_pending_writes WHERE started_at < ?1 \
         ORDER BY started_at LIMIT ?2",
        vec![
            Param::Int(now_ms - ORPHAN_AGE_MS),
            Param::Int(i64::from(SWEEP_BATCH)),
        ],
    )
}

/// What the sweep does with an abandoned write, from what the customer's shard holds (the
/// truth: a customer exists exactly when its shard row does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// No row in the shard: the stub, the claims, the anonymous id and the references are an
    /// orphan's (a create whose shard part was lost, or a delete's that was); all removed.
    Orphan,
    /// A row in the shard: the catalog's rows are made again from it (an update or delete whose
    /// shard part was lost left them describing a customer that does not exist).
    Rebuild,
}

/// The rule: which repair an abandoned write needs.
pub fn repair_of(shard_row: Option<&StoredCustomer>) -> Repair {
    match shard_row {
        None => Repair::Orphan,
        Some(_) => Repair::Rebuild,
    }
}

/// The catalog batch repairing customer `id` after the abandoned write recorded at
/// `started_ms`: it aborts (a version conflict) if that record is gone or replaced — a live
/// write of the customer runs or finished meanwhile, and its own record stands for it —,
/// removes the customer's catalog rows and what its write held ([`hold`]), writes them again from `shard_row` if there is one
/// (the catalog part of its creation, without guards), and removes the record.
pub fn repair(
    project: &str,
    id: &str,
    started_ms: i64,
    shard_row: Option<&StoredCustomer>,
) -> Vec<Statement> {
    let (p, i) = (Param::text(project), Param::text(id));
    let mut batch = vec![Statement::new(
        "INSERT INTO version_guards (ok) SELECT COUNT(*) FROM customer_pending_writes \
         WHERE project = ?1 AND id = ?2 AND started_at = ?3",
        vec![p.clone(), i.clone(), Param::Int(started_ms)],
    )];
    batch.extend(release(project, id));
    batch.extend([
        Statement::new(
            "DELETE FROM customers WHERE project = ?1 AND id = ?2",
            vec![p.clone(), i.clone()],
        ),
        Statement::new(
            "DELETE FROM customer_emails WHERE project = ?1 AND customer_id = ?2",
            vec![p.clone(), i.clone()],
        ),
        Statement::new(
            "DELETE FROM resource_references WHERE project = ?1 AND from_type = 'customer' AND from_id = ?2",
            vec![p.clone(), i.clone()],
        ),
    ]);
    match (repair_of(shard_row), shard_row) {
        (Repair::Rebuild, Some(row)) => {
            let created = table::insert::<Customers>((project, Customer::TYPE_ID), row, &[]);
            let (catalog, _) = split(project, None, Some(row), &created);
            batch.extend(undo(catalog));
        }
        _ => batch.push(Statement::new(
            "DELETE FROM customer_anonymous_ids WHERE project = ?1 AND customer_id = ?2",
            vec![p, i],
        )),
    }
    batch.push(done(project, id, started_ms));
    batch
}

/// One row of a shard's answer to a scattered query: the id and the sort keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Which of the queried databases answered it.
    pub shard: usize,
    pub id: String,
    pub keys: Vec<serde_json::Value>,
}

/// SQLite's order of values (NULL, numbers, text; text by bytes).
fn cmp_value(a: &serde_json::Value, b: &serde_json::Value) -> std::cmp::Ordering {
    use serde_json::Value::*;
    use std::cmp::Ordering;
    fn rank(v: &serde_json::Value) -> u8 {
        match v {
            Null => 0,
            Bool(_) | Number(_) => 1,
            String(_) => 2,
            _ => 3,
        }
    }
    fn num(v: &serde_json::Value) -> f64 {
        match v {
            Bool(b) => f64::from(u8::from(*b)),
            Number(n) => n.as_f64().unwrap_or(0.0),
            _ => 0.0,
        }
    }
    match (rank(a), rank(b)) {
        (1, 1) => num(a).partial_cmp(&num(b)).unwrap_or(Ordering::Equal),
        (2, 2) => a.as_str().cmp(&b.as_str()),
        (x, y) if x != y => x.cmp(&y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// The rows of several shards (each already in query order) merged, the page
/// `offset..offset + limit` kept. `descending[i]` is the direction of key `i` (the id last).
///
/// An id answered by two shards (while re-balancing, a bucket is in its old and its new
/// owner between its copy and its delete) is kept once, at its first place. The page is still
/// right: each shard answers its first `offset + limit` rows, and a row of the merged page has
/// fewer than `offset + limit` distinct rows before it, so fewer than that before it in its own
/// shard (whose ids are distinct): its shard answered it.
pub fn merge(
    answers: Vec<Vec<Ranked>>,
    descending: &[bool],
    offset: usize,
    limit: usize,
) -> Vec<Ranked> {
    let mut all: Vec<Ranked> = answers.into_iter().flatten().collect();
    all.sort_by(|a, b| {
        for (i, desc) in descending.iter().enumerate() {
            let (x, y) = (
                a.keys.get(i).unwrap_or(&serde_json::Value::Null),
                b.keys.get(i).unwrap_or(&serde_json::Value::Null),
            );
            let o = cmp_value(x, y);
            let o = if *desc { o.reverse() } else { o };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| seen.insert(r.id.clone()));
    all.into_iter().skip(offset).take(limit).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unset_or_db_is_one_database() {
        for list in [None, Some(""), Some("DB"), Some(" DB ")] {
            let layout = Layout::parse(list).unwrap();
            assert!(!layout.is_sharded());
            assert_eq!(layout.shard_of("any"), "DB");
            assert_eq!(layout.every(), vec!["DB"]);
        }
    }

    #[test]
    fn shards_exclude_the_catalog_and_repeats() {
        assert!(Layout::parse(Some("DB C1")).is_err());
        assert!(Layout::parse(Some("C1 C1")).is_err());
        let layout = Layout::parse(Some("C1 C2 C3 C4")).unwrap();
        assert!(layout.is_sharded());
        assert_eq!(layout.every(), vec!["DB", "C1", "C2", "C3", "C4"]);
    }

    #[test]
    fn buckets_are_stable_and_spread() {
        // FNV-1a of "a" is 0xe40c292c; the bench seeder (JavaScript) computes the same.
        assert_eq!(bucket("a"), 0xe40c_292c % BUCKETS);
        let layout = Layout::parse(Some("C1 C2 C3 C4")).unwrap();
        let mut counts = [0usize; 4];
        for i in 0..4000 {
            let id = format!("{i:08x}-0000-4000-8000-000000000000");
            let s = layout.shard_of(&id);
            counts[layout.shards.iter().position(|x| x == s).unwrap()] += 1;
        }
        assert!(counts.iter().all(|c| *c > 800), "{counts:?}");
    }

    #[test]
    fn growing_the_shard_list_moves_the_buckets_whose_owner_changes() {
        let two = Layout::parse(Some("C1 C2")).unwrap();
        let four = Layout::parse(Some("C1 C2 C3 C4")).unwrap();
        let moved = moves(&two, &four);
        assert_eq!(moved.len(), BUCKETS as usize / 2);
        assert_eq!(moved[0], (2, "C1", "C3"));
        assert!(moved
            .iter()
            .all(|(b, _, to)| four.shards[(*b % 4) as usize] == *to));
        assert!(moves(&four, &four).is_empty());
        let five = Layout::parse(Some("C1 C2 C3 C4 C5")).unwrap();
        assert_eq!(moves(&four, &five).len(), 816);
    }

    #[test]
    fn merge_orders_like_sqlite_and_pages() {
        let r = |id: &str, k: serde_json::Value| Ranked {
            shard: 0,
            id: id.into(),
            keys: vec![k, json!(id)],
        };
        let a = vec![r("1", json!(null)), r("3", json!("b"))];
        let b = vec![r("2", json!(5)), r("4", json!("a"))];
        let asc = merge(vec![a.clone(), b.clone()], &[false, false], 0, 10);
        let ids: Vec<&str> = asc.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "4", "3"]);
        let desc = merge(vec![a, b], &[true, true], 1, 2);
        let ids: Vec<&str> = desc.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["4", "2"]);
    }

    /// Ids whose bucket is `residue` mod 4 (so 2 → 4 moves them when it is 2 or 3).
    pub(crate) fn id_in(residue: u32, n: usize) -> Vec<String> {
        (0..)
            .map(|i| format!("{i:08x}-0000-4000-8000-000000000000"))
            .filter(|id| bucket(id) % 4 == residue)
            .take(n)
            .collect()
    }

    #[test]
    fn the_next_list_is_checked_and_tells_where_a_customer_is_read() {
        assert!(Layout::parse_with_next(Some("C1 C2"), None)
            .unwrap()
            .next
            .is_none());
        assert!(Layout::parse_with_next(Some("C1 C2"), Some(" "))
            .unwrap()
            .next
            .is_none());
        // Back into the single database: refused; a bad list named as NEXT.
        assert!(Layout::parse_with_next(Some("C1"), Some("DB")).is_err());
        assert!(Layout::parse_with_next(Some("C1 C2"), Some("DB")).is_err());
        let twice = Layout::parse_with_next(Some("C1"), Some("C2 C2")).unwrap_err();
        assert!(twice.contains("CUSTOMER_DATABASES_NEXT"), "{twice}");
        let l = Layout::parse_with_next(Some("C1 C2"), Some("C1 C2 C3 C4")).unwrap();
        assert!(l.is_rebalancing());
        assert_eq!(l.plan(), "C1 C2 -> C1 C2 C3 C4");
        assert_eq!(l.all_shards(), ["C1", "C2", "C3", "C4"]);
        assert_eq!(l.every(), ["DB", "C1", "C2", "C3", "C4"]);
        // A bucket that stays: one place; one that moves: the old owner first.
        let stays = &id_in(1, 1)[0];
        assert_eq!(l.places_of(stays), ["C2"]);
        let moves_to_c3 = &id_in(2, 1)[0];
        assert_eq!(l.places_of(moves_to_c3), ["C1", "C3"]);
        let moves_to_c4 = &id_in(3, 1)[0];
        assert_eq!(l.places_of(moves_to_c4), ["C2", "C4"]);
        // Shrinking works the same way.
        let shrink = Layout::parse_with_next(Some("C1 C2 C3 C4"), Some("C1 C2")).unwrap();
        assert_eq!(shrink.places_of(moves_to_c3), ["C3", "C1"]);
    }

    #[test]
    fn merge_keeps_an_id_answered_by_two_shards_once() {
        // Re-balancing: "2" is in its old and its new shard between its copy and its delete.
        let r = |shard: usize, id: &str| Ranked {
            shard,
            id: id.into(),
            keys: vec![json!(id)],
        };
        let old = vec![r(0, "1"), r(0, "2"), r(0, "4")];
        let new = vec![r(1, "2"), r(1, "3")];
        let all = merge(vec![old.clone(), new.clone()], &[false], 0, 10);
        let ids: Vec<&str> = all.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        assert_eq!(all[1].shard, 0, "kept at its first place");
        let page = merge(vec![old, new], &[false], 2, 2);
        let ids: Vec<&str> = page.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["3", "4"]);
    }

    #[test]
    fn an_abandoned_write_is_repaired_from_its_shard() {
        let row = crate::domain::customer::testing::basic();
        let id = row.customer.meta.id.clone();
        assert_eq!(repair_of(None), Repair::Orphan);
        assert_eq!(repair_of(Some(&row)), Repair::Rebuild);
        let sql =
            |batch: &[Statement]| -> Vec<String> { batch.iter().map(|s| s.sql.clone()).collect() };
        // An orphan: guarded by its record, everything of the customer in the catalog removed.
        let orphan = repair("p", &id, 7, None);
        assert!(orphan[0].sql.contains("version_guards"));
        assert!(orphan[0].sql.contains("customer_pending_writes"));
        assert_eq!(orphan[0].params[2], Param::Int(7));
        let orphan_sql = sql(&orphan);
        for table in [
            "customers ",
            "customer_emails",
            "resource_references",
            "customer_anonymous_ids",
        ] {
            assert!(
                orphan_sql
                    .iter()
                    .any(|s| s.starts_with("DELETE") && s.contains(table)),
                "{table}"
            );
        }
        assert!(!orphan_sql
            .iter()
            .any(|s| s.starts_with("INSERT INTO customer")));
        assert_eq!(orphan.last(), Some(&done("p", &id, 7)));
        // A rebuild: the stub and the email claim made again, no reference guard, the
        // anonymous id kept.
        let rebuilt = sql(&repair("p", &id, 7, Some(&row)));
        assert!(rebuilt
            .iter()
            .any(|s| s.starts_with("INSERT INTO customers (project, id, version")));
        assert!(rebuilt
            .iter()
            .any(|s| s.starts_with("INSERT INTO customer_emails")));
        assert!(!rebuilt.iter().any(|s| s.contains("customer_anonymous_ids")));
        assert_eq!(rebuilt.iter().filter(|s| s.contains("_guards")).count(), 1);
    }

    #[test]
    fn a_write_holds_the_values_it_releases() {
        use crate::domain::customer::testing::customer;
        let before = customer(
            json!({"email": "a@x.com", "key": "k1", "customerNumber": "n1", "password": "p"}),
        );
        let mut after = before.clone();
        after.customer.key = None;
        let held = hold("p", Some(&before), Some(&after));
        // The key is held (the number is kept by the customer), the email is not released.
        assert_eq!(held.len(), 1);
        assert!(held[0].sql.starts_with("INSERT INTO customers"));
        let id = before.customer.meta.id.clone();
        assert_eq!(held[0].params[1], Param::Text(held_id(&id)));
        assert_eq!(held[0].params[2], Param::text("k1"));
        assert_eq!(held[0].params[3], Param::Null);
        // A delete holds everything; a create or an unchanged customer nothing.
        let deleted = hold("p", Some(&before), None);
        assert_eq!(deleted.len(), 2);
        assert!(deleted[1].sql.starts_with("INSERT INTO customer_emails"));
        assert_eq!(deleted[1].params[1], Param::text("a@x.com"));
        assert!(hold("p", None, Some(&before)).is_empty());
        assert!(hold("p", Some(&before), Some(&before)).is_empty());
        let released = release("p", &id);
        assert!(released
            .iter()
            .all(|s| s.sql.starts_with("DELETE") && s.params[1] == Param::Text(held_id(&id))));
    }

    #[test]
    fn only_writes_older_than_the_age_are_abandoned() {
        let select = abandoned(ORPHAN_AGE_MS + 1_000);
        assert_eq!(select.params[0], Param::Int(1_000));
        assert_eq!(select.params[1], Param::Int(i64::from(SWEEP_BATCH)));
        assert!(select.sql.contains("started_at < ?1"));
        assert!(pending("p", "c", 5).sql.starts_with("INSERT OR REPLACE"));
    }

    #[test]
    fn catalog_statements_are_told_apart() {
        let claim = Statement::new("INSERT INTO customer_emails (project) VALUES (?1)", vec![]);
        let row = Statement::new("INSERT INTO customers (project) VALUES (?1)", vec![]);
        let guard = Statement::new(
            "INSERT INTO reference_guards (ok) SELECT COUNT(*) FROM customer_groups",
            vec![],
        );
        assert!(is_catalog(&claim) && is_catalog(&guard) && !is_catalog(&row));
        let undone = undo(vec![claim.clone(), guard]);
        assert_eq!(undone, vec![claim]);
    }

    #[test]
    fn moving_out_of_the_single_database_reads_the_catalog_as_one_shard() {
        for list in [None, Some("DB")] {
            let l = Layout::parse_with_next(list, Some("C1 C2 C3 C4")).unwrap();
            assert!(l.is_rebalancing() && l.is_sharded());
            assert_eq!(l.plan(), "DB -> C1 C2 C3 C4");
            assert_eq!(l.all_shards(), ["DB", "C1", "C2", "C3", "C4"]);
            assert_eq!(l.every(), ["DB", "C1", "C2", "C3", "C4"]);
            // Every customer moves: read from the catalog first, then its new owner.
            let id = &id_in(2, 1)[0];
            assert_eq!(l.places_of(id), ["DB", "C3"]);
            assert_eq!(moves(&l, &l.target()).len(), BUCKETS as usize);
            assert!(l.holds_stubs("DB") && !l.holds_stubs("C1"));
        }
        // Not re-balancing: the catalog is never read as a place of customers with stubs.
        assert!(!Layout::parse(None).unwrap().holds_stubs("DB"));
        let sharded = Layout::parse_with_next(Some("C1 C2"), Some("C1 C2 C3 C4")).unwrap();
        assert!(!sharded.holds_stubs("DB"));
    }

    #[test]
    fn reads_of_a_catalog_with_stubs_skip_the_stubs() {
        let by_id = crate::store::table::select_by("customers", "doc", "id", "p", "x");
        let read = without_stubs(&by_id);
        assert_eq!(
            read.sql,
            "SELECT doc FROM (SELECT * FROM customers WHERE doc <> '') AS customers WHERE project = ?1 AND id = ?2"
        );
        assert_eq!(read.params, by_id.params);
        let count = Statement::new(
            "SELECT COUNT(*) AS total FROM (SELECT 1 FROM customers WHERE customers.project = ? LIMIT ?)",
            vec![Param::text("p"), Param::Int(5)],
        );
        assert!(without_stubs(&count)
            .sql
            .contains("FROM (SELECT 1 FROM (SELECT * FROM customers WHERE doc <> '') AS customers WHERE customers.project = ?"));
        // Other tables, and writes, unchanged.
        let messages = Statement::new("SELECT * FROM messages WHERE project = ?1", vec![]);
        assert_eq!(without_stubs(&messages), messages);
        let delete = Statement::new(
            "DELETE FROM customers WHERE project = ?1 AND id = ?2",
            vec![],
        );
        assert_eq!(without_stubs(&delete), delete);
    }
}
