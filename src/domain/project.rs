//! The project resource, minimal: its key, version, search-indexing state and the settings of
//! business units created on `/me`; the update actions that switch Customer Search and
//! Business Unit Search on and off and set those settings. Other project update actions are
//! refused (400 naming them).

use serde_json::{json, Value};

use crate::domain::error::ApiError;
use crate::domain::time::{iso_millis, parse_iso_millis};
use crate::domain::version::Version;

/// Days without a search after which a search index is switched off (commercetools': "a
/// feature with no search calls for 30 days is deactivated automatically").
pub const UNUSED_DAYS: i64 = 30;

/// How stale the recorded last use of an index may get before a search records it again (so
/// a busy index is not written on every search; far below [`UNUSED_DAYS`]).
pub const USE_RECORDED_EVERY_MS: i64 = 60 * 60 * 1000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How often the index builder attempts one step (one batch of resources) before the build
/// is given up as `Failed`.
pub const BUILD_ATTEMPTS: u64 = 3;

/// What the builder does after its `attempts`-th failed attempt at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Tries the step again after this many milliseconds.
    RetryIn(i64),
    /// Stops: the index is `Failed`, the step's resources count as failed.
    GiveUp,
}

/// The builder's rule for a failed step: retry with a growing pause (1 s, 2 s, …) until
/// [`BUILD_ATTEMPTS`] attempts failed.
pub fn after_failed_attempt(attempts: u64) -> AfterFailure {
    if attempts >= BUILD_ATTEMPTS {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryIn(1_000 * attempts.max(1) as i64)
    }
}

/// The time before which an index's last use makes it unused at `now_ms`.
pub fn unused_before(now_ms: i64) -> String {
    iso_millis(now_ms - UNUSED_DAYS * DAY_MS)
}

/// Whether a search at `now_ms` should record itself as the index's last use.
pub fn use_to_record(last_used_at: Option<&str>, now_ms: i64) -> bool {
    last_used_at
        .and_then(parse_iso_millis)
        .is_none_or(|last| now_ms - last >= USE_RECORDED_EVERY_MS)
}

/// A search feature of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchFeature {
    Customers,
    BusinessUnits,
}

impl SearchFeature {
    /// The resource its index holds (`search_indexes.resource`).
    pub fn resource(self) -> &'static str {
        match self {
            SearchFeature::Customers => "customer",
            SearchFeature::BusinessUnits => "business-unit",
        }
    }
}

/// One accepted search action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSearchStatus {
    pub feature: SearchFeature,
    pub activate: bool,
}

/// One accepted project update action.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectAction {
    /// `changeCustomerSearchStatus`, `changeBusinessUnitSearchStatus`.
    Search(ChangeSearchStatus),
    /// `changeMyBusinessUnitStatusOnCreation` `{status: Active|Inactive}`.
    MyUnitStatus(String),
    /// `setMyBusinessUnitAssociateRoleOnCreation` `{associateRole: {id|key}}`.
    MyUnitRole(crate::domain::refs::ResourceIdentifier),
}

/// A project update: `{version, actions}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectUpdate {
    pub version: u64,
    pub actions: Vec<ProjectAction>,
}

/// What `POST /me/business-units` takes from the project (`Project.businessUnits`): the
/// status of a unit created there (default `Inactive`) and the role its creator gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyUnitSettings {
    pub status: String,
    /// The key of the associate role (`myBusinessUnitAssociateRoleOnCreation`).
    pub role: Option<String>,
}

impl Default for MyUnitSettings {
    fn default() -> Self {
        MyUnitSettings {
            status: "Inactive".into(),
            role: None,
        }
    }
}

impl MyUnitSettings {
    /// `Project.businessUnits`.
    pub fn representation(&self) -> Value {
        let mut value = json!({"myBusinessUnitStatusOnCreation": self.status});
        if let Some(role) = &self.role {
            value["myBusinessUnitAssociateRoleOnCreation"] =
                json!({"typeId": "associate-role", "key": role});
        }
        value
    }
}

fn bad(message: String) -> ApiError {
    ApiError::InvalidInput { message }
}

/// Parses a project update body.
pub fn parse_update(body: &[u8]) -> Result<ProjectUpdate, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ApiError::InvalidJsonInput {
        detail: e.to_string(),
    })?;
    let version = value
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::InvalidJsonInput {
            detail: "version: Missing required value".into(),
        })?;
    Version::parse(&version.to_string()).map_err(|reason| bad(format!("version: {reason}")))?;
    let actions = value
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::InvalidJsonInput {
            detail: "actions: Missing required value".into(),
        })?
        .iter()
        .enumerate()
        .map(|(i, a)| action(a, i))
        .collect::<Result<_, _>>()?;
    Ok(ProjectUpdate { version, actions })
}

