//! The HTTP edge: routing, the request context (authentication, body, query), JSON in and out,
//! one handler module per resource. `route` is pure; the rest exists only in the Worker
//! (wasm32) build.

pub mod emporix_route;
pub mod route;

#[cfg(target_arch = "wasm32")]
pub mod context;
#[cfg(target_arch = "wasm32")]
pub mod expand;
#[cfg(target_arch = "wasm32")]
pub mod query;
#[cfg(target_arch = "wasm32")]
pub mod respond;

#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
pub use handlers::handle;
