//! The catalogue: the 45 `commercetools_customers_*` tools of the seed, each with the seed's
//! description and parameter table, the API operation it runs (fact sheet §9), the scopes
//! that operation accepts, and the resource it belongs to.
//!
//! The data is in [`catalogue.rs`](super::catalogue); this file holds its types and the JSON
//! a tool is listed as. How arguments become an [`ApiCall`](super::args::ApiCall) is in
//! [`args`](super::args).

use serde_json::{json, Map, Value};

use crate::domain::auth::Scope;

pub use super::catalogue::TOOLS;

/// The resource a tool acts on, so that tools of resources the API does not serve yet can be
/// left out of `tools/list` (see [`Server::resources`](super::protocol::Server::resources)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `/customers` and its password and email-token flows.
    Customers,
    /// `/customers/search` and its indexing status.
    CustomerSearch,
    /// `/customer-groups`.
    CustomerGroups,
    /// `/business-units` and their associates.
    BusinessUnits,
    /// `/business-units/search` and its indexing status.
    BusinessUnitSearch,
    /// `/associate-roles`.
    AssociateRoles,
}

impl Resource {
    /// Every resource, in catalogue order.
    pub const ALL: [Resource; 6] = [
        Resource::Customers,
        Resource::CustomerSearch,
        Resource::CustomerGroups,
        Resource::BusinessUnits,
        Resource::BusinessUnitSearch,
        Resource::AssociateRoles,
    ];

    /// The resources this API implements, whose tools the Worker serves (the others are
    /// not listed and are unknown tools until their endpoints exist).
    pub const SERVED: [Resource; 6] = [
        Resource::Customers,
        Resource::CustomerSearch,
        Resource::CustomerGroups,
        Resource::BusinessUnits,
        Resource::BusinessUnitSearch,
        Resource::AssociateRoles,
    ];
}

/// The HTTP method of the API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// What a tool does, for its annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A single resource by id, key or token.
    Get,
    /// A query over a collection.
    List,
    /// A search (a POST that reads).
    Search,
    /// The search indexing status.
    Status,
    Create,
    Update,
    Delete,
    /// A password or email-token flow step (a POST that writes).
    Flow,
}

impl Kind {
    /// Whether the tool only reads.
    pub fn read_only(self) -> bool {
        matches!(self, Kind::Get | Kind::List | Kind::Search | Kind::Status)
    }
}

/// The JSON type of a parameter, as the seed's "Type" column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Integer,
    Boolean,
    Object,
    StringArray,
    IntegerArray,
    ObjectArray,
    /// `any[]`: an array of anything.
    AnyArray,
}

impl Type {
    /// The JSON Schema of the type (fact sheet §9 type mapping).
    pub fn schema(self) -> Value {
        match self {
            Type::String => json!({"type": "string"}),
            Type::Integer => json!({"type": "integer"}),
            Type::Boolean => json!({"type": "boolean"}),
            Type::Object => json!({"type": "object"}),
            Type::StringArray => json!({"type": "array", "items": {"type": "string"}}),
            Type::IntegerArray => json!({"type": "array", "items": {"type": "integer"}}),
            Type::ObjectArray => json!({"type": "array", "items": {"type": "object"}}),
            Type::AnyArray => json!({"type": "array"}),
        }
    }

    /// How the type is named in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Type::String => "a string",
            Type::Integer => "an integer",
            Type::Boolean => "a boolean",
            Type::Object => "an object",
            Type::StringArray => "an array of strings",
            Type::IntegerArray => "an array of integers",
            Type::ObjectArray => "an array of objects",
            Type::AnyArray => "an array",
        }
    }
}

/// One row of a seed parameter table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    pub required: bool,
    pub description: &'static str,
}

/// One tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// Exactly as the seed names it.
    pub name: &'static str,
    /// The seed's description.
    pub description: &'static str,
    pub resource: Resource,
    pub kind: Kind,
    pub method: Method,
    /// The path below `/{projectKey}`. `{name}` stands for a whole segment filled from the
    /// argument `name`; `prefix={name}` for a segment `prefix=` + the argument.
    pub path: &'static str,
    /// The seed's parameter table, in the seed's order.
    pub params: &'static [Param],
    /// The scope names (without `:{projectKey}`) the endpoint accepts; any one suffices.
    pub scopes: &'static [&'static str],
}

impl Tool {
    /// The scopes that admit this tool's API operation in `project`.
    pub fn scopes(&self, project: &str) -> Vec<Scope> {
        self.scopes
            .iter()
            .map(|name| Scope::new(name, project, None))
            .collect()
    }

