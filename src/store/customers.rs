//! The customers repository on D1. Every write is one `batch()` (a transaction): the customer
//! row, its email claims and its messages change together or not at all. Updates and deletes
//! open with a version check that aborts the batch if someone else wrote first.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use super::query_sql::{Compiled, Param, Statement};
use super::rows;
use super::StoreError;
use crate::domain::customer::{Customer, SkeletonColumns, StoredCustomer};
use crate::domain::message::Message;

const BINDING: &str = "DB";

pub fn database(env: &Env) -> worker::Result<D1Database> {
    env.d1(BINDING)
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
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
    password_tokens_valid_from: i64,
    email_tokens_valid_from: i64,
    sessions_valid_from: i64,
    id: String,
    version: u64,
    key: Option<String>,
    customer_number: Option<String>,
    external_id: Option<String>,
    email: String,
    stores: String,
    created_at: String,
    last_modified_at: String,
}

/// The columns [`Row`] reads.
const ROW_SELECT: &str = "customers.doc AS doc, customers.password_hash AS password_hash, \
     customers.password_tokens_valid_from AS password_tokens_valid_from, \
     customers.email_tokens_valid_from AS email_tokens_valid_from, \
     customers.sessions_valid_from AS sessions_valid_from, customers.id AS id, \
     customers.version AS version, customers.key AS key, \
     customers.customer_number AS customer_number, customers.external_id AS external_id, \
     customers.email AS email, customers.stores AS stores, \
     customers.created_at AS created_at, customers.last_modified_at AS last_modified_at";

