//! A seeded simulation of devices syncing through the relay, with the network and the relay
//! failing under them. Each seed draws: one or two users; 2–5 devices, mixing real samod
//! repos (tests/common/switched.rs) and raw protocol peers (tests/common/raw_device.rs); one to
//! three shared documents per user; then a random run of edits (online or offline), devices
//! going offline and online, raw peers dropping their connection, waits for the relay to take
//! a device's changes, raw peers asking for another user's document, raw peers uploading or
//! fetching a document in bulk beside live sync (`/api/v1/docs/*`, whose answers count as
//! acknowledgements; a bulk fetch of another user's document must answer nothing), and relay
//! restarts.
//!
//! What every seed must end with:
//! - identical heads, per document, on every device of its owner and in the relay's change
//!   feed, and each user's feed listing exactly their documents;
//! - every change the relay acknowledged — a head of any sync message it sent (raw peers see
//!   them, samod reports them as the peer's heads) or of its feed — still served by the relay
//!   after every restart (checked by a fresh device before the others reconnect) and after a
//!   final restart;
//! - nothing of another user's document reaching a raw peer that asked for it.
//!
//! Relay restarts: one seed in [`KILL_EVERY`] runs the relay as a child process (the built
//! `larder-server`, as tests/crash.rs does) and restarts it with SIGKILL, mid-stream, keeping
//! its data directory; the other seeds run it in this process (tests/common `TestServer`) and
//! restart it gracefully on the same directory. Spawning the binary costs far more than an
//! in-process restart, so doing it in a fraction of the seeds keeps the CI run (200 seeds,
//! three at a time) near 25 s on an idle two-core machine (debug build) while still crashing
//! the relay in 25 of them; the full run (`LARDER_SIM_SEEDS=1000`, 4.4 min with a CI run
//! beside it) crashes it in 125.
//!
//! Seeds 0..`LARDER_SIM_SEEDS` (default 200) run a few at a time; `LARDER_SIM_SEED=n` runs only
//! seed n. The operations a seed draws are fixed by its number; the interleaving of the
//! devices' traffic is not (real sockets and tasks). A failing seed prints its number, how to
//! re-run it, and the operations it ran. Every wait is on a condition, with a deadline.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ROOT, ReadDoc};
use common::raw_device::{Acked, RawDevice, ack};
use common::raw_peer::fetch;
use common::relay_proc::RelayProcess;
use common::scene::PW;
use common::switched::{RelayAddr, SwitchedDevice};
use common::{SignedIn, TestServer, config};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use samod::DocHandle;

/// Seeds with `seed.is_multiple_of(KILL_EVERY)` run the relay as a child process and SIGKILL it.
const KILL_EVERY: u64 = 8;
/// Seeds run at once (they are mostly waiting on sockets and disk flushes).
const CONCURRENT: usize = 3;
/// A seed that takes longer than this fails.
const SEED_LIMIT: Duration = Duration::from_secs(120);
const OPS: usize = 16;

type Trace = Arc<Mutex<Vec<String>>>;

enum Relay {
    InProcess(TestServer),
    Process(RelayProcess),
}

impl Relay {
    fn base(&self) -> String {
        match self {
            Relay::InProcess(s) => s.base(),
            Relay::Process(p) => p.base.clone(),
        }
    }
}

enum Kind {
    Samod {
        device: SwitchedDevice,
        docs: HashMap<String, DocHandle>,
        watchers: Vec<tokio::task::JoinHandle<()>>,
    },
    Raw(RawDevice),
}

struct Dev {
    name: String,
    user: usize,
    kind: Kind,
}

fn put(doc: &mut Automerge, key: &str, value: &str) {
    doc.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, key, value)?;
        Ok(())
    })
    .unwrap();
}

fn sorted(heads: Vec<automerge::ChangeHash>) -> Vec<String> {
    let mut h: Vec<String> = heads.iter().map(ToString::to_string).collect();
    h.sort();
    h
}

