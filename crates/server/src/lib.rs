//! Clawback's HTTP service: the only crate that knows HTTP.
//!
//! ```text
//! POST /v1/events ─► split body ─► parse_line ─► store::Log append + fsync ─► Sequencer(0) ─► Engine ─► Index
//! GET  /v1/...    ─► key + role + rate limit ─► Index / engine facts ─► mask PII unless justified
//!                                                  └─ unmasked: audit record (cases) + data_access event (log, engine)
//! engine alerts ─► group_key ─► CaseStore::attach_alerts
//! case action ─► CaseStore ─► contract events (account_closed, label) ─► Log + engine
//!                          └─► DIR/outbound.jsonl ─► webhook task (HMAC-signed POST, cursor)
//! ```
//! The binary (`clawback serve`) opens the data directory, replays the stored log into an
//! [`Engine`](clawback_engine::Engine) and an [`Index`] the same way `replay --data` does,
//! builds a [`Core`] and calls [`serve`].

mod api;
pub mod core;
pub mod detail;
pub mod error;
pub mod feedback;
mod html;
mod index;
mod mask;
mod metrics;
pub mod webhook;

pub use crate::core::{Core, CoreError};
pub use api::{ApiDoc, Limits};
pub use index::Index;

use std::net::SocketAddr;

/// Why the service stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source} (is another process using the port?)")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("serving HTTP: {0}")]
    Serve(std::io::Error),
}

/// Serves the API on `listen` until SIGINT or SIGTERM. `on_listening` gets the bound
/// address (useful with port 0).
pub fn serve(
    core: Core,
    listen: SocketAddr,
    limits: Limits,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    serve_with(core, listen, limits, None, on_listening)
}

/// [`serve`], with the outbound webhook when `webhook` is given (see [`webhook`]).
pub fn serve_with(
    mut core: Core,
    listen: SocketAddr,
    limits: Limits,
    webhook: Option<webhook::WebhookConfig>,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Every request's work runs on the blocking pool under the one core lock
        // (`with_core`), so threads past a few only wait on that lock; and threads that
        // idled out and were created again under load stalled every request for 60–400 ms
        // (a new thread's allocator set-up, seen with perf under bench/load.sh).
        .max_blocking_threads(4)
        .thread_keep_alive(std::time::Duration::from_secs(24 * 3600))
        .build()
        .map_err(ServerError::Runtime)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        let stats = std::sync::Arc::new(webhook::WebhookStats::default());
        if let Some(cfg) = webhook {
            let notify = std::sync::Arc::new(tokio::sync::Notify::new());
            core.set_outbound_notify(std::sync::Arc::clone(&notify));
            tokio::spawn(webhook::run(cfg, notify, std::sync::Arc::clone(&stats)));
        }
        on_listening(addr);
        let state = api::AppState::new(core, limits);
        state.set_webhook_stats(stats);
        let app = api::router(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(ServerError::Serve)
    })
}

async fn shutdown() {
    let int = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = int.await;
                    return;
                }
            };
        tokio::select! {
            _ = int => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = int.await;
    }
}

/// The OpenAPI document as JSON (for tests and for writing it to a file).
pub fn openapi_json() -> Result<String, serde_json::Error> {
    use utoipa::OpenApi;
    ApiDoc::openapi().to_json()
}
