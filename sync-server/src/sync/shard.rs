//! The shards: a fixed set of tasks, each the only owner of the documents whose id maps to it
//! ([`DocId::shard`]). A shard takes commands from one queue — messages from connections,
//! connections that closed, the relay's own reads and edits — in batches: it applies every
//! command of a batch to its documents, then settles each document the batch touched once
//! (one save, one round of sync messages to that document's peers). Nothing walks all
//! documents or all connections on an event: a message costs work in its own document and
//! its peers only.
//!
//! A document is loaded from the store the first time a command needs it and stays while any
//! connection syncs it; once none has for `idle_unload`, it is dropped (it loads again on the
//! next use). Shards share nothing but the store, the group commit and the feed's queue.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use automerge::sync;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::access::{self, Access};
use super::commit::GroupCommit;
use super::doc_id::DocId;
use super::document::{Deletions, Document, Saved};
use super::outbox::{Outbox, close};
use super::{StoreSlot, SyncError};
use crate::store::{Principal, RelayStore, StoreError, UserId};

/// Commands queued per shard before senders wait (back-pressure on busy connections).
const QUEUE: usize = 1024;
/// Commands applied before the documents they touched are settled.
const BATCH: usize = 256;

/// A job run on a loaded document (or on `None`: no such document).
pub type ReadJob = Box<dyn FnOnce(Option<&Document>) + Send>;
/// A job that may change a loaded document.
pub type EditJob = Box<dyn FnOnce(Option<&mut Document>) + Send>;

/// What a shard is asked to do.
pub enum Command {
    /// A `sync` (or `request`) message from a connection.
    Sync {
        out: Arc<Outbox>,
        doc: DocId,
        msg: sync::Message,
        request: bool,
    },
    /// An `ephemeral` message from a connection, for the document's other peers.
    Ephemeral {
        out: Arc<Outbox>,
        doc: DocId,
        session: String,
        count: u64,
        data: Vec<u8>,
    },
    /// A connection closed; it had sent messages about `docs`.
    Closed {
        conn: u64,
        docs: Vec<DocId>,
    },
    Read {
        doc: DocId,
        job: ReadJob,
    },
    /// Runs `job`, settles, then answers with the ticket that makes the change durable.
    Edit {
        doc: DocId,
        job: EditJob,
        done: oneshot::Sender<Result<u64, SyncError>>,
    },
    /// Adds a new document (already claimed for its owner) and answers like `Edit`.
    Create {
        doc: Box<Document>,
        done: oneshot::Sender<Result<u64, SyncError>>,
    },
    /// Merges a device's saved document into the relay's copy (bulk upload), claiming an id
    /// nobody owns for `user` once its bytes are known to load; answered after the settle.
    Import {
        doc: DocId,
        user: UserId,
        bytes: Vec<u8>,
        done: oneshot::Sender<Imported>,
    },
    /// Drops every document `user` owns, closing their peers.
    DropUser {
        user: UserId,
        done: oneshot::Sender<()>,
    },
    /// `user` may no longer sync documents `owner` owns (a member left a household): their
    /// connections are forgotten by every such loaded document and told it is unavailable.
    ForgetReader {
        owner: Principal,
        user: UserId,
        done: oneshot::Sender<()>,
    },
    /// Hands the feed document `doc`'s pending mark, if it has one (a member joined: the feed
    /// records the document for every member whose entry is not current); answered once sent.
    Announce {
        doc: DocId,
        done: oneshot::Sender<()>,
    },
    /// Drops every document no connection has used for `idle`; answers how many.
    Unload {
        idle: Duration,
        done: oneshot::Sender<usize>,
    },
    /// How many documents are loaded.
    Count {
        done: oneshot::Sender<usize>,
    },
    /// Finish what is queued before this, then stop.
    Stop,
}

/// How a [`Command::Import`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// Merged and saved (durable once `ticket` is); the relay's heads afterwards, sorted hex.
    Stored { ticket: u64, heads: Vec<String> },
    /// Another user's document: answered like one that does not exist.
    Unavailable,
    /// The bytes are not an automerge document.
    Invalid(String),
    /// The store failed.
    Failed,
}

/// What every shard uses.
pub struct ShardContext {
    pub slot: StoreSlot,
    pub commit: Arc<GroupCommit>,
    /// Saves, for the change feed (see `feed.rs`).
    pub saved: mpsc::UnboundedSender<Saved>,
    pub idle_unload: Duration,
}