impl Dev {
    fn is_online(&self) -> bool {
        match &self.kind {
            Kind::Samod { device, .. } => device.is_online(),
            Kind::Raw(r) => r.is_online(),
        }
    }

    async fn offline(&self) {
        match &self.kind {
            Kind::Samod { device, .. } => device.offline().await,
            Kind::Raw(r) => r.offline().await,
        }
    }

    fn go_online(&self) {
        match &self.kind {
            Kind::Samod { device, .. } => device.go_online(),
            Kind::Raw(r) => r.go_online(),
        }
    }

    async fn wait_connected(&self) {
        match &self.kind {
            Kind::Samod { device, .. } => device.wait_connected(true).await,
            Kind::Raw(r) => r.wait_connected(true).await,
        }
    }

    fn edit(&self, doc: &str, key: &str, value: &str) {
        match &self.kind {
            Kind::Samod { docs, .. } => docs[doc].with_document(|d| put(d, key, value)),
            Kind::Raw(r) => r.edit(doc, |d| put(d, key, value)),
        }
    }

    fn heads(&self, doc: &str) -> Vec<String> {
        match &self.kind {
            Kind::Samod { docs, .. } => sorted(docs[doc].with_document(|d| d.get_heads())),
            Kind::Raw(r) => r.heads(doc),
        }
    }

    /// Waits until the relay has this device's changes of `doc` (connected first).
    async fn settle(&self, doc: &str) {
        self.wait_connected().await;
        match &self.kind {
            Kind::Samod { device, docs, .. } => device.pushed(&docs[doc]).await,
            Kind::Raw(r) => r.wait_in_sync(doc).await,
        }
    }

    /// Starts holding a document another device created, and waits until it has it.
    async fn obtain(&mut self, doc: &str, acked: &Acked) {
        match &mut self.kind {
            Kind::Samod {
                device,
                docs,
                watchers,
            } => {
                let handle = device
                    .find(doc)
                    .await
                    .expect("the relay serves the document");
                watchers.push(watch_acks(&handle, acked, &self.name));
                docs.insert(doc.to_owned(), handle);
            }
            Kind::Raw(r) => {
                r.want(doc);
                r.wait_in_sync(doc).await;
            }
        }
    }

    async fn stop(self) {
        match self.kind {
            Kind::Samod {
                device, watchers, ..
            } => {
                for w in watchers {
                    w.abort();
                }
                device.stop().await;
            }
            Kind::Raw(r) => r.stop(),
        }
    }
}

/// Records the heads the relay reports to a samod document as acknowledged.
fn watch_acks(handle: &DocHandle, acked: &Acked, name: &str) -> tokio::task::JoinHandle<()> {
    let (now, mut changes) = handle.peers();
    let by = format!("the relay's heads as samod reports them to {name}");
    let acked = Arc::clone(acked);
    let doc = handle.document_id().to_string();
    tokio::spawn(async move {
        let record = |states: &HashMap<_, samod::PeerDocState>| {
            for state in states.values() {
                if let Some(heads) = &state.their_heads {
                    ack(&acked, &doc, heads.iter().copied(), &by);
                }
            }
        };
        record(&now);
        while let Some(states) = changes.next().await {
            record(&states);
        }
    })
}

struct World {
    rng: StdRng,
    tmp: tempfile::TempDir,
    clock: larder_sync_server::clock::ManualClock,
    relay: Option<Relay>,
    addr: RelayAddr,
    http: reqwest::Client,
    users: Vec<SignedIn>,
    devices: Vec<Dev>,
    /// (owner, document id)
    docs: Vec<(usize, String)>,
    acked: Acked,
    trace: Trace,
    restarts: usize,
    stats: Stats,
}

/// What the seeds did, summed (printed, so a run that tests nothing shows it).
#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    edits: usize,
    offline_edits: usize,
    restarts: usize,
    kills: usize,
    acknowledged: usize,
    bulk_uploads: usize,
    bulk_fetches: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.edits += o.edits;
        self.offline_edits += o.offline_edits;
        self.restarts += o.restarts;
        self.kills += o.kills;
        self.acknowledged += o.acknowledged;
        self.bulk_uploads += o.bulk_uploads;
        self.bulk_fetches += o.bulk_fetches;
    }
}

