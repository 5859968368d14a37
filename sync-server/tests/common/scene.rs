//! A relay with two users and something to protect, for tests that throw bad traffic at it:
//! alice owns a "victim" document (created and pushed by her samod device) and a "pulse"
//! document her device edits to show the relay still serves; bob owns one document of his
//! own (so each user has a document the other must not reach). [`Scene::unchanged`] and [`Scene::alive`] are the checks every hostile input is
//! followed by; [`Scene::finish`] restarts the relay and checks the stored feed once more.
//!
//! Checks go through the wire only: the change feed (`GET /api/v1/changes`) and a fresh raw
//! device fetching the victim document ([`super::raw_peer::fetch`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use samod::DocHandle;

use super::docs::{create, heads, set};
use super::raw_peer::fetch;
use super::sync_client::Device;
use super::{SignedIn, TestServer, config};

pub const PW: &str = "correct horse";

/// A user's feed as document id → sorted heads.
pub type Feed = BTreeMap<String, Vec<String>>;

pub struct Scene {
    pub server: TestServer,
    pub http: reqwest::Client,
    pub alice: SignedIn,
    pub bob: SignedIn,
    pub device: Device,
    pub victim: DocHandle,
    pub victim_id: String,
    pub pulse: DocHandle,
    /// Bob's own document.
    pub bobs_id: String,
    pulses: u64,
    /// Documents whose changes are legitimate (fuzz sandboxes), left out of the comparisons.
    sandboxes: Vec<String>,
    /// The feeds once the victim and the pulse are stored (the pulse's entry left out).
    alice_feed: Feed,
    bob_feed: Feed,
    _tmp: tempfile::TempDir,
}

/// `user`'s whole feed.
pub async fn feed(server: &TestServer, token: &str) -> Feed {
    let page = server.changes(token, 0).await;
    assert_eq!(
        page["more"], false,
        "one page is the whole feed in these tests"
    );
    page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|e| {
            let mut h: Vec<String> = e["heads"]
                .as_array()
                .expect("heads")
                .iter()
                .map(|h| h.as_str().expect("head").to_owned())
                .collect();
            h.sort();
            (e["doc_id"].as_str().expect("doc_id").to_owned(), h)
        })
        .collect()
}

/// Polls `check` (a cheap HTTP read) until it holds, failing after 10 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

