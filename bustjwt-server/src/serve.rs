//! Serving: the listening address, the accept loop, per-connection HTTP/1.1 settings and the
//! graceful shutdown (the skeleton of hyper-util's `server_graceful.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::{AppInner, BustApi};
use crate::dispatch::respond;
use crate::error::ServerError;

/// The address `run` listens on without `HOST` and `PORT`.
const DEFAULT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5000);

/// Pause after a failed `accept` (out of file descriptors, for instance) so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// `BustApi::run`: bind the address from the environment, then serve until a signal.
pub(crate) fn run(app: BustApi) -> Result<(), ServerError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(ServerError::InsideRuntime);
    }
    let addr = listen_addr(env_var("HOST").as_deref(), env_var("PORT").as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    runtime.block_on(async move {
        // Installed before binding: from the moment the address is printed, a signal stops the
        // server gracefully instead of killing the process.
        let shutdown = shutdown_signal();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let local = listener.local_addr().unwrap_or(addr);
        println!("Running on http://{local}");
        tracing::info!(%local, "listening");
        serve(app, listener, shutdown).await;
        Ok(())
    })
}

/// An environment variable; set but not Unicode counts as set (to an invalid value).
fn env_var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The address to listen on, from the `HOST` and `PORT` values (empty means unset).
fn listen_addr(host: Option<&str>, port: Option<&str>) -> Result<SocketAddr, ServerError> {
    let port = match port.map(str::trim).filter(|p| !p.is_empty()) {
        None => DEFAULT_ADDR.port(),
        Some(value) => value.parse::<u16>().map_err(|_| ServerError::InvalidPort {
            value: value.to_owned(),
        })?,
    };
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(SocketAddr::new(DEFAULT_ADDR.ip(), port));
    };
    let invalid = || ServerError::InvalidHost {
        value: host.to_owned(),
    };
    // `[::1]` as well as `::1`.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    // A name such as `localhost`: resolved once, at startup.
    (host, port)
        .to_socket_addrs()
        .map_err(|_| invalid())?
        .next()
        .ok_or_else(invalid)
}

/// A future that completes on Ctrl-C (`SIGINT`) or, on Unix, `SIGTERM`.
///
/// On Unix the handlers are installed by this call, not when the future is first polled: once
/// it has returned, either signal starts a graceful shutdown instead of killing the process
/// (the default action), even while the caller is still setting up. Tokio keeps a signal's
/// handler for the rest of the process, so calling this again (a second server) works too.
///
/// Must be called inside a Tokio runtime with signals enabled.
#[cfg(unix)]
pub(crate) fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};

    let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
        Ok(signal) => Some(signal),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for {name}");
            None
        }
    };
    let mut interrupt = listen(SignalKind::interrupt(), "Ctrl-C (SIGINT)");
    let mut terminate = listen(SignalKind::terminate(), "SIGTERM");
    async move {
        tokio::select! {
            () = received(interrupt.as_mut()) => tracing::info!("Ctrl-C (SIGINT) received"),
            () = received(terminate.as_mut()) => tracing::info!("SIGTERM received"),
        }
    }
}

/// Completes when `signal` is delivered; never when it could not be listened for.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// A future that completes on Ctrl-C. Outside Unix, Tokio installs the handler when the
/// future is first polled, which `serve` does before accepting its first connection.
#[cfg(not(unix))]
pub(crate) fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("Ctrl-C received"),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Accepts connections until `shutdown` completes, then drains them.
pub(crate) async fn serve(app: BustApi, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let app = Arc::new(app.into_inner());
    let http = connection_builder(&app);
    let graceful = GracefulShutdown::new();
    // Connections still open when the drain timeout ends are closed by dropping this sender.
    let (force_close, force_closed) = watch::channel(());
    let mut shutdown = pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            // Shutdown first: it is polled before the first accept (where a lazily installed
            // signal handler gets installed) and wins over a flood of connections.
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "failed to accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        // Counted until the connection's task ends, however it ends.
        let live = app.connections.track();
        let app = Arc::clone(&app);
        let service = service_fn(move |req: http::Request<Incoming>| {
            let app = Arc::clone(&app);
            async move { Ok::<_, Infallible>(respond(&app, req, Some(peer)).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let mut force_closed = force_closed.clone();
        tokio::spawn(async move {
            let _live = live;
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        // Timeouts, malformed requests, clients that went away.
                        tracing::debug!(%error, %peer, "connection ended with an error");
                    }
                }
                _ = force_closed.changed() => {
                    tracing::debug!(%peer, "connection closed: shutdown timeout elapsed");
                }
            }
        });
    }

    // Stop accepting: new connections are refused from here on.
    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(app.limits.shutdown_timeout) => {
            tracing::warn!("shutdown timeout elapsed; closing remaining connections");
        }
    }
    drop(force_close);
}

/// HTTP/1.1 settings shared by every connection.
fn connection_builder(app: &AppInner) -> http1::Builder {
    let limits = &app.limits;
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .keep_alive(true)
        // A client may shut its write side after sending a request (`nc -N`, some scripts):
        // answer it instead of dropping the request when the read side sees EOF.
        .half_close(true)
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_size);
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_address() {
        assert_eq!(listen_addr(None, None).unwrap(), DEFAULT_ADDR);
        assert_eq!(listen_addr(Some(""), Some(" ")).unwrap(), DEFAULT_ADDR);
    }

    #[test]
    fn host_and_port_from_env_values() {
        assert_eq!(
            listen_addr(Some("0.0.0.0"), Some("8080")).unwrap(),
            "0.0.0.0:8080".parse().unwrap()
        );
        assert_eq!(
            listen_addr(Some("[::1]"), Some("0")).unwrap(),
            "[::1]:0".parse().unwrap()
        );
        assert_eq!(listen_addr(Some("::1"), None).unwrap().port(), 5000);
        assert!(
            listen_addr(Some("localhost"), Some("5001"))
                .unwrap()
                .ip()
                .is_loopback()
        );
    }

    #[test]
    fn bad_values_are_errors() {
        for port in ["http", "65536", "-1", "80 80"] {
            let error = listen_addr(None, Some(port)).unwrap_err();
            assert!(
                matches!(error, ServerError::InvalidPort { .. }),
                "{port}: {error}"
            );
        }
        let error = listen_addr(Some("not a host!"), None).unwrap_err();
        assert!(matches!(error, ServerError::InvalidHost { .. }), "{error}");
    }

    #[tokio::test]
    async fn run_refuses_to_nest_runtimes() {
        let error = run(BustApi::new()).unwrap_err();
        assert!(matches!(error, ServerError::InsideRuntime));
    }
}
