//! The request context every handler receives: the request, the platform (environment and
//! execution context), the project and store of the path, the time of the request, and — once
//! [`Call::authorize`] passed — the caller's grant.

use serde::de::DeserializeOwned;
use std::rc::Rc;

use worker::{Context, Env, Request};

use crate::domain::auth::{self, AccessGrant, Scope};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::json;
use crate::domain::query;
use crate::domain::values::{ProjectKey, StoreKey};
use crate::domain::version::Version;
use crate::store::d1::{Db, Sessions};
use crate::store::platform::request_now;
use crate::store::repository::View;
use crate::store::writer::{self, Reply, Writes};
use crate::store::{api_clients, customers, tokens};

/// Largest request body accepted (bytes). Larger bodies get 413. What one resource may hold
/// is bounded separately (`domain::customer::limits`).
pub const MAX_BODY_BYTES: usize = 512 * 1024;

pub struct Call {
    pub req: Request,
    pub env: Env,
    /// Shared with in-process calls (the MCP endpoint's tools).
    pub ctx: Rc<Context>,
    /// The project of the path (`/{projectKey}/…`); empty on the authorization server's
    /// project-less paths.
    pub project: ProjectKey,
    /// The store of an in-store path (`…/in-store/key={storeKey}/…`).
    pub store: Option<StoreKey>,
    /// When the request happened (ms since the epoch): one clock for the whole request.
    pub now_ms: i64,
    /// The caller's grant, once authorized.
    pub grant: Option<AccessGrant>,
    /// The request's D1 sessions, one per database it touches (the Sessions API: sequentially
    /// consistent reads, possibly from a replica, starting no earlier than the bookmarks the
    /// client brought in `x-d1-bookmark`, or anywhere without). Shared with
    /// [`crate::http::handle`], which answers with their latest bookmarks, so a client that
    /// sends them back reads its own writes. Locally every statement runs on the primary.
    pub session: Rc<Sessions>,
    /// The customer of a customer's token, as read (on the primary) when its session was
    /// checked: its project, id and representation.
    token_customer: Option<(String, String, View)>,
}

impl Call {
    /// The context of a request to `project`, `store`. A store key that cannot exist names no
    /// store: 404.
    pub fn new(
        req: Request,
        (env, ctx, session): (Env, Rc<Context>, Rc<Sessions>),
        project: String,
        store: Option<String>,
    ) -> ApiResult<Call> {
        let store =
            match store {
                None => None,
                Some(key) => Some(StoreKey::try_from_str(&key).ok_or_else(|| {
                    ApiError::ResourceNotFound {
                        message: format!("The Store with key '{key}' was not found."),
                    }
                })?),
            };
        let now_ms = request_now(&req, &env);
        Ok(Call {
            req,
            env,
            ctx,
            project: ProjectKey::new(&project),
            store,
            now_ms,
            grant: None,
            session,
            token_customer: None,
        })
    }

    pub fn store(&self) -> Option<&str> {
        self.store.as_ref().map(StoreKey::as_str)
    }

    /// The project's database, in the request's D1 session.
    pub fn db(&self) -> ApiResult<Rc<Db>> {
        Ok(Rc::new(self.session.for_project(&self.project)?))
    }

