//! Reading customers from D1 beyond what every resource offers (`store::repository`): the
//! whole customer parsed with what is stored beside it (for writes), the customer who signs
//! in with an email, and the mark that voids a customer's sessions. A customer is read from
//! its shard (`Sessions::for_customer`); a key or email is looked up in the catalog first when
//! customers are spread over shards.

use serde::Deserialize;

use super::customer_table::{Customers, Row, ROW_SELECT};
use super::d1::{Db, Sessions};
use super::repository::{self, last_message_sequence_number, Lookup, View};
use super::sql::{Param, Statement};
use super::table::select_by;
use super::StoreError;
use crate::domain::customer::StoredCustomer;

/// A customer as loaded for a write.
pub enum Loaded {
    Readable(StoredCustomer),
    /// Its document cannot be read: what its columns tell, enough to delete it.
    Unreadable(StoredCustomer),
}

impl Loaded {
    /// The customer, for any write but a delete.
    pub fn readable(self) -> Result<StoredCustomer, StoreError> {
        match self {
            Loaded::Readable(stored) => Ok(stored),
            Loaded::Unreadable(skeleton) => Err(StoreError::Other(format!(
                "the document of customer {} cannot be read; it can only be deleted",
                skeleton.customer.meta.id
            ))),
        }
    }
}

/// The whole customer (parsed) with what is stored beside it, for writes.
pub async fn load(db: &Db, project: &str, id: &str) -> Result<Option<Loaded>, StoreError> {
    let row: Option<Row> = db
        .first(&select_by("customers", ROW_SELECT, "id", project, id))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(match row.into_stored() {
        Ok(stored) => Loaded::Readable(stored),
        Err(unreadable) => {
            worker::console_error!("customer {id}: unreadable document: {}", unreadable.reason);
            let mut skeleton = unreadable.skeleton;
            skeleton.customer.meta.last_message_sequence_number =
                last_message_sequence_number(db, project, id).await?;
            Loaded::Unreadable(skeleton)
        }
    }))
}

/// The representation of a customer by id (read in its shard) or by key (with shards, the
/// catalog's stub row names the id).
pub async fn view(
    dbs: &Sessions,
    project: &str,
    lookup: Lookup<'_>,
) -> Result<Option<View>, StoreError> {
    let catalog = dbs.for_project(project)?;
    if !dbs.is_sharded()? {
        return repository::view::<Customers>(&catalog, project, lookup).await;
    }
    let id = match lookup {
        Lookup::Id(id) => id.to_string(),
        Lookup::Key(key) => {
            match repository::id_by_key::<Customers>(&catalog, project, key).await? {
                Some(id) => id,
                None => return Ok(None),
            }
        }
    };
    let db = dbs.for_customer(project, &id)?;
    repository::view::<Customers>(&db, project, Lookup::Id(&id)).await
}

/// The customer who signs in with `email` (lower-case): a global customer, or, in a store, a
/// customer of that store or a global one. The email claims say who owns the email there. A
/// customer whose document cannot be read cannot sign in: as if the email were unknown. With
/// shards, the claim is read in the catalog and the customer in its shard.
pub async fn for_sign_in(
    dbs: &Sessions,
    project: &str,
    email: &str,
    store: Option<&str>,
) -> Result<Option<StoredCustomer>, StoreError> {
    let catalog = dbs.for_project(project)?;
    if !dbs.is_sharded()? {
        return sign_in_row(&catalog, project, email, store).await;
    }
    #[derive(Deserialize)]
    struct Owner {
        customer_id: String,
    }
    let statement = Statement::new(
        "SELECT customer_id FROM customer_emails \
         WHERE project = ?1 AND lowercase_email = ?2 AND store IN ('', ?3) LIMIT 1",
        vec![
            Param::text(project),
            Param::text(email),
            Param::text(store.unwrap_or_default()),
        ],
    );
    let Some(owner) = catalog.first::<Owner>(&statement).await? else {
        return Ok(None);
    };
    let db = dbs.for_customer(project, &owner.customer_id)?;
    Ok(match load(&db, project, &owner.customer_id).await? {
        Some(Loaded::Readable(stored)) => Some(stored),
        _ => None,
    })
}

async fn sign_in_row(
    db: &Db,
    project: &str,
    email: &str,
    store: Option<&str>,
) -> Result<Option<StoredCustomer>, StoreError> {
    let statement = Statement::new(
        format!(
            "SELECT {ROW_SELECT} FROM customer_emails AS e \
             JOIN customers ON customers.project = e.project AND customers.id = e.customer_id \
             WHERE e.project = ?1 AND e.lowercase_email = ?2 AND e.store IN ('', ?3) LIMIT 1"
        ),
        vec![
            Param::text(project),
            Param::text(email),
            Param::text(store.unwrap_or_default()),
        ],
    );
    let row: Option<Row> = db.first(&statement).await?;
    Ok(row.and_then(|row| row.into_stored().ok()))
}

/// From when on the customer's OAuth sessions are valid, and the customer's representation
/// (read in the same round trip, so `GET /me` needs no second one); `None` if the customer is
/// gone.
pub async fn sessions_valid_from_and_view(
    db: &Db,
    project: &str,
    id: &str,
) -> Result<Option<(i64, View)>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        sessions_valid_from: i64,
        doc: String,
        stores: String,
    }
    let statement = select_by(
        "customers",
        "sessions_valid_from, doc, stores",
        "id",
        project,
        id,
    );
    let Some(row) = db.first::<Row>(&statement).await? else {
        return Ok(None);
    };
    let stores = serde_json::from_str(&row.stores)
        .map_err(|e| StoreError::Other(format!("corrupt stores column: {e}")))?;
    let view = View {
        doc: row.doc,
        stores,
    };
    Ok(Some((row.sessions_valid_from, view)))
}

/// From when on the customer's OAuth sessions are valid; `None` if the customer is gone.
pub async fn sessions_valid_from(
    db: &Db,
    project: &str,
    id: &str,
) -> Result<Option<i64>, StoreError> {
    #[derive(Deserialize)]
    struct Mark {
        sessions_valid_from: i64,
    }
    let statement = select_by("customers", "sessions_valid_from", "id", project, id);
    let row: Option<Mark> = db.first(&statement).await?;
    Ok(row.map(|r| r.sessions_valid_from))
}
