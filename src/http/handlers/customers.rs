//! The customers endpoints, global (`/{projectKey}/customers…`) and in-store
//! (`/{projectKey}/in-store/key={storeKey}/customers…`): query, HEAD by predicate, create, and
//! get, HEAD, update and delete by id or key.

use serde::de::DeserializeOwned;
use worker::{Method, Response};

use crate::domain::auth::{customer_scopes, Access, AccessGrant, StoreReach};
use crate::domain::customer::draft::{self, CreateContext, Created, CustomerDraft};
use crate::domain::customer::schema::FIELDS;
use crate::domain::customer::writes::{Caller, Write, WriterCommand};
use crate::domain::customer::Customer;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::parse_request;
use crate::domain::resource::Resource;
use crate::http::context::Call;
use crate::http::expand;
use crate::http::respond;
use crate::http::route::Target;
use crate::store::customer_table::{self, Customers, QUERY_TABLE};
use crate::store::customer_writes::{self, duplicate_or_failure, CustomerWrites};
use crate::store::d1::Db;
use crate::store::platform::CryptoRandom;
use crate::store::repository::{self, Lookup};
use crate::store::{config, customers, email_lock, passwords, references, table};

/// `/customers`: query (GET), check by predicate (HEAD), create (POST).
pub async fn collection(call: Call) -> ApiResult<Response> {
    match call.req.method() {
        Method::Post => create(call).await,
        method => query(call, method == Method::Head).await,
    }
}

/// `/customers/{id}` and `/customers/key={key}`: get, check (HEAD), update (POST), delete.
pub async fn single(call: Call, target: &Target) -> ApiResult<Response> {
    match call.req.method() {
        Method::Get | Method::Head => get(call, target).await,
        Method::Post => update(call, target).await,
        _ => delete(call, target).await,
    }
}

/// Authorizes a customer-reading (`View`) or -writing (`Manage`) request: the project-wide
/// scope, or, on an in-store path, the store's.
pub async fn authorize(call: &mut Call, access: Access) -> ApiResult<AccessGrant> {
    let scopes = customer_scopes(access, &call.project, call.store());
    Ok(call.authorize(&scopes).await?.clone())
}

/// The grant of a customer-writing request and its JSON body as `T`: authentication comes
/// before the body is looked at.
pub async fn manage<T: DeserializeOwned>(call: &mut Call) -> ApiResult<(AccessGrant, T)> {
    let grant = authorize(call, Access::Manage).await?;
    Ok((grant, call.json().await?))
}

/// `GET /customers` → CustomerPagedQueryResponse; `HEAD /customers?where=…` → 200 if any
/// customer matches, else 404.
async fn query(mut call: Call, head: bool) -> ApiResult<Response> {
    authorize(&mut call, Access::View).await?;
    crate::http::query::answer(&call, FIELDS, &QUERY_TABLE, head).await
}

fn not_found(target: &Target) -> ApiError {
    match target {
        Target::Id(id) => ApiError::not_found_id(id),
        Target::Key(key) => ApiError::not_found_key(key),
    }
}

/// `POST /customers`: 201 `{customer}`.
async fn create(mut call: Call) -> ApiResult<Response> {
    let (grant, draft): (_, CustomerDraft) = manage(&mut call).await?;
    let reach = grant.customer_write_reach(&call.project);
    sign_up(&call, &grant.client_id, &reach, draft).await
}

/// Creates the customer of `draft` for client `client_id`, which may create customers within
/// `reach`: 201 `{customer}` (expanded as asked). The email is locked for the length of the
/// write, so a concurrent create or email change of the same email is told to retry (409).
pub async fn sign_up(
    call: &Call,
    client_id: &str,
    reach: &StoreReach,
    draft: CustomerDraft,
) -> ApiResult<Response> {
    let created = create_customer(call, client_id, reach, draft).await?;
    let body = format!(
        "{{\"customer\":{}}}",
        created.stored.customer.to_json_string()
    );
    Ok(respond::json(201, expand::single(call, body, true).await?))
}

/// Creates the customer of `draft` as [`sign_up`] does (email lock, password hash,
/// `CustomerCreated`), answering what was written.
pub async fn create_customer(
    call: &Call,
    client_id: &str,
    reach: &StoreReach,
    draft: CustomerDraft,
) -> ApiResult<Created> {
    let created = new_customer(call, client_id, reach, draft).await?;
    insert_locked(call, &created).await?;
    Ok(created)
}

/// The customer a draft makes: its referenced groups and types loaded, its password hashed.
async fn new_customer(
    call: &Call,
    client_id: &str,
    reach: &StoreReach,
    draft: CustomerDraft,
) -> ApiResult<Created> {
    let refs = references::load(&*call.db()?, &call.project, &draft::wanted(&draft)).await?;
    let context = CreateContext {
        now_ms: call.now_ms,
        by: ClientLogging::client(client_id),
        store: call.store(),
        reach,
        refs: &refs,
    };
    let prepared = draft::prepare(draft, context, &mut CryptoRandom)?;
    let password_hash = match prepared.plain_password() {
        Some(plain) => Some(passwords::hash(plain, config::pbkdf2_iterations(&call.env)).await?),
        None => None,
    };
    Ok(prepared.finish(password_hash, &mut CryptoRandom))
}