const SUPPORTED: &str = "changeCustomerSearchStatus, changeBusinessUnitSearchStatus, \
     changeMyBusinessUnitStatusOnCreation, setMyBusinessUnitAssociateRoleOnCreation";

fn action(value: &Value, i: usize) -> Result<ProjectAction, ApiError> {
    let name = value.get("action").and_then(Value::as_str).unwrap_or("");
    let field = |name: &str, rule: &str| ApiError::InvalidJsonInput {
        detail: format!("actions[{i}] -> {name}: {rule}"),
    };
    let feature = match name {
        "changeCustomerSearchStatus" => SearchFeature::Customers,
        "changeBusinessUnitSearchStatus" => SearchFeature::BusinessUnits,
        "changeMyBusinessUnitStatusOnCreation" => {
            return match value.get("status").and_then(Value::as_str) {
                Some(status @ ("Active" | "Inactive")) => {
                    Ok(ProjectAction::MyUnitStatus(status.into()))
                }
                _ => Err(field("status", "must be Active or Inactive")),
            }
        }
        "setMyBusinessUnitAssociateRoleOnCreation" => {
            let role = value
                .get("associateRole")
                .cloned()
                .and_then(|r| serde_json::from_value(r).ok())
                .filter(|r: &crate::domain::refs::ResourceIdentifier| {
                    r.id.is_some() != r.key.is_some()
                })
                .ok_or_else(|| field("associateRole", "an id or a key is required"))?;
            return Ok(ProjectAction::MyUnitRole(role));
        }
        other => {
            return Err(bad(format!(
                "actions[{i}]: the project update action '{other}' is not supported; supported: {SUPPORTED}."
            )))
        }
    };
    let activate = match value.get("status").and_then(Value::as_str) {
        Some("Activated") => true,
        Some("Deactivated") => false,
        _ => return Err(field("status", "must be Activated or Deactivated")),
    };
    Ok(ProjectAction::Search(ChangeSearchStatus {
        feature,
        activate,
    }))
}

/// The state of one search index as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexState {
    pub activated: bool,
    /// Scheduled | Indexing | Ready | Failed | Deactivated.
    pub status: String,
    pub indexed: u64,
    pub failed: u64,
    pub estimated_total: u64,
    pub retry_count: Option<u64>,
    pub started_at: Option<String>,
    pub last_modified_at: String,
    /// When a search last used the index (recorded at most every [`USE_RECORDED_EVERY_MS`]).
    pub last_used_at: Option<String>,
}

impl IndexState {
    /// Whether searches may use the index.
    pub fn ready(&self) -> bool {
        self.activated && self.status == "Ready"
    }

    /// `Project.searchIndexing.{customers|businessUnits}`.
    pub fn configuration(state: Option<&IndexState>) -> Value {
        match state {
            None => json!({"status": "Deactivated"}),
            Some(s) => {
                let status = match (s.activated, s.status.as_str()) {
                    (false, _) => "Deactivated",
                    (true, "Ready") => "Activated",
                    (true, _) => "Indexing",
                };
                json!({"status": status, "lastModifiedAt": s.last_modified_at})
            }
        }
    }

    /// Whether the build was given up (activating again starts a new one).
    pub fn failed(&self) -> bool {
        self.activated && self.status == "Failed"
    }

    /// `GET …/search/indexing-status`: `states` only while indexing, and after a build failed
    /// (so `states.failed` says how many resources it could not index). Never activated or
    /// switched off: `{status: "Deactivated"}` (our choice; commercetools documents none).
    pub fn indexing_status(state: Option<&IndexState>) -> Value {
        let Some(s) = state.filter(|s| s.activated) else {
            return json!({"status": "Deactivated"});
        };
        let mut body = json!({"status": s.status, "lastModifiedAt": s.last_modified_at});
        if let Some(started) = &s.started_at {
            body["startedAt"] = json!(started);
        }
        if let Some(retries) = s.retry_count {
            body["retryCount"] = json!(retries);
        }
        if matches!(s.status.as_str(), "Indexing" | "Scheduled" | "Failed") {
            body["states"] = json!({
                "indexed": s.indexed, "failed": s.failed, "estimatedTotal": s.estimated_total
            });
        }
        body
    }
}

