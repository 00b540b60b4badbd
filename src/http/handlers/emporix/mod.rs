//! The Emporix storefront dialect over HTTP: `/customerlogin/auth/anonymous/…` and
//! `/customer/{tenant}/…`. A thin layer: it resolves the tenant to its project, checks the
//! bearer token (the gateway `fault` when it is missing, unknown or expired), and hands each
//! request to the customer operations the commercetools endpoints use (the create path, the
//! writer object, sign-in with its throttling, the token store), translating with
//! `domain::emporix`. Every failure is answered in an Emporix shape, never the commercetools
//! envelope.
//!
//! | file | endpoints |
//! |---|---|
//! | [`session`] | anonymous login and refresh, `login`, `logout`, `refreshauthtoken`, `validateauthtoken` |
//! | [`profile`] | `signup`, `GET`/`PATCH`/`DELETE /me`, double opt-in |
//! | [`addresses`] | `/me/addresses…` and their tags |
//! | [`credentials`] | password change and reset, email change and its confirmation |

mod addresses;
mod credentials;
mod profile;
mod session;

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use worker::{Context, Env, Method, Request, Response};

use crate::domain::auth::{self, AccessGrant};
use crate::domain::customer::actions::UpdateAction;
use crate::domain::customer::me;
use crate::domain::customer::writes::Write;
use crate::domain::customer::{Customer, StoredCustomer};
use crate::domain::emporix::errors::Failure;
use crate::domain::emporix::scopes::EmporixScope;
use crate::domain::emporix::tenant::TenantConfig;
use crate::domain::error::{ApiError, Rejection};
use crate::domain::json;
use crate::domain::resource::UpdateRequest;
use crate::domain::version::Version;
use crate::http::context::Call;
use crate::http::emporix_route::{EmporixRoute, Endpoint};
use crate::http::respond;
use crate::store::customer_writes::CustomerWrites;
use crate::store::d1::Db;
use crate::store::d1::Sessions;
use crate::store::{customers, emporix, tokens, StoreError};

use super::customers::own_profile_command;

/// What an Emporix endpoint answers.
type Answer = Result<Response, Failure>;

impl From<worker::Error> for Failure {
    fn from(error: worker::Error) -> Self {
        Rejection::from(error).into()
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Rejection::from(error).into()
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Self {
        Rejection::from(error).into()
    }
}

/// One Emporix request: the request context for the tenant's project, and the tenant.
pub struct Emporix {
    pub call: Call,
    pub tenant: String,
    pub config: TenantConfig,
}

/// Answers one Emporix request; every failure in an Emporix shape.
pub async fn handle(
    req: Request,
    platform: (Env, Rc<Context>, Rc<Sessions>),
    route: EmporixRoute,
) -> Response {
    let tenant = match &route {
        EmporixRoute::Tenant { tenant, .. } => tenant.clone(),
        _ => query_param(&req, "tenant").unwrap_or_default(),
    };
    match run(req, platform, route, &tenant).await {
        Ok(response) => response,
        Err(failure) => {
            let (status, body) = failure.render(&tenant);
            respond::json(status, body.to_string())
        }
    }
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    let value = url
        .query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned());
    value
}

async fn run(
    req: Request,
    platform: (Env, Rc<Context>, Rc<Sessions>),
    route: EmporixRoute,
    tenant: &str,
) -> Answer {
    let unknown = matches!(
        route,
        EmporixRoute::UnknownLogin
            | EmporixRoute::Tenant {
                endpoint: Endpoint::Unknown,
                ..
            }
    );
    if unknown {
        return Err(Failure::not_found("No endpoint matches the path."));
    }
    if !route.allowed_methods().contains(&req.method().as_ref()) {
        return Err(Failure::service(
            405,
            "method_not_allowed",
            &format!("Allowed methods: {}.", route.allowed_methods().join(", ")),
        ));
    }
    let tenants = emporix::tenants(&platform.0).map_err(StoreError::Other)?;
    let config = tenants.resolve(tenant)?.clone();
    let call = Call::new(req, platform, config.project.clone(), None)?;
    let x = Emporix {
        call,
        tenant: tenant.to_string(),
        config,
    };
    match route {
        EmporixRoute::AnonymousLogin => session::anonymous_login(x).await,
        EmporixRoute::AnonymousRefresh => session::anonymous_refresh(x).await,
        EmporixRoute::Tenant { endpoint, .. } => endpoint_of(x, endpoint).await,
        EmporixRoute::UnknownLogin => Err(Failure::not_found("No endpoint matches the path.")),
    }
}

