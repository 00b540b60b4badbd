//! Field schemas: the fields of a resource that predicates and sorts may name, with their
//! types. A name that is not in a resource's schema is an unknown field (400). Each resource
//! declares its own (`customer::schema`); the building blocks shared by several resources
//! (references, custom fields, client logging) are here.

/// The type of a scalar value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Num,
    Bool,
    /// `YYYY-MM-DD`
    Date,
    /// ISO-8601 date and time, compared after normalization to UTC with milliseconds.
    DateTime,
    /// A custom field: its type is whatever the stored JSON holds.
    Any,
}

#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    Scalar(Kind),
    ScalarArray(Kind),
    Object(&'static [Field]),
    ObjectArray(&'static [Field]),
    /// Custom field values: any names, any JSON.
    Free,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
}

pub const fn field(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty }
}

pub const STR: FieldType = FieldType::Scalar(Kind::Str);

pub static REFERENCE: &[Field] = &[field("typeId", STR), field("id", STR), field("key", STR)];

pub static STORE_REFERENCE: &[Field] = &[field("typeId", STR), field("key", STR)];

pub static CUSTOM_FIELDS: &[Field] = &[
    field("type", FieldType::Object(REFERENCE)),
    field("fields", FieldType::Free),
];

pub static CLIENT_LOGGING: &[Field] = &[
    field("clientId", STR),
    field("externalUserId", STR),
    field("anonymousId", STR),
    field("isPlatformClient", FieldType::Scalar(Kind::Bool)),
    field("customer", FieldType::Object(REFERENCE)),
];

/// The field called `name` among `fields`.
pub fn lookup(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|f| f.name == name)
}

/// The names of `fields`, for error messages.
pub fn names(fields: &'static [Field]) -> String {
    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}
