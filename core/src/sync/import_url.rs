//! Importing a recipe page by its address on a native device: the relay fetches the page for
//! the signed-in user (a shell cannot be trusted to reach any site, and the browser cannot),
//! then the recipes are made on this device like any import.

use super::relay::{RelayClient, RelayError};
use super::session::session;
use crate::api::{ImportReport, Larder, LarderError};
use crate::docstore::DocumentStore;
use crate::page_import::{AddressError, PageImport, split_address};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum ImportUrlError {
    #[error(transparent)]
    BadAddress(#[from] AddressError),
    #[error("importing from an address needs the relay: sign in first")]
    NotSignedIn,
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Larder(#[from] LarderError),
}

impl ImportUrlError {
    /// The relay could not be reached: the address can still be kept as a link
    /// ([`Larder::save_link`]).
    pub fn is_offline(&self) -> bool {
        matches!(self, ImportUrlError::Relay(RelayError::Unreachable(_)))
    }
}

/// Fetches `address` through the relay of the signed-in session and imports its recipes.
pub async fn import_url<S: DocumentStore>(
    larder: &Larder<S>,
    address: &str,
) -> Result<ImportReport, ImportUrlError> {
    let page = fetch_page(larder.store(), address).await?;
    Ok(larder.import_page(&page).await?)
}

/// The recipes of the page at `address`, fetched by the relay of the session signed in to
/// `store` (what a shell supplies to `rpc::dispatch_with` for an import by address).
pub async fn fetch_page(store: &Store, address: &str) -> Result<PageImport, ImportUrlError> {
    let address = address.trim();
    split_address(address)?;
    let session = session(store)
        .map_err(LarderError::Store)?
        .ok_or(ImportUrlError::NotSignedIn)?;
    let client = RelayClient::new(&session.server)?;
    Ok(client.import_url(&session.token, address).await?)
}
