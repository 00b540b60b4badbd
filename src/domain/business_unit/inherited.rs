//! What a unit takes from the units above it, computed from the unit and its ancestors when
//! it is read (not stored):
//!
//! - stores: a `FromParent` unit has the stores of the nearest ancestor that has stores (its
//!   `inheritedStores`); an in-store endpoint sees the units whose own or inherited stores
//!   include the store;
//! - associates: a unit in `associateMode` `ExplicitAndFromParent` has its parent's
//!   assignments with `inheritance: Enabled`, and what the parent inherits, each with the unit
//!   that holds it explicitly as `source` (its `inheritedAssociates`).

use super::{BusinessUnit, InheritMode, Inheritance, KeyReference, StoreMode, MAX_DEPTH};
use crate::domain::refs::{Reference, StoreKeyReference};
use serde::Serialize;

/// Finds an ancestor by key.
pub type Ancestors<'a> = &'a dyn Fn(&str) -> Option<BusinessUnit>;

/// The units above `unit`, nearest first.
fn chain(unit: &BusinessUnit, ancestor: Ancestors) -> Vec<BusinessUnit> {
    let mut above = Vec::new();
    let mut current = unit.parent_unit.as_ref().and_then(|p| ancestor(&p.key));
    while let Some(parent) = current {
        if above.len() >= MAX_DEPTH {
            break;
        }
        current = parent.parent_unit.as_ref().and_then(|p| ancestor(&p.key));
        above.push(parent);
    }
    above
}

/// The stores a `FromParent` unit inherits (`None` for an `Explicit` one).
pub fn stores(unit: &BusinessUnit, ancestor: Ancestors) -> Option<Vec<StoreKeyReference>> {
    if unit.store_mode == StoreMode::Explicit {
        return None;
    }
    let parent = unit.parent_unit.as_ref().and_then(|p| ancestor(&p.key));
    Some(
        parent
            .map(|p| stores_below(&p, ancestor))
            .unwrap_or_default(),
    )
}

/// The stores a `FromParent` child of `parent` inherits: those of the nearest unit, `parent`
/// first, that has stores.
pub fn stores_below(parent: &BusinessUnit, ancestor: Ancestors) -> Vec<StoreKeyReference> {
    std::iter::once(parent.clone())
        .chain(chain(parent, ancestor))
        .find_map(|a| a.stores.filter(|s| !s.is_empty()))
        .unwrap_or_default()
}

/// The keys of the stores `unit` belongs to, its own or inherited.
pub fn store_keys(unit: &BusinessUnit, ancestor: Ancestors) -> Vec<String> {
    match stores(unit, ancestor) {
        Some(inherited) => inherited.into_iter().map(|s| s.key).collect(),
        None => unit.store_keys(),
    }
}

/// One inherited role assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InheritedAssignment {
    pub associate_role: KeyReference,
    pub source: KeyReference,
}

/// One inherited associate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InheritedAssociate {
    pub associate_role_assignments: Vec<InheritedAssignment>,
    pub customer: Reference,
}

/// The associates `unit` inherits (`None` unless it is in `ExplicitAndFromParent` mode).
pub fn associates(unit: &BusinessUnit, ancestor: Ancestors) -> Option<Vec<InheritedAssociate>> {
    if unit.associate_mode != InheritMode::ExplicitAndFromParent {
        return None;
    }
    let mut all: Vec<InheritedAssociate> = Vec::new();
    let mut child_mode = unit.associate_mode;
    for parent in chain(unit, ancestor) {
        if child_mode != InheritMode::ExplicitAndFromParent {
            break;
        }
        for associate in &parent.associates {
            for assignment in &associate.associate_role_assignments {
                if assignment.inheritance == Inheritance::Enabled {
                    let entry = InheritedAssignment {
                        associate_role: assignment.associate_role.clone(),
                        source: KeyReference::unit(parent.key.as_str()),
                    };
                    add(&mut all, associate.customer_id(), entry);
                }
            }
        }
        child_mode = parent.associate_mode;
    }
    Some(all)
}

fn add(all: &mut Vec<InheritedAssociate>, customer_id: &str, entry: InheritedAssignment) {
    match all
        .iter_mut()
        .find(|a| a.customer.id.as_deref() == Some(customer_id))
    {
        Some(existing) => existing.associate_role_assignments.push(entry),
        None => all.push(InheritedAssociate {
            associate_role_assignments: vec![entry],
            customer: Reference::to("customer", customer_id),
        }),
    }
}
