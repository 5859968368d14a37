//! The native `rpc::Shell`: what core's one dispatcher (`rpc::dispatch_with`) needs of the Tauri
//! shell, over the open profile, core's `RelayClient` (a page fetched by the relay, an
//! attachment only the relay has, the plan's calendar feed) and the device (the screen kept on).

use larder_core::Larder;
use larder_core::docstore::SamodStore;
use larder_core::page_import::PageImport;
use larder_core::rpc::{
    CalendarAction, CalendarLink, RpcError, SessionView, ShareAction, ShareView, Shell,
    SyncStatusView,
};
use larder_core::sync;
use tokio::sync::RwLockReadGuard;

use super::Inner;
use crate::errors;

impl Shell for Inner {
    type Docs = SamodStore;
    type Larder<'a> = RwLockReadGuard<'a, Larder<SamodStore>>;

    /// A read lock on the open profile for as long as the request runs (closing and signing in
    /// wait for it).
    async fn larder(&self) -> Result<Self::Larder<'_>, RpcError> {
        RwLockReadGuard::try_map(self.open.read().await, |open| {
            open.as_ref().map(|open| &*open.larder)
        })
        .map_err(|_| errors::closing())
    }

    async fn sign_in(
        &self,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionView, RpcError> {
        Inner::sign_in(self, server, username, password).await
    }

    async fn sign_out(&self, remove_data: bool) -> Result<(), RpcError> {
        Inner::sign_out(self, remove_data).await
    }

    async fn session(&self) -> Result<Option<SessionView>, RpcError> {
        Inner::session(self).await
    }

    async fn sync_status(&self) -> Result<SyncStatusView, RpcError> {
        Inner::sync_status(self).await
    }

    async fn fetch_page(&self, address: &str) -> Result<PageImport, RpcError> {
        let larder = self.larder().await?;
        sync::fetch_page(larder.store(), address)
            .await
            .map_err(errors::import_url)
    }

    /// Fetched from the relay, verified against its SHA-256 and kept here.
    async fn fetch_attachment(&self, sha256: &str) -> Result<(), RpcError> {
        let larder = {
            let open = self.open.read().await;
            open.as_ref().ok_or_else(errors::closing)?.larder.clone()
        };
        // Only the hash is known here: the blob is kept with the media type the relay has.
        sync::fetch_blob(&*larder, sha256, None, "this file")
            .await
            .map_err(errors::attachment)?;
        Ok(())
    }

    async fn plan_calendar(&self, action: CalendarAction) -> Result<CalendarLink, RpcError> {
        let larder = self.larder().await?;
        sync::plan_calendar(&larder, action)
            .await
            .map_err(errors::plan_calendar)
    }

    async fn shares(&self, action: ShareAction) -> Result<Vec<ShareView>, RpcError> {
        let larder = self.larder().await?;
        sync::shares(&larder, action).await.map_err(errors::shares)
    }

    async fn keep_screen_on(&self, on: bool) -> Result<(), RpcError> {
        // A D-Bus round trip: off the async threads (`Shell::handle` runs requests on a
        // blocking-pool thread, see `off_runtime`).
        self.keep_awake.set(on)
    }
}
