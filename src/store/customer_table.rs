//! How customers are laid out in D1: the `customers` table (indexed columns beside the
//! document), their email claims in `customer_emails` (the uniqueness rule: one claim per
//! email and store, and a global claim excludes every other claim of the email), the columns
//! queries use, and how a row reads back. Pure, so the write path, the query compiler and the
//! benchmark seeder (`examples/seed_customers.rs`) share one definition.

use serde::Deserialize;

use super::query_sql::{QueryTable, StoreRows};
use super::search_index;
use super::sql::{Param, Statement};
use super::table::{Referral, Table};
use crate::domain::customer::{Customer, SkeletonColumns, StoredCustomer};
use crate::domain::error::ApiError;
use crate::domain::values::PasswordHash;

/// The `customers` table.
pub struct Customers;

impl Table for Customers {
    type State = StoredCustomer;
    const NAME: &'static str = "customers";
    const COLUMNS: &'static [&'static str] = &[
        "first_name",
        "last_name",
        "company_name",
        "middle_name",
        "vat_id",
        "date_of_birth",
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
    const STORES: Option<&'static str> = Some("stores");

    fn id(state: &StoredCustomer) -> &str {
        &state.customer.meta.id
    }

    fn version(state: &StoredCustomer) -> u64 {
        state.customer.meta.version
    }

    fn values(stored: &StoredCustomer) -> Vec<Param> {
        let c = &stored.customer;
        let stores = serde_json::to_string(&c.store_keys()).expect("store keys always serialize");
        vec![
            Param::opt_text(c.first_name.as_deref()),
            Param::opt_text(c.last_name.as_deref()),
            Param::opt_text(c.company_name.as_deref()),
            Param::opt_text(c.middle_name.as_deref()),
            Param::opt_text(c.vat_id.as_deref()),
            Param::opt_text(c.date_of_birth.as_deref()),
            Param::Int(i64::from(c.is_email_verified)),
            Param::opt_text(c.customer_group.as_ref().and_then(|g| g.id.as_deref())),
            Param::uint(c.meta.version),
            Param::opt_text(c.key.as_deref()),
            Param::opt_text(c.customer_number.as_deref()),
            Param::opt_text(c.external_id.as_deref()),
            Param::text(c.email.as_str()),
            Param::text(c.lowercase_email()),
            Param::Text(stores),
            Param::text(&c.meta.created_at),
            Param::text(&c.meta.last_modified_at),
            Param::opt_text(stored.password_hash.as_deref()),
            Param::Int(stored.password_tokens_valid_from),
            Param::Int(stored.email_tokens_valid_from),
            Param::Int(stored.sessions_valid_from),
            Param::Text(c.to_json_string()),
        ]
    }

    /// The customer group, the groups of the assignments, the custom types of the customer
    /// and of its addresses.
    fn references(stored: &StoredCustomer) -> Vec<Referral> {
        let c = &stored.customer;
        let groups = c
            .customer_group
            .iter()
            .chain(
                c.customer_group_assignments
                    .iter()
                    .map(|a| &a.customer_group),
            )
            .filter_map(|g| g.id.as_deref())
            .map(|id| referral("customer-group", "customer_groups", id));
        let types = c
            .custom
            .iter()
            .chain(c.addresses.iter().filter_map(|a| a.custom.as_ref()))
            .filter_map(|custom| custom.type_ref.id.as_deref())
            .map(|id| referral("type", "types", id));
        let mut all: Vec<Referral> = Vec::new();
        for referral in groups.chain(types) {
            if !all.contains(&referral) {
                all.push(referral);
            }
        }
        all
    }

    /// The email claims: re-made when the customer's claims change, removed with it; its
    /// anonymous id (see [`anonymous_id_claim`]) removed with it; and the customer's search
    /// index rows (`search_index::customer_write`).
    fn side_statements(
        project: &str,
        before: Option<&StoredCustomer>,
        after: Option<&StoredCustomer>,
    ) -> Vec<Statement> {
        let id = before.or(after).map(Customers::id).unwrap_or_default();
        let search = search_index::customer_write(project, id, after.map(|s| &s.customer));
        let claims = |s: Option<&StoredCustomer>| s.map(|s| s.customer.email_claims());
        if before.is_some() && claims(before) == claims(after) {
            return search;
        }
        let mut statements = Vec::new();
        if let (Some(before), None) = (before, after) {
            statements.push(Statement::new(
                "DELETE FROM customer_anonymous_ids WHERE project = ?1 AND customer_id = ?2",
                vec![Param::text(project), Param::text(&before.customer.meta.id)],
            ));
        }
        if let Some(before) = before {
            statements.push(Statement::new(
                "DELETE FROM customer_emails WHERE project = ?1 AND customer_id = ?2",
                vec![Param::text(project), Param::text(&before.customer.meta.id)],
            ));
        }
        if let Some(after) = after {
            statements.extend(email_claims(project, &after.customer));
        }
        statements.extend(search);
        statements
    }
}

fn referral(type_id: &'static str, table: &'static str, id: &str) -> Referral {
    Referral::to(type_id, table, id)
}

/// One insert per (lower-case email, store) the customer claims.
fn email_claims(project: &str, customer: &Customer) -> Vec<Statement> {
    customer
        .email_claims()
        .into_iter()
        .map(|(email, store)| {
            Statement::new(
                "INSERT INTO customer_emails (project, lowercase_email, store, customer_id) VALUES (?1, ?2, ?3, ?4)",
                vec![
                    Param::text(project),
                    Param::Text(email),
                    Param::Text(store),
                    Param::text(&customer.meta.id),
                ],
            )
        })
        .collect()
}

