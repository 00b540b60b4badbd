//! The Emporix customer profile onto the commercetools Customer: the `GET /me` body, the
//! `PATCH /me` merge patch as customer update actions, and the signup body as a
//! CustomerDraft.
//!
//! Fields: `id` and `customerNumber` ↔ `customerNumber`; `title`, `firstName`, `middleName`,
//! `lastName`; `company` ↔ `companyName`; `preferredLanguage` (`en_US`) ↔ `locale`
//! (`en-US`); `contactEmail` and `accounts[0].id` ↔ `email` (one email: a contact email other
//! than the login email is refused); `metadata.version` ↔ `version`. Emporix-only fields
//! (`contactPhone`, `preferredCurrency`, `preferredSite`, `b2b`, `mixins`) are checked for
//! their type and not kept.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::addresses::{self, EmporixAddress, Metadata};
use crate::domain::customer::actions::UpdateAction;
use crate::domain::customer::draft::CustomerDraft;
use crate::domain::customer::Customer;
use crate::domain::error::ApiError;
use crate::domain::json;
use crate::domain::validate::lowercase_email;
use crate::domain::version::Version;

/// `en_US` → `en-US` (the locale rules then apply).
fn to_locale(language: &str) -> String {
    language.replace('_', "-")
}

/// `en-US` → `en_US`.
fn to_language(locale: &str) -> String {
    locale.replace('-', "_")
}

/// What `GET /me` shows an anonymous token (Emporix's placeholder).
pub fn anonymous() -> Value {
    json!({"firstName": "Anonymous", "lastName": "Anonymous", "preferredSite": "default",
           "customerNumber": "00000000", "id": "00000000", "accounts": []})
}

/// The Emporix Customer for `c` (whose customer number is `number`); with
/// `with_addresses` (`expand=addresses`) its addresses too.
pub fn render(c: &Customer, number: &str, with_addresses: bool) -> Value {
    let mut body = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(name.to_string(), value);
        }
    };
    let text = |v: &Option<String>| v.clone().map(Value::from);
    put("id", Some(number.into()));
    put("customerNumber", Some(number.into()));
    put("title", text(&c.title));
    put("firstName", text(&c.first_name));
    put("middleName", text(&c.middle_name));
    put("lastName", text(&c.last_name));
    put("contactEmail", Some(c.email.as_str().into()));
    put("company", text(&c.company_name));
    put(
        "preferredLanguage",
        c.locale.as_deref().map(|l| to_language(l).into()),
    );
    put(
        "metadata",
        Some(json!({"mixins": {}, "version": c.meta.version})),
    );
    put("mixins", Some(json!({})));
    put("accounts", Some(json!([{"id": c.email.as_str()}])));
    put("businessModel", Some("B2C".into()));
    put(
        "defaultAddress",
        addresses::default_address(c).map(|a| json!(a)),
    );
    if with_addresses {
        put("addresses", Some(json!(addresses::list(c))));
    }
    Value::Object(body)
}

/// A text field of a patch: absent → `None`; `null` → `Some(None)`; a string →
/// `Some(Some(…))`; anything else is a 400 naming it.
fn text_field(patch: &Map<String, Value>, name: &str) -> Result<Option<Option<String>>, ApiError> {
    match patch.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(json::invalid_shape(name, "Expected a string.")),
    }
}

/// Fields Emporix has and commercetools does not: type-checked, not kept.
fn check_unkept(patch: &Map<String, Value>) -> Result<(), ApiError> {
    for name in ["contactPhone", "preferredCurrency", "preferredSite"] {
        text_field(patch, name)?;
    }
    for name in ["b2b", "mixins"] {
        if patch
            .get(name)
            .is_some_and(|v| !v.is_null() && !v.is_object())
        {
            return Err(json::invalid_shape(name, "Expected an object."));
        }
    }
    Ok(())
}

/// A contact email must be the login email (there is one email here).
fn check_contact_email(current: &str, contact: Option<Option<String>>) -> Result<(), ApiError> {
    match contact {
        None => Ok(()),
        Some(Some(email)) if lowercase_email(&email) == lowercase_email(current) => Ok(()),
        Some(value) => Err(ApiError::InvalidField {
            field: "contactEmail".into(),
            invalid_value: value.map_or(Value::Null, Value::from),
            message: Some(
                "The contact email is the login email here: change it through \
                 /me/accounts/internal/email/change."
                    .into(),
            ),
        }),
    }
}

