//! The customer's query schema: the fields `where` predicates and `sort` may name, with their
//! types (`password` is deliberately absent; `lowercaseEmail` is not in the representation
//! but is the email as uniqueness and sign-in compare it).

use crate::domain::predicate::schema::{
    field, Field, FieldType, Kind, CLIENT_LOGGING, CUSTOM_FIELDS, REFERENCE, STORE_REFERENCE, STR,
};

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

/// Every queryable field of a customer.
pub static FIELDS: &[Field] = &[
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
