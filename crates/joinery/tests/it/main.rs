//! Integration tests: the real server over HTTP, on SQLite and on PostgreSQL.

mod support;

mod auth;
mod cli;
mod common_models;
mod gusto_sync;
mod integrations;
mod link_flow;
mod link_token;
mod openapi;
mod sync_flow;