impl World {
    fn log(&self, line: String) {
        self.trace.lock().unwrap().push(line);
    }

    async fn build(seed: u64, trace: Trace) -> World {
        let mut rng = StdRng::seed_from_u64(seed);
        let kills = seed.is_multiple_of(KILL_EVERY);
        let tmp = tempfile::tempdir().unwrap();
        let server = TestServer::start(config(tmp.path())).await;
        let clock = server.clock.clone();
        let n_users = rng.random_range(1..=2);
        let mut users = Vec::new();
        for u in 0..n_users {
            users.push(server.signed_in(&format!("user{u}"), PW).await);
        }
        let relay = if kills {
            server.stop().await;
            Relay::Process(RelayProcess::start(tmp.path()).await)
        } else {
            Relay::InProcess(server)
        };
        let addr = RelayAddr::new(Some(relay.base()));
        let acked: Acked = Arc::default();
        let n_devices = rng.random_range(2..=5).max(n_users + 1);
        let mut devices = Vec::new();
        for d in 0..n_devices {
            // The first user always has two devices (a samod repo and a raw peer); every user
            // has at least one.
            let user = match d {
                0 | 1 => 0,
                2 => n_users - 1,
                _ => rng.random_range(0..n_users),
            };
            let samod = match d {
                0 => true,
                1 => false,
                _ => rng.random_bool(0.5),
            };
            let u = &users[user];
            let kind = if samod {
                Kind::Samod {
                    device: SwitchedDevice::start(&addr, &u.token, &u.id).await,
                    docs: HashMap::new(),
                    watchers: Vec::new(),
                }
            } else {
                let raw = RawDevice::start(&addr, &u.token, &u.id, Arc::clone(&acked));
                raw.wait_connected(true).await;
                Kind::Raw(raw)
            };
            let name = format!("{}{d}/user{user}", if samod { "samod" } else { "raw" });
            devices.push(Dev { name, user, kind });
        }
        let mut world = World {
            rng,
            tmp,
            clock,
            relay: Some(relay),
            addr,
            http: reqwest::Client::new(),
            users,
            devices,
            docs: Vec::new(),
            acked,
            trace,
            restarts: 0,
            stats: Stats::default(),
        };
        world.log(format!(
            "seed {seed}: {} users, devices {:?}, relay {}",
            n_users,
            world
                .devices
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
            if kills {
                "child process (SIGKILL)"
            } else {
                "in process"
            }
        ));
        world.create_documents().await;
        world
    }

    fn devices_of(&self, user: usize) -> Vec<usize> {
        (0..self.devices.len())
            .filter(|&d| self.devices[d].user == user)
            .collect()
    }

    /// One to three documents per user, each made on one of the user's devices, stored by the
    /// relay, then obtained by the user's other devices.
    async fn create_documents(&mut self) {
        for user in 0..self.users.len() {
            for n in 0..self.rng.random_range(1..=3) {
                let mine = self.devices_of(user);
                let maker = mine[self.rng.random_range(0..mine.len())];
                let title = format!("doc{n} of user{user}");
                let name = self.devices[maker].name.clone();
                let id = match &mut self.devices[maker].kind {
                    Kind::Samod {
                        device,
                        docs,
                        watchers,
                    } => {
                        let mut doc = Automerge::new();
                        put(&mut doc, "title", &title);
                        let handle = device.repo.create(doc).await.unwrap();
                        device.pushed(&handle).await;
                        watchers.push(watch_acks(&handle, &self.acked, &name));
                        let id = handle.document_id().to_string();
                        docs.insert(id.clone(), handle);
                        id
                    }
                    Kind::Raw(r) => {
                        let id = r.create(|d| put(d, "title", &title));
                        r.wait_in_sync(&id).await;
                        id
                    }
                };
                self.log(format!("{} creates {id}", self.devices[maker].name));
                for d in mine.into_iter().filter(|&d| d != maker) {
                    self.devices[d].obtain(&id, &self.acked).await;
                }
                for dev in &self.devices {
                    if let (Kind::Raw(r), true) = (&dev.kind, dev.user != user) {
                        r.forbid(&id);
                    }
                }
                self.docs.push((user, id));
            }
        }
    }

