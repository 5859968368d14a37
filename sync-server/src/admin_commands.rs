//! The `larder-server user …`, `token …` and `household …` commands as data: what the operator asked for (any
//! password already read from the terminal) and the text the command prints. `main.rs` runs a
//! command on the store itself when the relay is stopped; a running relay holds the store's
//! lock, so the command is sent over its admin socket (`backup::admin`) and the relay runs it —
//! users, tokens and households are managed without stopping the relay.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::accounts::admin::{self, AdminError};
use crate::accounts::auth::Passwords;
use crate::blobs::BlobFiles;
use crate::clock::UnixMs;
use crate::hook::household::{self as household_hook, HouseholdWebhookError};
use crate::hook::tokens::{self, TokenError};
use crate::store::{HouseholdId, HouseholdWebhook, RelayStore, UserId};

/// One user or token command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AdminCommand {
    UserAdd {
        name: String,
        password: String,
    },
    UserList {
        json: bool,
    },
    UserPasswd {
        name: String,
        password: String,
        keep_sessions: bool,
    },
    UserDisable {
        name: String,
    },
    UserEnable {
        name: String,
    },
    UserRemove {
        name: String,
    },
    TokenCreate {
        name: String,
        label: String,
    },
    TokenList {
        name: String,
        json: bool,
    },
    TokenRevoke {
        name: String,
        token_id: String,
    },
    HouseholdCreate {
        name: String,
    },
    HouseholdAdd {
        name: String,
        user: String,
    },
    HouseholdRemove {
        name: String,
        user: String,
    },
    HouseholdList {
        json: bool,
    },
    /// Sets household `name`'s webhook, or with `None` removes it. The secret travels in this
    /// command (over the admin socket, never in argv) and never shows in its `Debug` output.
    HouseholdWebhook {
        name: String,
        webhook: Option<HouseholdWebhook>,
    },
}

/// What a command prints: `stdout` is its result (a table, JSON, a new token), `stderr` the
/// notes around it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    HouseholdWebhook(#[from] HouseholdWebhookError),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl CommandError {
    /// Whether the operator asked for something impossible (as opposed to the store failing).
    pub fn is_refusal(&self) -> bool {
        match self {
            CommandError::Admin(AdminError::Store(_) | AdminError::Hash(_)) => false,
            CommandError::Admin(_) => true,
            CommandError::Token(TokenError::Admin(AdminError::Store(_) | AdminError::Hash(_))) => {
                false
            }
            CommandError::Token(_) => true,
            CommandError::HouseholdWebhook(e) => e.is_refusal(),
            CommandError::Json(_) => false,
        }
    }
}

/// Runs `command` on `store`. The caller flushes the store before reporting success.
/// What a command acts on besides the store.
pub struct CommandEnv<'a> {
    pub passwords: &'a Passwords,
    /// The data directory's attached files (`user remove` deletes a user's).
    pub blob_files: &'a BlobFiles,
    /// Called by `user remove` once the user can no longer sign in, before their data goes: a
    /// running relay closes their connections and stops their repo.
    pub let_go: &'a dyn Fn(&UserId),
    /// Called by `household add` once the membership is stored: a running relay puts the
    /// household's documents into the new member's change feed now.
    pub member_joined: &'a dyn Fn(&HouseholdId),
    /// Called by `household remove` once the membership is gone: a running relay stops
    /// sending the household's documents to the user's open connections.
    pub member_left: &'a dyn Fn(&HouseholdId, &UserId),
    pub now: UnixMs,
}

