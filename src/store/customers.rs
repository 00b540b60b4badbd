//! The customers repository on D1. Every write is one `batch()` (a transaction): the customer
//! row, its email claims and its messages change together or not at all. Updates and deletes
//! open with a version check that aborts the batch if someone else wrote first.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use super::StoreError;
use crate::domain::customer::{Customer, StoredCustomer};
use crate::domain::message::Message;

const BINDING: &str = "DB";

pub fn database(env: &Env) -> worker::Result<D1Database> {
    env.d1(BINDING)
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn opt_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

fn int(value: u64) -> JsValue {
    JsValue::from_f64(value as f64)
}

fn statement(
    db: &D1Database,
    sql: &str,
    values: &[JsValue],
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db.prepare(sql).bind(values)?)
}

/// A customer as stored: its representation and the columns read beside it.
#[derive(Deserialize)]
struct Row {
    doc: String,
    password_hash: Option<String>,
}

/// What a read endpoint needs: the stored representation (sent as is) and the stores.
pub struct CustomerView {
    pub doc: String,
    pub stores: Vec<String>,
}

impl CustomerView {
    pub fn visible_in_store(&self, store: &str) -> bool {
        self.stores.is_empty() || self.stores.iter().any(|s| s == store)
    }
}

#[derive(Deserialize)]
struct ViewRow {
    doc: String,
    stores: String,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// The representation of a customer by id, without parsing it.
pub async fn view_by_id(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<Option<CustomerView>, StoreError> {
    let row: Option<ViewRow> = statement(
        db,
        "SELECT doc, stores FROM customers WHERE project = ?1 AND id = ?2",
        &[text(project), text(id)],
    )?
    .first(None)
    .await?;
    to_view(row)
}

/// The representation of a customer by key, without parsing it.
pub async fn view_by_key(
    db: &D1Database,
    project: &str,
    key: &str,
) -> Result<Option<CustomerView>, StoreError> {
    let row: Option<ViewRow> = statement(
        db,
        "SELECT doc, stores FROM customers WHERE project = ?1 AND key = ?2",
        &[text(project), text(key)],
    )?
    .first(None)
    .await?;
    to_view(row)
}

fn to_view(row: Option<ViewRow>) -> Result<Option<CustomerView>, StoreError> {
    row.map(|r| {
        let stores = serde_json::from_str(&r.stores)
            .map_err(|e| StoreError::Other(format!("corrupt stores column: {e}")))?;
        Ok(CustomerView { doc: r.doc, stores })
    })
    .transpose()
}

pub async fn id_by_key(
    db: &D1Database,
    project: &str,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let row: Option<IdRow> = statement(
        db,
        "SELECT id FROM customers WHERE project = ?1 AND key = ?2",
        &[text(project), text(key)],
    )?
    .first(None)
    .await?;
    Ok(row.map(|r| r.id))
}

/// The whole customer (parsed) with its password hash, for writes.
pub async fn load(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<Option<StoredCustomer>, StoreError> {
    let row: Option<Row> = statement(
        db,
        "SELECT doc, password_hash FROM customers WHERE project = ?1 AND id = ?2",
        &[text(project), text(id)],
    )?
    .first(None)
    .await?;
    row.map(|r| {
        let customer: Customer = serde_json::from_str(&r.doc)
            .map_err(|e| StoreError::Other(format!("corrupt customer document: {e}")))?;
        Ok(StoredCustomer {
            customer,
            password_hash: r.password_hash,
        })
    })
    .transpose()
}

fn email_claim_statements(
    db: &D1Database,
    project: &str,
    customer: &Customer,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    customer
        .email_claims()
        .into_iter()
        .map(|(email, store)| {
            statement(
                db,
                "INSERT INTO customer_emails (project, lowercase_email, store, customer_id) VALUES (?1, ?2, ?3, ?4)",
                &[text(project), text(&email), text(&store), text(&customer.id)],
            )
        })
        .collect()
}

fn message_statement(
    db: &D1Database,
    project: &str,
    message: &Message,
) -> Result<D1PreparedStatement, StoreError> {
    statement(
        db,
        "INSERT INTO messages (project, id, resource_type_id, resource_id, sequence_number, resource_version, type, created_at, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            text(project),
            text(&message.id),
            text(&message.resource.type_id),
            text(message.resource_id()),
            int(message.sequence_number),
            int(message.resource_version),
            text(&message.payload.type_name()),
            text(&message.created_at),
            text(&message.to_json_string()),
        ],
    )
}

/// The column values of a customer row after `project` and `id`: version, key,
/// customer_number, external_id, email, lowercase_email, stores, created_at,
/// last_modified_at, password_hash, doc.
fn row_values(stored: &StoredCustomer) -> Result<Vec<JsValue>, StoreError> {
    let c = &stored.customer;
    let stores =
        serde_json::to_string(&c.store_keys()).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(vec![
        int(c.version),
        opt_text(c.key.as_deref()),
        opt_text(c.customer_number.as_deref()),
        opt_text(c.external_id.as_deref()),
        text(&c.email),
        text(&c.lowercase_email()),
        text(&stores),
        text(&c.created_at),
        text(&c.last_modified_at),
        opt_text(stored.password_hash.as_deref()),
        text(&c.to_json_string()),
    ])
}

fn version_check(
    db: &D1Database,
    project: &str,
    customer: &Customer,
) -> Result<D1PreparedStatement, StoreError> {
    statement(
        db,
        "INSERT INTO customer_version_checks (project, id, version) VALUES (?1, ?2, ?3)",
        &[text(project), text(&customer.id), int(customer.version)],
    )
}

/// Inserts a new customer with its email claims and its `CustomerCreated` message.
pub async fn insert(
    db: &D1Database,
    project: &str,
    stored: &StoredCustomer,
    message: &Message,
) -> Result<(), StoreError> {
    let c = &stored.customer;
    let mut values = vec![text(project), text(&c.id)];
    values.extend(row_values(stored)?);
    let mut batch = vec![statement(
        db,
        "INSERT INTO customers (project, id, version, key, customer_number, external_id, email, lowercase_email, \
         stores, created_at, last_modified_at, password_hash, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        &values,
    )?];
    batch.extend(email_claim_statements(db, project, c)?);
    batch.push(message_statement(db, project, message)?);
    db.batch(batch).await?;
    Ok(())
}

/// Replaces `before` (at its version) by `after`, re-claims the email if the customer's claims
/// changed, and stores the update's messages. Fails with `VersionConflict` if `before` is no
/// longer the stored version, with `Duplicate` if a unique value is taken.
pub async fn update(
    db: &D1Database,
    project: &str,
    before: &Customer,
    after: &StoredCustomer,
    messages: &[Message],
) -> Result<(), StoreError> {
    let mut values = row_values(after)?;
    values.extend([text(project), text(&before.id)]);
    let mut batch = vec![
        version_check(db, project, before)?,
        statement(
            db,
            "UPDATE customers SET version = ?1, key = ?2, customer_number = ?3, external_id = ?4, email = ?5, \
             lowercase_email = ?6, stores = ?7, created_at = ?8, last_modified_at = ?9, password_hash = ?10, doc = ?11 \
             WHERE project = ?12 AND id = ?13",
            &values,
        )?,
    ];
    if before.email_claims() != after.customer.email_claims() {
        batch.push(statement(
            db,
            "DELETE FROM customer_emails WHERE project = ?1 AND customer_id = ?2",
            &[text(project), text(&before.id)],
        )?);
        batch.extend(email_claim_statements(db, project, &after.customer)?);
    }
    for message in messages {
        batch.push(message_statement(db, project, message)?);
    }
    db.batch(batch).await?;
    Ok(())
}

/// Deletes a customer at `customer.version`, frees its email, key and customer number, and
/// stores its `CustomerDeleted` message. With `data_erasure`, its earlier messages go too.
pub async fn delete(
    db: &D1Database,
    project: &str,
    customer: &Customer,
    message: &Message,
    data_erasure: bool,
) -> Result<(), StoreError> {
    let mut batch = vec![
        version_check(db, project, customer)?,
        statement(
            db,
            "DELETE FROM customers WHERE project = ?1 AND id = ?2",
            &[text(project), text(&customer.id)],
        )?,
        statement(
            db,
            "DELETE FROM customer_emails WHERE project = ?1 AND customer_id = ?2",
            &[text(project), text(&customer.id)],
        )?,
    ];
    if data_erasure {
        batch.push(statement(
            db,
            "DELETE FROM messages WHERE project = ?1 AND resource_id = ?2",
            &[text(project), text(&customer.id)],
        )?);
    }
    batch.push(message_statement(db, project, message)?);
    db.batch(batch).await?;
    Ok(())
}

/// The current version of a customer, if it exists (to report a conflict).
pub async fn current_version(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<Option<u64>, StoreError> {
    #[derive(Deserialize)]
    struct VersionRow {
        version: u64,
    }
    let row: Option<VersionRow> = statement(
        db,
        "SELECT version FROM customers WHERE project = ?1 AND id = ?2",
        &[text(project), text(id)],
    )?
    .first(None)
    .await?;
    Ok(row.map(|r| r.version))
}
