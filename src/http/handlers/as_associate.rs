//! `/{projectKey}/as-associate/{associateId}/business-units…`: a business customer's
//! associate (a customer id) working on the units it belongs to, under an API client's token
//! (`view_business_units` to read, `manage_business_units` to write). The associate's
//! permissions in the unit (explicit and inherited roles, as in the associate lookup) decide
//! each write (`domain::business_unit::permissions`); there is no delete.
//!
//! - get/HEAD by id or key: the unit, if the customer is an associate of it (else 404);
//! - query: the units where the customer is an associate, explicitly or by inheritance (as
//!   the lookup computes it; at most 1 000 inherited units);
//! - update: each action's permission in the unit, and `AddChildUnits` in a new parent;
//! - create: a Division, with `AddChildUnits` in its parent (a Company: 400).
//!
//! The permissions are read before the write goes to the unit's writer object, so a role
//! removed in between is not seen by that write.
//!
//! `/{projectKey}/me/business-units…` is the same with the token's customer as the associate
//! (scope `manage_my_business_units`, for reads too): the 18 MyBusinessUnit actions only, a
//! `changeParentUnit` within the unit's tree, no expansion of associates' customers (401), and
//! a create of a MyBusinessUnitDraft (a Company, or a Division with `AddChildUnits` in its
//! parent) whose creator becomes its associate with the project's
//! `myBusinessUnitAssociateRoleOnCreation` (none configured: 400 `InvalidOperation`) and
//! whose status is the project's `myBusinessUnitStatusOnCreation`.
//!
//! `/{projectKey}/in-business-unit/key={key}/me/customers` signs up a customer (the
//! `/me/signup` path) and adds it with `addAssociate` (`UpdateAssociates` in the unit); the
//! customer is deleted again if adding it fails.

use worker::{Method, Response};

use crate::domain::auth::{Scope, StoreReach};
use crate::domain::business_unit::actions::BusinessUnitAction;
use crate::domain::business_unit::associates::AssociateDraft;
use crate::domain::business_unit::draft::BusinessUnitDraft;
use crate::domain::business_unit::permissions::{self, ADD_CHILD_UNITS};
use crate::domain::business_unit::{BusinessUnit, UnitType};
use crate::domain::customer::writes::Write;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::query;
use crate::domain::references::Wanted;
use crate::domain::refs::{ClientLogging, ResourceIdentifier};
use crate::domain::resource::parse_request;
use crate::domain::resource::UpdateRequest;
use crate::domain::version::Version;
use crate::http::context::Call;
use crate::http::handlers::business_units::{access_in, identifier, one_with_inherited};
use crate::http::handlers::customers;
use crate::http::handlers::resources;
use crate::http::route::Target;
use crate::http::{expand, respond};
use crate::store::business_unit_table::{
    inherited_memberships, BusinessUnits, MAX_INHERITED_MEMBERSHIPS,
};
use crate::store::kind::Kind;
use crate::store::references;
use crate::store::resources::ResourceWrite;

/// Who acts: the associate a path names (`as-associate`), or the token's customer (`/me`).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Associate(&'a str),
    Me,
}

/// The authorized caller: the associate's customer id and who writes.
struct Acting {
    associate: String,
    by: ClientLogging,
    me: bool,
}

/// Every `as-associate` and `/me` business-unit endpoint.
pub async fn handle(call: Call, actor: Actor<'_>, target: Option<&Target>) -> ApiResult<Response> {
    let method = call.req.method();
    match (target, method) {
        (None, Method::Post) => create(call, actor).await,
        (None, method) => query(call, actor, method == Method::Head).await,
        (Some(target), Method::Post) => update(call, actor, target).await,
        (Some(target), _) => get(call, actor, target).await,
    }
}

async fn authorize(call: &mut Call, actor: Actor<'_>, manage: bool) -> ApiResult<Acting> {
    let name = match (actor, manage) {
        (Actor::Me, _) => "manage_my_business_units",
        (_, true) => "manage_business_units",
        (_, false) => "view_business_units",
    };
    let grant = call
        .authorize(&[Scope::new(name, &call.project, None)])
        .await?;
    let associate = match actor {
        Actor::Associate(id) => id.to_string(),
        Actor::Me => grant
            .customer_id
            .clone()
            .ok_or(ApiError::NoCustomerInToken)?,
    };
    let me = matches!(actor, Actor::Me);
    let by = ClientLogging::client(&grant.client_id).as_associate(&associate, me);
    if matches!(actor, Actor::Me) {
        let expand: Vec<String> = call
            .query_pairs()?
            .into_iter()
            .filter(|(name, _)| name == "expand")
            .map(|(_, value)| value)
            .collect();
        permissions::check_my_expansion(&expand)?;
    }
    Ok(Acting {
        associate,
        by,
        me: matches!(actor, Actor::Me),
    })
}

