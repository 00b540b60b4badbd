//! The versioned-resource shape on D1, written once: how a resource's row is inserted,
//! replaced at its version, deleted at its version, and how its messages are stored — as
//! statements for one `batch()` (a transaction), so the row, its side tables and its messages
//! change together or not at all. A resource contributes its [`Table`]: its table name, the
//! columns beside `project` and `id` (the document `doc` among them) and their values, and
//! the statements that keep its side tables in step.
//!
//! **One version check.** Every replacement and deletion opens with [`version_guard`]: an
//! insert into `version_guards` whose trigger aborts the whole batch (`version_conflict`)
//! unless the row still has the version the write started from.

use super::sql::{Param, Statement};
use crate::domain::message::Message;

/// How a versioned resource is laid out in its D1 table.
pub trait Table {
    /// What one row stores (the resource and what is kept beside it).
    type State;
    /// The table.
    const NAME: &'static str;
    /// The columns after `project` and `id`, in the order of [`Table::values`].
    const COLUMNS: &'static [&'static str];
    /// The column listing a row's store keys (a JSON array), if the resource has stores.
    const STORES: Option<&'static str> = None;

    fn id(state: &Self::State) -> &str;

    fn version(state: &Self::State) -> u64;

    /// The values of [`Table::COLUMNS`].
    fn values(state: &Self::State) -> Vec<Param>;

    /// Statements that keep side tables in step with a write taking the row from `before` to
    /// `after` (`None`: before a create, after a delete).
    fn side_statements(
        project: &str,
        before: Option<&Self::State>,
        after: Option<&Self::State>,
    ) -> Vec<Statement>;
}

/// `INSERT INTO {table} (project, id, …) VALUES (?1, …)`.
pub fn insert_sql<T: Table>() -> String {
    let placeholders: Vec<String> = (1..=T::COLUMNS.len() + 2)
        .map(|i| format!("?{i}"))
        .collect();
    format!(
        "INSERT INTO {} (project, id, {}) VALUES ({})",
        T::NAME,
        T::COLUMNS.join(", "),
        placeholders.join(", ")
    )
}

/// `UPDATE {table} SET … WHERE project = ? AND id = ?`: the values first, then project and id.
fn update_sql<T: Table>() -> String {
    let assignments: Vec<String> = T::COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ?{}", i + 1))
        .collect();
    format!(
        "UPDATE {} SET {} WHERE project = ?{} AND id = ?{}",
        T::NAME,
        assignments.join(", "),
        T::COLUMNS.len() + 1,
        T::COLUMNS.len() + 2
    )
}

/// Aborts the batch unless the row `id` of `table` still has `version`.
pub fn version_guard(table: &str, project: &str, id: &str, version: u64) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO version_guards (ok) SELECT COUNT(*) FROM {table} WHERE project = ?1 AND id = ?2 AND version = ?3"
        ),
        vec![Param::text(project), Param::text(id), Param::uint(version)],
    )
}

/// Stores a message.
pub fn message(project: &str, message: &Message) -> Statement {
    Statement::new(
        "INSERT INTO messages (project, id, resource_type_id, resource_id, customer_id, sequence_number, \
         resource_version, type, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        vec![
            Param::text(project),
            Param::text(&message.id),
            Param::text(&message.resource.type_id),
            Param::text(message.resource_id()),
            Param::opt_text(message.customer_id()),
            Param::uint(message.sequence_number),
            Param::uint(message.resource_version),
            Param::text(message.type_name()),
            Param::text(&message.created_at),
            Param::text(&message.to_json_string()),
        ],
    )
}

fn messages<'a>(project: &'a str, messages: &'a [Message]) -> impl Iterator<Item = Statement> + 'a {
    messages.iter().map(move |m| message(project, m))
}

/// A new row, its side tables and its messages.
pub fn insert<T: Table>(project: &str, state: &T::State, created: &[Message]) -> Vec<Statement> {
    let mut params = vec![Param::text(project), Param::text(T::id(state))];
    params.extend(T::values(state));
    let mut batch = vec![Statement::new(insert_sql::<T>(), params)];
    batch.extend(T::side_statements(project, None, Some(state)));
    batch.extend(messages(project, created));
    batch
}

/// `before` (at its version) replaced by `after`, with the side tables and the messages.
pub fn update<T: Table>(
    project: &str,
    before: &T::State,
    after: &T::State,
    produced: &[Message],
) -> Vec<Statement> {
    let id = T::id(before);
    let mut params = T::values(after);
    params.extend([Param::text(project), Param::text(id)]);
    let mut batch = vec![
        version_guard(T::NAME, project, id, T::version(before)),
        Statement::new(update_sql::<T>(), params),
    ];
    batch.extend(T::side_statements(project, Some(before), Some(after)));
    batch.extend(messages(project, produced));
    batch
}

/// `before` (at its version) deleted with its side tables, `also` (e.g. an erasure), and the
/// deletion's message.
pub fn delete<T: Table>(
    project: &str,
    before: &T::State,
    deleted: &Message,
    also: Vec<Statement>,
) -> Vec<Statement> {
    let id = T::id(before);
    let mut batch = vec![
        version_guard(T::NAME, project, id, T::version(before)),
        Statement::new(
            format!("DELETE FROM {} WHERE project = ?1 AND id = ?2", T::NAME),
            vec![Param::text(project), Param::text(id)],
        ),
    ];
    batch.extend(T::side_statements(project, Some(before), None));
    batch.extend(also);
    batch.push(message(project, deleted));
    batch
}

/// `SELECT {columns} FROM {table} WHERE project = ?1 AND {column} = ?2`: one row by id or key.
pub fn select_by(table: &str, select: &str, column: &str, project: &str, value: &str) -> Statement {
    Statement::new(
        format!("SELECT {select} FROM {table} WHERE project = ?1 AND {column} = ?2"),
        vec![Param::text(project), Param::text(value)],
    )
}
