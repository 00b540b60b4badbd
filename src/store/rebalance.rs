//! The re-balancing step's rules (pure): moving customers to the shards of
//! `CUSTOMER_DATABASES_NEXT` when the shard list changes. The run is `store::rebalance_run`;
//! the design and how to run it: docs/scale.md, **Re-balancing**.
//!
//! **Walking, not bucket by bucket.** The unit of placement stays the bucket
//! (`shards::bucket`), but a shard has no bucket column (FNV-1a cannot be computed in SQL), so
//! finding one bucket's customers means scanning the shard. The step therefore walks each
//! *source* (a current shard that gives buckets away) once, in `(project, id)` order, a page
//! at a time, and moves the page's customers whose bucket changes owner: every moving bucket
//! is moved in one pass over the source. Per page: the customers, their messages and their
//! search rows are copied into their new owners (`INSERT OR REPLACE`, idempotent; the search
//! rows re-derived there, with their fuzzy terms), the page is recorded `copied` in the
//! catalog, deleted from the source (one batch), and the source's cursor advanced. A re-run
//! redoes a page recorded `copied` (copy again, delete again: both idempotent), and skips
//! sources that are `done`. Customer writes are refused meanwhile, so a page cannot change
//! between its copy and its delete.
//!
//! **Out of the single database.** A deployment that started with one database (`DB`, the
//! default) grows to shards the same way: the catalog is then the one source, and every
//! customer moves. Its "delete" keeps what the catalog keeps in a sharded layout: the full
//! row is **replaced by its stub** (`shards::stub_statements`' row: the unique values, version
//! 0, an empty `doc`), its customer messages and search rows are deleted, and its email
//! claims, anonymous ids and reference rows stay. Only customer messages move (those whose
//! resource is the customer, `resource_type_id = 'customer'`): messages of the catalog's other
//! resources (groups, units, …) stay. Pages skip stubs (`doc <> ''`), so a redone page never
//! copies a stub over a moved customer.

use serde_json::{Map, Value};

use super::search_index;
use super::shards::{moves, Layout, CATALOG, STUB_COLUMNS, STUB_DOC};
use super::sql::{Param, Statement};

/// Customers read from a source per page, at most (and by default).
pub const PAGE_MAX: u32 = 200;
pub const PAGE_DEFAULT: u32 = 100;
/// Pages per call of the step, at most (and by default): a page costs about 4 + 2 × (targets)
/// D1 calls, so the default stays far inside a Worker invocation's subrequests.
pub const PAGES_MAX: u32 = 20;
pub const PAGES_DEFAULT: u32 = 5;
/// The largest JSON text one copy statement binds (D1 takes a value up to 1 MB).
pub const CHUNK_BYTES: usize = 400_000;
/// The most bound bytes one copy batch carries (a page's customers with many messages are
/// copied in several batches, each idempotent): two full chunks.
pub const BATCH_BYTES: usize = 2 * CHUNK_BYTES;

/// Where a source's walk is: after customer `(project, id)` (empty: at the start).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub project: String,
    pub id: String,
}

/// A source's progress, as the catalog keeps it (`rebalance_progress`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Progress {
    pub source: String,
    /// `walking` (pages before the cursor moved), `copied` (the page after the cursor copied,
    /// its delete maybe not done) or `done`.
    pub state: String,
    pub cursor_project: String,
    pub cursor_id: String,
    pub scanned: i64,
    pub moved: i64,
}

/// The shards of the current list that give buckets away, in list order.
pub fn sources(layout: &Layout) -> Vec<String> {
    let target = layout.target();
    let moved = moves(layout, &target);
    layout
        .shards
        .iter()
        .filter(|s| moved.iter().any(|(_, from, _)| from == s))
        .cloned()
        .collect()
}

/// The shards that receive buckets and were not in the current list (they need the search
/// state's copy before anything is indexed there).
pub fn new_shards(layout: &Layout) -> Vec<String> {
    layout
        .target()
        .shards
        .into_iter()
        .filter(|s| !layout.shards.contains(s))
        .collect()
}

/// The source to walk next and where: the first source not `done` (none: finished).
pub fn next_source(sources: &[String], progress: &[Progress]) -> Option<(String, Cursor)> {
    sources.iter().find_map(
        |source| match progress.iter().find(|p| p.source == *source) {
            Some(p) if p.state == "done" => None,
            Some(p) => Some((
                source.clone(),
                Cursor {
                    project: p.cursor_project.clone(),
                    id: p.cursor_id.clone(),
                },
            )),
            None => Some((source.clone(), Cursor::default())),
        },
    )
}

