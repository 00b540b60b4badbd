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

use serde_json::{Map, Value};

use super::search_index;
use super::shards::{moves, Layout};
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
pub fn page(cursor: &Cursor, size: u32) -> Statement {
    Statement::new(
        "SELECT * FROM customers WHERE project > ?1 OR (project = ?1 AND id > ?2) \
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

/// The messages of a group's customers, whole rows.
pub fn messages_of(group: &Group) -> Statement {
    Statement::new(
        "SELECT * FROM messages WHERE project = ?1 AND customer_id IN (SELECT value FROM json_each(?2))",
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

/// What a group's new owner gets, in one batch: the customers, their messages, their search
/// rows (re-derived there if the project's index is on) and their fuzzy terms.
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
    batch.extend(copy("messages", messages));
    batch.extend(search_index::customers_moved_in(
        &group.project,
        &group.ids(),
        &terms,
    ));
    batch
}

/// What the source loses once the groups are copied, in one batch: their search rows,
/// messages and customers.
pub fn delete_out(groups: &[Group]) -> Vec<Statement> {
    groups
        .iter()
        .flat_map(|g| {
            let (project, ids) = (g.project.as_str(), g.ids());
            let mut batch = search_index::customers_moved_out(project, &ids);
            for (table, column) in [("messages", "customer_id"), ("customers", "id")] {
                batch.push(Statement::new(
                    format!(
                        "DELETE FROM {table} WHERE project = ?1 AND {column} IN (SELECT value FROM json_each(?2))"
                    ),
                    vec![Param::text(project), Param::Text(ids.clone())],
                ));
            }
            batch
        })
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
    use crate::store::shards::{bucket, BUCKETS};
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

    /// Ids whose bucket is `b` mod 4 (so 2 → 4 moves them when `b` is 2 or 3).
    fn id_in(residue: u32, n: usize) -> Vec<String> {
        (0..)
            .map(|i| format!("{i:08x}-0000-4000-8000-000000000000"))
            .filter(|id| bucket(id) % 4 == residue)
            .take(n)
            .collect()
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
        let out = delete_out(&[group]);
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
}
