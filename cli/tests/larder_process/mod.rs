//! The `larder` binary run as a blocking process against a profile directory, for the tests
//! that need no relay (those that do use `common`, which runs it on tokio beside a relay).
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

pub fn larder(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_larder"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("LARDER_DATA")
        .output()
        .expect("run larder")
}

/// Runs `larder args`, which must succeed; its standard output.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let out = larder(data, args);
    assert!(
        out.status.success(),
        "larder {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

pub fn json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args)).expect("json output")
}
