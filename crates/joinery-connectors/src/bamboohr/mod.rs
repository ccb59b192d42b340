//! BambooHR: API key (HTTP Basic, the key as username and `x` as password) and the company
//! domain, the part before `.bamboohr.com`.

pub mod api;
pub mod sync;
mod tables;

use joinery_domain::integrations::{self, Integration};

use crate::http::{unexpected_status, unreachable};
use crate::{
    BoxFuture, Connector, Coverage, CredentialField, Credentials, LinkError, LinkedInstance, ProblemType, ProviderHttp,
    ReadRequest, RecordSink, SyncError, Text, Validated, check_required_fields,
};

pub const SLUG: &str = "bamboohr";
pub const COMPANY_DOMAIN: &str = "company_domain";
pub const API_KEY: &str = "api_key";

static FIELDS: &[CredentialField] = &[
    CredentialField {
        name: COMPANY_DOMAIN,
        label: Text { en: "Company domain", de: "Firmen-Domain" },
        secret: false,
        required: true,
        placeholder: Some(Text { en: "yourcompany", de: "ihrefirma" }),
        help: Some(Text {
            en: "The part before .bamboohr.com in the address you use to sign in to BambooHR.",
            de: "Der Teil vor .bamboohr.com in der Adresse, mit der Sie sich bei BambooHR anmelden.",
        }),
    },
    CredentialField {
        name: API_KEY,
        label: Text { en: "API key", de: "API-Schlüssel" },
        secret: true,
        required: true,
        placeholder: None,
        help: Some(Text {
            en: "In BambooHR, open your profile menu, choose \"API Keys\" and add a key. Use an account that can see all employees.",
            de: "Öffnen Sie in BambooHR Ihr Profilmenü, wählen Sie „API-Schlüssel“ und fügen Sie einen Schlüssel hinzu. Verwenden Sie ein Konto, das alle Mitarbeitenden sehen kann.",
        }),
    },
];

pub struct BambooHr;

impl Connector for BambooHr {
    fn integration(&self) -> &'static Integration {
        integrations::find(SLUG).expect("BambooHR is in the catalogue")
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        FIELDS
    }

    fn validate<'a>(
        &'a self,
        http: &'a ProviderHttp,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<Validated, LinkError>> {
        Box::pin(validate(http, credentials))
    }

    fn sync_models(&self) -> &'static [&'static str] {
        sync::MODELS
    }

    fn read<'a>(
        &'a self,
        request: ReadRequest<'a>,
        sink: &'a RecordSink,
    ) -> BoxFuture<'a, Result<Coverage, SyncError>> {
        Box::pin(sync::read(request, sink))
    }
}

/// Accepts what people paste: `acme`, `acme.bamboohr.com`, `https://acme.bamboohr.com/home`.
pub fn normalize_company_domain(input: &str) -> Option<String> {
    let text = input.trim().to_ascii_lowercase();
    let text = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")).unwrap_or(&text);
    let host = text.split(['/', '?', '#']).next().unwrap_or("");
    let domain = host.strip_suffix(".bamboohr.com").unwrap_or(host);
    let valid = !domain.is_empty()
        && domain.len() <= 63
        && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !domain.starts_with('-');
    valid.then(|| domain.to_owned())
}

async fn validate(http: &ProviderHttp, credentials: &Credentials) -> Result<Validated, LinkError> {
    check_required_fields(FIELDS, credentials)?;
    let name = "BambooHR";
    let domain = normalize_company_domain(credentials.get(COMPANY_DOMAIN).unwrap_or("")).ok_or_else(|| {
        LinkError::field(
            ProblemType::InvalidField,
            COMPANY_DOMAIN,
            "Enter the company domain: letters, digits and hyphens, as in yourcompany.bamboohr.com.",
        )
    })?;
    let api_key = credentials.get(API_KEY).unwrap_or("").trim().to_owned();

    // The employee list is what a sync reads first: if this works, the key can sync.
    let url = http.url(SLUG, &api::url(&domain, "employees?page%5Blimit%5D=1"));
    let response = http
        .client()
        .get(url)
        .basic_auth(&api_key, Some("x"))
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| unreachable(name, e))?;
    match response.status().as_u16() {
        200 => {
            response.json::<api::EmployeeList>().await.map_err(|e| unreachable(name, e))?;
        }
        401 => {
            return Err(LinkError::field(
                ProblemType::InvalidCredentials,
                API_KEY,
                format!(
                    "BambooHR did not accept this API key for {domain}.bamboohr.com. Check the key and the company domain."
                ),
            ));
        }
        403 => {
            return Err(LinkError::new(
                ProblemType::MissingPermission,
                "The API key works, but its BambooHR user may not read employee records. Create the key as a user with access to all employees (for example a full admin).",
            ));
        }
        404 => {
            return Err(LinkError::field(
                ProblemType::UnknownInstance,
                COMPANY_DOMAIN,
                format!("BambooHR has no company at {domain}.bamboohr.com. Check the company domain."),
            ));
        }
        _ => return Err(unexpected_status(name, response.status())),
    }

    let mut stored = Credentials::default();
    stored.insert(COMPANY_DOMAIN, domain.clone());
    stored.insert(API_KEY, api_key);
    let instance = LinkedInstance {
        instance_id: domain.clone(),
        display_value: format!("{domain}.bamboohr.com"),
        subdomain: Some(domain),
    };
    Ok(Validated { credentials: stored, instance })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::ProviderSettings;

    #[tokio::test]
    async fn an_unreachable_provider_is_reported_as_such() {
        // A port nothing listens on: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let http = ProviderHttp::new(HashMap::from([(
            SLUG.to_owned(),
            ProviderSettings { base_url: Some(base), ..Default::default() },
        )]));
        let mut credentials = Credentials::default();
        credentials.insert(COMPANY_DOMAIN, "acme");
        credentials.insert(API_KEY, "k");
        let err = BambooHr.validate(&http, &credentials).await.unwrap_err();
        assert_eq!(err.problem_type, ProblemType::ProviderUnreachable, "{err:?}");
        assert!(err.detail.starts_with("BambooHR could not be reached"), "{}", err.detail);
    }

    #[test]
    fn company_domains_are_normalized() {
        for input in
            ["acme", " ACME ", "acme.bamboohr.com", "https://acme.bamboohr.com/home?x=1", "http://acme.bamboohr.com"]
        {
            assert_eq!(normalize_company_domain(input).as_deref(), Some("acme"), "{input}");
        }
        assert_eq!(normalize_company_domain("my-co2").as_deref(), Some("my-co2"));
        for input in ["", "a b", "acme.example.com", "-acme", "a_cme", "äcme"] {
            assert_eq!(normalize_company_domain(input), None, "{input}");
        }
    }
}
