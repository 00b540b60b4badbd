//! Reference expansion (`expand=customerGroup`, `expand=customerGroupAssignments[*].customerGroup`,
//! `expand=custom.type`, …): the references a path reaches in a representation, and the
//! representation with the referenced objects put under `obj`. A path that reaches no
//! reference is ignored, as commercetools ignores it.

use serde_json::Value;

/// The most `expand` parameters one request may carry (our limit).
pub const MAX_PATHS: usize = 10;

/// One step of an expansion path: a field, or every element of an array (`[*]`).
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Each,
}

/// A parsed expansion path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path(Vec<Step>);

impl Path {
    /// `a.b[*].c` → [a, b, *, c]; `None` for anything else (ignored, like an unknown path).
    pub fn parse(text: &str) -> Option<Path> {
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (name, each) = match part.strip_suffix("[*]") {
                Some(name) => (name, true),
                None => (part, false),
            };
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                return None;
            }
            steps.push(Step::Field(name.to_string()));
            if each {
                steps.push(Step::Each);
            }
        }
        Some(Path(steps))
    }

    /// Whether the path reaches `field` of every element of the array `array`
    /// (`array[*].field`, and paths going on below it).
    pub fn reaches_each(&self, array: &str, field: &str) -> bool {
        matches!(self.0.as_slice(),
            [Step::Field(a), Step::Each, Step::Field(f), ..] if a == array && f == field)
    }
}

/// The expansion paths of a request's `expand` parameters (at most [`MAX_PATHS`] are used).
pub fn paths(values: &[String]) -> Vec<Path> {
    values
        .iter()
        .take(MAX_PATHS)
        .filter_map(|v| Path::parse(v))
        .collect()
}

/// Every node `path` reaches in `value`.
fn reach<'a>(value: &'a mut Value, steps: &[Step], out: &mut Vec<&'a mut Value>) {
    match steps.split_first() {
        None => out.push(value),
        Some((Step::Field(name), rest)) => {
            if let Some(next) = value.get_mut(name.as_str()) {
                reach(next, rest, out);
            }
        }
        Some((Step::Each, rest)) => {
            if let Value::Array(items) = value {
                for item in items {
                    reach(item, rest, out);
                }
            }
        }
    }
}

/// The references (`{typeId, id}`) the paths reach in `doc`.
pub fn references(doc: &mut Value, paths: &[Path]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for path in paths {
        let mut nodes = Vec::new();
        reach(doc, &path.0, &mut nodes);
        for node in nodes {
            if let (Some(type_id), Some(id)) = (node["typeId"].as_str(), node["id"].as_str()) {
                let pair = (type_id.to_string(), id.to_string());
                if !found.contains(&pair) {
                    found.push(pair);
                }
            }
        }
    }
    found
}

/// Puts the objects `lookup` finds (by `typeId` and id) under `obj` of every reference the
/// paths reach.
pub fn apply(doc: &mut Value, paths: &[Path], lookup: &dyn Fn(&str, &str) -> Option<Value>) {
    for path in paths {
        let mut nodes = Vec::new();
        reach(doc, &path.0, &mut nodes);
        for node in nodes {
            let (Some(type_id), Some(id)) = (node["typeId"].as_str(), node["id"].as_str()) else {
                continue;
            };
            if let Some(obj) = lookup(type_id, id) {
                node["obj"] = obj;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_expanded_where_the_paths_reach() {
        let mut doc = json!({
            "customerGroup": {"typeId": "customer-group", "id": "g1"},
            "customerGroupAssignments": [
                {"customerGroup": {"typeId": "customer-group", "id": "g2"}},
                {"customerGroup": {"typeId": "customer-group", "id": "g1"}}
            ],
            "custom": {"type": {"typeId": "type", "id": "t1"}, "fields": {}}
        });
        let paths = paths(&[
            "customerGroup".into(),
            "customerGroupAssignments[*].customerGroup".into(),
            "custom.type".into(),
            "nothing.here".into(),
            "bad path!".into(),
        ]);
        assert_eq!(paths.len(), 4);
        let found = references(&mut doc, &paths);
        assert_eq!(found.len(), 3);
        apply(&mut doc, &paths, &|type_id, id| {
            Some(json!({"id": id, "t": type_id}))
        });
        assert_eq!(doc["customerGroup"]["obj"]["id"], "g1");
        assert_eq!(
            doc["customerGroupAssignments"][0]["customerGroup"]["obj"]["id"],
            "g2"
        );
        assert_eq!(doc["custom"]["type"]["obj"]["t"], "type");
    }
}