impl Row {
    /// The stored customer, or, if its document cannot be read, [`StoreError::Unreadable`]
    /// with what the columns tell (its last message number still unknown: 0).
    fn into_stored(self) -> Result<StoredCustomer, StoreError> {
        let customer = match Customer::from_stored(&self.doc) {
            Ok(customer) => customer,
            Err(e) => {
                worker::console_error!("customer {}: unreadable document: {e}", self.id);
                let stores = serde_json::from_str(&self.stores).unwrap_or_default();
                let skeleton = Customer::skeleton(SkeletonColumns {
                    id: self.id,
                    version: self.version,
                    last_message_sequence_number: 0,
                    key: self.key,
                    customer_number: self.customer_number,
                    external_id: self.external_id,
                    email: self.email,
                    stores,
                    created_at: self.created_at,
                    last_modified_at: self.last_modified_at,
                });
                return Err(StoreError::Unreadable(Box::new(StoredCustomer {
                    customer: skeleton,
                    password_hash: None,
                    password_tokens_valid_from: self.password_tokens_valid_from,
                    email_tokens_valid_from: self.email_tokens_valid_from,
                    sessions_valid_from: self.sessions_valid_from,
                })));
            }
        };
        Ok(StoredCustomer {
            customer,
            password_hash: self.password_hash,
            password_tokens_valid_from: self.password_tokens_valid_from,
            email_tokens_valid_from: self.email_tokens_valid_from,
            sessions_valid_from: self.sessions_valid_from,
        })
    }
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

/// The whole customer (parsed) with what is stored beside it, for writes.
pub async fn load(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<Option<StoredCustomer>, StoreError> {
    let row: Option<Row> = statement(
        db,
        &format!("SELECT {ROW_SELECT} FROM customers WHERE project = ?1 AND id = ?2"),
        &[text(project), text(id)],
    )?
    .first(None)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    match row.into_stored() {
        Err(StoreError::Unreadable(mut skeleton)) => {
            skeleton.customer.last_message_sequence_number =
                last_message_sequence_number(db, project, id).await?;
            Err(StoreError::Unreadable(skeleton))
        }
        other => other.map(Some),
    }
}

/// The highest message sequence number of a resource (0 if it has no messages).
async fn last_message_sequence_number(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<u64, StoreError> {
    #[derive(Deserialize)]
    struct Last {
        last: u64,
    }
    let row: Option<Last> = statement(
        db,
        "SELECT COALESCE(MAX(sequence_number), 0) AS last FROM messages WHERE project = ?1 AND resource_id = ?2",
        &[text(project), text(id)],
    )?
    .first(None)
    .await?;
    Ok(row.map_or(0, |r| r.last))
}

/// The customer who signs in with `email` (lower-case): a global customer, or, in a store, a
/// customer of that store or a global one. The email claims say who owns the email there.
pub async fn for_sign_in(
    db: &D1Database,
    project: &str,
    email: &str,
    store: Option<&str>,
) -> Result<Option<StoredCustomer>, StoreError> {
    let row: Option<Row> = statement(
        db,
        &format!(
            "SELECT {ROW_SELECT} FROM customer_emails AS e \
             JOIN customers ON customers.project = e.project AND customers.id = e.customer_id \
             WHERE e.project = ?1 AND e.lowercase_email = ?2 AND e.store IN ('', ?3) LIMIT 1"
        ),
        &[text(project), text(email), text(store.unwrap_or_default())],
    )?
    .first(None)
    .await?;
    // A customer whose document cannot be read cannot sign in: as if the email were unknown.
    Ok(row.and_then(|row| row.into_stored().ok()))
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
        "INSERT INTO messages (project, id, resource_type_id, resource_id, customer_id, sequence_number, \
         resource_version, type, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[
            text(project),
            text(&message.id),
            text(&message.resource.type_id),
            text(message.resource_id()),
            message.customer_id().map_or(JsValue::NULL, text),
            int(message.sequence_number),
            int(message.resource_version),
            text(&message.payload.type_name()),
            text(&message.created_at),
            text(&message.to_json_string()),
        ],
    )
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
    values.extend(rows::values(stored).iter().map(js));
    let mut batch = vec![statement(db, &rows::insert_sql(), &values)?];
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
    let mut values: Vec<JsValue> = rows::values(after).iter().map(js).collect();
    values.extend([text(project), text(&before.id)]);
    let mut batch = vec![
        version_check(db, project, before)?,
        statement(db, &rows::update_sql(), &values)?,
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

/// Stores messages that change no customer (token messages).
pub async fn insert_messages(
    db: &D1Database,
    project: &str,
    messages: &[Message],
) -> Result<(), StoreError> {
    let batch = messages
        .iter()
        .map(|m| message_statement(db, project, m))
        .collect::<Result<Vec<_>, _>>()?;
    db.batch(batch).await?;
    Ok(())
}

/// Deletes a customer at `customer.version`, frees its email, key and customer number, and
/// stores its `CustomerDeleted` message. With `data_erasure`, every earlier message about the
/// customer goes too (its token messages included).
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
            "DELETE FROM messages WHERE project = ?1 AND customer_id = ?2",
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

/// A parameter as D1 binds it.
fn js(param: &Param) -> JsValue {
    match param {
        Param::Text(s) => JsValue::from_str(s),
        Param::Int(i) => JsValue::from_f64(*i as f64),
        Param::Real(f) => JsValue::from_f64(*f),
        Param::Null => JsValue::NULL,
    }
}

fn bind_all(db: &D1Database, statement: &Statement) -> Result<D1PreparedStatement, StoreError> {
    let values: Vec<JsValue> = statement.params.iter().map(js).collect();
    Ok(db.prepare(&statement.sql).bind(&values)?)
}

/// A page of customer representations (as stored) and, if asked for, the total.
pub async fn query(
    db: &D1Database,
    compiled: &Compiled,
) -> Result<(Vec<String>, Option<u64>), StoreError> {
    #[derive(Deserialize)]
    struct DocRow {
        doc: String,
    }
    #[derive(Deserialize)]
    struct TotalRow {
        total: u64,
    }
    let page = bind_all(db, &compiled.page)?;
    let Some(total) = &compiled.total else {
        let rows: Vec<DocRow> = page.all().await?.results()?;
        return Ok((rows.into_iter().map(|r| r.doc).collect(), None));
    };
    // One round trip for both.
    let results = db.batch(vec![page, bind_all(db, total)?]).await?;
    let (Some(page), Some(total)) = (results.first(), results.get(1)) else {
        return Err(StoreError::Other(
            "a query batch returned too few results".into(),
        ));
    };
    let rows: Vec<DocRow> = page.results()?;
    let total: Vec<TotalRow> = total.results()?;
    Ok((
        rows.into_iter().map(|r| r.doc).collect(),
        Some(total.first().map_or(0, |t| t.total)),
    ))
}

/// Whether the statement (`SELECT 1 … LIMIT 1`) finds a row.
pub async fn exists(db: &D1Database, statement: &Statement) -> Result<bool, StoreError> {
    #[derive(Deserialize)]
    struct Found {
        #[allow(dead_code)]
        found: u64,
    }
    let found: Option<Found> = bind_all(db, statement)?.first(None).await?;
    Ok(found.is_some())
}

/// From when on the customer's OAuth sessions are valid; `None` if the customer is gone.
pub async fn sessions_valid_from(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<Option<i64>, StoreError> {
    #[derive(Deserialize)]
    struct Mark {
        sessions_valid_from: i64,
    }
    let row: Option<Mark> = statement(
        db,
        "SELECT sessions_valid_from FROM customers WHERE project = ?1 AND id = ?2",
        &[text(project), text(id)],
    )?
    .first(None)
    .await?;
    Ok(row.map(|r| r.sessions_valid_from))
}