    async fn step(&mut self, i: usize) {
        let d = self.rng.random_range(0..self.devices.len());
        let user = self.devices[d].user;
        let own: Vec<String> = self
            .docs
            .iter()
            .filter(|(u, _)| *u == user)
            .map(|(_, id)| id.clone())
            .collect();
        let doc = own[self.rng.random_range(0..own.len())].clone();
        let name = self.devices[d].name.clone();
        match self.rng.random_range(0..100) {
            0..50 => {
                // A key of the device's own, or the title every device writes (a conflict).
                let key = if self.rng.random_bool(0.3) {
                    "title".to_owned()
                } else {
                    format!("k{}", self.rng.random_range(0..4))
                };
                let value = format!("{name} step {i}");
                let online = self.devices[d].is_online();
                self.log(format!("{name} sets {key} of {doc} (online: {online})"));
                self.stats.edits += 1;
                if !online {
                    self.stats.offline_edits += 1;
                }
                self.devices[d].edit(&doc, &key, &value);
            }
            50..68 => {
                if self.devices[d].is_online() {
                    self.log(format!("{name} goes offline"));
                    self.devices[d].offline().await;
                } else {
                    self.log(format!("{name} comes online"));
                    self.devices[d].go_online();
                }
            }
            68..82 => {
                if self.devices[d].is_online() && self.relay.is_some() {
                    self.log(format!("{name} waits until the relay has its {doc}"));
                    self.devices[d].settle(&doc).await;
                }
            }
            82..88 => {
                if let Kind::Raw(r) = &self.devices[d].kind {
                    self.log(format!("{name} drops its connection"));
                    r.reconnect();
                }
            }
            88..91 => {
                let foreign: Vec<&(usize, String)> =
                    self.docs.iter().filter(|(u, _)| *u != user).collect();
                if let (Kind::Raw(r), false) = (&self.devices[d].kind, foreign.is_empty()) {
                    let (_, id) = foreign[self.rng.random_range(0..foreign.len())];
                    self.log(format!("{name} asks for another user's {id}"));
                    r.snoop(id);
                }
            }
            91..96 => {
                let upload = self.rng.random_bool(0.5);
                let foreign: Vec<String> = self
                    .docs
                    .iter()
                    .filter(|(u, _)| *u != user)
                    .map(|(_, id)| id.clone())
                    .collect();
                let snoop = (!foreign.is_empty() && self.rng.random_bool(0.25))
                    .then(|| foreign[self.rng.random_range(0..foreign.len())].clone());
                if let (Kind::Raw(_), true, Some(_)) = (
                    &self.devices[d].kind,
                    self.devices[d].is_online(),
                    &self.relay,
                ) {
                    self.bulk(d, &doc, upload, snoop).await;
                }
            }
            _ => {
                if self.restarts < 2 {
                    self.restart().await;
                }
            }
        }
    }

