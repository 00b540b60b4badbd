//! The data of the catalogue: the seed's 45 tools in the seed's (alphabetical) order, each
//! parameter table in the seed's row order. Operations and scopes follow fact sheet §9.
//!
//! Two seed tables have no heading line; their rows are those of `create_business_units_search`
//! and `create_customers_search` (fact sheet §10).

use super::tools::Kind::*;
use super::tools::Method::{Delete as DELETE, Get as GET, Post as POST};
use super::tools::Resource::*;
use super::tools::{Param, Tool, Type};

const fn p(name: &'static str, ty: Type, required: bool, description: &'static str) -> Param {
    Param {
        name,
        ty,
        required,
        description,
    }
}

// Rows shared by many tables.
const EXPAND: Param = p(
    "expand",
    Type::StringArray,
    false,
    "Related resources to expand inline",
);
const ID: Param = p("ID", Type::String, true, "The id value");
const KEY: Param = p("key", Type::String, true, "The key value");
const KEY_OPTIONAL: Param = p("key", Type::String, false, "The key value");
const VERSION: Param = p("version", Type::Integer, true, "The version value");
const VERSION_OPTIONAL: Param = p("version", Type::Integer, false, "The version value");
const ACTIONS: Param = p("actions", Type::ObjectArray, true, "The actions value");
const CUSTOM: Param = p("custom", Type::Object, false, "The custom value");
const NAME_OPTIONAL: Param = p("name", Type::String, false, "The name value");
const SORT: Param = p("sort", Type::StringArray, false, "Sort order for results");
const LIMIT: Param = p(
    "limit",
    Type::Integer,
    false,
    "Maximum number of results to return",
);
const OFFSET: Param = p("offset", Type::Integer, false, "The offset value");
const WITH_TOTAL: Param = p("withTotal", Type::Boolean, false, "With Total");
const WHERE: Param = p("where", Type::StringArray, false, "The where value");
const DATA_ERASURE: Param = p("dataErasure", Type::Boolean, false, "Data Erasure");
const ADDRESSES: Param = p("addresses", Type::ObjectArray, false, "The addresses value");
const BILLING: Param = p(
    "billingAddresses",
    Type::IntegerArray,
    false,
    "Billing Addresses",
);
const SHIPPING: Param = p(
    "shippingAddresses",
    Type::IntegerArray,
    false,
    "Shipping Addresses",
);
const DEFAULT_BILLING: Param = p(
    "defaultBillingAddress",
    Type::Integer,
    false,
    "Default Billing Address",
);
const DEFAULT_SHIPPING: Param = p(
    "defaultShippingAddress",
    Type::Integer,
    false,
    "Default Shipping Address",
);
const GROUP_ASSIGNMENTS: Param = p(
    "customerGroupAssignments",
    Type::ObjectArray,
    false,
    "Customer Group Assignments",
);
const STORES: Param = p("stores", Type::AnyArray, false, "The stores value");
const INVALIDATE_OLDER: Param = p(
    "invalidateOlderTokens",
    Type::Boolean,
    false,
    "Invalidate Older Tokens",
);
const TOKEN_VALUE: Param = p("tokenValue", Type::String, true, "Token Value");
const NEW_PASSWORD: Param = p("newPassword", Type::String, true, "New Password");
const ASSOCIATE_ID: Param = p("associateId", Type::String, true, "Associate Id");

// Whole tables shared by several tools.
const BY_ID: &[Param] = &[ID, EXPAND];
const BY_KEY: &[Param] = &[KEY, EXPAND];
const UPDATE_BY_ID: &[Param] = &[ID, EXPAND, ACTIONS, VERSION];
const UPDATE_BY_KEY: &[Param] = &[KEY, EXPAND, ACTIONS, VERSION];
const DELETE_BY_ID: &[Param] = &[ID, VERSION, EXPAND];
const DELETE_BY_KEY: &[Param] = &[KEY, VERSION, EXPAND];
const LIST: &[Param] = &[EXPAND, SORT, LIMIT, OFFSET, WITH_TOTAL, WHERE];
const SEARCH: &[Param] = &[
    LIMIT,
    OFFSET,
    p("query", Type::Object, false, "Search query string"),
    p("sort", Type::ObjectArray, false, "Sort order for results"),
];

