//! The MCP endpoint's pure core: the seed's 45 `commercetools_customers_*` tools and how
//! their arguments become in-process calls of this API.
//!
//! Nothing here performs I/O or imports the `worker` crate.
//!
//! - [`tools`] and [`catalogue`]: the tools, their input schemas, scopes and resources.
//! - [`args`]: argument checks and the argument → [`ApiCall`] mapping (fact sheet §9).

pub mod args;
pub mod catalogue;
pub mod tools;

pub use args::ApiCall;
pub use tools::{Resource, Tool};
