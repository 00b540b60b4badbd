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
//!
//! **Whole references.** A resource's outgoing references ([`Table::references`]) are kept in
//! `resource_references`; a write that adds a reference carries a guard that the referenced
//! resource exists (`reference_missing`), and the deletion of a resource carries a guard that
//! nothing refers to it (`reference_exists`) — in the same batch, so a reference racing a
//! deletion ends with one of them refused, never with a reference to nothing.

use super::sql::{Param, Statement};
use crate::domain::message::Message;
use crate::domain::refs::CustomFields;

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

    /// The resources a row refers to (by `typeId` and id, and the table they live in).
    fn references(_state: &Self::State) -> Vec<Referral> {
        Vec::new()
    }
}

/// One reference a resource holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub type_id: &'static str,
    /// The table of the referenced resource.
    pub table: &'static str,
    /// The referenced resource's id, or its key if [`Referral::by_key`].
    pub id: String,
    /// Whether the resource is referred to by its (immutable) key: the stored reference still
    /// names its id, looked up in the same batch.
    pub by_key: bool,
}

impl Referral {
    /// A reference by id.
    pub fn to(type_id: &'static str, table: &'static str, id: &str) -> Referral {
        Referral {
            type_id,
            table,
            id: id.to_string(),
            by_key: false,
        }
    }

    /// A reference by key.
    pub fn to_key(type_id: &'static str, table: &'static str, key: &str) -> Referral {
        Referral {
            by_key: true,
            ..Referral::to(type_id, table, key)
        }
    }

    fn column(&self) -> &'static str {
        if self.by_key {
            "key"
        } else {
            "id"
        }
    }
}

/// The references rows of `from` (of type `from_type`) when it goes from `before` to `after`,
/// and the guards for the references it adds.
fn referrals<T: Table>(
    project: &str,
    from_type: &str,
    before: Option<&T::State>,
    after: Option<&T::State>,
) -> Vec<Statement> {
    let old = before.map(T::references).unwrap_or_default();
    let new = after.map(T::references).unwrap_or_default();
    if before.is_some() && old == new {
        return Vec::new();
    }
    let id = before.or(after).map(T::id).unwrap_or_default();
    let mut statements = Vec::new();
    for added in new.iter().filter(|r| !old.contains(r)) {
        statements.push(Statement::new(
            format!(
                "INSERT INTO reference_guards (ok) SELECT COUNT(*) FROM {} WHERE project = ?1 AND {} = ?2",
                added.table,
                added.column()
            ),
            vec![Param::text(project), Param::text(&added.id)],
        ));
    }
    if before.is_some() {
        statements.push(Statement::new(
            "DELETE FROM resource_references WHERE project = ?1 AND from_type = ?2 AND from_id = ?3",
            vec![Param::text(project), Param::text(from_type), Param::text(id)],
        ));
    }
    for referral in new.iter().filter(|r| r.by_key) {
        statements.push(Statement::new(
            format!(
                "INSERT OR IGNORE INTO resource_references (project, from_type, from_id, to_type, to_id) \
                 SELECT ?1, ?2, ?3, ?4, id FROM {} WHERE project = ?1 AND key = ?5",
                referral.table
            ),
            vec![
                Param::text(project),
                Param::text(from_type),
                Param::text(id),
                Param::text(referral.type_id),
                Param::text(&referral.id),
            ],
        ));
    }
    for referral in new.iter().filter(|r| !r.by_key) {
        statements.push(Statement::new(
            "INSERT OR IGNORE INTO resource_references (project, from_type, from_id, to_type, to_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            vec![
                Param::text(project),
                Param::text(from_type),
                Param::text(id),
                Param::text(referral.type_id),
                Param::text(&referral.id),
            ],
        ));
    }
    statements
}

