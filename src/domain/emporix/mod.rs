//! The Emporix storefront dialect (Emporix's customer-managed Customer Service) as pure
//! translation: Emporix requests become the existing customer operations (drafts, update
//! actions, credential writes, OAuth grants) and their answers become Emporix bodies. No rule
//! of the customer lives here; only how the two vocabularies map onto each other.
//!
//! | file | what it maps |
//! |---|---|
//! | [`tenant`] | tenants (path or query) onto projects, the `EMPORIX_TENANTS` configuration |
//! | [`errors`] | the commercetools error envelope onto Emporix's `{status, type, message, details}` and the gateway `fault` |
//! | [`scopes`] | Emporix scope names onto the `/me` scopes a token holds |
//! | [`profile`] | the Emporix Customer, `PATCH /me` (merge patch → update actions), the signup body (→ CustomerDraft) |
//! | [`addresses`] | Emporix addresses and their tags onto commercetools addresses and roles |
//! | [`tokens`] | the token lifetimes and the login, refresh and anonymous token bodies |
//! | [`jwt`] | the `saas_token`: an HS256 JWT, signed and verified |

pub mod addresses;
pub mod errors;
pub mod jwt;
pub mod profile;
pub mod scopes;
pub mod tenant;
pub mod tokens;
