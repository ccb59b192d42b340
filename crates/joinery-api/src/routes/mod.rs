pub mod account_token;
pub mod assets;
pub mod health;
pub mod integrations;
pub mod link_api;
pub mod link_page;
pub mod link_token;
pub mod linked_accounts;
