//! The Joinery server as a library: configuration, start-up and shutdown. `main.rs` is the CLI
//! over it, and the integration tests start the same server in-process on port 0.

mod api_keys;
pub mod config;
pub mod demo;
pub mod secrets;
pub mod server;

pub use config::Config;
pub use server::{RunningServer, start};
