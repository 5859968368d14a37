//! A reader that closes standard output early (`larder search "" | head -1`) ends the command
//! quietly: no panic, no backtrace, exit 0 (or death by SIGPIPE, the other convention).
//!
//! Each command here prints far more than a pipe holds (64 KiB on Linux), and the test reads
//! only the first line before closing its end, so the CLI is certain to write into a closed
//! pipe: the tests cannot pass by the output fitting into the pipe's buffer.

mod larder_process;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use larder_process::ok;

/// More than twice what can be written before the close: the pipe's 64 KiB plus the 8 KiB the
/// test's reader takes in.
const MIN_OUTPUT: usize = 160 * 1024;

/// Runs `larder args`, reads one line of its output, closes the pipe and waits for it.
fn read_one_line_then_close(data: &Path, args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_larder"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("LARDER_DATA")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn larder");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("read a line");
    assert!(!first.trim().is_empty(), "larder {args:?} printed nothing");
    drop(reader); // closes the read end: every later write by larder fails
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("Broken pipe")
            && !stderr.contains("error"),
        "larder {args:?} complained about the closed pipe: {stderr}"
    );
    assert!(
        out.status.code() == Some(0) || out.status.signal() == Some(13),
        "larder {args:?} ended with {:?}",
        out.status
    );
}

/// Output bigger than a pipe, as a first check that the test means something.
fn assert_big(data: &Path, args: &[&str]) {
    let size = ok(data, args).len();
    assert!(
        size > MIN_OUTPUT,
        "larder {args:?} printed only {size} bytes"
    );
}

#[test]
fn search_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    // 300 recipes with long titles and many tags: about 2 KB a line in `search`.
    let tags: Vec<String> = (0..40)
        .map(|t| format!("tag-{t:02}-{}", "x".repeat(38)))
        .collect();
    let recipes: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            serde_json::json!({
                "@context": "https://schema.org",
                "@type": "Recipe",
                "name": format!("Recipe {i:03} {}", "long title ".repeat(16)),
                "keywords": tags.join(", "),
                "recipeIngredient": ["1 cup flour"],
                "recipeInstructions": [{"@type": "HowToStep", "text": "Mix."}],
            })
        })
        .collect();
    let file = data.join("many.json");
    std::fs::write(&file, serde_json::to_vec(&recipes).expect("json")).expect("write");
    let ids = ok(data, &["import", file.to_str().expect("path")]);
    assert_eq!(ids.lines().count(), 300);

    assert_big(data, &["search", "", "--limit", "1000"]);
    read_one_line_then_close(data, &["search", "", "--limit", "1000"]);
    read_one_line_then_close(data, &["search", "", "--limit", "1000", "--json"]);
}

#[test]
fn show_and_export_into_a_closed_pipe_exit_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let notes = "A long note. ".repeat(7_000);
    let step = "Stir slowly and keep stirring. ".repeat(10);
    let ingredient = format!("2 cups {}", "very finely chopped onion ".repeat(7));
    let mut args = vec!["add", "--title", "Long stew", "--notes", &notes];
    for _ in 0..300 {
        args.extend(["--step", &step, "--ingredient", &ingredient]);
    }
    let id = ok(data, &args).trim().to_string();

    for command in [
        vec!["show", id.as_str(), "--json"],
        vec!["show", id.as_str()],
        vec!["export", id.as_str()],
    ] {
        assert_big(data, &command);
        read_one_line_then_close(data, &command);
    }
}