/// Records the anonymous session a new customer signed up from; a second customer from the
/// same session breaks the table's key (→ `AnonymousIdAlreadyInUse`, see [`duplicate`]).
pub fn anonymous_id_claim(project: &str, customer_id: &str, anonymous_id: &str) -> Statement {
    Statement::new(
        "INSERT INTO customer_anonymous_ids (project, anonymous_id, customer_id) VALUES (?1, ?2, ?3)",
        vec![
            Param::text(project),
            Param::text(anonymous_id),
            Param::text(customer_id),
        ],
    )
}

/// With `dataErasure`: every message about the customer (its token messages included).
pub fn erase_messages(project: &str, id: &str) -> Statement {
    Statement::new(
        "DELETE FROM messages WHERE project = ?1 AND customer_id = ?2",
        vec![Param::text(project), Param::text(id)],
    )
}

/// The indexed columns queries use, and the store visibility column.
pub const QUERY_TABLE: QueryTable = QueryTable {
    name: "customers",
    columns: &[
        (&["id"], "id"),
        (&["version"], "version"),
        (&["key"], "key"),
        (&["customerNumber"], "customer_number"),
        (&["externalId"], "external_id"),
        (&["email"], "email"),
        (&["lowercaseEmail"], "lowercase_email"),
        (&["firstName"], "first_name"),
        (&["lastName"], "last_name"),
        (&["companyName"], "company_name"),
        (&["middleName"], "middle_name"),
        (&["vatId"], "vat_id"),
        (&["dateOfBirth"], "date_of_birth"),
        (&["isEmailVerified"], "is_email_verified"),
        (&["customerGroup", "id"], "customer_group_id"),
        (&["createdAt"], "created_at"),
        (&["lastModifiedAt"], "last_modified_at"),
    ],
    // A customer group may hold most customers, so its column is not selective.
    selective: &[
        "id",
        "key",
        "customer_number",
        "email",
        "lowercase_email",
        "external_id",
        "first_name",
        "last_name",
        "company_name",
        "middle_name",
        "vat_id",
        "date_of_birth",
    ],
    stores: StoreRows::OwnOrNone("stores"),
};

/// A unique value another customer holds, named as the API names it, from the constraint D1
/// reports (`customers.key`, `customer_emails.…`, the `duplicate_email` trigger).
pub fn duplicate(constraint: &str, customer: &Customer) -> Option<ApiError> {
    if constraint.contains("customer_anonymous_ids.") {
        return Some(ApiError::AnonymousIdAlreadyInUse);
    }
    let (field, value, message) =
        if constraint.contains("duplicate_email") || constraint.contains("customer_emails.") {
            (
                "email",
                customer.email.as_str(),
                Some("There is already an existing customer with the provided email."),
            )
        } else if constraint.contains("customers.customer_number") {
            (
                "customerNumber",
                customer.customer_number.as_deref().unwrap_or_default(),
                None,
            )
        } else if constraint.contains("customers.key") {
            ("key", customer.key.as_deref().unwrap_or_default(), None)
        } else {
            return None;
        };
    Some(ApiError::DuplicateField {
        field: field.into(),
        duplicate_value: value.into(),
        message: message.map(str::to_string),
    })
}

/// A customer row as read back: the document and the columns kept beside it.
#[derive(Deserialize)]
pub struct Row {
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
pub const ROW_SELECT: &str = "customers.doc AS doc, customers.password_hash AS password_hash, \
     customers.password_tokens_valid_from AS password_tokens_valid_from, \
     customers.email_tokens_valid_from AS email_tokens_valid_from, \
     customers.sessions_valid_from AS sessions_valid_from, customers.id AS id, \
     customers.version AS version, customers.key AS key, \
     customers.customer_number AS customer_number, customers.external_id AS external_id, \
     customers.email AS email, customers.stores AS stores, \
     customers.created_at AS created_at, customers.last_modified_at AS last_modified_at";

/// A row whose document cannot be read: what its columns tell (its last message number
/// still unknown, 0), enough to delete it, and why it cannot be read.
pub struct Unreadable {
    pub skeleton: StoredCustomer,
    pub reason: String,
}

impl Row {
    /// The stored customer, or what is left of it if its document cannot be read.
    pub fn into_stored(self) -> Result<StoredCustomer, Box<Unreadable>> {
        let customer = match Customer::from_stored(&self.doc) {
            Ok(customer) => customer,
            Err(e) => return Err(Box::new(self.into_unreadable(e.to_string()))),
        };
        Ok(StoredCustomer {
            password_hash: self.password_hash.map(PasswordHash::new),
            password_tokens_valid_from: self.password_tokens_valid_from,
            email_tokens_valid_from: self.email_tokens_valid_from,
            sessions_valid_from: self.sessions_valid_from,
            ..StoredCustomer::new(customer, None)
        })
    }

    fn into_unreadable(self, reason: String) -> Unreadable {
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
        Unreadable {
            skeleton: StoredCustomer {
                password_tokens_valid_from: self.password_tokens_valid_from,
                email_tokens_valid_from: self.email_tokens_valid_from,
                sessions_valid_from: self.sessions_valid_from,
                ..StoredCustomer::new(skeleton, None)
            },
            reason,
        }
    }
}
