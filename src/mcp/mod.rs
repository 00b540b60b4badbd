//! The MCP endpoint's pure core: the seed's 45 `commercetools_customers_*` tools and how
//! their arguments become in-process calls of this API.
//!
//! Nothing here performs I/O or imports the `worker` crate.
//!
//! - [`jsonrpc`]: the JSON-RPC 2.0 envelope and error codes.
//! - [`version`]: the protocol revisions served.
//! - [`tools`] and [`catalogue`]: the tools, their input schemas, scopes and resources.
//! - [`args`]: argument checks and the argument → [`ApiCall`] mapping (fact sheet §9).
//! - [`results`]: API answer → `CallToolResult` (fact sheet §2.6).

pub mod args;
pub mod catalogue;
pub mod jsonrpc;
pub mod results;
pub mod tools;
pub mod version;

pub use args::ApiCall;
pub use tools::{Resource, Tool};
pub use version::Version;