    /// Hands a write to its resource's writer object; the answer's bookmarks become the
    /// request's.
    pub async fn send_write<W: Writes>(&self, command: &W::Command) -> ApiResult<Reply> {
        let reply = writer::send::<W>(&self.env, command).await?;
        self.session.wrote(&reply.bookmarks);
        Ok(reply)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// The decoded query parameters, in order.
    pub fn query_pairs(&self) -> ApiResult<Vec<(String, String)>> {
        Ok(self.req.url()?.query_pairs().into_owned().collect())
    }

    /// The query parameters of a delete: `version` (required) and `dataErasure` (default false).
    pub fn delete_params(&self) -> ApiResult<(Version, bool)> {
        let mut version = None;
        let mut data_erasure = false;
        for (name, value) in self.query_pairs()? {
            match name.as_ref() {
                "version" => {
                    version =
                        Some(
                            Version::parse(&value).map_err(|reason| ApiError::InvalidInput {
                                message: format!(
                                    "The query parameter 'version' is not valid: {reason}."
                                ),
                            })?,
                        )
                }
                "dataErasure" => data_erasure = query::boolean("dataErasure", &value)?,
                _ => {}
            }
        }
        let version = version.ok_or_else(|| ApiError::InvalidInput {
            message: "Missing required query parameter 'version'.".into(),
        })?;
        Ok((version, data_erasure))
    }

    /// The grant of the request's bearer token, if it holds one of `required`. A customer's
    /// token (password flow) also needs its session to stand (no password reset since), and
    /// every token its client to stand (not deleted).
    pub async fn authorize(&mut self, required: &[Scope]) -> ApiResult<&AccessGrant> {
        self.authenticate().await?.authorize(required)?;
        Ok(self.grant())
    }

    /// The grant of the request's bearer token, whatever its scopes: a live token, session
    /// and client (401 otherwise). [`Call::authorize`] also checks the scopes.
    pub async fn authenticate(&mut self) -> ApiResult<&AccessGrant> {
        let header = self.header("Authorization");
        let token = auth::bearer(header.as_deref()).ok_or_else(auth::missing_token)?;
        let grant = tokens::load(&self.env, token)
            .await?
            .ok_or_else(auth::invalid_token)?
            .check_live(self.now_ms)?;
        let live = match grant.customer_id.as_deref() {
            None => true,
            Some(id) => {
                let db = Db::for_customer(&self.env, &grant.project_key, id)?;
                let read = customers::sessions_valid_from_and_view(&db, &grant.project_key, id);
                match read.await? {
                    None => false,
                    Some((valid_from, view)) => {
                        let project = grant.project_key.clone();
                        self.token_customer = Some((project, id.to_string(), view));
                        grant.issued_at_ms >= valid_from
                    }
                }
            }
        };
        if !live || !api_clients::is_live(&self.env, &grant.client_id, self.now_ms).await? {
            return Err(auth::invalid_token().into());
        }
        Ok(self.grant.insert(grant))
    }

    /// The representation of customer `id` of the call's project, if the request's token is
    /// that customer's (read with its session, see [`Call::authenticate`]).
    pub fn take_token_customer(&mut self, id: &str) -> Option<View> {
        match self.token_customer.take() {
            Some((project, owner, view)) if project == self.project.as_str() && owner == id => {
                Some(view)
            }
            _ => None,
        }
    }

    /// The request body, refused with 413 beyond [`MAX_BODY_BYTES`].
    pub async fn body(&mut self) -> ApiResult<Vec<u8>> {
        let too_large = || ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        };
        let declared = self
            .header("Content-Length")
            .and_then(|v| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
            return Err(too_large().into());
        }
        let body = self.req.bytes().await?;
        if body.len() > MAX_BODY_BYTES {
            return Err(too_large().into());
        }
        Ok(body)
    }

    /// The JSON body as `T` (400 `InvalidJsonInput` naming the field otherwise).
    pub async fn json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        Ok(json::parse(&self.body().await?)?)
    }

    /// The grant [`Call::authorize`] admitted.
    pub fn grant(&self) -> &AccessGrant {
        self.grant
            .as_ref()
            .expect("handlers authorize before they use the grant")
    }
}

/// Whether a customer session begun at `issued_at_ms` still stands: the customer exists and
/// no password reset came after. Sessions without a customer always stand.
pub async fn session_is_live(
    env: &Env,
    project: &str,
    customer_id: Option<&str>,
    issued_at_ms: i64,
) -> ApiResult<bool> {
    let Some(customer_id) = customer_id else {
        return Ok(true);
    };
    let db = Db::for_customer(env, project, customer_id)?;
    let mark = customers::sessions_valid_from(&db, project, customer_id).await?;
    Ok(mark.is_some_and(|valid_from| issued_at_ms >= valid_from))
}
