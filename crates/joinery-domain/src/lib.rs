//! Joinery's domain types and rules. No HTTP or database code lives here: the API and storage
//! crates both depend on this one, so the rules (what a valid link-token request is, how a token
//! is shaped and hashed, which integrations exist) are written once.

pub mod category;
pub mod common_models;
pub mod crypto;
pub mod integrations;
pub mod json_text;
pub mod link_token;
pub mod models;
pub mod scopes;
pub mod tokens;
pub mod validation;

pub use category::Category;