/// `PATCH /me` (CustomerPatchDto, merge-patch semantics: absent fields stay, `null` removes)
/// as customer update actions, with the version of `metadata.version` if given.
pub fn patch_actions(
    c: &Customer,
    patch: &Map<String, Value>,
) -> Result<(Option<Version>, Vec<UpdateAction>), ApiError> {
    check_unkept(patch)?;
    check_contact_email(c.email.as_str(), text_field(patch, "contactEmail")?)?;
    let metadata: Option<Metadata> = match patch.get("metadata") {
        None | Some(Value::Null) => None,
        Some(value) => Some(json::from_value(value.clone(), "metadata")?),
    };
    type Make = fn(Option<String>) -> UpdateAction;
    let fields: [(&str, Make); 6] = [
        ("title", |title| UpdateAction::SetTitle { title }),
        ("firstName", |first_name| UpdateAction::SetFirstName {
            first_name,
        }),
        ("middleName", |middle_name| UpdateAction::SetMiddleName {
            middle_name,
        }),
        ("lastName", |last_name| UpdateAction::SetLastName {
            last_name,
        }),
        ("company", |company_name| UpdateAction::SetCompanyName {
            company_name,
        }),
        ("preferredLanguage", |language| UpdateAction::SetLocale {
            locale: language.as_deref().map(to_locale),
        }),
    ];
    let mut actions = Vec::new();
    for (name, make) in fields {
        if let Some(value) = text_field(patch, name)? {
            actions.push(make(value));
        }
    }
    Ok((metadata.and_then(|m| m.version), actions))
}

/// CustomerSignup.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignupBody {
    email: String,
    password: String,
    #[serde(default)]
    customer_details: Option<Map<String, Value>>,
    #[serde(default)]
    customer_address: Option<EmporixAddress>,
    #[serde(default)]
    signup: Option<Credentials>,
}

#[derive(Debug, Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// The login credentials of a signup: `signup` if given (its email must then be `email`:
/// there is one email here), else `email` and `password`.
fn credentials(body: &SignupBody) -> Result<(&str, &str), ApiError> {
    let Some(signup) = &body.signup else {
        return Ok((&body.email, &body.password));
    };
    if lowercase_email(&signup.email) != lowercase_email(&body.email) {
        return Err(ApiError::InvalidField {
            field: "email".into(),
            invalid_value: body.email.clone().into(),
            message: Some("A contact email other than the login email cannot be kept.".into()),
        });
    }
    Ok((&signup.email, &signup.password))
}