async fn endpoint_of(x: Emporix, endpoint: Endpoint) -> Answer {
    let method = x.call.req.method();
    match endpoint {
        Endpoint::SignUp => profile::sign_up(x).await,
        Endpoint::Login => session::login(x).await,
        Endpoint::Logout => session::logout(x).await,
        Endpoint::RefreshAuthToken => session::refresh(x).await,
        Endpoint::ValidateAuthToken => session::validate(x).await,
        Endpoint::Me => match method {
            Method::Get => profile::get(x).await,
            Method::Patch => profile::patch(x).await,
            _ => profile::delete(x).await,
        },
        Endpoint::Addresses => match method {
            Method::Get => addresses::list(x).await,
            _ => addresses::create(x).await,
        },
        Endpoint::Address(id) => match method {
            Method::Get => addresses::get(x, &id).await,
            Method::Patch => addresses::patch(x, &id).await,
            _ => addresses::delete(x, &id).await,
        },
        Endpoint::AddressTags(id) => addresses::tags(x, &id, method == Method::Post).await,
        Endpoint::PasswordChange => credentials::change_password(x).await,
        Endpoint::PasswordReset => credentials::reset_password(x).await,
        Endpoint::PasswordResetUpdate => credentials::reset_update(x).await,
        Endpoint::EmailChange => credentials::change_email(x).await,
        Endpoint::EmailChangeConfirm => credentials::confirm_email(x).await,
        Endpoint::OptIn(token) => profile::opt_in(x, &token).await,
        Endpoint::OptInRefresh => profile::opt_in_refresh(x).await,
        Endpoint::Unknown => Err(Failure::not_found("No endpoint matches the path.")),
    }
}

impl Emporix {
    pub fn project(&self) -> &str {
        &self.call.project
    }

    pub fn query(&self, name: &str) -> Option<String> {
        query_param(&self.call.req, name)
    }

    /// The JSON body as `T` (Emporix 400 naming the field otherwise; 413 beyond the limit).
    pub async fn body<T: DeserializeOwned>(&mut self) -> Result<T, Failure> {
        let bytes = self.call.body().await?;
        Ok(json::parse(&bytes)?)
    }

    /// The bearer token's grant: a live token (the shared check: expiry, the customer's
    /// session, the client) that is a storefront token (an anonymous session's or a
    /// customer's) of the tenant's project; else the gateway fault.
    pub async fn bearer(&mut self) -> Result<AccessGrant, Failure> {
        let grant = match self.call.authenticate().await {
            Ok(grant) => grant.clone(),
            Err(rejection) if matches!(rejection.first(), Some(ApiError::InvalidToken { .. })) => {
                return Err(self.refused().await)
            }
            Err(rejection) => return Err(rejection.into()),
        };
        let storefront = grant.customer_id.is_some() || grant.anonymous_id.is_some();
        if grant.project_key != self.project() || !storefront {
            return Err(Failure::invalid_token());
        }
        Ok(grant)
    }

    /// Which fault a refused token gets: "expired" for a known token past its expiry.
    async fn refused(&self) -> Failure {
        let header = self.call.header("Authorization");
        let Some(token) = auth::bearer(header.as_deref()) else {
            return Failure::invalid_token();
        };
        match tokens::load(&self.call.env, token).await {
            Ok(Some(grant)) if self.call.now_ms >= grant.expires_at_ms => {
                Failure::Fault { expired: true }
            }
            _ => Failure::invalid_token(),
        }
    }

    /// A customer's token holding `scope`: its grant and customer id (403 for an anonymous
    /// token or a missing scope).
    pub async fn customer(
        &mut self,
        scope: Option<EmporixScope>,
    ) -> Result<(AccessGrant, String), Failure> {
        let grant = self.bearer().await?;
        let Some(id) = grant.customer_id.clone() else {
            return Err(Failure::service(
                403,
                "Forbidden",
                "A customer access token is required.",
            ));
        };
        if let Some(scope) = scope {
            scope.require(&grant, self.project())?;
        }
        Ok((grant, id))
    }