// Scope alternatives (fact sheet §9).
const VC: &[&str] = &["view_customers"];
const MC: &[&str] = &["manage_customers"];
const VC_VG: &[&str] = &["view_customers", "view_customer_groups"];
const MC_MG: &[&str] = &["manage_customers", "manage_customer_groups"];
const VB: &[&str] = &["view_business_units"];
const MB: &[&str] = &["manage_business_units"];
const VA: &[&str] = &["view_associate_roles"];
const MA: &[&str] = &["manage_associate_roles"];
const VPS: &[&str] = &["view_project_settings"];

/// Shorthand for one catalogue row: the fields of [`Tool`] in their order.
macro_rules! tool {
    ($name:expr, $description:expr, $resource:expr, $kind:expr, $method:expr, $path:expr,
     $params:expr, $scopes:expr $(,)?) => {
        Tool {
            name: $name,
            description: $description,
            resource: $resource,
            kind: $kind,
            method: $method,
            path: $path,
            params: $params,
            scopes: $scopes,
        }
    };
}

const CREATE_ASSOCIATE_ROLE: &[Param] = &[
    EXPAND,
    p("buyerAssignable", Type::Boolean, false, "Buyer Assignable"),
    CUSTOM,
    KEY,
    NAME_OPTIONAL,
    p(
        "permissions",
        Type::StringArray,
        false,
        "The permissions value",
    ),
];

const CREATE_BUSINESS_UNIT: &[Param] = &[
    EXPAND,
    ADDRESSES,
    p(
        "approvalRuleMode",
        Type::String,
        false,
        "Approval Rule Mode",
    ),
    p("associateMode", Type::String, false, "Associate Mode"),
    p(
        "associates",
        Type::ObjectArray,
        false,
        "The associates value",
    ),
    BILLING,
    p("contactEmail", Type::String, false, "Contact Email"),
    CUSTOM,
    GROUP_ASSIGNMENTS,
    DEFAULT_BILLING,
    DEFAULT_SHIPPING,
    KEY,
    p("name", Type::String, true, "The name value"),
    SHIPPING,
    p("status", Type::String, false, "The status value"),
    p("storeMode", Type::String, false, "Store Mode"),
    STORES,
    p("unitType", Type::String, true, "Unit Type"),
];

const CREATE_CUSTOMER_GROUP: &[Param] = &[
    EXPAND,
    CUSTOM,
    p("groupName", Type::String, true, "Group Name"),
    KEY_OPTIONAL,
];

const CREATE_CUSTOMER: &[Param] = &[
    EXPAND,
    ADDRESSES,
    p("anonymousCart", Type::Object, false, "Anonymous Cart"),
    p("anonymousCartId", Type::String, false, "Anonymous Cart Id"),
    p("anonymousId", Type::String, false, "Anonymous Id"),
    p(
        "authenticationMode",
        Type::String,
        false,
        "Authentication Mode",
    ),
    BILLING,
    p("companyName", Type::String, false, "Company Name"),
    CUSTOM,
    p("customerGroup", Type::Object, false, "Customer Group"),
    GROUP_ASSIGNMENTS,
    p("customerNumber", Type::String, false, "Customer Number"),
    p("dateOfBirth", Type::String, false, "Date Of Birth"),
    DEFAULT_BILLING,
    DEFAULT_SHIPPING,
    p("email", Type::String, true, "The email value"),
    p("externalId", Type::String, false, "External Id"),
    p("firstName", Type::String, false, "First Name"),
    p("isEmailVerified", Type::Boolean, false, "Is Email Verified"),
    KEY_OPTIONAL,
    p("lastName", Type::String, false, "Last Name"),
    p("locale", Type::String, false, "Locale or language code"),
    p("middleName", Type::String, false, "Middle Name"),
    p("password", Type::String, false, "The password value"),
    p("salutation", Type::String, false, "The salutation value"),
    SHIPPING,
    STORES,
    p("title", Type::String, false, "The title value"),
    p("vatId", Type::String, false, "Vat Id"),
];

const EMAIL_CONFIRM: &[Param] = &[TOKEN_VALUE, VERSION_OPTIONAL];

const EMAIL_TOKEN: &[Param] = &[
    p("id", Type::String, true, "The id value"),
    INVALIDATE_OLDER,
    p("ttlMinutes", Type::Integer, true, "Ttl Minutes"),
    VERSION_OPTIONAL,
];

const CHANGE_PASSWORD: &[Param] = &[
    p("currentPassword", Type::String, true, "Current Password"),
    p("id", Type::String, true, "The id value"),
    NEW_PASSWORD,
    VERSION,
];

