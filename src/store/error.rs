//! What can go wrong in the store, classified from D1's error texts, and how it becomes an API
//! error: a 4xx where the client caused it, else a 500 whose cause is logged here, once.

use crate::domain::error::{ApiError, Rejection};

/// Why a store operation failed.
#[derive(Debug)]
pub enum StoreError {
    /// A unique value is taken: the constraint D1 names (`customers.key`, `duplicate_email`, …);
    /// the resource's table turns it into `DuplicateField`.
    Duplicate(String),
    /// The version check of a write batch failed: someone else wrote first.
    VersionConflict,
    /// A write refers to a resource that does not exist (any more).
    ReferenceMissing,
    /// A deletion of a resource something refers to.
    ReferenceExists,
    /// A create beyond the number of resources a project may hold.
    LimitReached,
    /// SQLite refused the statement as too complex (D1 caps expression depth at 100): a
    /// deeply nested query predicate. The client's fault, answered with 400.
    TooComplex,
    /// A customer write while the shards are being re-balanced (`CUSTOMER_DATABASES_NEXT`
    /// set): answered with 503 `ServiceUnavailable`.
    Rebalancing,
    /// Anything else: an infrastructure failure (answered with 500, details logged).
    Other(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Duplicate(constraint) => write!(f, "duplicate value ({constraint})"),
            StoreError::VersionConflict => f.write_str("version conflict"),
            StoreError::ReferenceMissing => f.write_str("a referenced resource is missing"),
            StoreError::ReferenceExists => f.write_str("the resource is referenced"),
            StoreError::LimitReached => f.write_str("limit reached"),
            StoreError::TooComplex => f.write_str("statement too complex"),
            StoreError::Rebalancing => f.write_str("customer writes paused: re-balancing"),
            StoreError::Other(detail) => f.write_str(detail),
        }
    }
}

impl From<worker::Error> for StoreError {
    fn from(err: worker::Error) -> Self {
        classify(&err)
    }
}

/// D1 reports constraint failures as text, in two shapes depending on the method: read both
/// and look for what failed.
pub fn classify(err: &worker::Error) -> StoreError {
    let text = match err {
        worker::Error::D1(d1) => {
            let inner: &worker::js_sys::Error = d1.as_ref();
            format!("{} | {}", d1.cause(), String::from(inner.message()))
        }
        other => format!("{other} | {other:?}"),
    };
    if text.contains("Expression tree is too large") || text.contains("parser stack overflow") {
        return StoreError::TooComplex;
    }
    // Only constraint failures are duplicates or conflicts (not, say, a missing column).
    if !text.contains("SQLITE_CONSTRAINT") && !text.contains("constraint failed") {
        return StoreError::Other(text);
    }
    if text.contains("version_conflict") {
        StoreError::VersionConflict
    } else if text.contains("reference_missing") {
        StoreError::ReferenceMissing
    } else if text.contains("reference_exists") {
        StoreError::ReferenceExists
    } else if text.contains("limit_reached") {
        StoreError::LimitReached
    } else if text.contains("duplicate_email") || text.contains("UNIQUE constraint failed") {
        StoreError::Duplicate(text)
    } else {
        StoreError::Other(text)
    }
}

/// The message of every 500: the details go to the log, not to the client.
fn internal(cause: &dyn std::fmt::Display) -> Rejection {
    worker::console_error!("internal error: {cause}");
    ApiError::General {
        message: "Internal error. The request was not carried out.".into(),
    }
    .into()
}

impl From<StoreError> for Rejection {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::TooComplex => ApiError::InvalidInput {
                message: "The query predicate is nested too deeply to run (the store allows an expression depth of 100). Flatten nested custom-field conditions or combine them with 'and'.".into(),
            }
            .into(),
            StoreError::Rebalancing => ApiError::ServiceUnavailable {
                message: "Customer writes are paused while the customer databases are being re-balanced (CUSTOMER_DATABASES_NEXT is set). Reads keep working; try the write again once the re-balancing is finished.".into(),
            }
            .into(),
            other => internal(&other),
        }
    }
}

impl From<worker::Error> for Rejection {
    fn from(err: worker::Error) -> Self {
        internal(&err)
    }
}

impl From<worker::kv::KvError> for Rejection {
    fn from(err: worker::kv::KvError) -> Self {
        internal(&err)
    }
}

impl From<serde_json::Error> for Rejection {
    fn from(err: serde_json::Error) -> Self {
        internal(&err)
    }
}