/// The next page of a source: whole customer rows after `cursor`, in `(project, id)` order.
/// Stub rows (the catalog's, moving out of the single database) are not customers to move.
pub fn page(cursor: &Cursor, size: u32) -> Statement {
    Statement::new(
        "SELECT * FROM customers WHERE doc <> '' AND (project > ?1 OR (project = ?1 AND id > ?2)) \
         ORDER BY project, id LIMIT ?3",
        vec![
            Param::text(&cursor.project),
            Param::text(&cursor.id),
            Param::Int(i64::from(size)),
        ],
    )
}

/// The customers of one page that go to one shard, of one project.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub project: String,
    pub target: String,
    pub rows: Vec<Map<String, Value>>,
}

impl Group {
    /// The ids, as the JSON array the statements bind.
    pub fn ids(&self) -> String {
        let ids: Vec<&str> = self.rows.iter().map(|r| text(r, "id")).collect();
        serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
    }
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or_default()
}

/// The rows of a page (read from `source`) whose bucket changes owner, grouped by project
/// and new owner, in page order.
pub fn moving(layout: &Layout, source: &str, rows: &[Map<String, Value>]) -> Vec<Group> {
    let target = layout.target();
    let mut groups: Vec<Group> = Vec::new();
    for row in rows {
        let (project, id) = (text(row, "project"), text(row, "id"));
        let to = target.shard_of(id);
        if to == source {
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| g.project == project && g.target == to)
        {
            Some(group) => group.rows.push(row.clone()),
            None => groups.push(Group {
                project: project.to_string(),
                target: to.to_string(),
                rows: vec![row.clone()],
            }),
        }
    }
    groups
}

/// Where the walk stands after a page: after its last row (`None`: an empty page).
pub fn end_of(rows: &[Map<String, Value>]) -> Option<Cursor> {
    rows.last().map(|r| Cursor {
        project: text(r, "project").to_string(),
        id: text(r, "id").to_string(),
    })
}

/// Which messages of a source move with its customers: in a shard, every message of the
/// customer (a shard holds nothing else); in the catalog (moving out of the single database),
/// only those whose resource is the customer (other resources' messages stay there).
fn moving_messages(source: &str) -> &'static str {
    if source == CATALOG {
        "messages WHERE project = ?1 AND resource_type_id = 'customer' AND customer_id IN (SELECT value FROM json_each(?2))"
    } else {
        "messages WHERE project = ?1 AND customer_id IN (SELECT value FROM json_each(?2))"
    }
}

/// The messages of a group's customers read from `source`, whole rows.
pub fn messages_of(source: &str, group: &Group) -> Statement {
    Statement::new(
        format!("SELECT * FROM {}", moving_messages(source)),
        vec![Param::text(&group.project), Param::Text(group.ids())],
    )
}

/// Rows (whole, as read) written into `table` with `INSERT OR REPLACE` (a copy done twice is
/// the same copy), as few statements as keep each bound JSON text under [`CHUNK_BYTES`].
/// Column names come from the rows (the shards share one schema) and must be plain words.
pub fn copy(table: &str, rows: &[Map<String, Value>]) -> Vec<Statement> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let columns: Vec<&str> = first
        .keys()
        .map(String::as_str)
        .filter(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
        .collect();
    let extract: Vec<String> = columns
        .iter()
        .map(|c| format!("json_extract(value, '$.{c}')"))
        .collect();
    let sql = format!(
        "INSERT OR REPLACE INTO {table} ({}) SELECT {} FROM json_each(?1)",
        columns.join(", "),
        extract.join(", ")
    );
    chunks(rows, CHUNK_BYTES)
        .into_iter()
        .map(|json| Statement::new(sql.clone(), vec![Param::Text(json)]))
        .collect()
}