const RESET_PASSWORD: &[Param] = &[NEW_PASSWORD, TOKEN_VALUE, VERSION_OPTIONAL];

const PASSWORD_TOKEN: &[Param] = &[
    p("email", Type::String, true, "The email value"),
    INVALIDATE_OLDER,
    p("ttlMinutes", Type::Integer, false, "Ttl Minutes"),
];

const DELETE_CUSTOMER_BY_ID: &[Param] = &[ID, DATA_ERASURE, VERSION, EXPAND];
const DELETE_CUSTOMER_BY_KEY: &[Param] = &[KEY, DATA_ERASURE, VERSION, EXPAND];

const ASSOCIATE_BY_UNIT_ID: &[Param] = &[
    p("businessUnitId", Type::String, true, "Business Unit Id"),
    ASSOCIATE_ID,
];
const ASSOCIATE_BY_UNIT_KEY: &[Param] = &[KEY, ASSOCIATE_ID];

const LIST_CUSTOMER_GROUPS: &[Param] = &[WHERE, EXPAND, SORT, LIMIT, OFFSET, WITH_TOTAL];

const BY_EMAIL_TOKEN: &[Param] = &[p("emailToken", Type::String, true, "Email Token"), EXPAND];
const BY_PASSWORD_TOKEN: &[Param] = &[
    p("passwordToken", Type::String, true, "Password Token"),
    EXPAND,
];