    /// Bulk transfer beside live sync, by raw device `d` (online, relay up): an upload of its
    /// copy of `doc` (the relay's answer acknowledges what it stored, which must hold every
    /// change uploaded), or a fetch of the relay's copy merged into its own; with `snoop`, also
    /// a bulk fetch of another user's document, which must answer nothing of it.
    async fn bulk(&mut self, d: usize, doc: &str, upload: bool, snoop: Option<String>) {
        use larder_core::bulk_wire::{self, Frame, Limits};
        let Kind::Raw(r) = &self.devices[d].kind else {
            return;
        };
        let name = self.devices[d].name.clone();
        let token = self.users[self.devices[d].user].token.clone();
        let base = self.relay.as_ref().expect("relay up").base();
        let limits = Limits {
            max_document_bytes: 64 << 20,
            max_frames: 2,
        };
        let fetch_one = |id: String| {
            let http = self.http.clone();
            let (base, token) = (base.clone(), token.clone());
            async move {
                let res = http
                    .post(format!("{base}/api/v1/docs/fetch"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "docs": [id] }))
                    .send()
                    .await
                    .expect("bulk fetch");
                assert_eq!(res.status(), 200, "bulk fetch");
                let mut frames = bulk_wire::decode_all(&res.bytes().await.unwrap(), limits)
                    .expect("well-formed frames");
                assert_eq!(frames.len(), 1);
                frames.remove(0)
            }
        };
        if let Some(foreign) = snoop {
            self.log(format!("{name} bulk-fetches another user's {foreign}"));
            assert_eq!(
                fetch_one(foreign.clone()).await,
                Frame::Unavailable { id: foreign },
                "a bulk fetch answered another user's document"
            );
        }
        let Some(mine) = r.document(doc) else {
            return;
        };
        if upload {
            self.log(format!("{name} uploads its {doc} in bulk"));
            self.stats.bulk_uploads += 1;
            let mut body = Vec::new();
            bulk_wire::encode_document(&mut body, doc, &mine.save());
            let res = self
                .http
                .post(format!("{base}/api/v1/docs/upload"))
                .bearer_auth(&token)
                .header("content-type", bulk_wire::MEDIA_TYPE)
                .body(body)
                .send()
                .await
                .expect("bulk upload");
            assert_eq!(res.status(), 200, "bulk upload");
            let answer: serde_json::Value = res.json().await.unwrap();
            let heads: Vec<automerge::ChangeHash> =
                serde_json::from_value::<Vec<String>>(answer["stored"][0]["heads"].clone())
                    .expect("stored with heads")
                    .iter()
                    .map(|h| h.parse().unwrap())
                    .collect();
            ack(&self.acked, doc, heads, "a bulk upload's answer");
            let Frame::Document { bytes, .. } = fetch_one(doc.to_owned()).await else {
                panic!("{doc} unavailable right after its upload");
            };
            let served = Automerge::load(&bytes).expect("served bytes load");
            for change in mine.get_changes(&[]) {
                assert!(
                    served.get_change_by_hash(&change.hash()).is_some(),
                    "an uploaded change of {doc} is not on the relay"
                );
            }
        } else {
            self.log(format!("{name} fetches {doc} in bulk and merges it"));
            self.stats.bulk_fetches += 1;
            match fetch_one(doc.to_owned()).await {
                Frame::Document { bytes, .. } => {
                    r.edit(doc, |held| {
                        held.load_incremental(&bytes).expect("served bytes load");
                    });
                }
                // Not on the relay yet (only ever edited offline): nothing to merge.
                Frame::Unavailable { .. } => {}
            }
        }
    }

    /// Records what the feed shows as acknowledged.
    async fn ack_feed(&self) {
        let relay = self.relay.as_ref().expect("relay up");
        for user in &self.users {
            for (doc, heads) in feeds_of(&self.http, &relay.base(), &user.token).await {
                ack(
                    &self.acked,
                    &doc,
                    heads.iter().map(|h| h.parse().unwrap()),
                    "the feed (read before the restart)",
                );
            }
        }
    }

    /// Takes the relay down (SIGKILL, or a graceful stop), starts it again on the same data
    /// directory, checks that it still serves every acknowledged change, then lets the devices
    /// back in.
    async fn restart(&mut self) {
        self.restarts += 1;
        self.stats.restarts += 1;
        self.ack_feed().await;
        self.addr.set(None);
        let relay = self.relay.take().expect("relay up");
        let relay = match relay {
            Relay::Process(p) => {
                self.log("relay: SIGKILL".into());
                self.stats.kills += 1;
                p.kill();
                Relay::Process(RelayProcess::start(self.tmp.path()).await)
            }
            Relay::InProcess(s) => {
                self.log("relay: stop, start".into());
                let _no_fork = common::relay_proc::SPAWN_LOCK.read().await;
                s.stop().await;
                Relay::InProcess(
                    TestServer::start_with_clock(config(self.tmp.path()), self.clock.clone()).await,
                )
            }
        };
        self.relay = Some(relay);
        self.check_acknowledged("after a restart").await;
        self.addr.set(self.relay.as_ref().map(Relay::base));
    }

    /// A fresh device of each owner fetches each document: every acknowledged change is there.
    async fn check_acknowledged(&self, when: &str) {
        let base = self.relay.as_ref().expect("relay up").base();
        for (user, doc) in &self.docs {
            let u = &self.users[*user];
            let (served, _) = fetch(&self.http, &base, &u.token, &u.id, doc).await;
            let served = served.unwrap_or_else(|| panic!("{when}: the relay lost {doc}"));
            let acked = self
                .acked
                .lock()
                .unwrap()
                .get(doc)
                .cloned()
                .unwrap_or_default();
            let lost: Vec<_> = acked
                .iter()
                .filter(|(h, _)| served.get_change_by_hash(h).is_none())
                .map(|(h, by)| format!("{h} (acknowledged in {by})"))
                .collect();
            assert!(
                lost.is_empty(),
                "{when}: acknowledged changes of {doc} lost: {lost:#?} ({} acknowledged; the \
                 relay serves {:?})",
                acked.len(),
                sorted(served.get_heads())
            );
        }
    }

    /// Everyone online; waits until every device and the feed agree on every document.
    async fn converge(&self, when: &str) -> BTreeMap<String, Vec<String>> {
        for dev in &self.devices {
            dev.go_online();
        }
        for dev in &self.devices {
            dev.wait_connected().await;
        }
        let base = self.relay.as_ref().expect("relay up").base();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut feeds = BTreeMap::new();
            for user in &self.users {
                feeds.extend(feeds_of(&self.http, &base, &user.token).await);
            }
            let mut differ = Vec::new();
            for (user, doc) in &self.docs {
                let want = feeds.get(doc);
                for d in self.devices_of(*user) {
                    let got = self.devices[d].heads(doc);
                    if want != Some(&got) {
                        differ.push(format!(
                            "{doc}: {} has {got:?}, the feed {want:?}",
                            self.devices[d].name
                        ));
                    }
                }
            }
            if differ.is_empty() {
                return feeds;
            }
            assert!(
                Instant::now() < deadline,
                "{when}: no convergence in 30 s: {differ:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn finish(mut self) -> Stats {
        let feeds = self.converge("at the end").await;
        for (u, user) in self.users.iter().enumerate() {
            let listed: BTreeSet<String> = feeds_of(
                &self.http,
                &self.relay.as_ref().unwrap().base(),
                &user.token,
            )
            .await
            .into_keys()
            .collect();
            let theirs: BTreeSet<String> = self
                .docs
                .iter()
                .filter(|(o, _)| *o == u)
                .map(|(_, id)| id.clone())
                .collect();
            assert_eq!(
                listed, theirs,
                "user{u}'s feed lists exactly their documents"
            );
        }
        for dev in &self.devices {
            if let Kind::Raw(r) = &dev.kind {
                let v = r.violations();
                assert!(v.is_empty(), "{}: {v:#?}", dev.name);
            }
        }
        // The converged state is acknowledged (it is in the feed): it survives a last restart.
        self.restarts = 0;
        self.restart().await;
        let base = self.relay.as_ref().unwrap().base();
        for (user, doc) in &self.docs {
            let u = &self.users[*user];
            let (served, _) = fetch(&self.http, &base, &u.token, &u.id, doc).await;
            let served = sorted(served.expect("served").get_heads());
            assert_eq!(
                Some(&served),
                feeds.get(doc),
                "{doc} after the last restart"
            );
        }
        self.stats.acknowledged = self.acked.lock().unwrap().values().map(HashMap::len).sum();
        for dev in self.devices {
            dev.stop().await;
        }
        match self.relay.take() {
            Some(Relay::InProcess(s)) => s.stop().await,
            Some(Relay::Process(p)) => p.kill(),
            None => {}
        }
        self.stats
    }
}

