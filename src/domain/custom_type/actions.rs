//! The update actions of a type: `changeName`, `setDescription`, `setKey` (alias `changeKey`),
//! `addFieldDefinition`, `removeFieldDefinition`, `changeLabel`, `addEnumValue`,
//! `changeEnumValueLabel`, `addLocalizedEnumValue`, `changeLocalizedEnumValueLabel`. Types
//! produce no messages.

use serde::{Deserialize, Serialize};

use super::{
    check_definitions, EnumValue, FieldDefinition, FieldType, LocalizedEnumValue, LocalizedString,
    Type,
};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::limits;
use crate::domain::references::ActionContext;
use crate::domain::resource::{Effect, Updatable};
use crate::domain::values::Key;

/// No type message is documented: the payload type is never made.
#[derive(Debug, Serialize)]
pub enum TypePayload {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum TypeAction {
    ChangeName {
        name: LocalizedString,
    },
    SetDescription {
        #[serde(default)]
        description: Option<LocalizedString>,
    },
    #[serde(alias = "changeKey")]
    SetKey {
        key: String,
    },
    AddFieldDefinition {
        field_definition: FieldDefinition,
    },
    RemoveFieldDefinition {
        field_name: String,
    },
    ChangeLabel {
        field_name: String,
        label: LocalizedString,
    },
    AddEnumValue {
        field_name: String,
        value: EnumValue,
    },
    ChangeEnumValueLabel {
        field_name: String,
        value: EnumValue,
    },
    AddLocalizedEnumValue {
        field_name: String,
        value: LocalizedEnumValue,
    },
    ChangeLocalizedEnumValueLabel {
        field_name: String,
        value: LocalizedEnumValue,
    },
}

impl Updatable for Type {
    type Resource = Type;
    type Action = TypeAction;
    type Payload = TypePayload;

    fn resource(&self) -> &Type {
        self
    }

    fn resource_mut(&mut self) -> &mut Type {
        self
    }

    fn apply(
        &mut self,
        action: &TypeAction,
        _: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<TypePayload>> {
        use TypeAction as A;
        let changed = match action {
            A::ChangeName { name } => replace(&mut self.name, name.clone()),
            A::SetDescription { description } => {
                replace(&mut self.description, description.clone())
            }
            A::SetKey { key } => replace(&mut self.key, Key::parse("key", key)?),
            A::AddFieldDefinition { field_definition } => self.add_field(field_definition)?,
            A::RemoveFieldDefinition { field_name } => {
                let index = self.index_of(field_name)?;
                self.field_definitions.remove(index);
                true
            }
            A::ChangeLabel { field_name, label } => {
                let index = self.index_of(field_name)?;
                replace(&mut self.field_definitions[index].label, label.clone())
            }
            A::AddEnumValue { field_name, value } => self.enum_values(field_name)?.add(value)?,
            A::ChangeEnumValueLabel { field_name, value } => {
                self.enum_values(field_name)?.relabel(value)?
            }
            A::AddLocalizedEnumValue { field_name, value } => {
                self.localized_enum_values(field_name)?.add(value)?
            }
            A::ChangeLocalizedEnumValueLabel { field_name, value } => {
                self.localized_enum_values(field_name)?.relabel(value)?
            }
        };
        Ok(Effect::silent(changed))
    }

    fn finish(&mut self, _: &Type, _: i64) -> ApiResult<()> {
        Ok(limits::check_resource(self)?)
    }
}

/// Sets `field` to `value`; tells whether it changed.
fn replace<T: PartialEq>(field: &mut T, value: T) -> bool {
    if *field == value {
        false
    } else {
        *field = value;
        true
    }
}

fn no_field(name: &str) -> ApiError {
    ApiError::InvalidInput {
        message: format!("The type has no field definition named '{name}'."),
    }
}

impl Type {
    fn index_of(&self, name: &str) -> ApiResult<usize> {
        Ok(self
            .field_definitions
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| no_field(name))?)
    }

    fn add_field(&mut self, definition: &FieldDefinition) -> ApiResult<bool> {
        self.field_definitions.push(definition.clone());
        let errors = check_definitions(&self.field_definitions);
        if errors.is_empty() {
            Ok(true)
        } else {
            Err(errors.into())
        }
    }

    fn enum_values(&mut self, name: &str) -> ApiResult<&mut Vec<EnumValue>> {
        let index = self.index_of(name)?;
        match &mut self.field_definitions[index].field_type {
            FieldType::Enum { values } => Ok(values),
            FieldType::Set { element_type } => match element_type.as_mut() {
                FieldType::Enum { values } => Ok(values),
                _ => Err(not_of_kind(name, "Enum")),
            },
            _ => Err(not_of_kind(name, "Enum")),
        }
    }

    fn localized_enum_values(&mut self, name: &str) -> ApiResult<&mut Vec<LocalizedEnumValue>> {
        let index = self.index_of(name)?;
        match &mut self.field_definitions[index].field_type {
            FieldType::LocalizedEnum { values } => Ok(values),
            FieldType::Set { element_type } => match element_type.as_mut() {
                FieldType::LocalizedEnum { values } => Ok(values),
                _ => Err(not_of_kind(name, "LocalizedEnum")),
            },
            _ => Err(not_of_kind(name, "LocalizedEnum")),
        }
    }
}

fn not_of_kind(name: &str, kind: &str) -> crate::domain::error::Rejection {
    ApiError::InvalidOperation {
        message: format!("The field '{name}' is not of type {kind}."),
    }
    .into()
}

/// The values of an enum field: adding a key (unique), relabelling one.
trait EnumValues<V> {
    fn add(&mut self, value: &V) -> ApiResult<bool>;
    fn relabel(&mut self, value: &V) -> ApiResult<bool>;
}

macro_rules! enum_values {
    ($value:ty) => {
        impl EnumValues<$value> for Vec<$value> {
            fn add(&mut self, value: &$value) -> ApiResult<bool> {
                if self.iter().any(|v| v.key == value.key) {
                    return Err(ApiError::DuplicateField {
                        field: "value.key".into(),
                        duplicate_value: value.key.clone().into(),
                        message: None,
                    }
                    .into());
                }
                self.push(value.clone());
                Ok(true)
            }

            fn relabel(&mut self, value: &$value) -> ApiResult<bool> {
                let existing = self
                    .iter_mut()
                    .find(|v| v.key == value.key)
                    .ok_or_else(|| ApiError::InvalidInput {
                        message: format!("The enum has no value with key '{}'.", value.key),
                    })?;
                Ok(replace(&mut existing.label, value.label.clone()))
            }
        }
    };
}

enum_values!(EnumValue);
enum_values!(LocalizedEnumValue);
