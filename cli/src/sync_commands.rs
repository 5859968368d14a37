//! The sync commands: login, logout, status and sync (one pass or continuous).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use larder_core::Larder;
use larder_core::docstore::SamodStore;
use larder_core::sync::{self, SyncEngine, SyncState};

use crate::output::outln;

pub async fn login(larder: &Larder<SamodStore>, server: &str, user: &str) -> Result<()> {
    let password = match std::env::var("LARDER_PASSWORD") {
        Ok(password) => password,
        Err(_) => rpassword::prompt_password(format!("Password for {user}: "))
            .context("reading the password")?,
    };
    let session = sync::login(larder.store(), server, user, &password).await?;
    outln!(
        "Signed in as {} on {}. Run `larder sync` to sync this device.",
        session.user_name,
        session.server
    )?;
    Ok(())
}

pub async fn logout(larder: &Larder<SamodStore>) -> Result<()> {
    if sync::session(larder.store())?.is_none() {
        outln!("Not signed in.")?;
        return Ok(());
    }
    let revoked = sync::logout(larder.store()).await?;
    if revoked {
        outln!("Signed out.")?;
    } else {
        outln!(
            "Signed out on this device (the relay could not be reached to revoke the session)."
        )?;
    }
    Ok(())
}

/// Deletes the profile's database files after sign-out.
pub fn wipe(dir: &Path) -> Result<()> {
    let db = larder_core::profile::database_path(dir);
    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).with_context(|| format!("removing {}", path.display())),
        }
    }
    outln!("Local data removed.")?;
    Ok(())
}

pub fn status(larder: &Larder<SamodStore>, json: bool) -> Result<()> {
    let session = sync::session(larder.store())?;
    let pending = larder.store().waiting_doc_count()?;
    let uploads = larder.store().queued_uploads()?;
    if json {
        let value = serde_json::json!({
            "signed_in": session.is_some(),
            "server": session.as_ref().map(|s| s.server.clone()),
            "user": session.as_ref().map(|s| s.user_name.clone()),
            "pending": pending,
            "pending_uploads": uploads.len(),
            "upload_error": uploads.iter().find_map(|u| u.last_error.clone()),
        });
        outln!("{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    match session {
        Some(s) => outln!("Signed in as {} on {}.", s.user_name, s.server)?,
        None => outln!("Not signed in.")?,
    }
    outln!("{pending} document(s) with changes not yet on the relay.")?;
    outln!("{} attachment(s) not yet uploaded.", uploads.len())?;
    if let Some(err) = uploads.iter().find_map(|u| u.last_error.as_deref()) {
        outln!("Last upload error: {err}")?;
    }
    Ok(())
}

pub async fn sync(larder: &Arc<Larder<SamodStore>>, once: bool, bulk: bool) -> Result<()> {
    let engine = SyncEngine::new(larder.clone())?.with_bulk(bulk);
    if once {
        let report = engine.sync_once().await?;
        outln!(
            "In sync: {} document(s) received ({} in bulk), {} sent ({} in bulk), {} pending; {} attachment(s) uploaded, {} pending.",
            report.pulled,
            report.pulled_in_bulk,
            report.pushed,
            report.pushed_in_bulk,
            report.pending,
            report.uploaded,
            report.pending_uploads
        )?;
        if report.pending > 0 {
            return Err(anyhow!(
                "{} document(s) could not be confirmed by the relay",
                report.pending
            ));
        }
        if report.pending_uploads > 0 {
            return Err(anyhow!(
                "{} attachment(s) could not be uploaded: {}",
                report.pending_uploads,
                report.upload_error.as_deref().unwrap_or("unknown error")
            ));
        }
        return Ok(());
    }
    let follower = larder.documents().changed_documents().map(|changed| {
        let larder = larder.clone();
        tokio::spawn(async move { larder.follow_changes(changed).await })
    });
    let mut status = engine.status();
    let printer = tokio::spawn(async move {
        while status.changed().await.is_ok() {
            let s = status.borrow_and_update().clone();
            let state = match s.state {
                SyncState::SignedOut => "signed out",
                SyncState::Offline => "offline",
                SyncState::Connecting => "connecting",
                SyncState::Syncing => "syncing",
                SyncState::UpToDate => "up to date",
            };
            let uploads = s.pending_uploads;
            let state = match s.progress {
                Some(p) => format!("{state} {} of {}", p.done, p.total),
                None => state.to_owned(),
            };
            match s.last_error {
                Some(err) => eprintln!(
                    "{state} ({} pending, {uploads} upload(s) pending): {err}",
                    s.pending
                ),
                None => eprintln!(
                    "{state} ({} pending, {uploads} upload(s) pending)",
                    s.pending
                ),
            }
        }
    });
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let result = engine.run(stop).await;
    drop(engine);
    printer.abort();
    if let Some(follower) = follower {
        follower.abort();
        let _ = follower.await;
    }
    result.map_err(Into::into)
}
