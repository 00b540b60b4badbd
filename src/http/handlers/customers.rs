//! The customers endpoints, global (`/{projectKey}/customers…`) and in-store
//! (`/{projectKey}/in-store/key={storeKey}/customers…`).

use worker::{Context, Env, Method, Request, Response};

use super::{authorize, check_store_key, manage_customers, read_body};
use crate::domain::auth::{customer_scopes, Access};
use crate::domain::customer::ClientLogging;
use crate::domain::draft::{self, CreateContext, CustomerDraft};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::version::Version;
use crate::domain::{query, update};
use crate::http::respond;
use crate::http::route::Target;
use crate::store::customer_writer::{
    self, duplicate_or_failure, store_failure, Caller, Write, WriterCommand,
};
use crate::store::platform::{request_now, CryptoRandom};
use crate::store::{config, customers, email_lock, passwords, query_sql};

/// `/customers`: query (GET), check by predicate (HEAD), create (POST).
pub async fn collection(
    req: Request,
    env: &Env,
    ctx: &Context,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    check_store_key(store)?;
    match req.method() {
        Method::Post => create(req, env, ctx, project, store).await,
        method => query(req, env, project, store, method == Method::Head).await,
    }
}

/// `GET /customers` → CustomerPagedQueryResponse; `HEAD /customers?where=…` → 200 if any
/// customer matches, else 404.
async fn query(
    req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    head: bool,
) -> ApiResult<Response> {
    authorize(&req, env, &customer_scopes(Access::View, project, store)).await?;
    let url = req.url().map_err(|e| respond::internal("request URL", e))?;
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let query = query::from_params(&params)?;
    let db = customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
    if head {
        let statement = query_sql::exists(project, store, query.filter.as_ref())?;
        let found = customers::exists(&db, &statement)
            .await
            .map_err(|e| store_failure("query customers", e))?;
        return if found {
            Ok(respond::json(200, String::new()))
        } else {
            Err(ApiError::ResourceNotFound {
                message: "No customer matches the query.".into(),
            }
            .into())
        };
    }
    let compiled = query_sql::compile(project, store, &query)?;
    let (docs, total) = customers::query(&db, &compiled)
        .await
        .map_err(|e| store_failure("query customers", e))?;
    let total = total.map(|t| format!(",\"total\":{t}")).unwrap_or_default();
    Ok(respond::json(
        200,
        format!(
            "{{\"limit\":{},\"offset\":{},\"count\":{}{total},\"results\":[{}]}}",
            query.limit,
            query.offset,
            docs.len(),
            docs.join(",")
        ),
    ))
}

/// `/customers/{id}` and `/customers/key={key}`: get, check (HEAD), update (POST), delete.
pub async fn single(
    req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    target: &Target,
) -> ApiResult<Response> {
    check_store_key(store)?;
    match req.method() {
        Method::Get | Method::Head => get(req, env, project, store, target).await,
        Method::Post => update(req, env, project, store, target).await,
        Method::Delete => delete(req, env, project, store, target).await,
        _ => Err(ApiError::MethodNotAllowed {
            allowed: vec!["GET", "HEAD", "POST", "DELETE"],
        }
        .into()),
    }
}

fn not_found(target: &Target) -> ApiError {
    match target {
        Target::Id(id) => ApiError::not_found_id(id),
        Target::Key(key) => ApiError::not_found_key(key),
    }
}

async fn create(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, CustomerDraft) =
        manage_customers(&mut req, env, project, store).await?;
    let prepared = draft::prepare(
        draft,
        CreateContext {
            now_ms: request_now(&req, env),
            by: ClientLogging::client(&grant.client_id),
            store,
            reach: &grant.customer_write_reach(project),
        },
        &mut CryptoRandom,
    )?;
    let password_hash = match prepared.plain_password() {
        Some(plain) => Some(
            passwords::hash(plain, config::pbkdf2_iterations(env))
                .await
                .map_err(|e| respond::internal("password hash", e))?,
        ),
        None => None,
    };
    let created = prepared.finish(password_hash, &mut CryptoRandom);
    let customer = &created.stored.customer;
    let email = customer.lowercase_email();

    // Claim the email for the write; a concurrent create or email change is told to retry.
    let held = email_lock::claim(env, project, &email, &customer.id)
        .await
        .map_err(|e| respond::internal("email lock", e))?;
    if !held {
        return Err(ApiError::LockedField {
            field: "email".into(),
        }
        .into());
    }
    let db = customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
    let written = customers::insert(&db, project, &created.stored, &created.message).await;
    let (env2, project2, email2, owner) =
        (env.clone(), project.to_string(), email, customer.id.clone());
    ctx.wait_until(async move {
        if let Err(e) = email_lock::release(&env2, &project2, &email2, &owner).await {
            worker::console_error!("email lock release: {e}");
        }
    });
    written.map_err(|e| duplicate_or_failure(e, customer))?;
    Ok(respond::json(
        201,
        format!("{{\"customer\":{}}}", customer.to_json_string()),
    ))
}