pub fn execute(
    store: &dyn RelayStore,
    env: &CommandEnv<'_>,
    command: AdminCommand,
) -> Result<CommandOutput, CommandError> {
    let (passwords, now) = (env.passwords, env.now);
    let mut out = CommandOutput::default();
    let stdout = &mut out.stdout;
    // Writing to a String cannot fail.
    match command {
        AdminCommand::UserAdd { name, password } => {
            let user = admin::add_user(store, passwords, &name, &password, now)?;
            let _ = writeln!(stdout, "created user {} ({})", user.name, user.id);
        }
        AdminCommand::UserList { json } => {
            let users = admin::list_users(store)?;
            if json {
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "name": u.name,
                            "id": u.id.as_str(),
                            "disabled": u.disabled,
                            "created_at": u.created_at,
                            "grocery_list_id": u.grocery_list_id,
                            "meal_plan_id": u.meal_plan_id,
                        })
                    })
                    .collect();
                let _ = writeln!(stdout, "{}", serde_json::to_string_pretty(&rows)?);
            } else if users.is_empty() {
                let _ = writeln!(
                    stdout,
                    "no users (add one with: larder-server user add NAME)"
                );
            } else {
                let width = users.iter().map(|u| u.name.len()).max().unwrap_or(4).max(4);
                let _ = writeln!(
                    stdout,
                    "{:width$}  {:32}  {:8}  CREATED",
                    "NAME", "ID", "DISABLED"
                );
                for u in &users {
                    let _ = writeln!(
                        stdout,
                        "{:width$}  {:32}  {:8}  {}",
                        u.name,
                        u.id.as_str(),
                        if u.disabled { "yes" } else { "no" },
                        format_time(u.created_at)
                    );
                }
            }
        }
        AdminCommand::UserPasswd {
            name,
            password,
            keep_sessions,
        } => {
            let revoked = admin::set_password(store, passwords, &name, &password, keep_sessions)?;
            let _ = writeln!(
                stdout,
                "password of {name} changed; {revoked} session(s) signed out"
            );
        }
        AdminCommand::UserDisable { name } => {
            let revoked = admin::disable_user(store, &name)?;
            let _ = writeln!(
                stdout,
                "user {name} disabled; {revoked} session(s) signed out"
            );
        }
        AdminCommand::UserEnable { name } => {
            admin::enable_user(store, &name)?;
            let _ = writeln!(stdout, "user {name} enabled");
        }
        AdminCommand::UserRemove { name } => {
            let removed = admin::remove_user(store, env.blob_files, &name, env.let_go)?;
            let _ = writeln!(
                stdout,
                "user {} ({}) removed with {} document(s) and {} attached file(s); {} session(s) signed out",
                removed.user.name,
                removed.user.id,
                removed.documents,
                removed.files,
                removed.sessions
            );
        }
        AdminCommand::TokenCreate { name, label } => {
            let (secret, record) = tokens::create(store, &name, &label, now)?;
            let _ = writeln!(stdout, "{secret}");
            let _ = writeln!(
                out.stderr,
                "created API token {} for {name}; it is shown only once (revoke with: larder-server token revoke {name} {})",
                record.id, record.id
            );
        }
        AdminCommand::TokenList { name, json } => {
            let list = tokens::list(store, &name)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id,
                            "label": t.label,
                            "created_at": t.created_at,
                            "last_used": t.last_used,
                        })
                    })
                    .collect();
                let _ = writeln!(stdout, "{}", serde_json::to_string_pretty(&rows)?);
            } else if list.is_empty() {
                let _ = writeln!(
                    stdout,
                    "{name} has no API tokens (create one with: larder-server token create {name})"
                );
            } else {
                let _ = writeln!(
                    stdout,
                    "{:16}  {:20}  {:20}  LABEL",
                    "ID", "CREATED", "LAST USED"
                );
                for t in &list {
                    let _ = writeln!(
                        stdout,
                        "{:16}  {:20}  {:20}  {}",
                        t.id,
                        format_time(t.created_at),
                        t.last_used.map_or_else(|| "never".to_owned(), format_time),
                        t.label
                    );
                }
            }
        }
        AdminCommand::TokenRevoke { name, token_id } => {
            tokens::revoke(store, &name, &token_id)?;
            let _ = writeln!(stdout, "API token {token_id} of {name} revoked");
        }
        AdminCommand::HouseholdCreate { name } => {
            let h = admin::create_household(store, &name, now)?;
            let _ = writeln!(stdout, "created household {} ({})", h.name, h.id);
        }
        AdminCommand::HouseholdAdd { name, user } => {
            let (h, u) = admin::add_member(store, &name, &user)?;
            (env.member_joined)(&h.id);
            let _ = writeln!(stdout, "user {} added to household {}", u.name, h.name);
        }
        AdminCommand::HouseholdRemove { name, user } => {
            let (h, u) = admin::remove_member(store, &name, &user)?;
            (env.member_left)(&h.id, &u.id);
            let _ = writeln!(stdout, "user {} removed from household {}", u.name, h.name);
        }
        AdminCommand::HouseholdList { json } => {
            let list = admin::list_households(store)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|(h, members)| {
                        serde_json::json!({
                            "name": h.name,
                            "id": h.id.as_str(),
                            "created_at": h.created_at,
                            "members": members,
                            "grocery_list_id": h.grocery_list_id,
                            // Whether one is set; never its secret.
                            "webhook": h.webhook.is_some(),
                        })
                    })
                    .collect();
                let _ = writeln!(stdout, "{}", serde_json::to_string_pretty(&rows)?);
            } else if list.is_empty() {
                let _ = writeln!(
                    stdout,
                    "no households (create one with: larder-server household create NAME)"
                );
            } else {
                let width = list
                    .iter()
                    .map(|(h, _)| h.name.len())
                    .max()
                    .unwrap_or(4)
                    .max(4);
                let _ = writeln!(
                    stdout,
                    "{:width$}  {:32}  {:7}  MEMBERS",
                    "NAME", "ID", "WEBHOOK"
                );
                for (h, members) in &list {
                    let _ = writeln!(
                        stdout,
                        "{:width$}  {:32}  {:7}  {}",
                        h.name,
                        h.id.as_str(),
                        if h.webhook.is_some() { "yes" } else { "no" },
                        if members.is_empty() {
                            "-".to_owned()
                        } else {
                            members.join(", ")
                        }
                    );
                }
            }
        }
        AdminCommand::HouseholdWebhook {
            name,
            webhook: Some(webhook),
        } => {
            let h = household_hook::set(store, &name, &webhook)?;
            let verb = if h.webhook.is_some() {
                "replaced"
            } else {
                "set"
            };
            let _ = writeln!(
                stdout,
                "webhook of household {} {verb}: additions to its grocery list are posted to {}",
                h.name, webhook.url
            );
        }
        AdminCommand::HouseholdWebhook {
            name,
            webhook: None,
        } => {
            let h = household_hook::remove(store, &name)?;
            if h.webhook.is_some() {
                let _ = writeln!(
                    stdout,
                    "webhook of household {} removed; deliveries still queued for it are dropped",
                    h.name
                );
            } else {
                let _ = writeln!(stdout, "household {} has no webhook", h.name);
            }
        }
    }
    Ok(out)
}

fn format_time(ms: i64) -> String {
    let Ok(ms) = u64::try_from(ms) else {
        return ms.to_string();
    };
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t).to_string()
}
