//! What can go wrong in the store, classified from D1's error texts.

/// Why a store operation failed, in the terms the handlers answer with.
#[derive(Debug)]
pub enum StoreError {
    /// A unique value is taken: `email`, `key` or `customerNumber`.
    Duplicate(&'static str),
    /// The version check of a write batch failed: someone else wrote first.
    VersionConflict,
    /// SQLite refused the statement as too complex (D1 caps expression depth at 100): a
    /// deeply nested query predicate. The client's fault, answered with 400.
    TooComplex,
    /// A stored customer document that cannot be read: what its columns tell, enough to
    /// delete it (nothing else may be done with it).
    Unreadable(Box<crate::domain::customer::StoredCustomer>),
    /// Anything else: an infrastructure failure (answered with 500, details logged).
    Other(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Duplicate(field) => write!(f, "duplicate {field}"),
            StoreError::VersionConflict => f.write_str("version conflict"),
            StoreError::TooComplex => f.write_str("statement too complex"),
            StoreError::Unreadable(stored) => {
                write!(
                    f,
                    "the document of customer {} cannot be read",
                    stored.customer.id
                )
            }
            StoreError::Other(detail) => f.write_str(detail),
        }
    }
}

impl From<worker::Error> for StoreError {
    fn from(err: worker::Error) -> Self {
        classify(&err)
    }
}

/// D1 reports constraint failures as text, in two shapes depending on the method
/// (see ../shared/notes/workers-platform.md §1): read both and look for what failed.
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
    if text.contains("duplicate_email") || text.contains("customer_emails.") {
        StoreError::Duplicate("email")
    } else if text.contains("customers.customer_number") {
        StoreError::Duplicate("customerNumber")
    } else if text.contains("customers.key") {
        StoreError::Duplicate("key")
    } else if text.contains("version_conflict") {
        StoreError::VersionConflict
    } else {
        StoreError::Other(text)
    }
}
