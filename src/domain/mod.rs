//! The pure domain core: every rule of the API as plain functions over plain data.
//!
//! Nothing here performs I/O, reads the clock or draws randomness: time arrives as
//! milliseconds since the epoch and randomness through [`ids::Random`]. This module never
//! imports the `worker` crate, so it compiles and is unit-tested natively.

pub mod api_clients;
pub mod associate_role;
pub mod auth;
pub mod business_unit;
pub mod custom_actions;
pub mod custom_type;
pub mod customer;
pub mod customer_group;
pub mod emporix;
pub mod error;
pub mod expand;
pub mod ids;
pub mod json;
pub mod limits;
pub mod message;
pub mod oauth;
pub mod password;
pub mod predicate;
pub mod project;
pub mod query;
pub mod references;
pub mod refs;
pub mod resource;
pub mod retention;
pub mod search;
pub mod throttle;
pub mod time;
pub mod validate;
pub mod values;
pub mod version;
