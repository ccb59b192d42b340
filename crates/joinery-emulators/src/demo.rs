//! Fixed demo fixtures used by `joinery serve --demo` (the console prints these credentials).

use crate::{bamboohr, gusto};

pub const BAMBOOHR_COMPANY_DOMAIN: &str = "joinery-demo";
/// Shaped like a real BambooHR key: 40 hexadecimal characters.
pub const BAMBOOHR_API_KEY: &str = "0d3e7a1c5b9f24e68a0c13579bdf2468ace01357";

pub const GUSTO_CLIENT_ID: &str = "joinery-demo-gusto-client";
pub const GUSTO_CLIENT_SECRET: &str = "joinery-demo-gusto-secret";
pub const GUSTO_ADMIN_EMAIL: &str = "admin@demo.example";
pub const GUSTO_ADMIN_PASSWORD: &str = "demo";
/// The demo Gusto company's UUID (what `GET /v1/token_info` names as the resource).
pub const GUSTO_COMPANY_UUID: &str = "6a0f1c2e-3b4d-4e5f-8a6b-7c8d9e0f1a2b";

/// Employees in each demo company.
const DEMO_EMPLOYEES: usize = 50;

/// One company (the domain above, 50 employees) readable with the demo key.
pub fn bamboohr() -> bamboohr::Config {
    bamboohr::Config {
        companies: vec![bamboohr::Company {
            domain: BAMBOOHR_COMPANY_DOMAIN.to_owned(),
            name: "Joinery Demo Co".to_owned(),
            employees: DEMO_EMPLOYEES,
            seed: 2024,
            api_keys: vec![bamboohr::ApiKey { key: BAMBOOHR_API_KEY.to_owned(), access: bamboohr::Access::Full }],
            rate_limit: None,
        }],
    }
}

/// The demo application, allowed to redirect to `redirect_uri`, and one company (50 employees)
/// administered by the demo admin.
pub fn gusto(redirect_uri: &str) -> gusto::Config {
    gusto::Config {
        clients: vec![gusto::OAuthClient {
            client_id: GUSTO_CLIENT_ID.to_owned(),
            client_secret: GUSTO_CLIENT_SECRET.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
        }],
        companies: vec![gusto::Company {
            uuid: GUSTO_COMPANY_UUID.to_owned(),
            name: "Joinery Demo Co".to_owned(),
            employees: DEMO_EMPLOYEES,
            seed: 2024,
            admins: vec![gusto::User {
                uuid: "9b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e".to_owned(),
                email: GUSTO_ADMIN_EMAIL.to_owned(),
                password: GUSTO_ADMIN_PASSWORD.to_owned(),
            }],
        }],
        access_token_ttl_secs: 7200,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fixtures_are_consistent() {
        assert_eq!(BAMBOOHR_API_KEY.len(), 40);
        assert!(BAMBOOHR_API_KEY.chars().all(|c| c.is_ascii_hexdigit()));
        let bamboo = bamboohr();
        assert_eq!(bamboo.companies[0].domain, BAMBOOHR_COMPANY_DOMAIN);
        assert_eq!(bamboo.companies[0].api_keys[0].key, BAMBOOHR_API_KEY);
        let gusto = gusto("http://localhost:8080/callback");
        assert_eq!(gusto.clients[0].redirect_uris, vec!["http://localhost:8080/callback".to_owned()]);
        assert_eq!(gusto.companies[0].admins[0].email, GUSTO_ADMIN_EMAIL);
        assert_eq!(gusto.access_token_ttl_secs, 7200);
    }
}