/// The project representation.
pub fn representation(
    key: &str,
    version: u64,
    (created_at, last_modified_at): (&str, &str),
    (customers, business_units): (Option<&IndexState>, Option<&IndexState>),
    my_units: &MyUnitSettings,
) -> Value {
    json!({
        "businessUnits": my_units.representation(),
        "key": key, "name": key, "version": version,
        "createdAt": created_at, "lastModifiedAt": last_modified_at,
        "countries": [], "currencies": [], "languages": [],
        "messages": {"enabled": true},
        "searchIndexing": {
            "customers": IndexState::configuration(customers),
            "businessUnits": IndexState::configuration(business_units),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_search_actions_and_refuses_others() {
        let u = parse_update(
            br#"{"version":1,"actions":[{"action":"changeCustomerSearchStatus","status":"Activated"}]}"#,
        )
        .unwrap();
        assert_eq!(u.version, 1);
        assert_eq!(
            u.actions,
            [ProjectAction::Search(ChangeSearchStatus {
                feature: SearchFeature::Customers,
                activate: true
            })]
        );
        let u = parse_update(
            br#"{"version":2,"actions":[{"action":"changeMyBusinessUnitStatusOnCreation","status":"Active"},
                {"action":"setMyBusinessUnitAssociateRoleOnCreation","associateRole":{"key":"buyer"}}]}"#,
        )
        .unwrap();
        assert_eq!(u.actions[0], ProjectAction::MyUnitStatus("Active".into()));
        assert!(
            matches!(&u.actions[1], ProjectAction::MyUnitRole(r) if r.key.as_deref() == Some("buyer"))
        );
        for bad in [
            r#"{"action":"changeMyBusinessUnitStatusOnCreation","status":"Closed"}"#,
            r#"{"action":"setMyBusinessUnitAssociateRoleOnCreation"}"#,
            r#"{"action":"setMyBusinessUnitAssociateRoleOnCreation","associateRole":{"id":"a","key":"b"}}"#,
        ] {
            let body = format!(r#"{{"version":1,"actions":[{bad}]}}"#);
            assert_eq!(
                parse_update(body.as_bytes()).unwrap_err().code(),
                "InvalidJsonInput",
                "{bad}"
            );
        }
        let shown = MyUnitSettings {
            status: "Active".into(),
            role: Some("buyer".into()),
        }
        .representation();
        assert_eq!(
            shown["myBusinessUnitAssociateRoleOnCreation"]["key"],
            "buyer"
        );
        assert_eq!(
            MyUnitSettings::default().representation()["myBusinessUnitStatusOnCreation"],
            "Inactive"
        );
        let e = parse_update(br#"{"version":1,"actions":[{"action":"changeName","name":"x"}]}"#)
            .unwrap_err();
        assert!(e.message().contains("changeName"));
        assert!(parse_update(
            br#"{"version":1,"actions":[{"action":"changeCustomerSearchStatus","status":"On"}]}"#
        )
        .is_err());
        assert!(parse_update(br#"{"actions":[]}"#).is_err());
    }

    #[test]
    fn a_failing_step_is_retried_twice_then_given_up() {
        assert_eq!(after_failed_attempt(1), AfterFailure::RetryIn(1_000));
        assert_eq!(after_failed_attempt(2), AfterFailure::RetryIn(2_000));
        assert_eq!(after_failed_attempt(BUILD_ATTEMPTS), AfterFailure::GiveUp);
        assert_eq!(
            after_failed_attempt(BUILD_ATTEMPTS + 1),
            AfterFailure::GiveUp
        );
        let failed = IndexState {
            activated: true,
            status: "Failed".into(),
            failed: 7,
            retry_count: Some(BUILD_ATTEMPTS),
            ..IndexState::default()
        };
        let shown = IndexState::indexing_status(Some(&failed));
        assert_eq!(shown["status"], "Failed");
        assert_eq!(shown["states"]["failed"], 7);
        assert_eq!(shown["retryCount"], BUILD_ATTEMPTS);
        assert!(failed.failed() && !failed.ready());
    }

    #[test]
    fn an_index_is_unused_after_thirty_days_and_its_use_recorded_hourly() {
        let now = parse_iso_millis("2026-12-31T00:00:00.000Z").unwrap();
        assert_eq!(unused_before(now), "2026-12-01T00:00:00.000Z");
        assert!(use_to_record(None, now));
        assert!(!use_to_record(Some("2026-12-30T23:30:00.000Z"), now));
        assert!(use_to_record(Some("2026-12-30T23:00:00.000Z"), now));
        assert!(use_to_record(Some("not a time"), now));
    }

    #[test]
    fn shows_states_only_while_indexing() {
        let mut s = IndexState {
            activated: true,
            status: "Indexing".into(),
            indexed: 3,
            estimated_total: 10,
            last_modified_at: "t".into(),
            ..IndexState::default()
        };
        assert_eq!(
            IndexState::indexing_status(Some(&s))["states"]["indexed"],
            3
        );
        assert_eq!(IndexState::configuration(Some(&s))["status"], "Indexing");
        s.status = "Ready".into();
        assert!(IndexState::indexing_status(Some(&s))
            .get("states")
            .is_none());
        assert_eq!(IndexState::configuration(Some(&s))["status"], "Activated");
        assert_eq!(IndexState::indexing_status(None)["status"], "Deactivated");
        s.activated = false;
        assert!(!s.ready());
    }
}
