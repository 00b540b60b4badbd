//! How messages are laid out in D1 for reading: the `messages` table (written by
//! [`super::table::message`] in the batch of the write that produced them), the indexed columns
//! queries use, one message by id, and the retention's batched delete. Pure, so the query
//! compiler's tests and the benchmark seeder share it.

use super::query_sql::{QueryTable, StoreRows};
use super::sql::{Param, Statement};
use super::table::select_by;

/// The indexed (or at least real) columns of the message fields. A message is never modified,
/// so `lastModifiedAt` is its `createdAt`.
pub const QUERY_TABLE: QueryTable = QueryTable {
    name: "messages",
    columns: &[
        (&["id"], "id"),
        (&["sequenceNumber"], "sequence_number"),
        (&["resourceVersion"], "resource_version"),
        (&["type"], "type"),
        (&["resource", "id"], "resource_id"),
        (&["resource", "typeId"], "resource_type_id"),
        (&["createdAt"], "created_at"),
        (&["lastModifiedAt"], "created_at"),
    ],
    // One resource has few messages; a type may have most of them.
    selective: &["id", "resource_id"],
    stores: StoreRows::All,
};

/// The stored representation of message `id` (column `doc`).
pub fn by_id(project: &str, id: &str) -> Statement {
    select_by(QUERY_TABLE.name, "doc", "id", project, id)
}

/// Deletes up to `limit` messages (of every project) created before `cutoff`, oldest first,
/// through the `messages_expiry` index.
pub fn expired_batch(cutoff: &str, limit: u32) -> Statement {
    Statement::new(
        "DELETE FROM messages WHERE rowid IN \
         (SELECT rowid FROM messages WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
        vec![Param::text(cutoff), Param::Int(i64::from(limit))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::FIELDS;
    use crate::domain::query::from_params;
    use crate::store::query_sql::compile;

    fn page_sql(pairs: &[(&str, &str)]) -> String {
        let params: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let query = from_params(&params, FIELDS).expect("a valid query");
        compile(&QUERY_TABLE, "demo", None, &query)
            .expect("compiles")
            .page
            .sql
    }

    #[test]
    fn envelope_fields_use_their_columns() {
        for (predicate, column) in [
            ("resource(id = \"c\")", "messages.resource_id = ?"),
            (
                "resource(typeId = \"customer\")",
                "messages.resource_type_id = ?",
            ),
            ("type = \"CustomerCreated\"", "messages.type = ?"),
            ("sequenceNumber > 2", "messages.sequence_number > ?"),
            ("resourceVersion <= 3", "messages.resource_version <= ?"),
            (
                "createdAt >= \"2026-01-01T00:00:00Z\"",
                "messages.created_at >= ?",
            ),
            ("lastModifiedAt < \"2026-01-01\"", "messages.created_at < ?"),
            ("id in (\"a\", \"b\")", "messages.id IN"),
        ] {
            let sql = page_sql(&[("where", predicate)]);
            assert!(sql.contains(column), "{predicate}: {sql}");
        }
        let sql = page_sql(&[("where", "resourceUserProvidedIdentifiers(key = \"k\")")]);
        assert!(sql.contains(
            "json_extract(messages.doc, '$.\"resourceUserProvidedIdentifiers\".\"key\"')"
        ));
    }

    #[test]
    fn a_resource_history_sorts_its_few_messages() {
        let sql = page_sql(&[
            ("where", "resource(id = \"c\")"),
            ("sort", "sequenceNumber asc"),
        ]);
        assert!(sql.contains("ORDER BY +messages.sequence_number ASC, +messages.id ASC"));
        // A type is not selective: its index serves the order by creation time.
        let sql = page_sql(&[("where", "type = \"T\""), ("sort", "createdAt desc")]);
        assert!(sql.contains("ORDER BY messages.created_at DESC, messages.id DESC"));
    }

    #[test]
    fn payload_fields_are_unknown() {
        for predicate in ["email = \"a\"", "customer(id = \"c\")", "doc = \"x\""] {
            let params = vec![("where".to_string(), predicate.to_string())];
            assert!(from_params(&params, FIELDS).is_err(), "{predicate}");
        }
    }

    #[test]
    fn retention_deletes_a_bounded_batch() {
        let statement = expired_batch("2026-01-01T00:00:00.000Z", 1000);
        assert!(statement.sql.contains("LIMIT ?2"));
        assert_eq!(statement.params[1], Param::Int(1000));
    }
}
