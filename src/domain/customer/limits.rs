//! What one customer may hold, checked on every write after the draft or the actions are
//! applied, so that every stored document can be read back and no single row makes every
//! query slow. Each limit is documented in the README; breaking one is a 400 that names it.

use super::Customer;
use crate::domain::error::ApiError;
use crate::domain::limits;

/// Most addresses one customer may have.
pub const MAX_ADDRESSES: usize = 200;
/// Most stores one customer may belong to.
pub const MAX_STORES: usize = 100;
/// Most customer-group assignments one customer may have.
pub const MAX_GROUP_ASSIGNMENTS: usize = 100;
fn too_many(field: &str, what: &str, count: usize, max: usize) -> ApiError {
    ApiError::InvalidInput {
        message: format!(
            "A customer may have at most {max} {what} (field {field}); this one would have {count}."
        ),
    }
}

/// Checks what a customer holds and the size of its document `json` (its representation, as
/// it will be stored).
pub fn check_customer(customer: &Customer, json: &str) -> Result<(), ApiError> {
    let counts = [
        (
            "addresses",
            "addresses",
            customer.addresses.len(),
            MAX_ADDRESSES,
        ),
        ("stores", "stores", customer.stores.len(), MAX_STORES),
        (
            "customerGroupAssignments",
            "customer-group assignments",
            customer.customer_group_assignments.len(),
            MAX_GROUP_ASSIGNMENTS,
        ),
    ];
    for (field, what, count, max) in counts {
        if count > max {
            return Err(too_many(field, what, count, max));
        }
    }
    limits::check_document("customer", json)
}
