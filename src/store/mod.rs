//! Adapters to the platform: D1 repositories, the KV token store, the Durable Objects,
//! configuration, the clock and the CSPRNG (wasm32 only). They move bytes; the domain decides.
//! The query compiler and the row layout are pure and also build natively.

pub mod query_sql;
pub mod rows;

#[cfg(target_arch = "wasm32")]
pub mod api_clients;
#[cfg(target_arch = "wasm32")]
pub mod config;
#[cfg(target_arch = "wasm32")]
pub mod customer_writer;
#[cfg(target_arch = "wasm32")]
pub mod customers;
#[cfg(target_arch = "wasm32")]
pub mod email_lock;
#[cfg(target_arch = "wasm32")]
pub mod passwords;
#[cfg(target_arch = "wasm32")]
pub mod platform;
#[cfg(target_arch = "wasm32")]
pub mod throttle;
#[cfg(target_arch = "wasm32")]
pub mod tokens;
#[cfg(target_arch = "wasm32")]
pub use error::{classify, StoreError};
#[cfg(target_arch = "wasm32")]
mod error;
