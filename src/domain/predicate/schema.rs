//! The fields of a Customer that predicates and sorts may name, with their types. A name
//! that is not here is an unknown field (400). `password` is deliberately absent.

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

const fn field(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty }
}

const STR: FieldType = FieldType::Scalar(Kind::Str);

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

pub static GROUP_ASSIGNMENT: &[Field] = &[field("customerGroup", FieldType::Object(REFERENCE))];

pub static ADDRESS: &[Field] = &[
    field("id", STR),
    field("key", STR),
    field("country", STR),
    field("title", STR),
    field("salutation", STR),
    field("firstName", STR),
    field("lastName", STR),
    field("streetName", STR),
    field("streetNumber", STR),
    field("additionalStreetInfo", STR),
    field("postalCode", STR),
    field("city", STR),
    field("region", STR),
    field("state", STR),
    field("company", STR),
    field("department", STR),
    field("building", STR),
    field("apartment", STR),
    field("pOBox", STR),
    field("phone", STR),
    field("mobile", STR),
    field("email", STR),
    field("fax", STR),
    field("additionalAddressInfo", STR),
    field("externalId", STR),
    field("custom", FieldType::Object(CUSTOM_FIELDS)),
];

pub static CUSTOMER: &[Field] = &[
    field("id", STR),
    field("version", FieldType::Scalar(Kind::Num)),
    field("versionModifiedAt", FieldType::Scalar(Kind::DateTime)),
    field("lastMessageSequenceNumber", FieldType::Scalar(Kind::Num)),
    field("createdAt", FieldType::Scalar(Kind::DateTime)),
    field("lastModifiedAt", FieldType::Scalar(Kind::DateTime)),
    field("createdBy", FieldType::Object(CLIENT_LOGGING)),
    field("lastModifiedBy", FieldType::Object(CLIENT_LOGGING)),
    field("key", STR),
    field("customerNumber", STR),
    field("externalId", STR),
    field("email", STR),
    // Not in the representation: the email as uniqueness and sign-in compare it.
    field("lowercaseEmail", STR),
    field("firstName", STR),
    field("lastName", STR),
    field("middleName", STR),
    field("title", STR),
    field("salutation", STR),
    field("dateOfBirth", FieldType::Scalar(Kind::Date)),
    field("companyName", STR),
    field("vatId", STR),
    field("addresses", FieldType::ObjectArray(ADDRESS)),
    field("defaultShippingAddressId", STR),
    field("shippingAddressIds", FieldType::ScalarArray(Kind::Str)),
    field("defaultBillingAddressId", STR),
    field("billingAddressIds", FieldType::ScalarArray(Kind::Str)),
    field("isEmailVerified", FieldType::Scalar(Kind::Bool)),
    field("customerGroup", FieldType::Object(REFERENCE)),
    field(
        "customerGroupAssignments",
        FieldType::ObjectArray(GROUP_ASSIGNMENT),
    ),
    field("custom", FieldType::Object(CUSTOM_FIELDS)),
    field("locale", STR),
    field("stores", FieldType::ObjectArray(STORE_REFERENCE)),
    field("authenticationMode", STR),
];

/// The field called `name` among `fields`.
pub fn lookup(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|f| f.name == name)
}

/// The names of `fields`, for error messages.
pub fn names(fields: &'static [Field]) -> String {
    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}
