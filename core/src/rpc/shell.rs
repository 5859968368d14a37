//! What a shell supplies to the one API, and the one dispatcher over it. core answers the
//! domain requests itself ([`super::dispatch`], against a [`Larder`]); the requests that need
//! the network or the device (signing in and out, the session, the sync status, a page fetched
//! by the relay, an attachment only the relay has, the plan's calendar feed, keeping the screen
//! on) go to a [`Shell`]:
//! natively the Tauri shell over core's `RelayClient`/`SyncEngine` (shell/src), in the browser
//! the wasm engine calling back into its worker (web/engine). [`dispatch_with`] routes every
//! request and composes the ones that need both (an import by address: the shell fetches the
//! page, core makes the recipes), so no shell routes or composes them again.

use std::ops::Deref;

use super::{
    CalendarAction, CalendarLink, Reply, Request, Response, RpcError, RpcErrorCode, SessionView,
    ShareAction, ShareView, SyncStatusView, dispatch, encode_reply,
};
use crate::api::Larder;
use crate::docstore::DocumentStore;
use crate::page_import::{PageImport, split_address};

/// The network and device operations a shell supplies. Errors are the typed [`RpcError`] the
/// UI receives (a code to react to, a readable sentence).
#[allow(async_fn_in_trait)] // Used through generics only; a shell's futures need not be Send.
pub trait Shell {
    /// The document store of the shell's engine.
    type Docs: DocumentStore;
    /// The open engine, held for one request (natively: a read lock on the open profile).
    type Larder<'a>: Deref<Target = Larder<Self::Docs>>
    where
        Self: 'a;

    /// The engine the domain requests run on (closing: an error).
    async fn larder(&self) -> Result<Self::Larder<'_>, RpcError>;
    /// Signs in to `server` and starts syncing.
    async fn sign_in(
        &self,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionView, RpcError>;
    /// Stops syncing, revokes the session (best effort offline) and, if asked, removes this
    /// device's data.
    async fn sign_out(&self, remove_data: bool) -> Result<(), RpcError>;
    /// The signed-in session, if any.
    async fn session(&self) -> Result<Option<SessionView>, RpcError>;
    /// Where sync stands.
    async fn sync_status(&self) -> Result<SyncStatusView, RpcError>;
    /// The recipes of the page at `address`, fetched by the signed-in user's relay (not signed
    /// in: `Unauthorized`; the relay unreachable: `Unreachable`).
    async fn fetch_page(&self, address: &str) -> Result<PageImport, RpcError>;
    /// Brings the attachment `sha256`, which this device lacks, from the relay into the
    /// profile.
    async fn fetch_attachment(&self, sha256: &str) -> Result<(), RpcError>;
    /// Keeps the screen on (cook mode) or lets it sleep again, where the device can.
    async fn keep_screen_on(&self, on: bool) -> Result<(), RpcError>;
    /// The meal plan's calendar feed, asked of the signed-in user's relay (not signed in:
    /// `Unauthorized`; the relay unreachable: `Unreachable`).
    async fn plan_calendar(&self, action: CalendarAction) -> Result<CalendarLink, RpcError>;
    /// Does `action` on the user's recipe shares at the signed-in user's relay and answers
    /// their list afterwards (not signed in: `Unauthorized`; unreachable: `Unreachable`).
    async fn shares(&self, action: ShareAction) -> Result<Vec<ShareView>, RpcError>;
}

/// Answers every request: the shell's through `shell`, the rest through its engine
/// ([`Shell::larder`], taken only for as long as a request needs it).
pub async fn dispatch_with<H: Shell>(shell: &H, request: Request) -> Result<Response, RpcError> {
    Ok(match request {
        Request::SignIn {
            server,
            username,
            password,
        } => Response::Session(Some(shell.sign_in(&server, &username, &password).await?)),
        Request::SignOut { remove_data } => {
            shell.sign_out(remove_data.unwrap_or(false)).await?;
            Response::Done
        }
        Request::Session => Response::Session(shell.session().await?),
        Request::SyncStatus => Response::SyncStatus(shell.sync_status().await?),
        Request::KeepScreenOn { on } => {
            shell.keep_screen_on(on).await?;
            Response::Done
        }
        Request::PlanCalendar { action } => {
            Response::CalendarLink(shell.plan_calendar(action).await?)
        }
        Request::Shares { action } => Response::Shares(shell.shares(action).await?),
        Request::ImportUrl { url } => {
            let address = url.trim();
            split_address(address)
                .map_err(|e| RpcError::new(RpcErrorCode::Invalid, e.to_string()))?;
            let page = shell.fetch_page(address).await.map_err(|err| {
                if err.code == RpcErrorCode::Unreachable {
                    RpcError::new(
                        RpcErrorCode::Unreachable,
                        format!(
                            "importing from an address needs the relay, which cannot be \
                             reached now ({})",
                            err.message
                        ),
                    )
                } else {
                    err
                }
            })?;
            Response::Import(shell.larder().await?.import_page(&page).await?)
        }
        Request::AttachmentBytes { sha256 } => {
            let local = dispatch(
                &*shell.larder().await?,
                Request::AttachmentBytes {
                    sha256: sha256.clone(),
                },
            )
            .await;
            match local {
                // Not on this device: another device attached it.
                Err(err) if err.code == RpcErrorCode::NotFound => {
                    shell.fetch_attachment(&sha256).await?;
                    dispatch(&*shell.larder().await?, Request::AttachmentBytes { sha256 }).await?
                }
                other => other?,
            }
        }
        other => dispatch(&*shell.larder().await?, other).await?,
    })
}

/// [`dispatch_with`] from and to JSON: the whole of a JSON transport's work.
pub async fn dispatch_json_with<H: Shell>(shell: &H, request: &str) -> String {
    let reply: Reply = match serde_json::from_str::<Request>(request) {
        Ok(request) => dispatch_with(shell, request).await.into(),
        Err(err) => Reply::Err(RpcError::new(
            RpcErrorCode::BadRequest,
            format!("not a valid request: {err}"),
        )),
    };
    encode_reply(&reply)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::docstore::MemoryStore;
    use crate::model::RecipeDraft;
    use crate::page_import::PageRecipe;
    use crate::store::Store;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("memory store futures complete at once")
    }