async fn get(mut call: Call, actor: Actor<'_>, target: &Target) -> ApiResult<Response> {
    let Acting { associate, .. } = authorize(&mut call, actor, false).await?;
    let associate = associate.as_str();
    let (unit, _) = access_in(&call, &identifier(target), associate).await?;
    let doc = one_with_inherited(&call, serde_json::to_string(&unit)?).await?;
    let body = expand::single(&call, doc, false).await?;
    Ok(respond::json(200, body))
}

async fn query(mut call: Call, actor: Actor<'_>, head: bool) -> ApiResult<Response> {
    let Acting { associate, .. } = authorize(&mut call, actor, false).await?;
    if associate.contains(['"', '\\']) {
        return Err(ApiError::InvalidInput {
            message: format!("'{associate}' is not a customer id."),
        }
        .into());
    }
    let explicit = format!("associates(customer(id = \"{associate}\"))");
    let inherited = inherited_keys(&call, &associate).await?;
    let mut pairs = call.query_pairs()?;
    pairs.retain(|(name, _)| name != INHERITED_VAR);
    pairs.push(("where".into(), member_of(&explicit, &inherited)));
    pairs.extend(
        inherited
            .into_iter()
            .map(|key| (INHERITED_VAR.to_string(), key)),
    );
    let parsed = query::from_params(&pairs, BusinessUnits::FIELDS)?;
    crate::http::query::run(&call, &parsed, &BusinessUnits::QUERY_TABLE, head).await
}

/// The keys of the units where the associate is one only by inheritance (400 beyond
/// `MAX_INHERITED_MEMBERSHIPS`).
async fn inherited_keys(call: &Call, associate: &str) -> ApiResult<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Key {
        key: String,
    }
    let statement = inherited_memberships(&call.project, associate);
    let keys: Vec<Key> = call.db()?.all(&statement).await?;
    if keys.len() > MAX_INHERITED_MEMBERSHIPS as usize {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The associate '{associate}' inherits more than {MAX_INHERITED_MEMBERSHIPS} business units: query them through /business-units."
            ),
        }
        .into());
    }
    Ok(keys.into_iter().map(|k| k.key).collect())
}

/// The query variable carrying the inherited units' keys (one the request may not set: a
/// value of its own is dropped, so it cannot widen the list).
const INHERITED_VAR: &str = "var.asAssociateInheritedUnits";

/// The predicate of the units the associate belongs to: explicitly, or by inheritance (the
/// keys in [`INHERITED_VAR`], if any).
fn member_of(explicit: &str, inherited: &[String]) -> String {
    if inherited.is_empty() {
        return explicit.to_string();
    }
    let var = INHERITED_VAR.trim_start_matches("var.");
    format!("{explicit} or key in :{var}")
}

async fn update(mut call: Call, actor: Actor<'_>, target: &Target) -> ApiResult<Response> {
    let acting = authorize(&mut call, actor, true).await?;
    let associate = acting.associate.as_str();
    let request = parse_request::<BusinessUnitAction>(&call.body().await?)?;
    if acting.me {
        permissions::check_my_actions(&request.actions)?;
    }
    let (unit, access) = access_in(&call, &identifier(target), associate).await?;
    permissions::check_update(associate, &unit, &access.permissions, &request.actions)?;
    buyer_assignable(&call, &request.actions).await?;
    for action in &request.actions {
        if let Some(parent) = permissions::new_parent(action) {
            let doing = permissions::action_name(action);
            let parent = may_add_child(&call, associate, parent, &doing).await?;
            if acting.me {
                permissions::check_my_move(&unit, &parent)?;
            }
        }
    }
    let target = Target::Id(unit.meta.id.clone());
    let write = ResourceWrite::Update { request };
    resources::write::<BusinessUnits>(&call, &target, acting.by, write).await
}

async fn create(mut call: Call, actor: Actor<'_>) -> ApiResult<Response> {
    let Acting { associate, by, me } = authorize(&mut call, actor, true).await?;
    let draft: BusinessUnitDraft = if me {
        let settings = crate::store::search::project_settings(&*call.db()?, &call.project)
            .await?
            .map(|row| row.3)
            .unwrap_or_default();
        permissions::my_draft(&call.body().await?, &associate, &settings)?
    } else {
        call.json().await?
    };
    match (&draft.unit_type, &draft.parent_unit) {
        (UnitType::Division, Some(parent)) => {
            may_add_child(&call, &associate, parent, "create a Division").await?;
        }
        // A customer founds a Company on /me.
        (UnitType::Company, _) if me => {}
        _ => {
            return Err(ApiError::InvalidOperation {
                message: "An associate can create only a Division (with a parentUnit).".into(),
            }
            .into())
        }
    }
    resources::insert::<BusinessUnits>(&call, by, draft).await
}