/// Rows as JSON arrays of at most `max` bytes each (a row larger than that alone).
pub fn chunks(rows: &[Map<String, Value>], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for row in rows {
        let json = serde_json::to_string(row).unwrap_or_else(|_| "{}".into());
        if !current.is_empty() && size + json.len() + 1 > max {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    out
}

/// What a group's new owner gets, in order: the customers, their search rows (re-derived
/// there if the project's index is on), their fuzzy terms, then their messages. Every
/// statement is idempotent; [`batches`] cuts them into D1 batches.
pub fn copy_in(group: &Group, messages: &[Map<String, Value>]) -> Vec<Statement> {
    let mut terms: Vec<String> = group
        .rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(text(r, "doc")).ok())
        .flat_map(|doc| search_index::customer_doc_terms(&doc))
        .collect();
    terms.sort();
    terms.dedup();
    let mut batch = copy("customers", &group.rows);
    batch.extend(search_index::customers_moved_in(
        &group.project,
        &group.ids(),
        &terms,
    ));
    batch.extend(copy("messages", messages));
    batch
}

/// Statements cut, in order, into batches binding at most `max` bytes of text each (a
/// statement binding more goes alone): a copy is several round trips when its customers and
/// messages are many, never one unbounded batch. Each statement stands on its own (its
/// rows are written whole, `INSERT OR REPLACE`), so a batch done twice, or a copy stopped
/// between batches and redone, is the same copy.
pub fn batches(statements: Vec<Statement>, max: usize) -> Vec<Vec<Statement>> {
    let bound = |s: &Statement| -> usize {
        s.params
            .iter()
            .map(|p| match p {
                Param::Text(t) => t.len(),
                _ => 8,
            })
            .sum()
    };
    let mut out: Vec<Vec<Statement>> = Vec::new();
    let mut size = 0;
    for statement in statements {
        let bytes = bound(&statement);
        match out.last_mut() {
            Some(batch) if size + bytes <= max => {
                size += bytes;
                batch.push(statement);
            }
            _ => {
                size = bytes;
                out.push(vec![statement]);
            }
        }
    }
    out
}

/// What `source` loses once the groups are copied, in one batch: their search rows, their
/// messages, and their rows — deleted from a shard; in the catalog (moving out of the single
/// database) replaced by their stubs ([`to_stubs`]).
pub fn delete_out(source: &str, groups: &[Group]) -> Vec<Statement> {
    groups
        .iter()
        .flat_map(|g| {
            let (project, ids) = (g.project.as_str(), g.ids());
            let params = || vec![Param::text(project), Param::Text(ids.clone())];
            let mut batch = search_index::customers_moved_out(project, &ids);
            batch.push(Statement::new(
                format!("DELETE FROM {}", moving_messages(source)),
                params(),
            ));
            if source == CATALOG {
                batch.extend(to_stubs(&g.rows));
            } else {
                batch.push(Statement::new(
                    "DELETE FROM customers WHERE project = ?1 AND id IN (SELECT value FROM json_each(?2))",
                    params(),
                ));
            }
            batch
        })
        .collect()
}

/// Full customer rows (whole, as read) replaced by their stubs, the row the catalog keeps per
/// customer in a sharded layout (`shards::stub_statements`: `project`, `id`, the
/// [`STUB_COLUMNS`] with version 0 and `last_modified_at` = `created_at`, an empty `doc`).
/// `INSERT OR REPLACE` on the primary key: the full row goes, every other column is back to
/// its default, and doing it twice is the same.
pub fn to_stubs(rows: &[Map<String, Value>]) -> Vec<Statement> {
    let stubs: Vec<Map<String, Value>> = rows
        .iter()
        .map(|row| {
            ["project", "id"]
                .iter()
                .chain(STUB_COLUMNS)
                .filter_map(|c| row.get(*c).map(|v| (c.to_string(), v.clone())))
                .collect()
        })
        .collect();
    let values: Vec<String> = STUB_COLUMNS
        .iter()
        .map(|c| match *c {
            "version" => "0".to_string(),
            "last_modified_at" => "json_extract(value, '$.created_at')".to_string(),
            c => format!("json_extract(value, '$.{c}')"),
        })
        .collect();
    let sql = format!(
        "INSERT OR REPLACE INTO customers (project, id, {}, doc) \
         SELECT json_extract(value, '$.project'), json_extract(value, '$.id'), {}, ?2 FROM json_each(?1)",
        STUB_COLUMNS.join(", "),
        values.join(", ")
    );
    chunks(&stubs, CHUNK_BYTES)
        .into_iter()
        .map(|json| Statement::new(sql.clone(), vec![Param::Text(json), Param::text(STUB_DOC)]))
        .collect()
}

/// The progress of a re-balancing (`plan`, `Layout::plan`), every source's row.
pub fn progress(plan: &str) -> Statement {
    Statement::new(
        "SELECT source, state, cursor_project, cursor_id, scanned, moved FROM rebalance_progress WHERE plan = ?1",
        vec![Param::text(plan)],
    )
}

/// Records a page of `source` (the one after its cursor) as copied into its new owners.
pub fn record_copied(plan: &str, source: &str, cursor: &Cursor, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO rebalance_progress (plan, source, state, cursor_project, cursor_id, updated_at) \
         VALUES (?1, ?2, 'copied', ?3, ?4, ?5) ON CONFLICT (plan, source) DO UPDATE SET \
         state = 'copied', updated_at = excluded.updated_at",
        vec![
            Param::text(plan),
            Param::text(source),
            Param::text(&cursor.project),
            Param::text(&cursor.id),
            Param::Int(now_ms),
        ],
    )
}

