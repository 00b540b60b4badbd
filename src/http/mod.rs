//! The HTTP edge: routing, authentication, JSON in and out, one handler module per resource.
//! `route` is pure; the handlers exist only in the Worker (wasm32) build.

pub mod route;

#[cfg(target_arch = "wasm32")]
pub mod respond;

#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
pub use handlers::handle;