    /// The parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The `inputSchema`: an object schema with one property per parameter, the required
    /// ones listed, and no other properties allowed (unknown arguments are refused).
    pub fn input_schema(&self) -> Value {
        if self.params.is_empty() {
            return json!({"type": "object", "additionalProperties": false});
        }
        let mut properties = Map::new();
        for param in self.params {
            let mut schema = param.ty.schema();
            schema["description"] = json!(param.description);
            properties.insert(param.name.to_string(), schema);
        }
        let required: Vec<&str> = self
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name)
            .collect();
        let mut schema = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        schema["additionalProperties"] = json!(false);
        schema
    }

    /// Behaviour hints (fact sheet §9): reads are read-only, deletes destructive, and no
    /// tool reaches beyond this API.
    pub fn annotations(&self) -> Value {
        let mut hints = json!({"openWorldHint": false});
        if self.kind.read_only() {
            hints["readOnlyHint"] = json!(true);
        }
        if self.kind == Kind::Delete {
            hints["destructiveHint"] = json!(true);
        }
        hints
    }

    /// The tool as `tools/list` lists it.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema(),
            "annotations": self.annotations(),
        })
    }
}

/// The tool named `name` (exact, case-sensitive).
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.name == name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_catalogue_has_all_45_seed_tools_once() {
        assert_eq!(TOOLS.len(), 45);
        let names: HashSet<&str> = TOOLS.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), 45, "tool names are unique");
        for tool in TOOLS {
            assert!(tool.name.starts_with("commercetools_customers_"));
            let valid = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
            assert!(tool.name.len() <= 128 && tool.name.chars().all(valid));
            assert!(
                !tool.description.is_empty(),
                "{} has a description",
                tool.name
            );
            assert!(!tool.scopes.is_empty(), "{} names its scopes", tool.name);
        }
    }

    #[test]
    fn every_seed_tool_name_is_present() {
        let seed = include_str!("seed_tool_names.txt");
        let names: Vec<&str> = seed.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(names.len(), 45);
        for name in names {
            assert!(find(name).is_some(), "{name} is in the catalogue");
        }
    }

    #[test]
    fn every_input_schema_is_an_object_schema_with_its_required_list() {
        for tool in TOOLS {
            let schema = tool.input_schema();
            assert_eq!(schema["type"], "object", "{}", tool.name);
            assert_eq!(schema["additionalProperties"], false, "{}", tool.name);
            let properties = schema["properties"].as_object();
            let listed: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            let expected: Vec<&str> = tool
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name)
                .collect();
            assert_eq!(listed, expected, "{}", tool.name);
            for param in tool.params {
                let property = &properties.unwrap()[param.name];
                assert!(property["type"].is_string(), "{}.{}", tool.name, param.name);
                assert_eq!(property["description"], param.description);
            }
            assert_eq!(properties.map_or(0, Map::len), tool.params.len());
        }
    }

    #[test]
    fn parameter_names_are_unique_within_a_tool() {
        for tool in TOOLS {
            let names: HashSet<&str> = tool.params.iter().map(|p| p.name).collect();
            assert_eq!(names.len(), tool.params.len(), "{}", tool.name);
        }
    }

    #[test]
    fn array_types_map_to_array_schemas_with_items() {
        assert_eq!(
            Type::StringArray.schema(),
            json!({"type":"array","items":{"type":"string"}})
        );
        assert_eq!(Type::AnyArray.schema(), json!({"type":"array"}));
        let create = find("commercetools_customers_create_customers").unwrap();
        let schema = create.input_schema();
        assert_eq!(
            schema["properties"]["billingAddresses"]["items"]["type"],
            "integer"
        );
        assert_eq!(schema["required"], json!(["email"]));
    }

    #[test]
    fn parameterless_tools_accept_only_the_empty_object() {
        let status = find("commercetools_customers_list_customers_search_indexing_status").unwrap();
        assert_eq!(
            status.input_schema(),
            json!({"type":"object","additionalProperties":false})
        );
    }

    #[test]
    fn annotations_follow_the_kind() {
        let get = find("commercetools_customers_get_by_id")
            .unwrap()
            .annotations();
        assert_eq!(get, json!({"openWorldHint":false,"readOnlyHint":true}));
        let delete = find("commercetools_customers_delete_by_key").unwrap();
        assert_eq!(delete.annotations()["destructiveHint"], true);
        let search = find("commercetools_customers_create_customers_search").unwrap();
        assert_eq!(search.annotations()["readOnlyHint"], true);
        let update = find("commercetools_customers_update_customers_by_id").unwrap();
        assert!(update.annotations().get("readOnlyHint").is_none());
    }

    #[test]
    fn customer_group_tools_accept_customer_or_group_scopes() {
        let tool = find("commercetools_customers_get_customer_groups_by_id").unwrap();
        let scopes: Vec<String> = tool.scopes("p").iter().map(Scope::to_string).collect();
        assert_eq!(scopes, ["view_customers:p", "view_customer_groups:p"]);
        let status = find("commercetools_customers_list_business_units_search_indexing_status");
        assert_eq!(status.unwrap().scopes, ["view_project_settings"]);
    }
}
