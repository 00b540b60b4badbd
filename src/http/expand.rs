//! Expanding references in answers, as the request's `expand` parameters ask
//! (`domain::expand`): the referenced objects are loaded in one round trip and put under
//! `obj`. Without `expand` the stored representation is sent as it is, unparsed.

use serde_json::Value;

use super::context::Call;
use crate::domain::error::ApiResult;
use crate::domain::expand::{self, Path};
use crate::store::scatter;

/// The expansion paths the request asks for.
fn paths(call: &Call) -> ApiResult<Vec<Path>> {
    let values: Vec<String> = call
        .query_pairs()?
        .into_iter()
        .filter(|(name, _)| name == "expand")
        .map(|(_, value)| value)
        .collect();
    Ok(expand::paths(&values))
}

/// The documents with the references the paths reach expanded.
async fn expand_all(call: &Call, paths: &[Path], docs: &mut [Value]) -> ApiResult<()> {
    let mut wanted = Vec::new();
    for doc in docs.iter_mut() {
        for reference in expand::references(doc, paths) {
            if !wanted.contains(&reference) {
                wanted.push(reference);
            }
        }
    }
    let objects = scatter::objects(&call.session, &call.project, &wanted).await?;
    let lookup = |type_id: &str, id: &str| {
        objects
            .iter()
            .find(|(t, i, _)| t == type_id && i == id)
            .map(|(_, _, doc)| doc.clone())
    };
    for doc in docs.iter_mut() {
        expand::apply(doc, paths, &lookup);
    }
    Ok(())
}

/// A single representation (`wrapped`: inside `{"customer": …}`, as sign-in answers), expanded
/// if asked.
pub async fn single(call: &Call, body: String, wrapped: bool) -> ApiResult<String> {
    let paths = paths(call)?;
    if paths.is_empty() {
        return Ok(body);
    }
    let mut answer: Value = serde_json::from_str(&body)?;
    let doc = if wrapped {
        answer["customer"].take()
    } else {
        answer.take()
    };
    let mut docs = [doc];
    expand_all(call, &paths, &mut docs).await?;
    let [doc] = docs;
    if wrapped {
        answer["customer"] = doc;
    } else {
        answer = doc;
    }
    Ok(answer.to_string())
}

/// The representations of a query page, expanded if asked.
pub async fn page(call: &Call, docs: Vec<String>) -> ApiResult<Vec<String>> {
    let paths = paths(call)?;
    if paths.is_empty() {
        return Ok(docs);
    }
    let mut parsed = docs
        .iter()
        .map(|d| serde_json::from_str::<Value>(d))
        .collect::<Result<Vec<_>, _>>()?;
    expand_all(call, &paths, &mut parsed).await?;
    Ok(parsed.iter().map(Value::to_string).collect())
}