async fn feeds_of(
    http: &reqwest::Client,
    base: &str,
    token: &str,
) -> BTreeMap<String, Vec<String>> {
    let res = http
        .get(format!("{base}/api/v1/changes?since=0"))
        .bearer_auth(token)
        .send()
        .await
        .expect("feed request");
    assert_eq!(res.status(), 200, "feed");
    let page: serde_json::Value = res.json().await.expect("feed json");
    page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|e| {
            let mut h: Vec<String> = e["heads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_owned())
                .collect();
            h.sort();
            (e["doc_id"].as_str().unwrap().to_owned(), h)
        })
        .collect()
}

async fn run_seed(seed: u64, trace: Trace) -> Stats {
    let mut world = World::build(seed, trace).await;
    for i in 0..OPS {
        world.step(i).await;
    }
    world.finish().await
}

fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".into())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_devices_and_relay_restarts_converge_without_losing_acknowledged_edits() {
    let seeds: Vec<u64> = match env_u64("LARDER_SIM_SEED") {
        Some(one) => vec![one],
        None => (0..env_u64("LARDER_SIM_SEEDS").unwrap_or(200)).collect(),
    };
    let started = Instant::now();
    let count = seeds.len();
    let killing = seeds
        .iter()
        .filter(|s| s.is_multiple_of(KILL_EVERY))
        .count();
    let total = Arc::new(Mutex::new(Stats::default()));
    let slowest = Arc::new(Mutex::new((Duration::ZERO, 0u64)));
    let failures: Vec<(u64, String, Vec<String>)> = futures::stream::iter(seeds)
        .map(|seed| {
            let total = Arc::clone(&total);
            let slowest = Arc::clone(&slowest);
            async move {
                let trace: Trace = Arc::default();
                let began = Instant::now();
                let task = tokio::spawn(run_seed(seed, Arc::clone(&trace)));
                let abort = task.abort_handle();
                let outcome = match tokio::time::timeout(SEED_LIMIT, task).await {
                    Ok(Ok(stats)) => {
                        *total.lock().unwrap() += stats;
                        let took = began.elapsed();
                        let mut slow = slowest.lock().unwrap();
                        if took > slow.0 {
                            *slow = (took, seed);
                        }
                        None
                    }
                    Ok(Err(e)) if e.is_panic() => Some(panic_text(e.into_panic())),
                    Ok(Err(e)) => Some(format!("the seed's task ended: {e}")),
                    Err(_) => {
                        abort.abort();
                        Some(format!("it took longer than {SEED_LIMIT:?}"))
                    }
                };
                outcome.map(|why| (seed, why, trace.lock().unwrap().clone()))
            }
        })
        .buffer_unordered(CONCURRENT)
        .filter_map(futures::future::ready)
        .collect()
        .await;
    let (slow, slow_seed) = *slowest.lock().unwrap();
    let done = *total.lock().unwrap();
    println!(
        "simulation: {count} seeds in {:.1} s ({killing} with SIGKILL of a relay process); \
         passing seeds did {done:?}; the slowest took {:.1} s (seed {slow_seed})",
        started.elapsed().as_secs_f64(),
        slow.as_secs_f64(),
    );
    if !failures.is_empty() {
        let mut report = String::new();
        for (seed, why, trace) in &failures {
            report.push_str(&format!(
                "\nseed {seed} failed: {why}\n  re-run just it: LARDER_SIM_SEED={seed} \
                 cargo test -p larder-sync-server --test simulation -- --nocapture\n  \
                 its operations:\n    {}\n",
                trace.join("\n    ")
            ));
        }
        panic!("{} of {count} seeds failed:{report}", failures.len());
    }
}