/// 400 if an action assigns a role that is not `buyerAssignable` (unknown roles are left to
/// the write to report).
async fn buyer_assignable(call: &Call, actions: &[BusinessUnitAction]) -> ApiResult<()> {
    let mut wanted = Wanted::default();
    for role in permissions::assigned_roles(actions) {
        wanted.role(role);
    }
    if wanted.roles.is_empty() {
        return Ok(());
    }
    let found = references::load(&*call.db()?, &call.project, &wanted).await?;
    Ok(permissions::check_buyer_assignable(&found.roles)?)
}

/// The unit `parent` if the associate holds `AddChildUnits` there; 403 if it does not, or
/// is not an associate there at all (or the unit does not exist).
async fn may_add_child(
    call: &Call,
    associate: &str,
    parent: &ResourceIdentifier,
    doing: &str,
) -> ApiResult<BusinessUnit> {
    match access_in(call, parent, associate).await {
        Ok((unit, access)) => {
            let key = unit.key.as_str();
            permissions::require(associate, key, &access.permissions, ADD_CHILD_UNITS, doing)?;
            Ok(unit)
        }
        Err(e) if e.0.first().is_some_and(|e| e.status() == 404) => {
            let label = parent.key.clone().or_else(|| parent.id.clone());
            let label = label.unwrap_or_default();
            Err(
                permissions::require(associate, &label, &[], ADD_CHILD_UNITS, doing)
                    .unwrap_err()
                    .into(),
            )
        }
        Err(e) => Err(e),
    }
}

/// `POST /{projectKey}/in-business-unit/key={key}/me/customers` (MyBusinessUnitAssociateDraft):
/// the token's customer, an associate of the unit holding `UpdateAssociates` there (our
/// choice of permission, UNVERIFIED), signs up a new customer (as `/me/signup` does) and
/// adds it to the unit with `addAssociate` at the draft's `version` of the unit. If adding
/// fails, the new customer is deleted again. 201 CustomerSignInResult `{customer}`.
pub async fn sign_up_associate(mut call: Call, unit_key: &str) -> ApiResult<Response> {
    let Acting { associate, by, .. } = authorize(&mut call, Actor::Me, true).await?;
    let (version, draft, roles) = permissions::my_associate_draft(&call.body().await?)?;
    let wanted = identifier(&Target::Key(unit_key.to_string()));
    let (unit, access) = access_in(&call, &wanted, &associate).await?;
    let placeholder = ResourceIdentifier {
        type_id: None,
        id: Some(String::new()),
        key: None,
    };
    let mut action = BusinessUnitAction::AddAssociate {
        associate: AssociateDraft {
            customer: placeholder,
            associate_role_assignments: roles,
        },
    };
    let actions = std::slice::from_ref(&action);
    permissions::check_update(&associate, &unit, &access.permissions, actions)?;
    if unit.meta.version != version.get() {
        return Err(ApiError::ConcurrentModification {
            expected: version.get(),
            current: Some(unit.meta.version),
        }
        .into());
    }
    buyer_assignable(&call, actions).await?;
    let client_id = call.grant().client_id.clone();
    let created =
        customers::create_customer(&call, &client_id, &StoreReach::Project, draft).await?;
    let customer_id = created.stored.customer.meta.id.clone();
    if let BusinessUnitAction::AddAssociate { associate } = &mut action {
        associate.customer.id = Some(customer_id.clone());
    }
    let request = UpdateRequest {
        version,
        actions: vec![action],
    };
    let target = Target::Id(unit.meta.id.clone());
    let write = ResourceWrite::Update { request };
    let added = resources::write::<BusinessUnits>(&call, &target, by, write).await;
    if !matches!(&added, Ok(response) if response.status_code() == 200) {
        undo_sign_up(&call, customer_id).await?;
        return added;
    }
    let body = format!(
        "{{\"customer\":{}}}",
        created.stored.customer.to_json_string()
    );
    Ok(respond::json(201, expand::single(&call, body, true).await?))
}

/// Deletes the customer a failed associate sign-up created (at its first version).
async fn undo_sign_up(call: &Call, id: String) -> ApiResult<()> {
    let erase = Write::Delete {
        version: Version::new(1).expect("1 is a version"),
        data_erasure: true,
    };
    let reply = customers::send(call, &customers::own_profile_command(call, id, erase)).await?;
    if reply.status_code() != 200 {
        worker::console_error!("associate sign-up: undo answered {}", reply.status_code());
    }
    Ok(())
}
