//! The sharing commands: share recipes with a user or a household, list one's shares, revoke
//! one. They ask the relay of the signed-in session (sharing is the relay's to enforce); the
//! recipes shared with this user arrive, marked, with `larder sync`.

use anyhow::{Result, anyhow};
use larder_core::Larder;
use larder_core::docstore::SamodStore;
use larder_core::rpc::{ShareMode, ShareTarget};
use larder_core::sync::{self, NewShare, RelayClient, Session};

use crate::output::{outln, print_json};

fn signed_in(larder: &Larder<SamodStore>) -> Result<(Session, RelayClient)> {
    let session = sync::session(larder.store())?
        .ok_or_else(|| anyhow!("sign in first (`larder login`): shares live on the relay"))?;
    let client = RelayClient::new(&session.server)?;
    Ok((session, client))
}

pub async fn share(
    larder: &Larder<SamodStore>,
    ids: Vec<String>,
    all: bool,
    with: ShareTarget,
    edit: bool,
) -> Result<()> {
    let (session, client) = signed_in(larder)?;
    let share = client
        .share(
            &session.token,
            &NewShare {
                recipes: (!all).then_some(ids),
                all_recipes: all,
                with,
                mode: if edit {
                    ShareMode::Edit
                } else {
                    ShareMode::Read
                },
            },
        )
        .await?;
    let what = if share.all_recipes {
        "all your recipes".to_string()
    } else {
        let n = share.recipes.as_ref().map_or(0, Vec::len);
        format!("{n} recipe{}", if n == 1 { "" } else { "s" })
    };
    let mode = if edit {
        "to read and change"
    } else {
        "to read"
    };
    outln!(
        "Shared {what} with {} {} {mode} (share {}).",
        share.with.kind,
        share.with.name,
        share.id
    )?;
    Ok(())
}

pub async fn list(larder: &Larder<SamodStore>, json: bool) -> Result<()> {
    let (session, client) = signed_in(larder)?;
    let shares = client.own_shares(&session.token).await?;
    if json {
        return print_json(&shares);
    }
    if shares.is_empty() {
        outln!("You share nothing (share with `larder share ID --with USER`).")?;
    }
    for s in &shares {
        let what = match &s.recipes {
            Some(ids) => ids.join(", "),
            None => "all recipes".to_string(),
        };
        let mode = match s.mode {
            ShareMode::Read => "read",
            ShareMode::Edit => "edit",
        };
        outln!("{}  {} {}  {mode}  {what}", s.id, s.with.kind, s.with.name)?;
    }
    Ok(())
}

pub async fn revoke(larder: &Larder<SamodStore>, id: &str) -> Result<()> {
    let (session, client) = signed_in(larder)?;
    client.revoke_share(&session.token, id).await?;
    outln!("Revoked share {id}.")?;
    Ok(())
}