/// Inserts a new customer holding its email's lock (released once the answer is on its way).
async fn insert_locked(call: &Call, created: &Created) -> ApiResult<()> {
    // Re-balancing: refused (503) before anything is claimed.
    Db::writable(&call.env)?;
    let customer = &created.stored.customer;
    let email = customer.lowercase_email().to_string();
    let owner = customer.meta.id.clone();
    if !email_lock::claim(&call.env, &call.project, &email, &owner).await? {
        return Err(ApiError::LockedField {
            field: "email".into(),
        }
        .into());
    }
    let place = (&*call.project, Customer::TYPE_ID);
    let message = std::slice::from_ref(&created.message);
    let mut batch = table::insert::<Customers>(place, &created.stored, message);
    if let Some(anonymous_id) = &created.anonymous_id {
        let claim = customer_table::anonymous_id_claim(&call.project, &owner, anonymous_id);
        batch.push(claim);
    }
    let change = (None, Some(&created.stored));
    let written =
        customer_writes::write_batch(&call.session, &call.project, change, &batch, call.now_ms)
            .await;
    let (env, project) = (call.env.clone(), call.project.to_string());
    call.ctx.wait_until(async move {
        if let Err(e) = email_lock::release(&env, &project, &email, &owner).await {
            worker::console_error!("email lock release: {e}");
        }
    });
    written.map_err(|e| duplicate_or_failure(e, customer))?;
    Ok(())
}

async fn get(mut call: Call, target: &Target) -> ApiResult<Response> {
    authorize(&mut call, Access::View).await?;
    let lookup = match target {
        Target::Id(id) => Lookup::Id(id),
        Target::Key(key) => Lookup::Key(key),
    };
    let view = customers::view(&call.session, &call.project, lookup)
        .await?
        .filter(|v| call.store().is_none_or(|s| v.visible_in_store(s)))
        .ok_or_else(|| not_found(target))?;
    Ok(respond::json(
        200,
        expand::single(&call, view.doc, false).await?,
    ))
}

/// The id of the customer a path names (a key is looked up).
async fn resolve_id(call: &Call, target: &Target) -> ApiResult<String> {
    match target {
        Target::Id(id) => Ok(id.clone()),
        Target::Key(key) => repository::id_by_key::<Customers>(&*call.db()?, &call.project, key)
            .await?
            .ok_or_else(|| not_found(target).into()),
    }
}

/// A write to customer `id`, at the time of the request.
pub fn writer_command(call: &Call, id: String, caller: Caller, write: Write) -> WriterCommand {
    WriterCommand {
        project: call.project.to_string(),
        id,
        store: call.store().map(str::to_string),
        caller,
        now_ms: call.now_ms,
        write,
        own_profile: false,
    }
}

/// A write by the customer itself through `/me` to customer `id` (its own, or the one a token
/// it redeems names), seen as `/me` sees customers. No MyCustomer write changes stores, so it
/// needs no store reach of its own.
pub fn own_profile_command(call: &Call, id: String, write: Write) -> WriterCommand {
    let caller = Caller::internal(&call.grant().client_id);
    WriterCommand {
        own_profile: true,
        ..writer_command(call, id, caller, write)
    }
}

/// Hands a write to the customer's writer object and passes its answer on (a customer
/// expanded as the request asks).
pub async fn send(call: &Call, command: &WriterCommand) -> ApiResult<Response> {
    let reply = call.send_write::<CustomerWrites>(command).await?;
    let body = match reply.status {
        200 => expand::single(call, reply.body, false).await?,
        _ => reply.body,
    };
    Ok(respond::json(reply.status, body))
}

/// A back-office write to the customer a path names.
pub async fn write(call: &Call, target: &Target, write: Write) -> ApiResult<Response> {
    let id = match target {
        Target::Id(id) => id.clone(),
        Target::Key(_) => resolve_id(call, target).await?,
    };
    let caller = Caller::of(call.grant(), &call.project);
    let response = send(call, &writer_command(call, id, caller, write)).await?;
    if let (Target::Key(_), 404) = (target, response.status_code()) {
        // Gone between the key lookup and the write: report it by the key that was asked.
        return Err(not_found(target).into());
    }
    Ok(response)
}

async fn update(mut call: Call, target: &Target) -> ApiResult<Response> {
    authorize(&mut call, Access::Manage).await?;
    let request = parse_request(&call.body().await?)?;
    write(&call, target, Write::Update { request }).await
}

async fn delete(mut call: Call, target: &Target) -> ApiResult<Response> {
    authorize(&mut call, Access::Manage).await?;
    let (version, data_erasure) = call.delete_params()?;
    let erase = Write::Delete {
        version,
        data_erasure,
    };
    write(&call, target, erase).await
}
