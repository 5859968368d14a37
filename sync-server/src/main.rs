//! `larder-server`: the command line over the `larder_sync_server` library.
//!
//! ```text
//! larder-server [--data DIR] [--config FILE] serve [--bind ADDR] [--tls-cert PEM --tls-key PEM] [--web DIR]
//! larder-server [--data DIR] backup FILE          # also while the relay runs (admin socket)
//! larder-server backup --verify FILE
//! larder-server [--data DIR] restore FILE         # into a new or empty data directory
//! larder-server openapi > sync-server/openapi.json
//! larder-server [--data DIR] user add NAME        # password: tty prompt, or 2 lines on stdin
//! larder-server [--data DIR] user list [--json]
//! larder-server [--data DIR] user passwd NAME [--keep-sessions]
//! larder-server [--data DIR] user disable NAME | enable NAME | remove NAME
//! larder-server [--data DIR] token create NAME [--label TEXT]   # prints the token once
//! larder-server [--data DIR] token list NAME [--json]
//! larder-server [--data DIR] token revoke NAME TOKEN_ID
//! larder-server [--data DIR] household create NAME | add NAME USER | remove NAME USER
//! larder-server [--data DIR] household list [--json]
//! larder-server [--data DIR] household webhook NAME --url URL [--secret-file PATH]  # or LARDER_WEBHOOK_SECRET
//! larder-server [--data DIR] household webhook NAME --off
//! ```
//! Passwords and webhook secrets are never taken from arguments. Errors go to stderr with exit code 1.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use larder_sync_server::accounts::admin;
use larder_sync_server::accounts::auth::Passwords;
use larder_sync_server::admin_commands::{self, AdminCommand, CommandEnv};
use larder_sync_server::blobs::BlobFiles;
use larder_sync_server::clock::{Clock, SystemClock};
use larder_sync_server::config::{Config, ConfigSources, DEFAULT_DATA_DIR, Secret, process_env};
use larder_sync_server::data_dir::{DataDir, DataDirError};
use larder_sync_server::store::{HouseholdWebhook, RelayStore, SledStore};
use larder_sync_server::{serve_on, shutdown_signal};
use tracing_subscriber::EnvFilter;

mod backup_cmd;

#[derive(Debug, Parser)]
#[command(name = "larder-server", version, about = "The Larder relay")]
struct Cli {
    /// Data directory (database, lock, optional larder-server.toml).
    #[arg(long, global = true, env = "LARDER_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Config file (default: DATA/larder-server.toml if present).
    #[arg(long, global = true, env = "LARDER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the relay.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080; also LARDER_BIND or `bind` in the file).
        #[arg(long)]
        bind: Option<String>,
        /// Serve HTTPS with this PEM certificate chain (with --tls-key; or `tls_cert` in the file).
        #[arg(long, value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// The certificate's PEM private key (or `tls_key` in the file).
        #[arg(long, value_name = "PEM")]
        tls_key: Option<PathBuf>,
        /// The built web app to serve at / (default: ./web/dist when it holds an index.html).
        #[arg(long, env = "LARDER_WEB_DIR", value_name = "DIR")]
        web: Option<PathBuf>,
    },
    /// Write a backup of the data directory to FILE (while the relay runs, too), or check one.
    Backup {
        /// Check FILE instead of writing it.
        #[arg(long)]
        verify: bool,
        file: PathBuf,
    },
    /// Restore a backup into the data directory, which must be new or empty.
    Restore { file: PathBuf },
    /// Print the HTTP API's OpenAPI document (as served at /api/v1/openapi.json).
    Openapi,
    /// Manage users (while the relay runs, through its admin socket).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a user's API tokens for the grocery REST API (also while the relay runs).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage households: users sharing a grocery list (also while the relay runs).
    #[command(subcommand)]
    Household(HouseholdCommand),
}

