//! The browser's `rpc::Shell`: what core's one dispatcher (`rpc::dispatch_with`) needs of the
//! worker, which owns the network here (the session, the link to the relay, `fetch`). Each
//! operation calls the worker's [`ShellHost`] (web/src/worker/engine-worker.ts), which does the
//! IO only and resolves with the JSON of a reply (`{ok: value}` or `{err: RpcError}`); routing
//! and composition (an import by address, an attachment only the relay has) are core's.

use std::rc::Rc;

use larder_core::Larder;
use larder_core::page_import::PageImport;
use larder_core::rpc::{
    CalendarAction, CalendarLink, RpcError, RpcErrorCode, SessionView, ShareAction, ShareView,
    Shell, SyncStatusView,
};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::bridge::BridgeStore;

#[wasm_bindgen]
extern "C" {
    /// The worker's side of the shell; every method resolves with a reply's JSON.
    pub type ShellHost;

    #[wasm_bindgen(method, js_name = signIn)]
    fn sign_in(this: &ShellHost, server: &str, username: &str, password: &str) -> js_sys::Promise;
    #[wasm_bindgen(method, js_name = signOut)]
    fn sign_out(this: &ShellHost, remove_data: bool) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn session(this: &ShellHost) -> js_sys::Promise;
    #[wasm_bindgen(method, js_name = syncStatus)]
    fn sync_status(this: &ShellHost) -> js_sys::Promise;
    #[wasm_bindgen(method, js_name = fetchPage)]
    fn fetch_page(this: &ShellHost, address: &str) -> js_sys::Promise;
    #[wasm_bindgen(method, js_name = fetchAttachment)]
    fn fetch_attachment(this: &ShellHost, sha256: &str) -> js_sys::Promise;
    /// `action`: "status", "create" or "revoke".
    #[wasm_bindgen(method, js_name = planCalendar)]
    fn plan_calendar(this: &ShellHost, action: &str) -> js_sys::Promise;
    /// Does a share action (JSON of core's `rpc::ShareAction`) at the relay; resolves with
    /// the list of the user's shares afterwards.
    #[wasm_bindgen(method)]
    fn shares(this: &ShellHost, action_json: &str) -> js_sys::Promise;
}

/// The engine and the worker's host, for one request.
pub struct WorkerShell {
    pub larder: Rc<Larder<BridgeStore>>,
    pub host: ShellHost,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer<T> {
    Ok(T),
    Err(RpcError),
}

fn internal(message: String) -> RpcError {
    RpcError::new(RpcErrorCode::Internal, message)
}

/// Waits for the host's reply and reads it.
async fn answer<T: DeserializeOwned>(promise: js_sys::Promise) -> Result<T, RpcError> {
    let value = JsFuture::from(promise)
        .await
        .map_err(|e| internal(format!("the worker failed: {e:?}")))?;
    let text = value
        .as_string()
        .ok_or_else(|| internal("the worker's reply is not JSON text".into()))?;
    match serde_json::from_str::<Answer<T>>(&text) {
        Ok(Answer::Ok(value)) => Ok(value),
        Ok(Answer::Err(err)) => Err(err),
        Err(err) => Err(internal(format!("the worker's reply is unreadable: {err}"))),
    }
}

impl Shell for WorkerShell {
    type Docs = BridgeStore;
    type Larder<'a> = Rc<Larder<BridgeStore>>;

    async fn larder(&self) -> Result<Self::Larder<'_>, RpcError> {
        Ok(Rc::clone(&self.larder))
    }

    async fn sign_in(
        &self,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionView, RpcError> {
        answer(self.host.sign_in(server, username, password)).await
    }

    async fn sign_out(&self, remove_data: bool) -> Result<(), RpcError> {
        answer(self.host.sign_out(remove_data)).await
    }

    async fn session(&self) -> Result<Option<SessionView>, RpcError> {
        answer(self.host.session()).await
    }

    async fn sync_status(&self) -> Result<SyncStatusView, RpcError> {
        answer(self.host.sync_status()).await
    }

    async fn fetch_page(&self, address: &str) -> Result<PageImport, RpcError> {
        answer(self.host.fetch_page(address)).await
    }

    async fn fetch_attachment(&self, sha256: &str) -> Result<(), RpcError> {
        answer(self.host.fetch_attachment(sha256)).await
    }

    async fn plan_calendar(&self, action: CalendarAction) -> Result<CalendarLink, RpcError> {
        let action = match action {
            CalendarAction::Status => "status",
            CalendarAction::Create => "create",
            CalendarAction::Revoke => "revoke",
        };
        answer(self.host.plan_calendar(action)).await
    }

    async fn shares(&self, action: ShareAction) -> Result<Vec<ShareView>, RpcError> {
        let json = serde_json::to_string(&action).map_err(|e| internal(e.to_string()))?;
        answer(self.host.shares(&json)).await
    }

    /// A page can ask the browser itself (Screen Wake Lock); a worker cannot.
    async fn keep_screen_on(&self, _on: bool) -> Result<(), RpcError> {
        Err(RpcError::new(
            RpcErrorCode::Unsupported,
            "keeping the screen on is the app shell's to do, where it can",
        ))
    }
}
