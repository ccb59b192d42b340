//! The integration catalogue: every provider Joinery supports or plans to support. It is the single
//! source for the integration metadata endpoints, link-token validation and Joinery Link.

use crate::Category;

/// How an end user proves access to their provider account in Link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// A static API key or token (possibly with a subdomain/company field).
    ApiKey,
    /// A username (or service user id) and password/token pair.
    Basic,
    /// OAuth 2.0 authorization-code flow with the provider's consent screen.
    OAuth2,
    /// OAuth 2.0 client-credentials: the end user pastes a client id and secret.
    ClientCredentials,
}

impl AuthType {
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthType::ApiKey => "API_KEY",
            AuthType::Basic => "BASIC",
            AuthType::OAuth2 => "OAUTH2",
            AuthType::ClientCredentials => "CLIENT_CREDENTIALS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub slug: &'static str,
    pub name: &'static str,
    pub abbreviated_name: Option<&'static str>,
    pub categories: &'static [Category],
    pub auth_type: AuthType,
    /// Brand color, a darker saturated hex color as Merge asks for.
    pub color: &'static str,
    /// Public API reference of the provider, shown as support documentation.
    pub api_documentation_url: &'static str,
}

impl Integration {
    pub fn serves_any(&self, categories: &[Category]) -> bool {
        self.categories.iter().any(|c| categories.contains(c))
    }

    /// Up to two letters drawn in the generated logos.
    pub fn initials(&self) -> String {
        let name = self.abbreviated_name.unwrap_or(self.name);
        let mut words = name.split_whitespace();
        let first = words.next().unwrap_or("?");
        match words.next() {
            Some(second) => first.chars().take(1).chain(second.chars().take(1)).collect(),
            None => first.chars().take(2).collect(),
        }
    }
}

use AuthType::*;
use Category::{Ats, Hris};

/// Ordered by category, then name; the order of the metadata endpoints.
pub static CATALOGUE: &[Integration] = &[
    Integration {
        slug: "bamboohr",
        name: "BambooHR",
        abbreviated_name: None,
        categories: &[Hris],
        auth_type: ApiKey,
        color: "#5F9D2B",
        api_documentation_url: "https://documentation.bamboohr.com/reference",
    },
    Integration {
        slug: "gusto",
        name: "Gusto",
        abbreviated_name: None,
        categories: &[Hris],
        auth_type: OAuth2,
        color: "#C2410C",
        api_documentation_url: "https://docs.gusto.com/app-integrations/reference",
    },
    Integration {
        slug: "hibob",
        name: "HiBob",
        abbreviated_name: Some("Bob"),
        categories: &[Hris],
        auth_type: Basic,
        color: "#C8336A",
        api_documentation_url: "https://apidocs.hibob.com/reference",
    },
    Integration {
        slug: "humaans",
        name: "Humaans",
        abbreviated_name: None,
        categories: &[Hris],
        auth_type: ApiKey,
        color: "#1F2937",
        api_documentation_url: "https://docs.humaans.io/api/",
    },
    Integration {
        slug: "personio",
        name: "Personio",
        abbreviated_name: None,
        categories: &[Hris],
        auth_type: ClientCredentials,
        color: "#1D1D1B",
        api_documentation_url: "https://developer.personio.de/reference",
    },
    Integration {
        slug: "rippling",
        name: "Rippling",
        abbreviated_name: None,
        categories: &[Hris],
        auth_type: OAuth2,
        color: "#7A1F4E",
        api_documentation_url: "https://developer.rippling.com/documentation",
    },
    Integration {
        slug: "workday",
        name: "Workday",
        abbreviated_name: None,
        categories: &[Hris],
        auth_type: Basic,
        color: "#0B5FA5",
        api_documentation_url: "https://community.workday.com/sites/default/files/file-hosting/productionapi/index.html",
    },
    Integration {
        slug: "ashby",
        name: "Ashby",
        abbreviated_name: None,
        categories: &[Ats],
        auth_type: ApiKey,
        color: "#4338CA",
        api_documentation_url: "https://developers.ashbyhq.com/reference",
    },
    Integration {
        slug: "greenhouse",
        name: "Greenhouse",
        abbreviated_name: None,
        categories: &[Ats],
        auth_type: ApiKey,
        color: "#24A47F",
        api_documentation_url: "https://developers.greenhouse.io/harvest.html",
    },
    Integration {
        slug: "lever",
        name: "Lever",
        abbreviated_name: None,
        categories: &[Ats],
        auth_type: ApiKey,
        color: "#1B2A3A",
        api_documentation_url: "https://hire.lever.co/developer/documentation",
    },
    Integration {
        slug: "smartrecruiters",
        name: "SmartRecruiters",
        abbreviated_name: None,
        categories: &[Ats],
        auth_type: ApiKey,
        color: "#0B66C3",
        api_documentation_url: "https://developers.smartrecruiters.com/reference",
    },
    Integration {
        slug: "teamtailor",
        name: "Teamtailor",
        abbreviated_name: None,
        categories: &[Ats],
        auth_type: ApiKey,
        color: "#BE185D",
        api_documentation_url: "https://docs.teamtailor.com/",
    },
    Integration {
        slug: "workable",
        name: "Workable",
        abbreviated_name: None,
        categories: &[Ats],
        auth_type: ApiKey,
        color: "#1E7F75",
        api_documentation_url: "https://workable.readme.io/reference",
    },
];

pub fn all() -> &'static [Integration] {
    CATALOGUE
}

/// Looks an integration up by slug; slugs are lowercase, and lookups ignore case and surrounding
/// whitespace so `"BambooHR"` finds `bamboohr`.
pub fn find(slug: &str) -> Option<&'static Integration> {
    let slug = slug.trim();
    CATALOGUE.iter().find(|i| i.slug.eq_ignore_ascii_case(slug))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn slugs_are_unique_lowercase_and_colors_are_hex() {
        let mut seen = HashSet::new();
        for i in CATALOGUE {
            assert!(seen.insert(i.slug), "duplicate slug {}", i.slug);
            assert_eq!(i.slug, i.slug.to_ascii_lowercase());
            assert!(!i.categories.is_empty());
            assert!(i.color.len() == 7 && i.color.starts_with('#'), "{}", i.color);
            assert!(i.color[1..].chars().all(|c| c.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn seeds_the_providers_the_product_promises() {
        for slug in ["bamboohr", "personio", "hibob", "gusto"] {
            assert!(find(slug).unwrap().categories.contains(&Hris), "{slug}");
        }
        for slug in ["greenhouse", "lever", "ashby", "workable"] {
            assert!(find(slug).unwrap().categories.contains(&Ats), "{slug}");
        }
    }

    #[test]
    fn lookup_ignores_case_and_whitespace() {
        assert_eq!(find(" BambooHR ").unwrap().slug, "bamboohr");
        assert!(find("bamboo").is_none());
        assert_eq!(find("lever").unwrap().initials(), "Le");
        assert_eq!(find("hibob").unwrap().initials(), "Bo");
    }
}
