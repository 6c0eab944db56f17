//! `basalt`: the DynamoDB-compatible server.
//!
//! ```text
//! basalt [--port 8000] [--bind 127.0.0.1] [--data-dir ./basalt-data | --in-memory]
//!        [--credentials FILE] [--log-level info]
//! ```
//!
//! Without `--credentials` any access key is accepted (as DynamoDB Local does), so the server
//! refuses to listen on anything but a loopback address then. SIGINT or SIGTERM stops it
//! cleanly: no new connections, requests in flight finish, the database is closed, exit 0.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use basalt::core::{Durability, Options};
use basalt::{Db, DbOptions};
use basalt_server::handler::{Auth, Handler};
use basalt_server::sigv4::Credentials;
use clap::Parser;

/// A request allocates and frees many small buffers (decoded items, JSON text, headers);
/// mimalloc serves them from thread-local pages, which measurably cuts the server's CPU time
/// per request against the system allocator (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Basalt: a DynamoDB-compatible server. Point an AWS SDK or the AWS CLI at
/// http://127.0.0.1:8000 (any region, any credentials unless --credentials is given).
#[derive(Debug, Parser)]
#[command(name = "basalt", version)]
struct Args {
    /// TCP port to listen on (DynamoDB Local's default).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to listen on. Anything but loopback requires --credentials.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Directory of the database; created if missing.
    #[arg(long, default_value = "./basalt-data", conflicts_with = "in_memory")]
    data_dir: PathBuf,
    /// Keep the database in a temporary directory that is deleted at exit, without syncing to
    /// disk: for tests, where durability does not matter.
    #[arg(long)]
    in_memory: bool,
    /// AWS shared-credentials file (INI: a section per profile with aws_access_key_id and
    /// aws_secret_access_key):
    /// requests must be signed with one of its keys.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Region named in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Threads serving connections (default: one per CPU). Each runs its own event loop on its
    /// own listening socket (SO_REUSEPORT: the kernel spreads connections over them), so a
    /// request never wakes another thread.
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds between two passes of the background expiry of items (time to live) over the
    /// tables that have it on (at least 0.1).
    #[arg(long, default_value_t = 30.0)]
    ttl_scan_interval: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let auth = match &args.credentials {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read credentials file {}: {e}", path.display()))?;
            Auth::Verify(
                Credentials::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            )
        }
        None if args.bind.is_loopback() => Auth::AnyKey,
        None => {
            return Err(format!(
                "refusing to listen on {} without --credentials: without a credentials file \
                 any access key is accepted, which is safe only on a loopback address",
                args.bind
            ))
        }
    };
    let (db, temp_dir) = open_db(&args)?;
    let db = Arc::new(db);
    let handler = Arc::new(Handler::new(db.clone(), auth));
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    serve_threads(SocketAddr::new(args.bind, args.port), threads.max(1), &handler)?;
    // The serving threads are joined and their runtimes dropped (blocking pools drained): this
    // is the last reference but `db`, and the database can be closed.
    drop(handler);
    let db =
        Arc::try_unwrap(db).map_err(|_| "the database is still in use at shutdown".to_string())?;
    db.close().map_err(|e| format!("closing the database failed: {e}"))?;
    drop(temp_dir);
    tracing::info!("stopped");
    Ok(())
}

/// Serves `address` from `threads` threads, each with a single-threaded event loop and its own
/// listening socket on the same address, until SIGINT or SIGTERM; then every thread stops
/// accepting and drains its connections.
fn serve_threads(
    address: SocketAddr,
    threads: usize,
    handler: &Arc<Handler>,
) -> Result<(), String> {
    ensure_free(address)?;
    let first = listen(address)?;
    let local = first.local_addr().map_err(|e| e.to_string())?;
    let mut listeners = vec![first];
    for _ in 1..threads {
        listeners.push(listen(local)?);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::with_capacity(threads);
    for (index, listener) in listeners.into_iter().enumerate() {
        let (handler, mut stopped) = (handler.clone(), stopped.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))?;
        let worker = std::thread::Builder::new()
            .name(format!("basalt-serve-{index}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => return tracing::error!(%error, "cannot listen"),
                    };
                    let shutdown = async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    };
                    basalt_server::serve::serve(listener, handler, shutdown).await;
                });
            })
            .map_err(|e| format!("cannot start a serving thread: {e}"))?;
        workers.push(worker);
    }
    drop(stopped);
    tracing::info!("basalt listening on http://{local} ({threads} threads)");
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    signals.block_on(shutdown_signal());
    let _ = stop.send(true);
    for worker in workers {
        worker.join().map_err(|_| "a serving thread panicked".to_string())?;
    }
    Ok(())
}

/// Fails if a socket already listens on `address`. The serving threads' listeners share it
/// with SO_REUSEPORT, which would also let a second server run by the same user join them and
/// take a share of the connections; a probe bound without that option is refused instead.
fn ensure_free(address: SocketAddr) -> Result<(), String> {
    if address.port() == 0 {
        return Ok(());
    }
    bound(address, false).map(drop)
}

/// A non-blocking listening socket on `address` with SO_REUSEPORT, so that every serving
/// thread can have one on the same port.
fn listen(address: SocketAddr) -> Result<std::net::TcpListener, String> {
    let fail = |e: std::io::Error| format!("cannot listen on {address}: {e}");
    let socket = bound(address, true)?;
    socket.set_nonblocking(true).map_err(fail)?;
    socket.listen(1024).map_err(fail)?;
    Ok(socket.into())
}

/// A TCP socket bound to `address`, with SO_REUSEPORT if `shared`. SO_REUSEADDR always:
/// connections of an earlier run left in TIME_WAIT do not keep the port.
fn bound(address: SocketAddr, shared: bool) -> Result<socket2::Socket, String> {
    let fail = |e: std::io::Error| format!("cannot listen on {address}: {e}");
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    #[cfg(unix)]
    if shared {
        socket.set_reuse_port(true).map_err(fail)?;
    }
    socket.bind(&address.into()).map_err(fail)?;
    Ok(socket)
}

fn open_db(args: &Args) -> Result<(Db, Option<tempfile::TempDir>), String> {
    let mut options = DbOptions { region: args.region.clone(), ..DbOptions::default() };
    options.endpoint_address = format!("{}:{}", args.bind, args.port);
    if args.ttl_scan_interval.is_nan() || args.ttl_scan_interval < 0.1 {
        return Err(format!(
            "--ttl-scan-interval {}: must be at least 0.1 seconds",
            args.ttl_scan_interval
        ));
    }
    options.ttl.scan_interval = std::time::Duration::try_from_secs_f64(args.ttl_scan_interval)
        .map_err(|e| format!("--ttl-scan-interval {}: {e}", args.ttl_scan_interval))?;
    if args.in_memory {
        let dir =
            tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        options.core = Options { durability: Durability::None, ..Options::default() };
        let db = Db::open_with(dir.path(), options)
            .map_err(|e| format!("cannot open the database: {e}"))?;
        return Ok((db, Some(dir)));
    }
    let db = Db::open_with(&args.data_dir, options)
        .map_err(|e| format!("cannot open the database in {}: {e}", args.data_dir.display()))?;
    Ok((db, None))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