    /// The customer `id` as Emporix sees it (global customers only; 404 otherwise).
    pub async fn load(&self, id: &str) -> Result<StoredCustomer, Failure> {
        let db = Db::for_customer(&self.call.env, self.project(), id)?;
        let stored = match customers::load(&db, self.project(), id).await? {
            Some(loaded) => loaded.readable()?,
            None => return Err(Failure::not_found("Customer not found.")),
        };
        if !me::visible(&stored.customer.store_keys(), None) {
            return Err(Failure::not_found("Customer not found."));
        }
        Ok(stored)
    }

    /// A write to customer `id` through its writer object, as the customer's own (the `/me`
    /// rules); its answer's body, or the failure.
    pub async fn write(&self, id: &str, write: Write) -> Result<String, Failure> {
        let command = own_profile_command(&self.call, id.to_string(), write);
        let reply = self.call.send_write::<CustomerWrites>(&command).await?;
        if reply.status == 200 {
            Ok(reply.body)
        } else {
            Err(Failure::Envelope {
                status: reply.status,
                body: serde_json::from_str(&reply.body).unwrap_or(Value::Null),
            })
        }
    }

    /// Applies the update actions `build` makes from the current customer, through the
    /// shared update path. Without a version from the client (`build` gives `None`) the
    /// current one is used, and a lost race is tried again on a fresh read.
    pub async fn update<F>(&self, id: &str, build: F) -> Result<Customer, Failure>
    where
        F: Fn(&StoredCustomer) -> Result<(Option<Version>, Vec<UpdateAction>), Failure>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let current = self.load(id).await?;
            let (version, actions) = build(&current)?;
            let retry = version.is_none() && attempts < 3;
            let version = version.unwrap_or(Version::stored(current.customer.meta.version));
            let request = UpdateRequest { version, actions };
            match self.write(id, Write::Update { request }).await {
                Ok(body) => return Ok(serde_json::from_str(&body)?),
                Err(failure) if retry && is_retryable(&failure) => continue,
                Err(failure) => return Err(failure),
            }
        }
    }

    /// The customer's number (its Emporix id): a customer without one gets the next number
    /// of the project's counter, set with `setCustomerNumber` (once: it never changes).
    pub async fn ensure_number(&self, customer: Customer) -> Result<(Customer, String), Failure> {
        let mut customer = customer;
        for _ in 0..3 {
            if let Some(number) = customer.customer_number.clone() {
                return Ok((customer, number));
            }
            let number = emporix::next_customer_number(&*self.call.db()?, self.project()).await?;
            let action = UpdateAction::SetCustomerNumber {
                customer_number: Some(number),
            };
            let version = Version::stored(customer.meta.version);
            let request = UpdateRequest {
                version,
                actions: vec![action],
            };
            let id = customer.meta.id.clone();
            match self.write(&id, Write::Update { request }).await {
                Ok(body) => customer = serde_json::from_str(&body)?,
                Err(failure) if is_retryable(&failure) => customer = self.load(&id).await?.customer,
                Err(failure) => return Err(failure),
            }
        }
        Err(Failure::service(
            409,
            "conflict",
            "The customer is being changed; try again.",
        ))
    }
}

/// A write that may succeed on a fresh read: a version race, a customer number taken (or
/// set) meanwhile.
fn is_retryable(failure: &Failure) -> bool {
    let Failure::Envelope { body, .. } = failure else {
        return false;
    };
    let first = &body["errors"][0];
    match first["code"].as_str() {
        Some("ConcurrentModification") => true,
        Some("DuplicateField") => first["field"] == "customerNumber",
        Some("InvalidOperation") => body["message"]
            .as_str()
            .is_some_and(|m| m.contains("customer number")),
        _ => false,
    }
}

/// A JSON answer.
fn json(status: u16, body: &Value) -> Answer {
    Ok(respond::json(status, body.to_string()))
}

/// An answer without a body (`204`, `202`).
fn empty(status: u16) -> Answer {
    Ok(Response::empty()?.with_status(status))
}

/// The body of a commercetools answer, or its failure.
async fn body_of(response: Response) -> Result<String, Failure> {
    let mut response = response;
    let status = response.status_code();
    let text = response.text().await?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(Failure::Envelope {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        })
    }
}
