//! `joinery serve --demo`: Joinery's local emulators of the supported providers, the connectors
//! pointed at them, and a demo organization, so a new user can link an account in the browser
//! with no internet and no provider account.

use std::collections::HashMap;
use std::net::SocketAddr;

use joinery_connectors::ProviderSettings;
use joinery_domain::tokens::TokenHasher;
use joinery_emulators::{RunningEmulator, bamboohr, demo, gusto};
use joinery_storage::Storage;
use url::Url;

pub const ORGANIZATION: &str = "demo";

pub struct Demo {
    emulators: Vec<RunningEmulator>,
    /// A new API key of the demo organization, printed once.
    pub api_key: String,
}

/// Starts the emulators on loopback ports, points `providers` at them, and creates an API key
/// for the demo organization.
pub async fn start(
    storage: &Storage,
    hasher: &TokenHasher,
    public_url: &Url,
    providers: &mut HashMap<String, ProviderSettings>,
) -> anyhow::Result<Demo> {
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    let redirect_uri = format!("{}/link/oauth/callback", public_url.as_str().trim_end_matches('/'));
    let bamboo = bamboohr::start(demo::bamboohr(), loopback).await?;
    let gusto = gusto::start(demo::gusto(&redirect_uri), loopback).await?;
    providers.insert(
        "bamboohr".into(),
        ProviderSettings { base_url: Some(Url::parse(&bamboo.base_url)?), ..Default::default() },
    );
    providers.insert(
        "gusto".into(),
        ProviderSettings {
            base_url: Some(Url::parse(&gusto.base_url)?),
            client_id: Some(demo::GUSTO_CLIENT_ID.into()),
            client_secret: Some(demo::GUSTO_CLIENT_SECRET.into()),
        },
    );
    let api_key = crate::api_keys::create(storage, hasher, ORGANIZATION).await?;
    tracing::info!(bamboohr = %bamboo.base_url, gusto = %gusto.base_url, "demo provider emulators are running");
    Ok(Demo { emulators: vec![bamboo, gusto], api_key })
}

impl Demo {
    pub async fn shutdown(self) {
        for emulator in self.emulators {
            emulator.shutdown().await;
        }
    }

    /// What the console shows: the key, the demo credentials, and how to try Link.
    pub fn banner(&self, public_url: &Url) -> String {
        let base = public_url.as_str().trim_end_matches('/');
        let key = &self.api_key;
        format!(
            "\nJoinery demo mode: provider emulators run locally; nothing leaves this machine.\n\n\
             Demo organization \"{ORGANIZATION}\", API key: {key}\n\n\
             Credentials to link in Joinery Link:\n  \
             BambooHR (demo): company domain \"{domain}\", API key \"{bamboo_key}\"\n  \
             Gusto (demo): email \"{email}\", password \"{password}\"\n\n\
             Create a magic link and open it in a browser:\n\n    \
             curl -s -X POST {base}/api/hris/v1/link-token \\\n      \
             -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n      \
             -d '{{\"end_user_email_address\": \"ada@example.com\", \"end_user_organization_name\": \"Example Corp\", \
             \"end_user_origin_id\": \"demo-user-1\", \"categories\": [\"hris\"], \"should_create_magic_link_url\": true}}'\n",
            domain = demo::BAMBOOHR_COMPANY_DOMAIN,
            bamboo_key = demo::BAMBOOHR_API_KEY,
            email = demo::GUSTO_ADMIN_EMAIL,
            password = demo::GUSTO_ADMIN_PASSWORD,
        )
    }
}
