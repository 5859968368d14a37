//! `larder`: the command-line client. It opens a local profile with larder-core exactly as the
//! apps do and calls the same API. Its commands and `--json` output are a stable contract used
//! by tests and scripts.

mod attachment_commands;
mod commands;
mod history_commands;
mod import_commands;
mod import_report;
mod output;
mod plan_commands;
mod share_commands;
mod sync_commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "larder",
    version,
    about = "Larder recipes from the command line"
)]
pub struct Cli {
    /// Profile directory (default: the platform's data directory).
    #[arg(long, global = true, env = "LARDER_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import recipes from files or folders (the format is read from the content): schema.org
    /// JSON-LD or HTML pages (RecipeSage exports too), Paprika, Mealie and Tandoor exports, a
    /// Nextcloud Cookbook zip or folder, plain text or Markdown, a Larder export. Prints the new
    /// ids; re-importing the same export makes nothing twice.
    Import {
        #[arg(required = true, value_name = "FILE_OR_FOLDER")]
        files: Vec<PathBuf>,
    },
    /// Import the recipe on a web page by its address, fetched by the relay you are signed in
    /// to; prints the new ids. Offline, `--link-only` keeps the address as a recipe to fill in.
    #[command(name = "import-url")]
    ImportUrl {
        #[arg(value_name = "URL")]
        url: String,
        /// Do not fetch: keep the address as a recipe (its source field) for later.
        #[arg(long)]
        link_only: bool,
    },
    /// Search recipes (no query: list all by title).
    Search {
        query: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// Only recipes other users share with you.
        #[arg(long)]
        shared: bool,
    },
    /// Show one recipe.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Print one recipe as schema.org JSON-LD, or (`--all DIR`) write every recipe with its
    /// attachments into DIR as one zip that `larder import` reads back.
    #[command(group = clap::ArgGroup::new("what").required(true).args(["id", "all"]))]
    Export {
        id: Option<String>,
        #[arg(long, value_name = "DIR")]
        all: Option<PathBuf>,
    },
    /// Delete a recipe (it stays in `larder deleted` and comes back with `larder undelete`).
    Rm { id: String },
    /// A recipe's versions, newest first, numbered (when, which device, what changed); `--show N`
    /// prints one as it was, `--restore N` makes it the recipe again as a new change.
    History {
        id: String,
        #[arg(long, value_name = "VERSION", conflicts_with = "restore")]
        show: Option<String>,
        #[arg(long, value_name = "VERSION")]
        restore: Option<String>,
        #[arg(long, conflicts_with = "restore")]
        json: bool,
    },
    /// Recently deleted recipes, newest first.
    Deleted {
        #[arg(long)]
        json: bool,
    },
    /// Bring a deleted recipe back.
    Undelete { id: String },
    /// Add a recipe; prints its id.
    Add {
        #[arg(long)]
        title: String,
        /// An ingredient line such as "2 1/2 cups flour, sifted" (repeatable).
        #[arg(long = "ingredient", value_name = "LINE")]
        ingredients: Vec<String>,
        /// A step (repeatable).
        #[arg(long = "step", value_name = "TEXT")]
        steps: Vec<String>,
        /// A tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        #[arg(long)]
        servings: Option<u32>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, default_value = "")]
        notes: String,
        #[arg(long = "source-url", default_value = "")]
        source_url: String,
    },
    /// Change a recipe: only the fields given change.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        servings: Option<u32>,
        #[arg(long)]
        notes: Option<String>,
        /// Append an ingredient line (repeatable).
        #[arg(long = "add-ingredient", value_name = "LINE")]
        add_ingredients: Vec<String>,
        /// Append a step (repeatable).
        #[arg(long = "add-step", value_name = "TEXT")]
        add_steps: Vec<String>,
        /// Add a tag (repeatable).
        #[arg(long = "add-tag", value_name = "TAG")]
        add_tags: Vec<String>,
    },
    /// List tags with their recipe counts.
    Tags {
        #[arg(long)]
        json: bool,
    },
    /// Sign in to a relay (password from LARDER_PASSWORD, else a prompt).
    Login {
        /// The relay's address, e.g. http://127.0.0.1:8080
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
    },
    /// Sign out (revokes the session on the relay when reachable).
    Logout {
        /// Also delete this profile's local data.
        #[arg(long)]
        wipe: bool,
    },
    /// Show sign-in and sync status.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Sync with the relay: keeps running, or one pass with --once.
    Sync {
        /// Exit 0 once local and relay are in sync; non-zero if unreachable or unauthorised.
        #[arg(long)]
        once: bool,
        /// Move every document over the websocket one by one, never in bulk batches (slower;
        /// for comparison and troubleshooting).
        #[arg(long)]
        no_bulk: bool,
    },
    /// The grocery list.
    Grocery {
        #[command(subcommand)]
        command: GroceryCommand,
    },
    /// The meal plan: a week, planning meals, the week's ingredients to the grocery list.
    /// Share recipes with another user or a household (through the relay).
    #[command(group = clap::ArgGroup::new("which").required(true).args(["ids", "all"]))]
    #[command(group = clap::ArgGroup::new("whom").required(true).args(["with", "with_household"]))]
    Share {
        /// Recipe ids.
        ids: Vec<String>,
        /// Every recipe you have now or make later.
        #[arg(long)]
        all: bool,
        /// The user to share with.
        #[arg(long, value_name = "USER")]
        with: Option<String>,
        /// The household to share with (every member).
        #[arg(long, value_name = "NAME")]
        with_household: Option<String>,
        /// Let them change the recipes too (default: read-only).
        #[arg(long)]
        edit: bool,
    },
    /// The shares you made (with their ids, for `larder unshare`).
    Shares {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a share: its recipes leave the other user's devices at their next sync.
    Unshare { share_id: String },
    Plan {
        #[command(subcommand)]
        command: plan_commands::PlanCommand,
    },
    /// Attach a file to a recipe (kept on this device; the next sync uploads it).
    Attach {
        recipe_id: String,
        file: PathBuf,
        /// The attachment's name (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        /// Its media type (default: guessed from the name).
        #[arg(long = "media-type")]
        media_type: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A recipe's attachments.
    Attachment {
        #[command(subcommand)]
        command: AttachmentCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AttachmentCommand {
    /// List a recipe's attachments.
    List {
        recipe_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Save an attachment (by file name or SHA-256), fetching it from the relay if it is not
    /// on this device.
    Get {
        recipe_id: String,
        name: String,
        /// Where to write it (`-`: standard output).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum GroceryCommand {
    /// Add a recipe's ingredients, scaled to N servings.
    AddRecipe {
        id: String,
        #[arg(long)]
        servings: Option<f64>,
    },
    /// Add a typed item such as "2 l milk".
    Add { text: String },
    /// List the items.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check an item off.
    Check { item: String },
    /// Un-check an item.
    Uncheck { item: String },
    /// Remove an item.
    Rm { item: String },
    /// Remove every checked item.
    ClearChecked,
    /// Show the lists to choose between (yours, your household's) and the one in use.
    Lists {
        #[arg(long)]
        json: bool,
    },
    /// Use your own list or your household's from now on (for listing and adding).
    Use { list: ListChoiceArg },
    /// Move the unchecked items of your own list into your household's list, and use it.
    MoveToHousehold,
}

/// A grocery list to use.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListChoiceArg {
    Mine,
    Household,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LARDER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of standard output has gone (`larder search | head -1`): it wanted no
        // more, so stop quietly and successfully (see output.rs).
        Err(err) if output::is_stdout_closed(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
