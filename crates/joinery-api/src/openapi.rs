//! The OpenAPI document's frame and the schemas that exist only for documentation (request
//! bodies are validated from raw JSON so that every offending field is reported at once).

use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Joinery",
        description = "Self-hosted, Merge-compatible unified API for HRIS and ATS integrations.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    components(schemas(EndUserDetailsRequest, CommonModelScopesBodyRequest, IndividualCommonModelScope, ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Your organization's API key: `Authorization: Bearer jny_sk_…`"))
                    .build(),
            ),
        );
    }
}

pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn serve(spec: axum::body::Bytes) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], spec)
}

/// `{"detail": "..."}`: how request-level errors (401, 404, 413, 415, ...) are reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub detail: String,
}

/// Merge's `EndUserDetailsRequest`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct EndUserDetailsRequest {
    /// Your end user's email address (1-100 characters). Identification only; no email is sent.
    #[schema(min_length = 1, max_length = 100)]
    end_user_email_address: String,
    /// Your end user's organization (1-100 characters).
    #[schema(min_length = 1, max_length = 100)]
    end_user_organization_name: String,
    /// Your end user's id in your product (1-100 characters). One linked account per category per
    /// origin id; reusing it relinks that account.
    #[schema(min_length = 1, max_length = 100)]
    end_user_origin_id: String,
    /// The integration categories to show in Link.
    #[schema(min_items = 1, inline)]
    categories: Vec<CategoryName>,
    /// Slug of a pre-selected integration; it must serve one of `categories`.
    #[schema(min_length = 1)]
    integration: Option<String>,
    /// Minutes the token is valid: 30-720, or 30-10080 with `should_create_magic_link_url`. Default 30.
    #[schema(minimum = 30, maximum = 10080, default = 30)]
    link_expiry_mins: Option<i64>,
    /// Also return a hosted `magic_link_url`. Default false.
    should_create_magic_link_url: Option<bool>,
    /// Default false.
    hide_admin_magic_link: Option<bool>,
    /// Models and fields disabled for the linked account.
    common_models: Option<Vec<CommonModelScopesBodyRequest>>,
    /// Per-category model and field permissions for the linked account.
    #[schema(value_type = Option<std::collections::HashMap<String, Vec<IndividualCommonModelScope>>>)]
    category_common_model_scopes: Option<()>,
    /// Link's language: `en` or `de`.
    #[schema(inline)]
    language: Option<Language>,
    /// Disable initial, periodic and forced syncs. Default false.
    are_syncs_disabled: Option<bool>,
    /// Integration-specific configuration (free-form).
    #[schema(value_type = Option<Object>)]
    integration_specific_config: Option<()>,
    /// Initial Link screen for an already completed linked account.
    #[schema(inline)]
    completed_account_initial_screen: Option<InitialScreen>,
    linked_destination_id: Option<uuid::Uuid>,
    credential_id: Option<uuid::Uuid>,
    /// Default false.
    ekm_enabled: Option<bool>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
enum CategoryName {
    Hris,
    Ats,
    Accounting,
    Ticketing,
    Crm,
    Mktg,
    Filestorage,
    Knowledgebase,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
enum Language {
    En,
    De,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
enum InitialScreen {
    SelectiveSync,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
enum Action {
    Read,
    Write,
}

/// Merge's `CommonModelScopesBodyRequest`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct CommonModelScopesBodyRequest {
    /// `<category>.<Model>`, e.g. `hris.Employee`.
    model_id: String,
    #[schema(inline)]
    enabled_actions: Vec<Action>,
    disabled_fields: Vec<String>,
}

/// Merge's `IndividualCommonModelScopeDeserializerRequest`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct IndividualCommonModelScope {
    /// A common model of the category, e.g. `Employee`.
    model_name: String,
    /// `{"READ": {"is_enabled": bool}, "WRITE": {"is_enabled": bool}}`.
    #[schema(value_type = Option<Object>)]
    model_permissions: Option<()>,
    /// `{"enabled_fields": [...], "disabled_fields": [...]}`.
    #[schema(value_type = Option<Object>)]
    field_permissions: Option<()>,
}