#[derive(Debug, Subcommand)]
enum HouseholdCommand {
    /// Create a household with no members (names follow the rules of user names).
    Create { name: String },
    /// Add user USER to household NAME (a user is in at most one household).
    Add { name: String, user: String },
    /// Remove user USER from household NAME; the household's documents stop reaching them.
    Remove { name: String, user: String },
    /// List households, their members and whether each has a webhook.
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Post items added to household NAME's grocery list to URL (signed with a secret read
    /// from --secret-file or LARDER_WEBHOOK_SECRET, at least 16 bytes), or with --off stop.
    Webhook {
        name: String,
        /// The receiver: an http:// or https:// URL.
        #[arg(long, required_unless_present = "off", conflicts_with = "off")]
        url: Option<String>,
        /// A file holding the HMAC-SHA256 secret (one trailing newline is ignored); else the
        /// secret is LARDER_WEBHOOK_SECRET.
        #[arg(long, value_name = "PATH", requires = "url")]
        secret_file: Option<PathBuf>,
        /// Remove the household's webhook; deliveries still queued for it are dropped.
        #[arg(long)]
        off: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for user NAME and print it (it is shown only this once).
    Create {
        name: String,
        /// What the token is for (shown by `token list`).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List a user's tokens (ids, labels, created, last used; never the tokens).
    List {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one of a user's tokens by its id (from `token list`).
    Revoke { name: String, token_id: String },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from the terminal, or as two identical lines on stdin.
    Add { name: String },
    /// List users.
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (read like `add`); signs out every device unless --keep-sessions.
    Passwd {
        name: String,
        #[arg(long)]
        keep_sessions: bool,
    },
    /// Stop a user from signing in, and sign out all their devices.
    Disable { name: String },
    /// Allow a disabled user to sign in again.
    Enable { name: String },
    /// Delete a user and their sessions.
    Remove { name: String },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let bind = match &cli.command {
        Command::Serve { bind, .. } => bind.clone(),
        _ => None,
    };
    match &cli.command {
        Command::Backup { verify: true, file } => return backup_cmd::verify(file),
        Command::Restore { file } => return backup_cmd::restore(file, &cli.data),
        Command::Openapi => {
            let doc = larder_sync_server::http::openapi_document();
            print!("{}", larder_sync_server::http::openapi::to_json(&doc));
            return Ok(());
        }
        _ => {}
    }
    let mut config = Config::load(&ConfigSources {
        data_dir: cli.data.clone(),
        config_file: cli.config.clone(),
        bind,
        env: &process_env,
    })?;
    if let Command::Serve {
        tls_cert, tls_key, ..
    } = &cli.command
    {
        config.set_tls(tls_cert.clone(), tls_key.clone());
        config.validate()?;
    }
    match cli.command {
        Command::Serve { web, .. } => {
            config.web_dir = web_dir(web)?;
            serve(config)
        }
        Command::User(cmd) => user(&config, cmd),
        Command::Token(cmd) => token(&config, cmd),
        Command::Household(cmd) => household(&config, cmd),
        Command::Backup { file, .. } => backup_cmd::backup(&config, &file),
        Command::Restore { .. } | Command::Openapi => unreachable!("handled above"),
    }
}

/// The web app directory: the one given (which must hold an index.html), else `./web/dist`
/// when built (the repo root), else none.
fn web_dir(given: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    const DEFAULT: &str = "web/dist";
    match given {
        Some(dir) => {
            anyhow::ensure!(
                dir.join(larder_sync_server::http::web::INDEX).is_file(),
                "{} has no index.html (build the web app: npm --prefix web ci && npm --prefix web run build)",
                dir.display()
            );
            Ok(Some(dir))
        }
        None => {
            let dir = PathBuf::from(DEFAULT);
            Ok(dir
                .join(larder_sync_server::http::web::INDEX)
                .is_file()
                .then_some(dir))
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let dir = DataDir::open(&config.data_dir, true)?;
        let store: Arc<dyn RelayStore> =
            Arc::new(SledStore::open(&dir.db_path()).with_context(|| {
                format!("cannot open the database in {}", dir.path().display())
            })?);
        tracing::info!(data = %dir.path().display(), "storage open");
        match &config.web_dir {
            Some(web) => tracing::info!(web = %web.display(), "serving the web app at /"),
            None => tracing::info!("no web app to serve (see --web)"),
        }
        let listener = tokio::net::TcpListener::bind(&config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let state = larder_sync_server::AppState::new(config, store)?;
        // One shutdown signal for both the relay and its admin socket.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let admin = {
            let (state, path, stop) = (Arc::clone(&state), dir.path().to_owned(), stop_rx.clone());
            tokio::spawn(async move {
                let served = larder_sync_server::server::admin_socket::serve(state, path, stopped(stop));
                if let Err(e) = served.await {
                    tracing::warn!(error = %e, "admin socket failed: no backups of the running relay");
                }
            })
        };
        let served = serve_on(listener, state, stopped(stop_rx)).await;
        let _ = admin.await;
        served?;
        drop(dir);
        Ok(())
    })
}

/// What the relay logs unless `LARDER_LOG` says otherwise.
const DEFAULT_LOG_FILTER: &str = "info,samod=warn,samod_core=warn,automerge=warn";

fn init_logging() {
    // samod logs every sync step at info level, inside spans whose fields (document ids, peer
    // ids, clocks) are formatted on every message, and automerge opens an info span around
    // every change it loads whose fields include the document's whole change graph (Debug,
    // so the cost grows with the document's history): a large share of the relay's CPU under
    // load, and noise. Their warnings and errors still show; LARDER_LOG overrides all of this.
    let filter = EnvFilter::try_from_env("LARDER_LOG")
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let json = std::env::var("LARDER_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn open_store(data: &Path, create: bool) -> anyhow::Result<(DataDir, SledStore)> {
    let dir = DataDir::open(data, create)?;
    let store = SledStore::open(&dir.db_path())
        .with_context(|| format!("cannot open the database in {}", dir.path().display()))?;
    Ok((dir, store))
}

fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    let command = match cmd {
        UserCommand::Add { name } => {
            // A bad name is refused before the password is asked for.
            admin::validate_name(&name)?;
            let password = read_new_password(&name)?;
            AdminCommand::UserAdd { name, password }
        }
        UserCommand::List { json } => AdminCommand::UserList { json },
        UserCommand::Passwd {
            name,
            keep_sessions,
        } => {
            let password = read_new_password(&name)?;
            AdminCommand::UserPasswd {
                name,
                password,
                keep_sessions,
            }
        }
        UserCommand::Disable { name } => AdminCommand::UserDisable { name },
        UserCommand::Enable { name } => AdminCommand::UserEnable { name },
        UserCommand::Remove { name } => AdminCommand::UserRemove { name },
    };
    run_admin_command(config, command)
}

fn token(config: &Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let command = match cmd {
        TokenCommand::Create { name, label } => AdminCommand::TokenCreate { name, label },
        TokenCommand::List { name, json } => AdminCommand::TokenList { name, json },
        TokenCommand::Revoke { name, token_id } => AdminCommand::TokenRevoke { name, token_id },
    };
    run_admin_command(config, command)
}

fn household(config: &Config, cmd: HouseholdCommand) -> anyhow::Result<()> {
    let command = match cmd {
        HouseholdCommand::Create { name } => AdminCommand::HouseholdCreate { name },
        HouseholdCommand::Add { name, user } => AdminCommand::HouseholdAdd { name, user },
        HouseholdCommand::Remove { name, user } => AdminCommand::HouseholdRemove { name, user },
        HouseholdCommand::List { json } => AdminCommand::HouseholdList { json },
        HouseholdCommand::Webhook {
            name,
            url: Some(url),
            secret_file,
            off: false,
        } => {
            let webhook = HouseholdWebhook {
                url,
                secret: read_webhook_secret(secret_file.as_deref())?,
            };
            // Refused here, before anything is opened or sent (the relay checks again).
            larder_sync_server::hook::household::validate(&webhook)?;
            AdminCommand::HouseholdWebhook {
                name,
                webhook: Some(webhook),
            }
        }
        HouseholdCommand::Webhook { name, .. } => AdminCommand::HouseholdWebhook {
            name,
            webhook: None,
        },
    };
    run_admin_command(config, command)
}

/// The environment variable a household webhook's secret is read from without --secret-file.
const WEBHOOK_SECRET_ENV: &str = "LARDER_WEBHOOK_SECRET";

/// A household webhook's secret: the file's contents (less one trailing newline), else
/// `LARDER_WEBHOOK_SECRET`; never an argument, so it stays out of shell history and `ps`.
fn read_webhook_secret(file: Option<&Path>) -> anyhow::Result<Secret> {
    let secret = match file {
        Some(path) => {
            let mut text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the webhook secret from {}", path.display())
            })?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            text
        }
        None => match std::env::var(WEBHOOK_SECRET_ENV) {
            Ok(text) => text,
            Err(std::env::VarError::NotPresent) => bail!(
                "a household webhook needs a secret: put it in a file and pass --secret-file PATH, or set {WEBHOOK_SECRET_ENV} (never on the command line)"
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                bail!("{WEBHOOK_SECRET_ENV} is not valid UTF-8")
            }
        },
    };
    Ok(Secret::new(secret))
}

/// Runs a user, token or household command on the data directory's store, or, while a relay serves it
/// (and holds its lock), through that relay's admin socket.
fn run_admin_command(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let create = matches!(command, AdminCommand::UserAdd { .. });
    let output = match open_store(&config.data_dir, create) {
        Ok((_dir, store)) => {
            let passwords = Passwords::new(config.password_hash)?;
            let blob_files = BlobFiles::new(&config.data_dir);
            let env = CommandEnv {
                passwords: &passwords,
                blob_files: &blob_files,
                // No relay runs on this data directory: nothing holds the user's documents.
                let_go: &|_| {},
                // Its feed records a new member's documents at the next start (their marks).
                member_joined: &|_| {},
                member_left: &|_, _| {},
                now: SystemClock.now_ms(),
            };
            let output = admin_commands::execute(&store, &env, command)?;
            // On disk before the command reports success (sled would otherwise write it in
            // the background, and a process that exits right away may not get there).
            store.db().flush()?;
            output
        }
        Err(e) => match e.downcast::<DataDirError>() {
            Ok(DataDirError::Locked(dir)) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                runtime.block_on(larder_sync_server::server::admin_socket::run_command(
                    &dir, &command,
                ))?
            }
            Ok(other) => return Err(other.into()),
            Err(e) => return Err(e),
        },
    };
    eprint!("{}", output.stderr);
    let out = &mut std::io::stdout().lock();
    out.write_all(output.stdout.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn read_new_password(name: &str) -> anyhow::Result<String> {
    let (first, second) = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {name}: "))
            .context("cannot read the password from the terminal")?;
        admin::validate_password(&first)?;
        let second = rpassword::prompt_password("Repeat the password: ")
            .context("cannot read the password from the terminal")?;
        (first, second)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || -> anyhow::Result<String> {
            match lines.next() {
                Some(line) => Ok(line.context("cannot read the password from stdin")?),
                None => bail!(
                    "expected the password twice, on two lines of stdin (or run in a terminal to be prompted)"
                ),
            }
        };
        let first = next()?;
        let second = next()?;
        (first, second)
    };
    let (first, second) = (strip_cr(first), strip_cr(second));
    if first != second {
        bail!("the two passwords do not match");
    }
    admin::validate_password(&first)?;
    Ok(first)
}

fn strip_cr(mut s: String) -> String {
    if s.ends_with('\r') {
        s.pop();
    }
    s
}