impl Scene {
    pub async fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let server = TestServer::start(config(tmp.path())).await;
        let alice = server.signed_in("alice", PW).await;
        let bob = server.signed_in("bob", PW).await;
        let device = Device::connect(&server.base(), &alice.token, &alice.id).await;
        let victim = create(&device, "Grandma's secret").await;
        set(&victim, "method", "slowly, with love");
        device.pushed(&victim).await;
        let pulse = create(&device, "pulse").await;
        device.pushed(&pulse).await;
        let victim_id = victim.document_id().to_string();
        let bobs_device = Device::connect(&server.base(), &bob.token, &bob.id).await;
        let bobs = create(&bobs_device, "bob's own").await;
        bobs_device.pushed(&bobs).await;
        let bobs_id = bobs.document_id().to_string();
        let bobs_heads = heads(&bobs);
        bobs_device.stop().await;
        let mut scene = Scene {
            http: reqwest::Client::new(),
            alice_feed: Feed::new(),
            bob_feed: Feed::new(),
            server,
            alice,
            bob,
            device,
            victim,
            victim_id,
            pulse,
            bobs_id,
            pulses: 0,
            sandboxes: Vec::new(),
            _tmp: tmp,
        };
        let want = heads(&scene.victim);
        let (server, token, id) = (&scene.server, &scene.alice.token, &scene.victim_id);
        eventually("the victim in alice's feed", || async {
            feed(server, token).await.get(id) == Some(&want)
        })
        .await;
        let (token, id) = (&scene.bob.token, &scene.bobs_id);
        eventually("bob's document in his feed", || async {
            feed(server, token).await.get(id) == Some(&bobs_heads)
        })
        .await;
        scene.alive().await;
        scene.alice_feed = scene.feed_without_pulse(&scene.alice.token).await;
        scene.bob_feed = feed(&scene.server, &scene.bob.token).await;
        scene
    }

    pub fn base(&self) -> String {
        self.server.base()
    }

    async fn feed_without_pulse(&self, token: &str) -> Feed {
        let mut f = feed(&self.server, token).await;
        f.remove(&self.pulse.document_id().to_string());
        for id in &self.sandboxes {
            f.remove(id);
        }
        f
    }

    /// A new document of `user`'s (stored before this returns) that hostile traffic may
    /// legitimately change: left out of [`Self::unchanged`] and [`Self::finish`].
    pub async fn sandbox(&mut self, user: &SignedIn) -> String {
        let device = Device::connect(&self.base(), &user.token, &user.id).await;
        let doc = create(&device, "sandbox").await;
        device.pushed(&doc).await;
        let id = doc.document_id().to_string();
        let want = heads(&doc);
        device.stop().await;
        let (server, token) = (&self.server, &user.token);
        eventually("the sandbox in the feed", || async {
            feed(server, token).await.get(&id) == Some(&want)
        })
        .await;
        self.sandboxes.push(id.clone());
        self.alice_feed = self.feed_without_pulse(&self.alice.token).await;
        self.bob_feed = self.feed_without_pulse(&self.bob.token).await;
        id
    }

    /// The relay still serves: alice's device edits the pulse document and the relay stores
    /// it (its feed entry shows the device's heads).
    pub async fn alive(&mut self) {
        self.pulses += 1;
        set(&self.pulse, "beat", &self.pulses.to_string());
        self.device.pushed(&self.pulse).await;
        let want = heads(&self.pulse);
        let id = self.pulse.document_id().to_string();
        let (server, token) = (&self.server, &self.alice.token);
        eventually("the pulse in alice's feed", || async {
            feed(server, token).await.get(&id) == Some(&want)
        })
        .await;
    }

    /// Nothing stored changed: the victim as the relay serves it has its original heads and
    /// content, and both feeds (pulse aside) are as they were.
    pub async fn unchanged(&self, after: &str) {
        let (doc, _) = fetch(
            &self.http,
            &self.base(),
            &self.alice.token,
            &self.alice.id,
            &self.victim_id,
        )
        .await;
        let doc = doc.unwrap_or_else(|| panic!("after {after}: the relay lost the victim"));
        let mut got: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
        got.sort();
        assert_eq!(
            got,
            heads(&self.victim),
            "after {after}: the victim changed"
        );
        assert_eq!(
            self.feed_without_pulse(&self.alice.token).await,
            self.alice_feed,
            "after {after}: alice's feed changed"
        );
        assert_eq!(
            self.feed_without_pulse(&self.bob.token).await,
            self.bob_feed,
            "after {after}: bob's feed changed"
        );
    }

    /// Stops the relay, starts it again on the same data directory and checks the stored
    /// feeds: whatever a stop flushes and a start records from pending marks is as before.
    pub async fn finish(self) {
        let Scene {
            server,
            alice,
            bob,
            device,
            pulse,
            alice_feed,
            bob_feed,
            sandboxes,
            _tmp: tmp,
            ..
        } = self;
        let pulse_heads = heads(&pulse);
        device.stop().await;
        let clock = server.clock.clone();
        server.stop().await;
        let server = TestServer::start_with_clock(config(tmp.path()), clock).await;
        let mut after = feed(&server, &alice.token).await;
        assert_eq!(
            after.remove(&pulse.document_id().to_string()),
            Some(pulse_heads),
            "the pulse after a restart"
        );
        let mut bobs = feed(&server, &bob.token).await;
        for id in &sandboxes {
            after.remove(id);
            bobs.remove(id);
        }
        assert_eq!(after, alice_feed, "alice's stored feed after a restart");
        assert_eq!(bobs, bob_feed, "bob's stored feed after a restart");
        server.stop().await;
    }
}