async fn get(
    req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    target: &Target,
) -> ApiResult<Response> {
    authorize(&req, env, &customer_scopes(Access::View, project, store)).await?;
    let db = customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
    let found = match target {
        Target::Id(id) => customers::view_by_id(&db, project, id).await,
        Target::Key(key) => customers::view_by_key(&db, project, key).await,
    }
    .map_err(|e| store_failure("read customer", e))?;
    let view = found
        .filter(|v| store.is_none_or(|s| v.visible_in_store(s)))
        .ok_or_else(|| not_found(target))?;
    Ok(respond::json(200, view.doc))
}

/// The query parameters of a delete: `version` (required) and `dataErasure` (default false).
fn delete_params(req: &Request) -> ApiResult<(u64, bool)> {
    let url = req.url().map_err(|e| respond::internal("request URL", e))?;
    let mut version = None;
    let mut data_erasure = false;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "version" => {
                version = Some(
                    Version::parse(&value).map_err(|reason| ApiError::InvalidInput {
                        message: format!("The query parameter 'version' is not valid: {reason}."),
                    })?,
                )
            }
            "dataErasure" => {
                data_erasure = match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ApiError::InvalidInput {
                            message: format!(
                        "The query parameter 'dataErasure' must be true or false, not '{value}'."
                    ),
                        }
                        .into())
                    }
                }
            }
            _ => {}
        }
    }
    let version = version.ok_or_else(|| ApiError::InvalidInput {
        message: "Missing required query parameter 'version'.".into(),
    })?;
    Ok((version.get(), data_erasure))
}

/// The id of the customer a path names (a key is looked up).
async fn resolve_id(env: &Env, project: &str, target: &Target) -> ApiResult<String> {
    match target {
        Target::Id(id) => Ok(id.clone()),
        Target::Key(key) => {
            let db = customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
            customers::id_by_key(&db, project, key)
                .await
                .map_err(|e| store_failure("read customer", e))?
                .ok_or_else(|| not_found(target).into())
        }
    }
}

/// A write to customer `id`, at the time of the request.
pub fn writer_command(
    req: &Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    id: String,
    caller: Caller,
    write: Write,
) -> WriterCommand {
    WriterCommand {
        project: project.to_string(),
        id,
        store: store.map(str::to_string),
        caller,
        now_ms: request_now(req, env),
        pbkdf2_iterations: config::pbkdf2_iterations(env),
        write,
    }
}

/// Hands a write to the customer's writer object and passes its answer on.
pub async fn write(env: &Env, target: &Target, command: WriterCommand) -> ApiResult<Response> {
    let response = customer_writer::send(env, &command)
        .await
        .map_err(|e| respond::internal("customer writer", e))?;
    if let (Target::Key(_), 404) = (target, response.status_code()) {
        // Gone between the key lookup and the write: report it by the key that was asked.
        return Err(not_found(target).into());
    }
    Ok(response)
}

async fn update(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    target: &Target,
) -> ApiResult<Response> {
    let grant = authorize(&req, env, &customer_scopes(Access::Manage, project, store)).await?;
    let body = read_body(&mut req).await?;
    let request = update::parse_request(&body)?;
    let id = resolve_id(env, project, target).await?;
    let command = writer_command(
        &req,
        env,
        project,
        store,
        id,
        Caller::of(&grant, project),
        Write::Update { request },
    );
    write(env, target, command).await
}

async fn delete(
    req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    target: &Target,
) -> ApiResult<Response> {
    let grant = authorize(&req, env, &customer_scopes(Access::Manage, project, store)).await?;
    let (version, data_erasure) = delete_params(&req)?;
    let id = resolve_id(env, project, target).await?;
    let write_ = Write::Delete {
        version,
        data_erasure,
    };
    let caller = Caller::of(&grant, project);
    let command = writer_command(&req, env, project, store, id, caller, write_);
    write(env, target, command).await
}
