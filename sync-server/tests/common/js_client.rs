//! A real JS automerge-repo device as a child process: `node tests/js/client.mjs`, driven by
//! one JSON request per line (see the top of that file). Its npm packages are installed by
//! `npm ci --prefix sync-server/tests/js` (scripts/test.sh does it before `cargo test`); a
//! missing install is a test failure, never a skip.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The JS test client's folder.
pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

pub struct JsDevice {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
    next: u64,
    pub peer_id: String,
}

impl JsDevice {
    /// Starts a JS device of `user` against the relay at `base` and waits until the relay is
    /// its connected peer.
    pub async fn connect(base: &str, token: &str, user: &str) -> JsDevice {
        let dir = js_dir();
        assert!(
            dir.join("node_modules/@automerge/automerge-repo/package.json")
                .exists(),
            "the JS test client's packages are not installed: run `npm ci --prefix {}` \
             (scripts/test.sh does this before cargo test)",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg(dir.join("client.mjs"))
            .current_dir(&dir)
            .env("LARDER_BASE", base)
            .env("LARDER_TOKEN", token)
            .env("LARDER_USER", user)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node (scripts/lib.sh's ensure_node installs it)");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut device = JsDevice {
            child,
            stdin,
            stdout,
            stderr,
            next: 0,
            peer_id: String::new(),
        };
        let hello = device.call(json!({"op": "hello"})).await;
        device.peer_id = hello["peerId"].as_str().expect("peer id").to_owned();
        device
    }

    fn context(&self) -> String {
        format!(
            "JS device {}; its stderr:\n{}",
            self.peer_id,
            self.stderr.lock().unwrap()
        )
    }

    /// Sends one request and returns its reply; `{error}` replies are returned as they are.
    pub async fn try_call(&mut self, mut req: Value) -> Value {
        self.next += 1;
        let id = self.next;
        req["id"] = json!(id);
        let line = format!("{req}\n");
        if let Err(e) = self.stdin.write_all(line.as_bytes()).await {
            panic!("writing to the JS device: {e}; {}", self.context());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let next = tokio::time::timeout_at(deadline, self.stdout.next_line()).await;
            let line = match next {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) | Ok(Err(_)) => {
                    panic!("the JS device exited during {req}; {}", self.context())
                }
                Err(_) => panic!("no reply from the JS device to {req}; {}", self.context()),
            };
            let reply: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("JS device printed {line:?} ({e}); {}", self.context()));
            if let Some(fatal) = reply.get("fatal") {
                panic!("the JS device failed: {fatal}; {}", self.context());
            }
            if reply["id"] == json!(id) {
                return reply;
            }
        }
    }

    /// [`Self::try_call`], failing the test on an `{error}` reply.
    pub async fn call(&mut self, req: Value) -> Value {
        let reply = self.try_call(req.clone()).await;
        if let Some(e) = reply.get("error") {
            panic!("the JS device failed {req}: {e}; {}", self.context());
        }
        reply
    }

    /// Creates a document `{title}`; returns its id and sorted hex heads.
    pub async fn create(&mut self, title: &str) -> (String, Vec<String>) {
        let r = self.call(json!({"op": "create", "title": title})).await;
        (r["doc"].as_str().unwrap().to_owned(), heads_of(&r))
    }

    /// Sets `key` to `value` at the document's root; returns the new heads.
    pub async fn edit(&mut self, doc: &str, key: &str, value: &str) -> Vec<String> {
        let r = self
            .call(json!({"op": "edit", "doc": doc, "key": key, "value": value}))
            .await;
        heads_of(&r)
    }

    /// `repo.find(doc)`: `{found: true, heads, content}` or `{found: false, state, reason}`.
    pub async fn find(&mut self, doc: &str) -> Value {
        self.call(json!({"op": "find", "doc": doc})).await
    }

    /// The document's heads and content (JSON).
    pub async fn get(&mut self, doc: &str) -> Value {
        self.call(json!({"op": "get", "doc": doc})).await
    }

    /// Waits until the document has exactly `heads`; returns `{heads, content}`.
    pub async fn wait_heads(&mut self, doc: &str, heads: &[String]) -> Value {
        self.call(json!({"op": "wait_heads", "doc": doc, "heads": heads, "ms": 15000}))
            .await
    }

    pub async fn offline(&mut self) {
        self.call(json!({"op": "offline"})).await;
    }

    pub async fn online(&mut self) {
        self.call(json!({"op": "online"})).await;
    }

    /// Every message the relay sent this device about `doc`: `{type, documentId, changes?,
    /// heads?}` (for sync data: how many changes and heads it carried).
    pub async fn inbound(&mut self, doc: &str) -> Vec<Value> {
        let r = self.call(json!({"op": "inbound", "doc": doc})).await;
        r["messages"].as_array().unwrap().clone()
    }

    /// How many times the relay has become this device's peer (reconnections count).
    pub async fn connections(&mut self) -> u64 {
        let r = self.call(json!({"op": "status"})).await;
        r["connections"].as_u64().unwrap()
    }

    pub async fn quit(mut self) {
        let _ = self.try_call(json!({"op": "quit"})).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// The sorted `heads` of a reply.
pub fn heads_of(reply: &Value) -> Vec<String> {
    let mut h: Vec<String> = reply["heads"]
        .as_array()
        .unwrap_or_else(|| panic!("no heads in {reply}"))
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    h.sort();
    h
}