/// The reference to the custom type of some custom fields, if any.
pub fn custom_type_referral(custom: &Option<CustomFields>) -> Vec<Referral> {
    custom
        .as_ref()
        .and_then(|c| c.type_ref.id.clone())
        .map(|id| Referral::to("type", "types", &id))
        .into_iter()
        .collect()
}

/// Aborts the batch unless nothing refers to the resource `id` of type `type_id`.
pub fn unused_guard(project: &str, type_id: &str, id: &str) -> Statement {
    Statement::new(
        "INSERT INTO usage_guards (ok) SELECT COUNT(*) = 0 FROM resource_references WHERE project = ?1 AND to_type = ?2 AND to_id = ?3",
        vec![Param::text(project), Param::text(type_id), Param::text(id)],
    )
}

/// Aborts the batch unless `table` holds fewer than `max` rows of `project`.
pub fn limit_guard(table: &str, project: &str, max: usize) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO limit_guards (ok) SELECT COUNT(*) < ?2 FROM {table} WHERE project = ?1"
        ),
        vec![Param::text(project), Param::uint(max as u64)],
    )
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

/// The columns of `messages` a stored message fills, in the order of [`message_values`].
pub const MESSAGE_COLUMNS: &str = "project, id, resource_type_id, resource_id, customer_id, \
     sequence_number, resource_version, type, created_at, doc";

/// The values of [`MESSAGE_COLUMNS`] for `message` of `project`.
pub fn message_values(project: &str, message: &Message) -> Vec<Param> {
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
    ]
}

/// Stores a message.
pub fn message(project: &str, message: &Message) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        message_values(project, message),
    )
}

fn messages<'a>(project: &'a str, messages: &'a [Message]) -> impl Iterator<Item = Statement> + 'a {
    messages.iter().map(move |m| message(project, m))
}

/// A new row of a resource of type `type_id`, its side tables, references and messages.
pub fn insert<T: Table>(
    (project, type_id): (&str, &str),
    state: &T::State,
    created: &[Message],
) -> Vec<Statement> {
    let mut params = vec![Param::text(project), Param::text(T::id(state))];
    params.extend(T::values(state));
    let mut batch = vec![Statement::new(insert_sql::<T>(), params)];
    batch.extend(T::side_statements(project, None, Some(state)));
    batch.extend(referrals::<T>(project, type_id, None, Some(state)));
    batch.extend(messages(project, created));
    batch
}

/// `before` (at its version) replaced by `after`, with the side tables, the references and
/// the messages.
pub fn update<T: Table>(
    (project, type_id): (&str, &str),
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
    batch.extend(referrals::<T>(project, type_id, Some(before), Some(after)));
    batch.extend(messages(project, produced));
    batch
}

/// `before` (at its version) deleted — unless something refers to it — with its side tables,
/// its references, `also` (e.g. an erasure), and the deletion's message if it has one.
pub fn delete<T: Table>(
    (project, type_id): (&str, &str),
    before: &T::State,
    deleted: Option<&Message>,
    also: Vec<Statement>,
) -> Vec<Statement> {
    let id = T::id(before);
    let mut batch = vec![
        version_guard(T::NAME, project, id, T::version(before)),
        unused_guard(project, type_id, id),
        Statement::new(
            format!("DELETE FROM {} WHERE project = ?1 AND id = ?2", T::NAME),
            vec![Param::text(project), Param::text(id)],
        ),
    ];
    batch.extend(T::side_statements(project, Some(before), None));
    batch.extend(referrals::<T>(project, type_id, Some(before), None));
    batch.extend(also);
    batch.extend(deleted.map(|m| message(project, m)));
    batch
}

/// `SELECT {columns} FROM {table} WHERE project = ?1 AND {column} = ?2`: one row by id or key.
pub fn select_by(table: &str, select: &str, column: &str, project: &str, value: &str) -> Statement {
    Statement::new(
        format!("SELECT {select} FROM {table} WHERE project = ?1 AND {column} = ?2"),
        vec![Param::text(project), Param::text(value)],
    )
}