/// Every tool, in the order `tools/list` lists them.
#[rustfmt::skip]
pub const TOOLS: &[Tool] = &[
    tool!(
        "commercetools_customers_create_associate_roles",
        "Creating a Associate Role generates the AssociateRoleCreated Message.",
        AssociateRoles, Create, POST, "/associate-roles", CREATE_ASSOCIATE_ROLE, MA,
    ),
    tool!(
        "commercetools_customers_create_business_units",
        "POST /business-units",
        BusinessUnits, Create, POST, "/business-units", CREATE_BUSINESS_UNIT, MB,
    ),
    tool!(
        "commercetools_customers_create_business_units_search",
        "If the initial indexing is in progress or the feature is inactive, A SearchNotReady \
         error is returned. If inactive, you can reactivate it.",
        BusinessUnitSearch, Search, POST, "/business-units/search", SEARCH, VB,
    ),
    tool!(
        "commercetools_customers_create_customer_groups",
        "POST /customer-groups",
        CustomerGroups, Create, POST, "/customer-groups", CREATE_CUSTOMER_GROUP, MC_MG,
    ),
    tool!(
        "commercetools_customers_create_customers",
        "Allows converting an anonymous Cart to the active Cart of a Customer with cart merge. \
         Creating a Customer produces the CustomerCreated Message. Simultaneously creating two \
         Customers with the same email address can return a LockedField error.",
        Customers, Create, POST, "/customers", CREATE_CUSTOMER, MC,
    ),
    tool!(
        "commercetools_customers_create_customers_email_confirm",
        "Use this method to verify a global Customer’s email during their email verification \
         process. Verifying the email of the Customer produces the CustomerEmailVerified \
         Message. After the email is verified, all email tokens issued previously through the \
         email verification flow are invalidated. This invalidation of tokens is eventually \
         consistent.",
        Customers, Flow, POST, "/customers/email/confirm", EMAIL_CONFIRM, MC,
    ),
    tool!(
        "commercetools_customers_create_customers_email_token",
        "Use this method to create an email token for a global Customer during their email \
         verification process. Creating an email token for the Customer produces the \
         CustomerEmailTokenCreated Message. The Message will include the token’s value, if the \
         token’s validity is 60 minutes or less.",
        Customers, Flow, POST, "/customers/email-token", EMAIL_TOKEN, MC,
    ),
    tool!(
        "commercetools_customers_create_customers_password",
        "Changing the password produces the CustomerPasswordUpdated Message with reset=false.",
        Customers, Flow, POST, "/customers/password", CHANGE_PASSWORD, MC,
    ),
    tool!(
        "commercetools_customers_create_customers_password_reset",
        "Use this method to reset a global Customer’s password during their password reset \
         process. Resetting the password of the Customer produces the CustomerPasswordUpdated \
         Message with reset=true. After the password is reset, all password tokens issued \
         previously through the password reset flow are invalidated. In addition, any access \
         and refresh tokens issued previously through the password flow and refresh token flow \
         are invalidated. This invalidation of tokens is eventually consistent.",
        Customers, Flow, POST, "/customers/password/reset", RESET_PASSWORD, MC,
    ),
    tool!(
        "commercetools_customers_create_customers_password_token",
        "Use this method to create a password reset token for a global Customer during their \
         password reset process. Creating a password reset token for the Customer produces the \
         CustomerPasswordTokenCreated Message. The Message will include the token’s value, if \
         the token’s validity is 60 minutes or less.",
        Customers, Flow, POST, "/customers/password-token", PASSWORD_TOKEN, MC,
    ),
    tool!(
        "commercetools_customers_create_customers_search",
        "If the initial indexing is in progress or the feature is inactive, a SearchNotReady \
         error is returned. If inactive, you can reactivate it.",
        CustomerSearch, Search, POST, "/customers/search", SEARCH, VC,
    ),
    tool!(
        "commercetools_customers_delete_associate_roles_by_id",
        "DELETE /associate-roles/{ID}",
        AssociateRoles, Delete, DELETE, "/associate-roles/{ID}", DELETE_BY_ID, MA,
    ),
    tool!(
        "commercetools_customers_delete_associate_roles_by_key",
        "Deleting an AssociateRole generates the AssociateRoleDeleted Message. An AssociateRole \
         can only be deleted if it is not assigned to any Associates.",
        AssociateRoles, Delete, DELETE, "/associate-roles/key={key}", DELETE_BY_KEY, MA,
    ),
    tool!(
        "commercetools_customers_delete_business_units_by_id",
        "DELETE /business-units/{ID}",
        BusinessUnits, Delete, DELETE, "/business-units/{ID}", DELETE_BY_ID, MB,
    ),
    tool!(
        "commercetools_customers_delete_business_units_by_key",
        "DELETE /business-units/key={key}",
        BusinessUnits, Delete, DELETE, "/business-units/key={key}", DELETE_BY_KEY, MB,
    ),
    tool!(
        "commercetools_customers_delete_by_id",
        "Deleting a Customer produces the CustomerDeleted Message.",
        Customers, Delete, DELETE, "/customers/{ID}", DELETE_CUSTOMER_BY_ID, MC,
    ),
    tool!(
        "commercetools_customers_delete_by_key",
        "Deleting a Customer produces the CustomerDeleted Message.",
        Customers, Delete, DELETE, "/customers/key={key}", DELETE_CUSTOMER_BY_KEY, MC,
    ),
    tool!(
        "commercetools_customers_delete_customer_groups_by_id",
        "DELETE /customer-groups/{ID}",
        CustomerGroups, Delete, DELETE, "/customer-groups/{ID}", DELETE_BY_ID, MC_MG,
    ),
    tool!(
        "commercetools_customers_delete_customer_groups_by_key",
        "DELETE /customer-groups/key={key}",
        CustomerGroups, Delete, DELETE, "/customer-groups/key={key}", DELETE_BY_KEY, MC_MG,
    ),
    tool!(
        "commercetools_customers_get_associate_roles_by_id",
        "GET /associate-roles/{ID}",
        AssociateRoles, Get, GET, "/associate-roles/{ID}", BY_ID, VA,
    ),
    tool!(
        "commercetools_customers_get_associate_roles_by_key",
        "GET /associate-roles/key={key}",
        AssociateRoles, Get, GET, "/associate-roles/key={key}", BY_KEY, VA,
    ),
    tool!(
        "commercetools_customers_get_business_units_associates_by_business_unit_id_and_associate_id",
        "Retrieves roles and permissions of an Associate in a Business Unit.",
        BusinessUnits, Get, GET, "/business-units/{businessUnitId}/associates/{associateId}",
        ASSOCIATE_BY_UNIT_ID, VB,
    ),
    tool!(
        "commercetools_customers_get_business_units_associates_by_key_and_associate_id",
        "Retrieves roles and permissions of an Associate in a Business Unit.",
        BusinessUnits, Get, GET, "/business-units/key={key}/associates/{associateId}",
        ASSOCIATE_BY_UNIT_KEY, VB,
    ),
    tool!(
        "commercetools_customers_get_business_units_by_id",
        "GET /business-units/{ID}",
        BusinessUnits, Get, GET, "/business-units/{ID}", BY_ID, VB,
    ),
    tool!(
        "commercetools_customers_get_business_units_by_key",
        "GET /business-units/key={key}",
        BusinessUnits, Get, GET, "/business-units/key={key}", BY_KEY, VB,
    ),
    tool!(
        "commercetools_customers_get_by_id",
        "GET /customers/{ID}",
        Customers, Get, GET, "/customers/{ID}", BY_ID, VC,
    ),
    tool!(
        "commercetools_customers_get_by_key",
        "GET /customers/key={key}",
        Customers, Get, GET, "/customers/key={key}", BY_KEY, VC,
    ),
    tool!(
        "commercetools_customers_get_customer_groups_by_id",
        "GET /customer-groups/{ID}",
        CustomerGroups, Get, GET, "/customer-groups/{ID}", BY_ID, VC_VG,
    ),
    tool!(
        "commercetools_customers_get_customer_groups_by_key",
        "GET /customer-groups/key={key}",
        CustomerGroups, Get, GET, "/customer-groups/key={key}", BY_KEY, VC_VG,
    ),
    tool!(
        "commercetools_customers_list_associate_roles",
        "GET /associate-roles",
        AssociateRoles, List, GET, "/associate-roles", LIST, VA,
    ),
    tool!(
        "commercetools_customers_list_business_units",
        "GET /business-units",
        BusinessUnits, List, GET, "/business-units", LIST, VB,
    ),
    tool!(
        "commercetools_customers_list_business_units_search_indexing_status",
        "Returns the indexing status of the Business Unit Search for a Project.",
        BusinessUnitSearch, Status, GET, "/business-units/search/indexing-status", &[], VPS,
    ),
    tool!(
        "commercetools_customers_list_customer_groups",
        "GET /customer-groups",
        CustomerGroups, List, GET, "/customer-groups", LIST_CUSTOMER_GROUPS, VC_VG,
    ),
    tool!(
        "commercetools_customers_list_customers",
        "GET /customers",
        Customers, List, GET, "/customers", LIST, VC,
    ),
    tool!(
        "commercetools_customers_list_customers_email_token_email_token",
        "Use this method to retrieve a global Customer’s details by using the email token \
         during their email verification process.",
        Customers, Get, GET, "/customers/email-token={emailToken}", BY_EMAIL_TOKEN, VC,
    ),
    tool!(
        "commercetools_customers_list_customers_password_token_password_token",
        "Use this method to retrieve the details of a global Customer by using the password \
         token during their password reset process.",
        Customers, Get, GET, "/customers/password-token={passwordToken}", BY_PASSWORD_TOKEN, VC,
    ),
    tool!(
        "commercetools_customers_list_customers_search_indexing_status",
        "Returns the indexing status of the Customer Search for a Project.",
        CustomerSearch, Status, GET, "/customers/search/indexing-status", &[], VPS,
    ),
    tool!(
        "commercetools_customers_update_associate_roles_by_id",
        "POST /associate-roles/{ID}",
        AssociateRoles, Update, POST, "/associate-roles/{ID}", UPDATE_BY_ID, MA,
    ),
    tool!(
        "commercetools_customers_update_associate_roles_by_key",
        "POST /associate-roles/key={key}",
        AssociateRoles, Update, POST, "/associate-roles/key={key}", UPDATE_BY_KEY, MA,
    ),
    tool!(
        "commercetools_customers_update_business_units_by_id",
        "POST /business-units/{ID}",
        BusinessUnits, Update, POST, "/business-units/{ID}", UPDATE_BY_ID, MB,
    ),
    tool!(
        "commercetools_customers_update_business_units_by_key",
        "POST /business-units/key={key}",
        BusinessUnits, Update, POST, "/business-units/key={key}", UPDATE_BY_KEY, MB,
    ),
    tool!(
        "commercetools_customers_update_customer_groups_by_id",
        "POST /customer-groups/{ID}",
        CustomerGroups, Update, POST, "/customer-groups/{ID}", UPDATE_BY_ID, MC_MG,
    ),
    tool!(
        "commercetools_customers_update_customer_groups_by_key",
        "POST /customer-groups/key={key}",
        CustomerGroups, Update, POST, "/customer-groups/key={key}", UPDATE_BY_KEY, MC_MG,
    ),
    tool!(
        "commercetools_customers_update_customers_by_id",
        "Simultaneously updating two Customers with the same email address can return a \
         LockedField error.",
        Customers, Update, POST, "/customers/{ID}", UPDATE_BY_ID, MC,
    ),
    tool!(
        "commercetools_customers_update_customers_by_key",
        "Simultaneously updating two Customers with the same email address can return a \
         LockedField error.",
        Customers, Update, POST, "/customers/key={key}", UPDATE_BY_KEY, MC,
    ),
];
