//! The personal fields: `setFirstName`, `setLastName`, `setMiddleName`, `setTitle`,
//! `setSalutation`, `setCompanyName`, `setDateOfBirth`, `setVatId`, `setLocale`. Each sets its
//! value, or clears it when the value is absent or `null` (`""` is a value).

use super::{set_text, CustomerEffect};
use crate::domain::customer::messages::Payload;
use crate::domain::customer::Customer;
use crate::domain::error::ApiResult;
use crate::domain::resource::Effect;
use crate::domain::validate;

/// `setFirstName`. Message: `CustomerFirstNameSet`.
pub fn set_first_name(c: &mut Customer, first_name: &Option<String>) -> CustomerEffect {
    Effect::with(set_text(&mut c.first_name, first_name), || {
        Payload::CustomerFirstNameSet {
            first_name: first_name.clone(),
        }
    })
}

/// `setLastName`. Message: `CustomerLastNameSet`.
pub fn set_last_name(c: &mut Customer, last_name: &Option<String>) -> CustomerEffect {
    Effect::with(set_text(&mut c.last_name, last_name), || {
        Payload::CustomerLastNameSet {
            last_name: last_name.clone(),
        }
    })
}

/// `setMiddleName`. No message.
pub fn set_middle_name(c: &mut Customer, middle_name: &Option<String>) -> CustomerEffect {
    Effect::silent(set_text(&mut c.middle_name, middle_name))
}

/// `setTitle`. Message: `CustomerTitleSet`.
pub fn set_title(c: &mut Customer, title: &Option<String>) -> CustomerEffect {
    Effect::with(set_text(&mut c.title, title), || {
        Payload::CustomerTitleSet {
            title: title.clone(),
        }
    })
}

/// `setSalutation`. No message.
pub fn set_salutation(c: &mut Customer, salutation: &Option<String>) -> CustomerEffect {
    Effect::silent(set_text(&mut c.salutation, salutation))
}

/// `setCompanyName`. Message: `CustomerCompanyNameSet`.
pub fn set_company_name(c: &mut Customer, company_name: &Option<String>) -> CustomerEffect {
    Effect::with(set_text(&mut c.company_name, company_name), || {
        Payload::CustomerCompanyNameSet {
            company_name: company_name.clone(),
        }
    })
}

/// `setDateOfBirth`: `YYYY-MM-DD`, a real date. Message: `CustomerDateOfBirthSet`.
pub fn set_date_of_birth(
    c: &mut Customer,
    date_of_birth: &Option<String>,
) -> ApiResult<CustomerEffect> {
    if let Some(date) = date_of_birth {
        validate::date("dateOfBirth", date)?;
    }
    Ok(Effect::with(
        set_text(&mut c.date_of_birth, date_of_birth),
        || Payload::CustomerDateOfBirthSet {
            date_of_birth: date_of_birth.clone(),
        },
    ))
}

/// `setVatId`. No message.
pub fn set_vat_id(c: &mut Customer, vat_id: &Option<String>) -> CustomerEffect {
    Effect::silent(set_text(&mut c.vat_id, vat_id))
}

/// `setLocale`: `^[a-z]{2}(-[A-Z]{2})?$`. No message.
pub fn set_locale(c: &mut Customer, locale: &Option<String>) -> ApiResult<CustomerEffect> {
    if let Some(locale) = locale {
        validate::locale("locale", locale)?;
    }
    Ok(Effect::silent(set_text(&mut c.locale, locale)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use serde_json::Value;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn optional_text_setters_set_and_clear() {
        let cases: [(&str, &str, Option<&str>); 10] = [
            ("setFirstName", "firstName", Some("CustomerFirstNameSet")),
            ("setLastName", "lastName", Some("CustomerLastNameSet")),
            ("setMiddleName", "middleName", None),
            ("setTitle", "title", Some("CustomerTitleSet")),
            ("setSalutation", "salutation", None),
            (
                "setCompanyName",
                "companyName",
                Some("CustomerCompanyNameSet"),
            ),
            ("setVatId", "vatId", None),
            ("setExternalId", "externalId", Some("CustomerExternalIdSet")),
            (
                "setDateOfBirth",
                "dateOfBirth",
                Some("CustomerDateOfBirthSet"),
            ),
            ("setLocale", "locale", None),
        ];
        for (action, field, message) in cases {
            let value = match field {
                "dateOfBirth" => "2001-02-03",
                "locale" => "de-AT",
                _ => "Value",
            };
            let c = basic();
            let set = ok(&c, json!([{"action": action, field: value}]));
            let as_json: Value = serde_json::to_value(&set.state.customer).unwrap();
            assert_eq!(as_json[field], value, "{action}");
            assert_eq!(set.state.customer.meta.version, 2, "{action}");
            assert_eq!(
                set.messages.len(),
                usize::from(message.is_some()),
                "{action}"
            );
            if let Some(message) = message {
                let m = json_of(&set.messages[0]);
                assert_eq!(m["type"], message);
                assert_eq!(m[field], value, "{action} message payload");
            }
            // Absent and null both clear.
            for clear in [
                json!({"action": action}),
                json!({"action": action, field: null}),
            ] {
                let cleared = ok(&set.state, json!([clear]));
                let as_json: Value = serde_json::to_value(&cleared.state.customer).unwrap();
                assert!(as_json.get(field).is_none(), "{action} clears");
                assert_eq!(cleared.state.customer.meta.version, 3, "{action}");
                if let Some(message) = message {
                    let m = json_of(&cleared.messages[0]);
                    assert_eq!(m["type"], message);
                    assert!(m.get(field).is_none());
                }
            }
            // Setting the same value again changes nothing.
            assert_eq!(
                ok(&set.state, json!([{"action": action, field: value}]))
                    .state
                    .customer
                    .meta
                    .version,
                2
            );
        }
    }

    #[test]
    fn empty_strings_are_values_not_absence() {
        let c = basic();
        let updated = ok(&c, json!([{"action": "setTitle", "title": ""}]));
        assert_eq!(updated.state.customer.title.as_deref(), Some(""));
    }

    #[test]
    fn date_locale_and_key_are_validated() {
        let c = basic();
        for (action, field, bad) in [
            ("setDateOfBirth", "dateOfBirth", "2001-13-01"),
            ("setLocale", "locale", "english"),
            ("setKey", "key", "x"),
            ("setKey", "key", "white space"),
        ] {
            match err(&c, json!([{"action": action, field: bad}])) {
                ApiError::InvalidField { field: f, .. } => assert_eq!(f, field),
                other => panic!("{action}: {other:?}"),
            }
        }
    }
}