/// The shards' queues.
pub struct Shards {
    queues: Vec<mpsc::Sender<Command>>,
}

impl Shards {
    /// Starts `count` shards; returns their queues and tasks.
    pub fn start(
        count: usize,
        ctx: Arc<ShardContext>,
    ) -> (Shards, Vec<tokio::task::JoinHandle<()>>) {
        let mut queues = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        for index in 0..count.max(1) {
            let (tx, rx) = mpsc::channel(QUEUE);
            queues.push(tx);
            let shard = Shard {
                index,
                ctx: Arc::clone(&ctx),
                docs: HashMap::new(),
                idle: VecDeque::new(),
                touched: Vec::new(),
                answers: Vec::new(),
                imports: Vec::new(),
            };
            tasks.push(tokio::spawn(shard.run(rx)));
        }
        (Shards { queues }, tasks)
    }

    pub fn count(&self) -> usize {
        self.queues.len()
    }

    pub fn of(&self, doc: &DocId) -> usize {
        doc.shard(self.queues.len())
    }

    /// Queues `cmd` on `doc`'s shard, waiting while that queue is full.
    pub async fn send(&self, doc: &DocId, cmd: Command) -> Result<(), SyncError> {
        self.to(self.of(doc), cmd).await
    }

    /// Queues `cmd` on shard `index`.
    pub async fn to(&self, index: usize, cmd: Command) -> Result<(), SyncError> {
        self.queues[index]
            .send(cmd)
            .await
            .map_err(|_| SyncError::Stopped)
    }

    /// Sends `make()`'s command to every shard and collects the answers.
    pub async fn ask_all<T>(
        &self,
        make: impl Fn(oneshot::Sender<T>) -> Command,
    ) -> Result<Vec<T>, SyncError> {
        let mut answers = Vec::with_capacity(self.queues.len());
        for index in 0..self.queues.len() {
            let (tx, rx) = oneshot::channel();
            self.to(index, make(tx)).await?;
            answers.push(rx);
        }
        let mut out = Vec::with_capacity(answers.len());
        for rx in answers {
            out.push(rx.await.map_err(|_| SyncError::Stopped)?);
        }
        Ok(out)
    }

    /// Asks every shard to stop once its queue is done.
    pub async fn stop(&self) {
        for index in 0..self.queues.len() {
            let _ = self.to(index, Command::Stop).await;
        }
    }
}

struct Slot {
    doc: Document,
    last_used: Instant,
    /// Touched by the current batch (settled at its end).
    touched: bool,
}

struct Shard {
    index: usize,
    ctx: Arc<ShardContext>,
    docs: HashMap<DocId, Slot>,
    /// Documents whose last peer left, and when: the unload candidates, oldest first.
    idle: VecDeque<(DocId, Instant)>,
    /// Documents touched by the current batch.
    touched: Vec<DocId>,
    /// Edits and creations to answer once their documents are settled.
    answers: Vec<(DocId, oneshot::Sender<Result<u64, SyncError>>)>,
    /// Imports to answer once settled.
    imports: Vec<PendingImport>,
}

/// A [`Command::Import`] waiting for its document's settle.
struct PendingImport {
    id: DocId,
    /// The id was nobody's: claimed for this user once the document's chunks are written, so
    /// a crash never leaves it claimed without its content.
    claim_for: Option<UserId>,
    /// Loaded only for the import: leaves memory after it unless a connection syncs it.
    transient: bool,
    done: oneshot::Sender<Imported>,
}