/// Records a page of `source` as moved (copied and deleted): the cursor after it, what it
/// scanned and moved, and whether the source is done (the page was its last).
pub fn record_moved(
    plan: &str,
    source: &str,
    (end, finished): (&Cursor, bool),
    (scanned, moved): (usize, usize),
    now_ms: i64,
) -> Statement {
    Statement::new(
        "INSERT INTO rebalance_progress (plan, source, state, cursor_project, cursor_id, scanned, moved, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (plan, source) DO UPDATE SET \
         state = excluded.state, cursor_project = excluded.cursor_project, cursor_id = excluded.cursor_id, \
         scanned = scanned + excluded.scanned, moved = moved + excluded.moved, updated_at = excluded.updated_at",
        vec![
            Param::text(plan),
            Param::text(source),
            Param::text(if finished { "done" } else { "walking" }),
            Param::text(&end.project),
            Param::text(&end.id),
            Param::uint(scanned as u64),
            Param::uint(moved as u64),
            Param::Int(now_ms),
        ],
    )
}

/// The catalog's search states of the customer index, for the new shards' copies.
pub fn search_states() -> Statement {
    Statement::new(
        "SELECT project, activated, generation FROM search_indexes WHERE resource = ?1",
        vec![Param::text(search_index::CUSTOMERS.resource)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shards::tests::id_in;
    use crate::store::shards::BUCKETS;
    use serde_json::json;

    fn layout() -> Layout {
        Layout::parse_with_next(Some("C1 C2"), Some("C1 C2 C3 C4")).unwrap()
    }

    fn row(project: &str, id: &str) -> Map<String, Value> {
        json!({"project": project, "id": id, "version": 2, "doc": "{\"email\":\"ann@x.com\",\"firstName\":\"Ann\"}", "key": null})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn sources_and_their_order() {
        let l = layout();
        assert_eq!(sources(&l), ["C1", "C2"]);
        assert_eq!(new_shards(&l), ["C3", "C4"]);
        let shrink = Layout::parse_with_next(Some("C1 C2 C3 C4"), Some("C1 C2")).unwrap();
        assert_eq!(sources(&shrink), ["C3", "C4"]);
        let none = Layout::parse_with_next(Some("C1 C2"), Some("C1 C2")).unwrap();
        assert!(sources(&none).is_empty());
        let s = sources(&l);
        assert_eq!(next_source(&s, &[]), Some(("C1".into(), Cursor::default())));
        let p = |source: &str, state: &str, id: &str| Progress {
            source: source.into(),
            state: state.into(),
            cursor_project: "p".into(),
            cursor_id: id.into(),
            scanned: 0,
            moved: 0,
        };
        // A copied page is redone from the cursor before it; done sources are skipped.
        let at = Cursor {
            project: "p".into(),
            id: "x".into(),
        };
        assert_eq!(
            next_source(&s, &[p("C1", "copied", "x")]),
            Some(("C1".into(), at.clone()))
        );
        assert_eq!(
            next_source(&s, &[p("C1", "done", "z"), p("C2", "walking", "x")]),
            Some(("C2".into(), at))
        );
        assert_eq!(
            next_source(&s, &[p("C1", "done", "z"), p("C2", "done", "z")]),
            None
        );
        assert_eq!(moves(&l, &l.target()).len(), BUCKETS as usize / 2);
    }

    #[test]
    fn a_page_moves_the_customers_whose_owner_changes() {
        let l = layout();
        let (stay, go) = (id_in(0, 2), id_in(2, 3));
        let mut rows: Vec<_> = stay.iter().chain(&go).map(|id| row("p", id)).collect();
        rows.push(row("q", &go[0]));
        let groups = moving(&l, "C1", &rows);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (groups[0].project.as_str(), groups[0].target.as_str()),
            ("p", "C3")
        );
        assert_eq!(groups[0].rows.len(), 3);
        assert_eq!(groups[1].project, "q");
        let ids: Vec<String> = serde_json::from_str(&groups[0].ids()).unwrap();
        assert_eq!(ids, go);
        assert_eq!(end_of(&rows).unwrap().project, "q");
        assert_eq!(end_of(&[]), None);
        // The page statement continues after the cursor, by (project, id).
        let next = page(&end_of(&rows).unwrap(), 50);
        assert!(next
            .sql
            .contains("project > ?1 OR (project = ?1 AND id > ?2)"));
        assert_eq!(next.params[2], Param::Int(50));
    }

    #[test]
    fn copies_are_idempotent_and_bounded() {
        let rows: Vec<_> = id_in(2, 30).iter().map(|id| row("p", id)).collect();
        let one = copy("customers", &rows);
        assert_eq!(one.len(), 1);
        assert!(one[0]
            .sql
            .starts_with("INSERT OR REPLACE INTO customers (project, id, version, doc, key) SELECT json_extract(value, '$.project')"));
        // Chunks stay under the bound, every row kept once.
        let parts = chunks(&rows, 1_000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= 1_000));
        let back: usize = parts
            .iter()
            .map(|p| serde_json::from_str::<Vec<Value>>(p).unwrap().len())
            .sum();
        assert_eq!(back, 30);
        assert!(copy("messages", &[]).is_empty());
        // The new owner gets rows, index rows and the terms; the source loses all three.
        let group = moving(&layout(), "C1", &rows).remove(0);
        let batch = copy_in(&group, &[]);
        assert!(batch[0].sql.starts_with("INSERT OR REPLACE INTO customers"));
        assert!(batch
            .iter()
            .any(|s| s.sql.contains("INSERT INTO customer_fts")));
        let (keys, terms) = (&batch[batch.len() - 2], batch.last().unwrap());
        assert!(keys.sql.contains("INTO search_term_keys"));
        assert!(terms.sql.contains("INTO search_terms"));
        assert!(matches!(&terms.params[2], Param::Text(t) if t.contains("\"ann\"")));
        let out = delete_out("C1", &[group]);
        assert!(out
            .iter()
            .any(|s| s.sql.starts_with("DELETE FROM customer_fts")));
        assert!(out.last().unwrap().sql.starts_with("DELETE FROM customers"));
        assert!(out.iter().any(|s| s.sql.contains("DELETE FROM messages")));
    }

    #[test]
    fn progress_is_recorded_per_source() {
        let at = Cursor {
            project: "p".into(),
            id: "x".into(),
        };
        let copied = record_copied("A -> B", "C1", &at, 5);
        assert!(copied.sql.contains("'copied'"));
        let moved = record_moved("A -> B", "C1", (&at, true), (10, 4), 6);
        assert_eq!(moved.params[2], Param::text("done"));
        assert_eq!(moved.params[5], Param::Int(10));
        let walking = record_moved("A -> B", "C1", (&at, false), (10, 4), 6);
        assert_eq!(walking.params[2], Param::text("walking"));
    }

    #[test]
    fn out_of_the_single_database_every_customer_moves_and_leaves_its_stub() {
        let l = Layout::parse_with_next(None, Some("C1 C2 C3 C4")).unwrap();
        assert_eq!(sources(&l), ["DB"]);
        assert_eq!(new_shards(&l), ["C1", "C2", "C3", "C4"]);
        let mut full = row("p", &id_in(1, 1)[0]);
        full.insert("customer_number".into(), json!("n-1"));
        full.insert("lowercase_email".into(), json!("ann@x.com"));
        full.insert("stores".into(), json!("[\"s1\"]"));
        full.insert("created_at".into(), json!("2026-01-01T00:00:00.000Z"));
        full.insert("first_name".into(), json!("Ann"));
        let rows = vec![full.clone(), row("p", &id_in(2, 1)[0])];
        let groups = moving(&l, "DB", &rows);
        assert_eq!(groups.iter().map(|g| g.rows.len()).sum::<usize>(), 2);
        assert!(groups.iter().all(|g| g.target != "DB"));
        // Only customer messages move out of the catalog; a shard's all do.
        let from_db = messages_of("DB", &groups[0]);
        assert!(from_db.sql.contains("resource_type_id = 'customer'"));
        assert!(!messages_of("C1", &groups[0])
            .sql
            .contains("resource_type_id"));
        // The catalog keeps a stub per customer instead of deleting it.
        let out = delete_out("DB", &groups);
        assert!(!out
            .iter()
            .any(|s| s.sql.starts_with("DELETE FROM customers")));
        assert!(out
            .iter()
            .any(|s| s.sql.starts_with("DELETE FROM messages") && s.sql.contains("'customer'")));
        let stub = to_stubs(&[full]).remove(0);
        assert_eq!(
            stub.sql,
            "INSERT OR REPLACE INTO customers (project, id, version, key, customer_number, email, lowercase_email, stores, created_at, last_modified_at, doc) \
             SELECT json_extract(value, '$.project'), json_extract(value, '$.id'), 0, json_extract(value, '$.key'), json_extract(value, '$.customer_number'), \
             json_extract(value, '$.email'), json_extract(value, '$.lowercase_email'), json_extract(value, '$.stores'), json_extract(value, '$.created_at'), \
             json_extract(value, '$.created_at'), ?2 FROM json_each(?1)"
        );
        assert_eq!(stub.params[1], Param::text(STUB_DOC));
        let Param::Text(bound) = &stub.params[0] else {
            panic!("rows bound as JSON text")
        };
        let bound: Vec<Map<String, Value>> = serde_json::from_str(bound).unwrap();
        // The stub's values only: no document, no other column.
        assert_eq!(bound[0]["customer_number"], json!("n-1"));
        assert_eq!(bound[0]["stores"], json!("[\"s1\"]"));
        assert!(!bound[0].contains_key("doc") && !bound[0].contains_key("first_name"));
        // A page never reads a stub (a redone page must not copy one over a moved customer).
        assert!(page(&Cursor::default(), 10).sql.contains("doc <> ''"));
    }

    #[test]
    fn a_copy_is_cut_into_bounded_batches_in_order() {
        let rows: Vec<_> = id_in(2, 3).iter().map(|id| row("p", id)).collect();
        let group = moving(&layout(), "C1", &rows).remove(0);
        // 3 customers with 3 000 messages of about 1 KB each: about 3 MB of messages.
        let messages: Vec<Map<String, Value>> = (0..3000)
            .map(|i| {
                json!({"project": "p", "id": format!("m{i}"), "customer_id": group.rows[i % 3]["id"], "doc": "x".repeat(1000)})
                    .as_object()
                    .unwrap()
                    .clone()
            })
            .collect();
        let statements = copy_in(&group, &messages);
        let all = statements.len();
        let cut = batches(statements.clone(), BATCH_BYTES);
        assert!(cut.len() >= 4, "{} batches", cut.len());
        let bytes = |b: &Vec<Statement>| -> usize {
            b.iter()
                .flat_map(|s| &s.params)
                .map(|p| match p {
                    Param::Text(t) => t.len(),
                    _ => 8,
                })
                .sum()
        };
        assert!(cut.iter().all(|b| bytes(b) <= BATCH_BYTES));
        // Every statement once, in order: the customers first, the messages after.
        let flat: Vec<Statement> = cut.into_iter().flatten().collect();
        assert_eq!(flat.len(), all);
        assert_eq!(flat, statements);
        assert!(flat[0].sql.starts_with("INSERT OR REPLACE INTO customers"));
        assert!(flat
            .last()
            .unwrap()
            .sql
            .starts_with("INSERT OR REPLACE INTO messages"));
        // A statement larger than the bound goes alone; nothing is empty.
        let big = Statement::new("x", vec![Param::Text("y".repeat(10))]);
        let small = Statement::new("z", vec![Param::Text("w".into())]);
        let cut = batches(vec![small.clone(), big.clone(), small.clone()], 5);
        assert_eq!(cut, vec![vec![small.clone()], vec![big], vec![small]]);
        assert!(batches(Vec::new(), 5).is_empty());
    }
}