    /// A shell that records what it was asked and answers from `page` (None: unreachable).
    struct FakeShell {
        larder: Larder<MemoryStore>,
        page: Option<PageImport>,
        asked: RefCell<Vec<String>>,
    }

    impl Shell for FakeShell {
        type Docs = MemoryStore;
        type Larder<'a> = &'a Larder<MemoryStore>;

        async fn larder(&self) -> Result<Self::Larder<'_>, RpcError> {
            Ok(&self.larder)
        }
        async fn sign_in(
            &self,
            server: &str,
            user: &str,
            _: &str,
        ) -> Result<SessionView, RpcError> {
            self.asked
                .borrow_mut()
                .push(format!("sign_in {server} {user}"));
            Ok(SessionView {
                server: server.into(),
                user_id: "u1".into(),
                user_name: user.into(),
            })
        }
        async fn sign_out(&self, remove_data: bool) -> Result<(), RpcError> {
            self.asked
                .borrow_mut()
                .push(format!("sign_out {remove_data}"));
            Ok(())
        }
        async fn session(&self) -> Result<Option<SessionView>, RpcError> {
            Ok(None)
        }
        async fn sync_status(&self) -> Result<SyncStatusView, RpcError> {
            Err(RpcError::new(RpcErrorCode::Internal, "not asked here"))
        }
        async fn fetch_page(&self, address: &str) -> Result<PageImport, RpcError> {
            self.asked
                .borrow_mut()
                .push(format!("fetch_page {address}"));
            self.page
                .clone()
                .ok_or_else(|| RpcError::new(RpcErrorCode::Unreachable, "connection refused"))
        }
        async fn fetch_attachment(&self, sha256: &str) -> Result<(), RpcError> {
            self.asked
                .borrow_mut()
                .push(format!("fetch_attachment {sha256}"));
            Err(RpcError::new(RpcErrorCode::Unreachable, "offline"))
        }
        async fn keep_screen_on(&self, on: bool) -> Result<(), RpcError> {
            self.asked.borrow_mut().push(format!("keep_screen_on {on}"));
            Ok(())
        }
        async fn plan_calendar(&self, action: CalendarAction) -> Result<CalendarLink, RpcError> {
            self.asked
                .borrow_mut()
                .push(format!("plan_calendar {action:?}"));
            Ok(CalendarLink {
                active: true,
                url: Some("https://relay/api/v1/plan/calendar/t.ics".into()),
                created_at: Some(1),
            })
        }