impl Shard {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let every =
            (self.ctx.idle_unload / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
        let mut sweep = tokio::time::interval(every);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let first = tokio::select! {
                cmd = rx.recv() => cmd,
                _ = sweep.tick() => {
                    let idle = self.ctx.idle_unload;
                    let unloaded = self.unload(idle);
                    if unloaded > 0 {
                        tracing::debug!(shard = self.index, unloaded, "idle documents unloaded");
                    }
                    continue;
                }
            };
            let Some(first) = first else { break };
            let Ok(store) = self.ctx.slot.get() else {
                break;
            };
            let mut stop = self.apply(store.as_ref(), first);
            let mut applied = 1;
            while !stop && applied < BATCH {
                match rx.try_recv() {
                    Ok(cmd) => {
                        stop = self.apply(store.as_ref(), cmd);
                        applied += 1;
                    }
                    Err(_) => break,
                }
            }
            self.settle(store.as_ref());
            if stop {
                break;
            }
        }
        tracing::debug!(shard = self.index, "sync shard stopped");
    }

    /// Applies one command; true for [`Command::Stop`].
    fn apply(&mut self, store: &dyn RelayStore, cmd: Command) -> bool {
        match cmd {
            Command::Sync {
                out,
                doc,
                msg,
                request,
            } => self.sync(store, &out, doc, msg, request),
            Command::Ephemeral {
                out,
                doc,
                session,
                count,
                data,
            } => {
                if let Some(slot) = self.docs.get(&doc)
                    && permits(store, &slot.doc, &out.user).allowed()
                    && let Some(slot) = self.docs.get_mut(&doc)
                {
                    slot.doc.relay_ephemeral(out.id, &session, count, &data);
                }
            }
            Command::Closed { conn, docs } => {
                let now = Instant::now();
                for id in docs {
                    if let Some(slot) = self.docs.get_mut(&id) {
                        slot.doc.forget(conn);
                        if !slot.doc.has_peers() {
                            self.idle.push_back((id, now));
                        }
                    }
                }
            }
            Command::Read { doc, job } => match self.loaded(store, doc) {
                Ok(Some(slot)) => {
                    slot.last_used = Instant::now();
                    job(Some(&slot.doc));
                }
                Ok(None) => job(None),
                Err(e) => {
                    tracing::error!(error = %e, %doc, "loading a document failed");
                    job(None);
                }
            },
            Command::Edit { doc, job, done } => match self.loaded(store, doc) {
                Ok(Some(_)) => {
                    if let Some(slot) = self.docs.get_mut(&doc) {
                        job(Some(&mut slot.doc));
                    }
                    self.touch(doc);
                    self.answers.push((doc, done));
                }
                Ok(None) => {
                    job(None);
                    let _ = done.send(Ok(0));
                }
                Err(e) => {
                    job(None);
                    let _ = done.send(Err(e.into()));
                }
            },
            Command::Create { doc, done } => {
                let id = doc.id;
                self.docs.insert(
                    id,
                    Slot {
                        doc: *doc,
                        last_used: Instant::now(),
                        touched: false,
                    },
                );
                self.idle.push_back((id, Instant::now()));
                self.touch(id);
                self.answers.push((id, done));
            }
            Command::Import {
                doc,
                user,
                bytes,
                done,
            } => self.import(store, doc, user, &bytes, done),
            Command::DropUser { user, done } => {
                let owner = Principal::User(user);
                self.docs.retain(|_, slot| {
                    if slot.doc.owner == owner {
                        slot.doc
                            .close_peers(close::SESSION_ENDED, "the user was removed");
                        false
                    } else {
                        true
                    }
                });
                let _ = done.send(());
            }
            Command::ForgetReader { owner, user, done } => {
                for slot in self.docs.values_mut().filter(|s| s.doc.owner == owner) {
                    if permits(store, &slot.doc, &user).allowed() {
                        continue; // still theirs to read by another way (a share)
                    }
                    for out in slot.doc.forget_user(&user) {
                        out.send(
                            super::wire::WireMessage::DocUnavailable {
                                doc: slot.doc.id,
                                sender: access::RELAY_PEER_ID.to_owned(),
                                target: out.peer.clone(),
                            }
                            .encode(),
                            0,
                        );
                    }
                }
                let _ = done.send(());
            }
            Command::Announce { doc, done } => {
                let loaded_before = self.docs.contains_key(&doc);
                let ctx = Arc::clone(&self.ctx);
                match self.loaded(store, doc) {
                    // Loading hands the feed a pending mark by itself.
                    Ok(Some(slot)) if loaded_before => match store.feed_mark(&slot.doc.key) {
                        Ok(Some(mark)) => {
                            let _ = ctx.saved.send(Saved {
                                doc: slot.doc.key.clone(),
                                owner: slot.doc.owner.clone(),
                                heads: super::document::sorted_hex(&slot.doc.heads()),
                                mark,
                                ticket: ctx.commit.ticket_now(),
                                kind: slot.doc.kind(),
                            });
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(error = %e, %doc, "reading a document's feed mark failed")
                        }
                    },
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, %doc, "loading a document failed"),
                }
                let _ = done.send(());
            }
            Command::Unload { idle, done } => {
                let _ = done.send(self.unload(idle));
            }
            Command::Count { done } => {
                let _ = done.send(self.docs.len());
            }
            Command::Stop => return true,
        }
        false
    }

    fn touch(&mut self, id: DocId) {
        if let Some(slot) = self.docs.get_mut(&id) {
            slot.last_used = Instant::now();
            if !slot.touched {
                slot.touched = true;
                self.touched.push(id);
            }
        }
    }

    /// The document, loaded if it exists and has an owner.
    fn loaded(
        &mut self,
        store: &dyn RelayStore,
        id: DocId,
    ) -> Result<Option<&mut Slot>, StoreError> {
        if !self.docs.contains_key(&id) {
            let Some(owner) = store.doc_principal(&id.to_string())? else {
                return Ok(None);
            };
            self.load(store, id, owner)?;
        }
        Ok(self.docs.get_mut(&id))
    }

    fn load(
        &mut self,
        store: &dyn RelayStore,
        id: DocId,
        owner: Principal,
    ) -> Result<(), StoreError> {
        let doc = Document::load(id, owner, store)?;
        // A change stored before a crash (or an unload) that the feed has not recorded yet:
        // record it now, after everything written so far is durable.
        if let Some(mark) = store.feed_mark(&doc.key)? {
            let _ = self.ctx.saved.send(Saved {
                doc: doc.key.clone(),
                owner: doc.owner.clone(),
                heads: super::document::sorted_hex(&doc.heads()),
                mark,
                ticket: self.ctx.commit.ticket_now(),
                kind: doc.kind(),
            });
        }
        let now = Instant::now();
        self.docs.insert(
            id,
            Slot {
                doc,
                last_used: now,
                touched: false,
            },
        );
        self.idle.push_back((id, now));
        Ok(())
    }

    fn sync(
        &mut self,
        store: &dyn RelayStore,
        out: &Arc<Outbox>,
        id: DocId,
        msg: sync::Message,
        request: bool,
    ) {
        let decided = match self.docs.get(&id) {
            Some(slot) => access::decide_for(store, &slot.doc.key, &slot.doc.owner, &out.user),
            None => self.admit(store, out, id, request),
        };
        let access = match decided {
            Ok(access) => access,
            Err(e) => {
                tracing::error!(error = %e, doc = %id, "deciding access to a document failed");
                out.close(close::INTERNAL_ERROR, "storage error");
                return;
            }
        };
        let allowed = access.allowed();
        if allowed && !access.writable() && !msg.changes.is_empty() {
            // A read-only grantee's changes: dropped whole (applying the rest would have the
            // relay ask for those changes again and again). Their device refuses such edits
            // itself; this is the relay's own guard.
            tracing::debug!(doc = %id, peer = out.peer, "dropped changes from a read-only grantee");
            return;
        }
        if !allowed && !msg.changes.is_empty() {
            // Changes pushed into a document that is not the peer's: no client does that
            // (they send changes only when the relay asks, and it never asks), so it is
            // hostile, not a stale device announcing what it holds.
            out.refuse(
                close::POLICY_VIOLATION,
                "not your document",
                format!("{id} is not a document of this user"),
            );
            return;
        }
        if !allowed {
            out.send(
                super::wire::WireMessage::DocUnavailable {
                    doc: id,
                    sender: access::RELAY_PEER_ID.to_owned(),
                    target: out.peer.clone(),
                }
                .encode(),
                0,
            );
            return;
        }
        let Some(slot) = self.docs.get_mut(&id) else {
            return;
        };
        if let Err(e) = slot.doc.receive(out, msg, request) {
            tracing::info!(error = %e, doc = %id, peer = out.peer, "a sync message did not apply; closing the connection");
            out.close(close::INVALID_PAYLOAD, "the sync message does not apply");
            // Whatever of it got in is not saved: start again from the store.
            self.discard(id);
            return;
        }
        self.touch(id);
    }

    /// [`Command::Import`]: merges `bytes` into `id` for `user`, or answers why not at once.
    fn import(
        &mut self,
        store: &dyn RelayStore,
        id: DocId,
        user: UserId,
        bytes: &[u8],
        done: oneshot::Sender<Imported>,
    ) {
        let loaded_before = self.docs.contains_key(&id);
        if !loaded_before {
            // Only those who may write import: a read-only grantee is answered as a stranger.
            let owner = access::decide(store, &id.to_string(), &user, false)
                .map(|access| access.writable().then(|| access.owner(&user)).flatten());
            match owner {
                Ok(Some(owner)) => {
                    if let Err(e) = self.load(store, id, owner) {
                        tracing::error!(error = %e, doc = %id, "loading a document for an import failed");
                        let _ = done.send(Imported::Failed);
                        return;
                    }
                }
                Ok(None) => match store.doc_principal(&id.to_string()) {
                    // Nobody's yet: claimed only once the bytes load, so a refused upload
                    // claims nothing.
                    Ok(None) => {
                        let am = match automerge::Automerge::load(bytes) {
                            Ok(am) => am,
                            Err(e) => {
                                let _ = done.send(Imported::Invalid(e.to_string()));
                                return;
                            }
                        };
                        // In memory it is this user's from now on (another user's message
                        // for it is refused as for any document of someone else's); in the
                        // store once its chunks are.
                        self.docs.insert(
                            id,
                            Slot {
                                doc: Document::new(id, Principal::User(user.clone()), am),
                                last_used: Instant::now(),
                                touched: false,
                            },
                        );
                        self.touch(id);
                        self.imports.push(PendingImport {
                            id,
                            claim_for: Some(user),
                            transient: true,
                            done,
                        });
                        return;
                    }
                    Ok(Some(_)) => {
                        let _ = done.send(Imported::Unavailable);
                        return;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, doc = %id, "reading a document's owner failed");
                        let _ = done.send(Imported::Failed);
                        return;
                    }
                },
                Err(e) => {
                    tracing::error!(error = %e, doc = %id, "deciding access to a document failed");
                    let _ = done.send(Imported::Failed);
                    return;
                }
            }
        }
        let Some(slot) = self.docs.get_mut(&id) else {
            let _ = done.send(Imported::Failed);
            return;
        };
        if !permits(store, &slot.doc, &user).writable() {
            let _ = done.send(Imported::Unavailable);
            return;
        }
        let Some(slot) = self.docs.get_mut(&id) else {
            let _ = done.send(Imported::Failed);
            return;
        };
        if let Err(e) = slot.doc.edit(|am| am.load_incremental(bytes)) {
            // Whatever of it got in is not saved: start again from the store.
            self.discard(id);
            let _ = done.send(Imported::Invalid(e.to_string()));
            return;
        }
        self.touch(id);
        self.imports.push(PendingImport {
            id,
            claim_for: None,
            transient: !loaded_before,
            done,
        });
    }

    /// Decides whether `out`'s user may sync `id`, which is not loaded; loads it if so.
    fn admit(
        &mut self,
        store: &dyn RelayStore,
        out: &Outbox,
        id: DocId,
        request: bool,
    ) -> Result<Access, StoreError> {
        let access = access::decide(store, &id.to_string(), &out.user, !request)?;
        if let Some(owner) = access.owner(&out.user) {
            self.load(store, id, owner)?;
        }
        Ok(access)
    }

    /// Drops a document from memory (its peers are closed: their sync states go with it).
    fn discard(&mut self, id: DocId) {
        if let Some(slot) = self.docs.remove(&id) {
            slot.doc
                .close_peers(close::INTERNAL_ERROR, "the document was reset");
        }
    }

    /// Saves and sends for every document the batch touched, then answers edits.
    fn settle(&mut self, store: &dyn RelayStore) {
        let commit = Arc::clone(&self.ctx.commit);
        let now = Instant::now();
        let claiming: std::collections::HashSet<DocId> = self
            .imports
            .iter()
            .filter(|i| i.claim_for.is_some())
            .map(|i| i.id)
            .collect();
        // Saves of documents still to be claimed reach the feed once they are.
        let mut held_saves: HashMap<DocId, Saved> = HashMap::new();
        for id in std::mem::take(&mut self.touched) {
            let Some(slot) = self.docs.get_mut(&id) else {
                continue;
            };
            slot.touched = false;
            match slot.doc.settle(store, || commit.wrote()) {
                Ok((saved, deletions)) => {
                    if let Some(saved) = saved {
                        if claiming.contains(&id) {
                            held_saves.insert(id, saved);
                        } else {
                            // The feed worker is gone only while stopping; the mark covers it.
                            let _ = self.ctx.saved.send(saved);
                        }
                    }
                    delete_later(&self.ctx, deletions);
                    if !slot.doc.has_peers() {
                        self.idle.push_back((id, now));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, doc = %id, "saving a document failed; its peers are closed");
                    self.discard(id);
                }
            }
        }
        for (id, done) in self.answers.drain(..) {
            let answer = match self.docs.get(&id) {
                Some(slot) => Ok(slot.doc.written()),
                None => Err(SyncError::NotSaved),
            };
            let _ = done.send(answer);
        }
        let mut transient = Vec::new();
        for import in std::mem::take(&mut self.imports) {
            let id = import.id;
            let answer = match (self.docs.get(&id), import.claim_for) {
                (None, _) => Imported::Failed,
                (Some(slot), None) => Imported::Stored {
                    ticket: slot.doc.written(),
                    heads: super::document::sorted_hex(&slot.doc.heads()),
                },
                (Some(slot), Some(user)) => {
                    let heads = super::document::sorted_hex(&slot.doc.heads());
                    let mine = Principal::User(user);
                    match store.claim_doc(&id.to_string(), &mine) {
                        Ok(owner) if owner == mine => {
                            // A ticket taken after the claim covers chunks and claim alike.
                            let ticket = commit.wrote();
                            if let Some(mut saved) = held_saves.remove(&id) {
                                saved.ticket = ticket;
                                let _ = self.ctx.saved.send(saved);
                            }
                            Imported::Stored { ticket, heads }
                        }
                        outcome => {
                            // Every claim of this id goes through this shard except the relay's
                            // own documents (fresh random ids): lost only to a 128-bit
                            // collision, or the store failed.
                            if let Err(e) = &outcome {
                                tracing::error!(error = %e, doc = %id, "claiming an imported document failed");
                            }
                            self.docs.remove(&id);
                            match outcome {
                                Ok(_) => Imported::Unavailable,
                                Err(_) => Imported::Failed,
                            }
                        }
                    }
                }
            };
            if import.transient {
                transient.push(id);
            }
            let _ = import.done.send(answer);
        }
        // A bulk upload of thousands of documents must not keep them all in memory.
        for id in transient {
            if self.docs.get(&id).is_some_and(|slot| !slot.doc.has_peers()) {
                self.docs.remove(&id);
            }
        }
    }

    /// Drops documents without peers unused for `idle`; returns how many.
    fn unload(&mut self, idle: Duration) -> usize {
        let now = Instant::now();
        let mut unloaded = 0;
        let mut used_since = Vec::new();
        while let Some(&(id, since)) = self.idle.front() {
            if now.duration_since(since) < idle {
                break;
            }
            self.idle.pop_front();
            let Some(slot) = self.docs.get(&id) else {
                continue;
            };
            if slot.doc.has_peers() {
                // Queued again when its last peer leaves.
                continue;
            }
            if now.duration_since(slot.last_used) >= idle {
                self.docs.remove(&id);
                unloaded += 1;
            } else {
                used_since.push((id, slot.last_used));
            }
        }
        self.idle.extend(used_since);
        unloaded
    }
}

/// The access decision for a loaded document (see [`access::decide_for`]); a store that fails
/// to answer allows nothing.
fn permits(store: &dyn RelayStore, doc: &Document, user: &UserId) -> Access {
    match access::decide_for(store, &doc.key, &doc.owner, user) {
        Ok(access) => access,
        Err(e) => {
            tracing::error!(error = %e, "deciding access to a document failed");
            Access::None
        }
    }
}

/// Deletes folded chunks once the snapshot that holds them is durable.
fn delete_later(ctx: &ShardContext, deletions: Deletions) {
    if deletions.keys.is_empty() {
        return;
    }
    let commit = Arc::clone(&ctx.commit);
    let slot = ctx.slot.clone();
    tokio::spawn(async move {
        commit.wait(deletions.after).await;
        let Ok(store) = slot.get() else { return };
        for key in deletions.keys {
            // A chunk left behind loads harmlessly and is folded again next time.
            if let Err(e) = store.delete_chunk(&key) {
                tracing::warn!(error = %e, key, "deleting a folded chunk failed");
            }
        }
    });
}
