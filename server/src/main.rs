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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let address = SocketAddr::new(args.bind, args.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!("basalt listening on http://{local}");
        basalt_server::serve::serve(listener, handler, shutdown_signal()).await;
        Ok::<(), String>(())
    })?;
    drop(runtime);
    let db =
        Arc::try_unwrap(db).map_err(|_| "the database is still in use at shutdown".to_string())?;
    db.close().map_err(|e| format!("closing the database failed: {e}"))?;
    drop(temp_dir);
    tracing::info!("stopped");
    Ok(())
}

fn open_db(args: &Args) -> Result<(Db, Option<tempfile::TempDir>), String> {
    let mut options = DbOptions { region: args.region.clone(), ..DbOptions::default() };
    options.endpoint_address = format!("{}:{}", args.bind, args.port);
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
