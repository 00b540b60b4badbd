//! How a customer is laid out in the `customers` table: its columns and their values. Pure, so
//! the write path and the benchmark seeder (examples/seed_customers.rs) share one definition.

use super::query_sql::Param;
use crate::domain::customer::StoredCustomer;

/// The columns of a customer row after `project` and `id`, in the order of [`values`].
pub const COLUMNS: [&str; 19] = [
    "first_name",
    "last_name",
    "company_name",
    "is_email_verified",
    "customer_group_id",
    "version",
    "key",
    "customer_number",
    "external_id",
    "email",
    "lowercase_email",
    "stores",
    "created_at",
    "last_modified_at",
    "password_hash",
    "password_tokens_valid_from",
    "email_tokens_valid_from",
    "sessions_valid_from",
    "doc",
];

fn text(value: &str) -> Param {
    Param::Text(value.to_string())
}

fn opt_text(value: Option<&str>) -> Param {
    value.map_or(Param::Null, text)
}

/// The values of [`COLUMNS`] for `stored`.
pub fn values(stored: &StoredCustomer) -> Vec<Param> {
    let c = &stored.customer;
    let stores = serde_json::to_string(&c.store_keys()).expect("store keys always serialize");
    vec![
        opt_text(c.first_name.as_deref()),
        opt_text(c.last_name.as_deref()),
        opt_text(c.company_name.as_deref()),
        Param::Int(i64::from(c.is_email_verified)),
        opt_text(c.customer_group.as_ref().and_then(|g| g.id.as_deref())),
        Param::Int(c.version as i64),
        opt_text(c.key.as_deref()),
        opt_text(c.customer_number.as_deref()),
        opt_text(c.external_id.as_deref()),
        text(&c.email),
        text(&c.lowercase_email()),
        text(&stores),
        text(&c.created_at),
        text(&c.last_modified_at),
        opt_text(stored.password_hash.as_deref()),
        Param::Int(stored.password_tokens_valid_from),
        Param::Int(stored.email_tokens_valid_from),
        Param::Int(stored.sessions_valid_from),
        text(&c.to_json_string()),
    ]
}

/// `INSERT INTO customers (project, id, …) VALUES (?1, …)`.
pub fn insert_sql() -> String {
    let placeholders: Vec<String> = (1..=COLUMNS.len() + 2).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO customers (project, id, {}) VALUES ({})",
        COLUMNS.join(", "),
        placeholders.join(", ")
    )
}

/// `UPDATE customers SET … WHERE project = ? AND id = ?`: the values of [`values`] first,
/// then project and id.
pub fn update_sql() -> String {
    let assignments: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ?{}", i + 1))
        .collect();
    format!(
        "UPDATE customers SET {} WHERE project = ?{} AND id = ?{}",
        assignments.join(", "),
        COLUMNS.len() + 1,
        COLUMNS.len() + 2
    )
}
