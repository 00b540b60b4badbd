//! The searchable fields of a resource and their types: what each expression may be used on.

/// The data type of a searchable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text in the full-text index (fullText, fullTextPrefix, fuzzy) and as a value (exact,
    /// prefix, wildcard, exists, sort).
    Text,
    /// A value only: exact, prefix, wildcard, exists, sort.
    Keyword,
    Boolean,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// ISO-8601 date-time, compared in UTC with milliseconds.
    DateTime,
    /// A custom field whose type the query does not give: the value decides (text, number or
    /// boolean).
    Any,
}

impl FieldType {
    /// From a `fieldType` of the request (a custom field's type; `set_` variants as their
    /// element type).
    pub fn from_search_type(name: &str) -> Option<FieldType> {
        Some(match name.strip_prefix("set_").unwrap_or(name) {
            "text" | "ltext" | "enum" | "lenum" | "reference" => FieldType::Keyword,
            "boolean" => FieldType::Boolean,
            "number" | "money" => FieldType::Number,
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            "time" => FieldType::Keyword,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Keyword => "keyword",
            FieldType::Boolean => "boolean",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Any => "custom",
        }
    }
}

/// A field a query names, resolved against the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The name values are kept under (`firstName`, `addresses.city`, `custom.segment`); empty
    /// for `all`.
    pub name: String,
    pub ty: FieldType,
    /// The full-text column (`Some("")`: every column, the field `all`).
    pub fts: Option<&'static str>,
}

/// The searchable fields of one resource.
pub struct Schema {
    /// The resource's `typeId` as its index rows name it.
    pub resource: &'static str,
    /// (name, type, full-text column).
    pub fields: &'static [(&'static str, FieldType, Option<&'static str>)],
    /// Fields under a prefix (`addresses.`) with their sub-field names.
    pub nested: &'static [(&'static str, &'static [&'static str])],
}

/// The address fields searchable as `addresses.{name}`.
pub const ADDRESS_FIELDS: &[&str] = &[
    "id",
    "key",
    "title",
    "salutation",
    "firstName",
    "lastName",
    "streetName",
    "streetNumber",
    "additionalStreetInfo",
    "postalCode",
    "city",
    "region",
    "state",
    "country",
    "company",
    "department",
    "building",
    "apartment",
    "pOBox",
    "phone",
    "mobile",
    "email",
    "fax",
    "additionalAddressInfo",
    "externalId",
];

/// Customer Search.
pub const CUSTOMERS: Schema = Schema {
    resource: "customer",
    fields: &[
        ("all", FieldType::Text, Some("")),
        ("email", FieldType::Text, Some("email")),
        ("firstName", FieldType::Text, Some("first_name")),
        ("lastName", FieldType::Text, Some("last_name")),
        ("middleName", FieldType::Text, Some("middle_name")),
        ("fullName", FieldType::Text, Some("full_name")),
        ("companyName", FieldType::Text, Some("company_name")),
        ("customerNumber", FieldType::Text, Some("customer_number")),
        ("externalId", FieldType::Text, Some("external_id")),
        ("key", FieldType::Text, Some("key")),
        ("vatId", FieldType::Text, Some("vat_id")),
        ("id", FieldType::Keyword, None),
        ("title", FieldType::Keyword, None),
        ("salutation", FieldType::Keyword, None),
        ("locale", FieldType::Keyword, None),
        ("authenticationMode", FieldType::Keyword, None),
        ("isEmailVerified", FieldType::Boolean, None),
        ("dateOfBirth", FieldType::Date, None),
        ("createdAt", FieldType::DateTime, None),
        ("lastModifiedAt", FieldType::DateTime, None),
        ("customerGroup.id", FieldType::Keyword, None),
        (
            "customerGroupAssignments.customerGroup.id",
            FieldType::Keyword,
            None,
        ),
        ("stores.key", FieldType::Keyword, None),
    ],
    nested: &[("addresses.", ADDRESS_FIELDS)],
};

/// Business Unit Search.
pub const BUSINESS_UNITS: Schema = Schema {
    resource: "business-unit",
    fields: &[
        ("all", FieldType::Text, Some("")),
        ("name", FieldType::Text, Some("name")),
        ("key", FieldType::Text, Some("key")),
        ("contactEmail", FieldType::Text, Some("contact_email")),
        ("id", FieldType::Keyword, None),
        ("status", FieldType::Keyword, None),
        ("unitType", FieldType::Keyword, None),
        ("storeMode", FieldType::Keyword, None),
        ("associateMode", FieldType::Keyword, None),
        ("approvalRuleMode", FieldType::Keyword, None),
        ("createdAt", FieldType::DateTime, None),
        ("lastModifiedAt", FieldType::DateTime, None),
        ("stores.key", FieldType::Keyword, None),
        ("inheritedStores.key", FieldType::Keyword, None),
        ("parentUnit.key", FieldType::Keyword, None),
        ("topLevelUnit.key", FieldType::Keyword, None),
        ("associates.customer.id", FieldType::Keyword, None),
    ],
    nested: &[("addresses.", ADDRESS_FIELDS)],
};

impl Schema {
    /// The field `name` (with the request's `fieldType`, for custom fields), or why not.
    pub fn field(&self, name: &str, field_type: Option<&str>) -> Result<Field, String> {
        if let Some((_, ty, fts)) = self.fields.iter().find(|(n, ..)| *n == name) {
            return Ok(Field {
                name: if *fts == Some("") {
                    String::new()
                } else {
                    name.to_string()
                },
                ty: *ty,
                fts: *fts,
            });
        }
        let nested = self.nested.iter().any(|(prefix, names)| {
            name.strip_prefix(prefix)
                .is_some_and(|n| names.contains(&n))
        });
        if nested {
            return Ok(Field {
                name: name.to_string(),
                ty: FieldType::Keyword,
                fts: None,
            });
        }
        if let Some(custom) = name.strip_prefix("custom.").filter(|n| !n.is_empty()) {
            let ty = match field_type {
                None => FieldType::Any,
                Some(t) => FieldType::from_search_type(t)
                    .ok_or_else(|| format!("unknown fieldType '{t}'"))?,
            };
            return Ok(Field {
                name: format!("custom.{custom}"),
                ty,
                fts: None,
            });
        }
        Err(format!("unknown field '{name}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_plain_nested_and_custom_fields() {
        assert_eq!(CUSTOMERS.field("all", None).unwrap().fts, Some(""));
        assert_eq!(
            CUSTOMERS.field("lastName", None).unwrap().fts,
            Some("last_name")
        );
        assert_eq!(
            CUSTOMERS.field("addresses.city", None).unwrap().ty,
            FieldType::Keyword
        );
        assert_eq!(
            CUSTOMERS.field("custom.size", Some("number")).unwrap().ty,
            FieldType::Number
        );
        assert_eq!(
            CUSTOMERS.field("custom.x", None).unwrap().ty,
            FieldType::Any
        );
        assert!(CUSTOMERS.field("nope", None).is_err());
        assert!(CUSTOMERS.field("addresses.nope", None).is_err());
        assert!(CUSTOMERS.field("custom.x", Some("weird")).is_err());
    }
}