/// A signup body as the CustomerDraft it stands for (the customer number is the caller's to
/// add). The address becomes the customer's address; its tags its roles, each with the
/// address as default.
pub fn signup_draft(body: &[u8]) -> Result<CustomerDraft, ApiError> {
    let body: SignupBody = json::parse(body)?;
    let (email, password) = credentials(&body)?;
    let mut draft = json!({"email": email, "password": password});
    if let Some(details) = &body.customer_details {
        check_unkept(details)?;
        check_contact_email(email, text_field(details, "contactEmail")?)?;
        for (from, to) in [
            ("title", "title"),
            ("firstName", "firstName"),
            ("middleName", "middleName"),
            ("lastName", "lastName"),
            ("company", "companyName"),
        ] {
            if let Some(Some(value)) = text_field(details, from)? {
                draft[to] = value.into();
            }
        }
        if let Some(Some(language)) = text_field(details, "preferredLanguage")? {
            draft["locale"] = to_locale(&language).into();
        }
    }
    if let Some(address) = &body.customer_address {
        let roles = addresses::wanted_roles(address)?;
        draft["addresses"] = json!([addresses::to_draft(address, None)]);
        if roles.shipping {
            draft["shippingAddresses"] = json!([0]);
            draft["defaultShippingAddress"] = 0.into();
        }
        if roles.billing {
            draft["billingAddresses"] = json!([0]);
            draft["defaultBillingAddress"] = 0.into();
        }
    }
    json::from_value(draft, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::testing::customer;

    fn jo() -> Customer {
        customer(
            json!({"email": "Jo@Example.com", "password": "p", "firstName": "Jo",
                        "companyName": "ACME", "locale": "en-US",
                        "addresses": [{"country": "DE", "firstName": "Jo"}],
                        "billingAddresses": [0], "defaultBillingAddress": 0}),
        )
        .customer
    }

    #[test]
    fn the_profile_shows_the_customer_emporix_style() {
        let body = render(&jo(), "10000001", false);
        assert_eq!(body["id"], "10000001");
        assert_eq!(body["customerNumber"], "10000001");
        assert_eq!(body["firstName"], "Jo");
        assert_eq!(body["company"], "ACME");
        assert_eq!(body["preferredLanguage"], "en_US");
        assert_eq!(body["contactEmail"], "Jo@Example.com");
        assert_eq!(body["accounts"], json!([{"id": "Jo@Example.com"}]));
        assert_eq!(body["metadata"]["version"], 1);
        assert_eq!(body["defaultAddress"]["tags"], json!(["BILLING"]));
        assert!(body.get("addresses").is_none());
        assert!(body.get("lastName").is_none());
        let expanded = render(&jo(), "10000001", true);
        assert_eq!(expanded["addresses"].as_array().unwrap().len(), 1);
        assert_eq!(anonymous()["customerNumber"], "00000000");
    }

    #[test]
    fn a_patch_becomes_update_actions() {
        let patch = json!({"firstName": "Joe", "lastName": null, "preferredLanguage": "de_DE",
                           "contactEmail": "jo@example.com", "contactPhone": "1",
                           "metadata": {"version": 4, "mixins": {}}, "unknown": 1});
        let (version, actions) = patch_actions(&jo(), patch.as_object().unwrap()).unwrap();
        assert_eq!(version.map(Version::get), Some(4));
        assert_eq!(
            actions,
            vec![
                UpdateAction::SetFirstName {
                    first_name: Some("Joe".into())
                },
                UpdateAction::SetLastName { last_name: None },
                UpdateAction::SetLocale {
                    locale: Some("de-DE".into())
                },
            ]
        );
    }

    #[test]
    fn a_patch_refuses_what_cannot_be_kept() {
        for bad in [
            json!({"firstName": 1}),
            json!({"contactEmail": "other@example.com"}),
            json!({"contactEmail": null}),
            json!({"metadata": {"version": "x"}}),
            json!({"b2b": "x"}),
            json!({"preferredSite": []}),
        ] {
            assert!(
                patch_actions(&jo(), bad.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_signup_becomes_a_customer_draft() {
        let body = json!({"email": "a@b.c", "password": "secret1",
            "customerDetails": {"title": "MR", "firstName": "John", "lastName": "Doe",
                "contactEmail": "A@b.c", "contactPhone": "1", "company": "Emporix",
                "preferredLanguage": "en_US", "preferredCurrency": "EUR", "b2b": {}},
            "customerAddress": {"contactName": "John Doe", "country": "DE", "tags": ["SHIPPING"]}});
        let draft = signup_draft(body.to_string().as_bytes()).unwrap();
        assert_eq!(draft.email, "a@b.c");
        assert_eq!(draft.password.as_deref(), Some("secret1"));
        assert_eq!(draft.company_name.as_deref(), Some("Emporix"));
        assert_eq!(draft.locale.as_deref(), Some("en-US"));
        assert_eq!(draft.default_shipping_address, Some(0));
        assert_eq!(draft.billing_addresses, None);
        let addresses = draft.addresses.unwrap();
        assert_eq!(addresses[0].last_name.as_deref(), Some("Doe"));
        let other = json!({"email": "a@b.c", "password": "x", "signup": {"email": "z@b.c", "password": "y"}});
        assert!(signup_draft(other.to_string().as_bytes()).is_err());
        let same = json!({"email": "a@b.c", "password": "x", "signup": {"email": "A@b.c", "password": "y"}});
        assert_eq!(
            signup_draft(same.to_string().as_bytes())
                .unwrap()
                .password
                .as_deref(),
            Some("y")
        );
        for bad in [
            json!({"email": "a@b.c"}),
            json!({"email": 1, "password": "x"}),
            json!([]),
        ] {
            let err = signup_draft(bad.to_string().as_bytes()).unwrap_err();
            assert_eq!(err.code(), "InvalidJsonInput", "{bad}");
        }
    }
}
