//! The MCP endpoint's pure core: the Model Context Protocol over Streamable HTTP, stateless,
//! serving the seed's 45 `commercetools_customers_*` tools as in-process calls of this API.
//!
//! Nothing here performs I/O or imports the `worker` crate: the Worker turns its request
//! into an [`HttpCall`], authenticates it, calls [`handle`] with a [`ToolRunner`] that runs
//! an [`ApiCall`] through the API's own router, and sends the [`HttpReply`] back.
//!
//! ```text
//! Worker: POST /{projectKey}/mcp
//!   screen(call, server)          Origin → 403, not POST → 405, too large → 413
//!   bearer check                  → unauthorized(server, envelope): 401 + WWW-Authenticate
//!   handle(call, server, runner)  JSON-RPC, both eras
//!     runner.run(tool, api_call)  → (status, body) of the in-process API operation
//! ```
//!
//! - [`protocol`]: the HTTP and JSON-RPC layer and the legacy (handshake) era:
//!   2025-11-25, 2025-06-18 and 2025-03-26 (batches only there).
//! - [`modern`]: the 2026-07-28 stateless profile (`server/discover`, per-request `_meta`,
//!   `Mcp-Method`/`Mcp-Name` headers, −32020/−32022).
//! - [`methods`]: `initialize`, `server/discover`, `tools/list`, `tools/call`.
//! - [`tools`] and [`catalogue`]: the tools, their input schemas, scopes and resources.
//! - [`args`]: argument checks and the argument → [`ApiCall`] mapping (fact sheet §9).
//! - [`results`]: API answer → `CallToolResult` (fact sheet §2.6).
//!
//! # Choices where the fact sheet is silent or UNVERIFIED
//!
//! - **Origin.** A present `Origin` must equal one of [`Server::allowed_origins`] (exact,
//!   ASCII case-insensitive); the list is empty by default, so browsers are refused unless
//!   the Worker allows them. The `403` body is a JSON-RPC error with `id: null`, −32600.
//! - **Body limit.** 1 MiB by default ([`protocol::DEFAULT_MAX_BODY_BYTES`]), answered with
//!   `413` and −32600 (the spec names neither). A batch holds at most 32 messages.
//! - **Unknown arguments** are refused as argument errors (and the schemas say
//!   `additionalProperties: false`) rather than silently dropped, so a misspelt optional
//!   argument (`expands`) cannot quietly change what a call does. `null` counts as absent.
//! - **Argument errors** follow each revision: `isError` from 2025-11-25 on (and in
//!   2026-07-28), JSON-RPC −32602 with `data.errors` in 2025-06-18 and 2025-03-26. An
//!   unknown tool is −32602 in every revision.
//! - **403 from the API** (insufficient scope) is an `isError` result carrying the
//!   commercetools envelope, not an HTTP `403` challenge: the token is valid, the other
//!   tools still work, and the Worker offers no interactive flow to step up scopes, so a
//!   challenge would only make SDK clients throw. A **401 from the API** is escalated to an
//!   HTTP `401` with `WWW-Authenticate` (in a batch, for the whole batch).
//! - **2026-07-28:** `server/discover` without `_meta` is still answered (its revision then
//!   comes from the header), so a probe never fails on that; every other request needs
//!   `_meta` with `protocolVersion` and `clientCapabilities`. Errors from a served method
//!   (unknown tool, bad cursor) are sent with HTTP `200`; the spec fixes only `400` for
//!   header, `_meta` and version failures and `404` for an unknown method. The −32022
//!   `supported` list and `supportedVersions` name every revision served, newest first
//!   (the legacy ones too, as the spec's own example does). Notifications are accepted
//!   with `202` without header checks (the revision defines none for them). `tools/list`
//!   and `server/discover` carry `ttlMs` ([`Server::list_ttl_ms`], 5 minutes by default)
//!   and `cacheScope: "public"`: the list depends on the deployment, not on the caller.
//! - **Era selection** (fact sheet §3, dual-era): `initialize` is always legacy. Any other
//!   request is modern when it carries modern `_meta` (then a legacy header is a −32020
//!   mismatch) or declares 2026-07-28 in `MCP-Protocol-Version` (then missing `_meta` is
//!   −32602). With [`Server::modern`] off, `_meta` is ignored and a 2026-07-28 header gets
//!   the legacy answer `400` + −32600, on which tested clients fall back to `initialize`.

pub mod args;
pub mod catalogue;
pub mod jsonrpc;
pub mod methods;
pub mod modern;
pub mod protocol;
pub mod results;
pub mod tools;
pub mod version;

pub use args::ApiCall;
pub use protocol::{handle, screen, unauthorized, HttpCall, HttpReply, Server, ToolRunner};
pub use tools::{Resource, Tool};
pub use version::Version;