        async fn shares(&self, action: ShareAction) -> Result<Vec<ShareView>, RpcError> {
            self.asked.borrow_mut().push(format!("shares {action:?}"));
            Ok(Vec::new())
        }
    }

    fn shell(page: Option<PageImport>) -> FakeShell {
        let store = Arc::new(Store::open_in_memory().expect("store"));
        let larder = block_on(Larder::open(
            MemoryStore::new(),
            store,
            Arc::new(ManualClock::new(1_700_000_000_000)),
        ))
        .expect("open");
        FakeShell {
            larder,
            page,
            asked: RefCell::default(),
        }
    }

    fn call(shell: &FakeShell, json: &str) -> serde_json::Value {
        serde_json::from_str(&block_on(dispatch_json_with(shell, json))).expect("JSON reply")
    }

    #[test]
    fn shell_requests_go_to_the_shell_and_domain_ones_to_the_engine() {
        let shell = shell(None);
        let session = call(
            &shell,
            r#"{"op":"sign_in","server":"https://relay","username":"ann","password":"pw"}"#,
        );
        assert_eq!(session["ok"]["value"]["user_name"], "ann", "{session}");
        assert_eq!(call(&shell, r#"{"op":"sign_out"}"#)["ok"]["type"], "done");
        assert_eq!(
            call(&shell, r#"{"op":"keep_screen_on","on":true}"#)["ok"]["type"],
            "done"
        );
        let link = call(&shell, r#"{"op":"plan_calendar","action":"create"}"#);
        assert_eq!(link["ok"]["type"], "calendar_link", "{link}");
        assert_eq!(link["ok"]["value"]["active"], true, "{link}");
        let listed = call(&shell, r#"{"op":"search","query":""}"#);
        assert!(listed["ok"].is_object(), "{listed}");
        assert_eq!(
            *shell.asked.borrow(),
            vec![
                "sign_in https://relay ann",
                "sign_out false",
                "keep_screen_on true",
                "plan_calendar Create"
            ]
        );
    }

    #[test]
    fn an_import_by_address_is_fetched_by_the_shell_and_made_by_core() {
        let page = PageImport {
            page_url: "https://example.org/stew".into(),
            recipes: vec![PageRecipe {
                draft: RecipeDraft {
                    title: "Barley stew".into(),
                    ..RecipeDraft::default()
                },
                ..PageRecipe::default()
            }],
        };
        let shell = shell(Some(page));
        let bad = call(&shell, r#"{"op":"import_url","url":"ftp://example.org/x"}"#);
        assert_eq!(bad["err"]["code"], "invalid", "{bad}");
        assert!(
            shell.asked.borrow().is_empty(),
            "a bad address is refused here"
        );
        let imported = call(
            &shell,
            r#"{"op":"import_url","url":" https://example.org/stew "}"#,
        );
        assert_eq!(imported["ok"]["type"], "import", "{imported}");
        let hits = shell.larder.search("barley", 10, 0).expect("search");
        assert_eq!(hits.len(), 1);
        assert_eq!(
            *shell.asked.borrow(),
            vec!["fetch_page https://example.org/stew"]
        );

        let offline = self::shell(None);
        let err = call(
            &offline,
            r#"{"op":"import_url","url":"https://example.org/stew"}"#,
        );
        assert_eq!(err["err"]["code"], "unreachable", "{err}");
        let message = err["err"]["message"].as_str().expect("message");
        assert!(message.contains("needs the relay"), "{message}");
        assert!(message.contains("connection refused"), "{message}");
    }

    #[test]
    fn an_attachment_missing_here_is_asked_of_the_shell() {
        let shell = shell(None);
        let sha = "ab".repeat(32);
        let err = call(
            &shell,
            &format!(r#"{{"op":"attachment_bytes","sha256":"{sha}"}}"#),
        );
        assert_eq!(err["err"]["code"], "unreachable", "{err}");
        assert_eq!(
            *shell.asked.borrow(),
            vec![format!("fetch_attachment {sha}")]
        );
    }
}
