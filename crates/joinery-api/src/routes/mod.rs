pub mod assets;
pub mod health;
pub mod integrations;
pub mod link_token;
