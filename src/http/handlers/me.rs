//! The storefront's own account, global (`/{projectKey}/me…`) and in-store
//! (`/{projectKey}/in-store/key={storeKey}/me…`): get, update and delete `me`, `me/signup`,
//! `me/login`, `me/password`, `me/password/reset`, `me/email/confirm`.
//!
//! A thin layer over the customer operations: the customer is always the token's
//! (`customer_id`), never one a path, body or query names; what a shopper may set is
//! `domain::customer::me`; everything else (drafts, actions, versions, messages, the writer
//! object, throttling, tokens) is the customer endpoints' own code.

use worker::{Method, Response};

use super::credentials::{self, begin_attempt, redeem_email_token, redeem_password_token};
use super::customers::{own_profile_command, send, sign_up as create};
use crate::domain::auth::{my_profile_scopes, Access, AccessGrant};
use crate::domain::customer::credentials::{ConfirmEmailDraft, ResetPasswordDraft, SignInDraft};
use crate::domain::customer::me::{self, MyChangePasswordDraft};
use crate::domain::customer::writes::Write;
use crate::domain::error::{ApiError, ApiResult};
use crate::http::context::Call;
use crate::http::route::MyEndpoint;
use crate::http::{expand, respond};
use crate::store::customers::{self, Loaded};
use crate::store::d1::Db;
use crate::store::repository::Lookup;

pub async fn handle(call: Call, endpoint: MyEndpoint) -> ApiResult<Response> {
    match endpoint {
        MyEndpoint::Profile => match call.req.method() {
            Method::Get => get(call).await,
            Method::Post => update(call).await,
            _ => delete(call).await,
        },
        MyEndpoint::SignUp => sign_up(call).await,
        MyEndpoint::Login => sign_in(call).await,
        MyEndpoint::ChangePassword => change_password(call).await,
        MyEndpoint::ResetPassword => reset_password(call).await,
        MyEndpoint::ConfirmEmail => confirm_email(call).await,
    }
}

/// Reading needs `view_my_profile` (or `manage_my_profile`), writing `manage_my_profile`; on
/// an in-store path the store's scope opens that store only.
async fn authorize(call: &mut Call, access: Access) -> ApiResult<AccessGrant> {
    let scopes = my_profile_scopes(access, &call.project, call.store());
    Ok(call.authorize(&scopes).await?.clone())
}

/// The customer of the token: 403 for a token issued for no customer (client credentials,
/// anonymous sessions).
async fn my_id(call: &mut Call, access: Access) -> ApiResult<String> {
    let grant = authorize(call, access).await?;
    grant
        .customer_id
        .ok_or_else(|| ApiError::NoCustomerInToken.into())
}

/// 404 for the token's customer where `/me` does not see it (a store customer outside its
/// stores).
fn not_here(id: &str) -> ApiError {
    ApiError::not_found_id(id)
}

/// `GET …/me`: the token's customer (expanded as asked).
async fn get(mut call: Call) -> ApiResult<Response> {
    let id = my_id(&mut call, Access::View).await?;
    let view = match call.take_token_customer(&id) {
        Some(view) => Some(view),
        None => customers::view(&call.session, &call.project, Lookup::Id(&id)).await?,
    };
    let view = view
        .filter(|v| me::visible(&v.stores, call.store()))
        .ok_or_else(|| not_here(&id))?;
    Ok(respond::json(
        200,
        expand::single(&call, view.doc, false).await?,
    ))
}

/// `POST …/me` `{version, actions}`: the MyCustomer actions only.
async fn update(mut call: Call) -> ApiResult<Response> {
    let id = my_id(&mut call, Access::Manage).await?;
    let request = me::parse_update(&call.body().await?)?;
    send(
        &call,
        &own_profile_command(&call, id, Write::Update { request }),
    )
    .await
}

/// `DELETE …/me?version=` (`dataErasure` as on `/customers`).
async fn delete(mut call: Call) -> ApiResult<Response> {
    let id = my_id(&mut call, Access::Manage).await?;
    let (version, data_erasure) = call.delete_params()?;
    let erase = Write::Delete {
        version,
        data_erasure,
    };
    send(&call, &own_profile_command(&call, id, erase)).await
}

/// `POST …/me/signup` (MyCustomerDraft): 201 `{customer}`. An anonymous session's id is
/// recorded with the customer; in a store the customer is the store's.
async fn sign_up(mut call: Call) -> ApiResult<Response> {
    let grant = authorize(&mut call, Access::Manage).await?;
    let draft = me::parse_draft(&call.body().await?, grant.anonymous_id.as_deref())?;
    let reach = grant.sign_up_reach(&call.project);
    create(&call, &grant.client_id, &reach, draft).await
}

/// `POST …/me/login` (MyCustomerSignin): as `…/login`.
async fn sign_in(mut call: Call) -> ApiResult<Response> {
    authorize(&mut call, Access::Manage).await?;
    let draft: SignInDraft = call.json().await?;
    credentials::sign_in_with(&call, &draft).await
}

/// `POST …/me/password` `{version, currentPassword, newPassword}`. The attempt counts in the
/// sign-in throttling of the customer's email until it succeeds; a change ends every session
/// of the customer (this one included: the shopper signs in again with the new password).
async fn change_password(mut call: Call) -> ApiResult<Response> {
    let id = my_id(&mut call, Access::Manage).await?;
    let draft: MyChangePasswordDraft = call.json().await?;
    credentials::check_new_password("newPassword", &draft.new_password)?;
    let email = my_email(&call, &id).await?;
    let (attempt, delay_ms) = begin_attempt(&call, &email).await?;
    let change = Write::ChangePassword {
        version: draft.version,
        current_password: draft.current_password,
        new_password: draft.new_password,
        end_sessions: true,
    };
    let response = send(&call, &own_profile_command(&call, id, change)).await?;
    if response.status_code() == 200 {
        attempt.succeeded(&call.env).await?;
    } else {
        credentials::slow_down(delay_ms).await;
    }
    Ok(response)
}

/// The email of the token's customer, where `/me` sees it (404 otherwise).
async fn my_email(call: &Call, id: &str) -> ApiResult<String> {
    let stored = match customers::load(
        &Db::for_customer(&call.env, &call.project, id)?,
        &call.project,
        id,
    )
    .await?
    {
        Some(Loaded::Readable(stored) | Loaded::Unreadable(stored)) => stored,
        None => return Err(not_here(id).into()),
    };
    let customer = stored.customer;
    if !me::visible(&customer.store_keys(), call.store()) {
        return Err(not_here(id).into());
    }
    Ok(customer.email.as_str().to_string())
}

/// `POST …/me/password/reset` `{tokenValue, newPassword}`: the customer is the reset token's.
async fn reset_password(mut call: Call) -> ApiResult<Response> {
    authorize(&mut call, Access::Manage).await?;
    let draft: ResetPasswordDraft = call.json().await?;
    redeem_password_token(&call, draft, true).await
}

/// `POST …/me/email/confirm` `{tokenValue}`: the customer is the email token's.
async fn confirm_email(mut call: Call) -> ApiResult<Response> {
    authorize(&mut call, Access::Manage).await?;
    let draft: ConfirmEmailDraft = call.json().await?;
    redeem_email_token(&call, draft, true).await
}
