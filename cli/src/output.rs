//! How the CLI prints things: `--json` for scripts, aligned text for people.
//!
//! Every byte the CLI sends to standard output goes through [`write_line`] / [`write_bytes`]
//! (the `outln!` macro), never `println!`: `println!` panics when the reader has gone
//! (`larder search "" | head -1`), because Rust ignores SIGPIPE and a write to a closed pipe
//! fails with `BrokenPipe`. Here that failure becomes the error [`StdoutClosed`], which travels
//! up like any other error, so the command stops at once, the profile is still closed cleanly
//! (see `commands::run`), and `main` turns it into a quiet exit 0 (the reader asked for no more;
//! nothing went wrong). Restoring the default SIGPIPE action instead would need `libc` and
//! would kill the process in the middle of a command, before the profile is closed.
//! Only a write to standard output maps to `StdoutClosed`, so a broken pipe elsewhere (a socket
//! to the relay) is still reported as the failure it is.

use std::fmt;
use std::io::{self, Write};

use anyhow::Result;
use larder_core::ingredient::format_line;
use larder_core::model::{GroceryItem, Recipe};
use larder_core::{GroceryListChoice, GroceryLists, RecipeSummary, TagCount};

/// Standard output was closed by its reader: the command stops and the CLI exits quietly.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// `println!` that returns an error instead of panicking (see the module comment).
macro_rules! outln {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Writes one line to standard output.
pub fn write_line(args: fmt::Arguments<'_>) -> Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{args}").map_err(stdout_error)
}

/// Writes raw bytes to standard output and flushes them.
pub fn write_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

fn stdout_error(err: io::Error) -> anyhow::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(err).context("writing to standard output")
    }
}

/// Whether `err` is (or was caused by) standard output being closed.
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<StdoutClosed>())
}

pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?)
}

pub fn summaries(hits: &[RecipeSummary], json: bool) -> Result<()> {
    if json {
        return print_json(hits);
    }
    for hit in hits {
        let tags = if hit.tags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", hit.tags.join(", "))
        };
        let shared = hit.shared.as_ref().map(shared_mark).unwrap_or_default();
        outln!("{}  {}{}{}", hit.id, hit.title, tags, shared)?;
    }
    Ok(())
}

/// "  (shared by alice, read-only)".
fn shared_mark(from: &larder_core::store::SharedFrom) -> String {
    let mode = if from.read_only { ", read-only" } else { "" };
    format!("  (shared by {}{mode})", from.owner_name)
}

pub fn recipe(recipe: &Recipe, json: bool) -> Result<()> {
    if json {
        return print_json(recipe);
    }
    outln!("{}", recipe.title)?;
    outln!("id: {}", recipe.id)?;
    if let Some(from) = &recipe.shared {
        outln!("{}", shared_mark(from).trim())?;
    }
    if !recipe.description.is_empty() {
        outln!("\n{}", recipe.description)?;
    }
    let mut facts = Vec::new();
    if let Some(s) = recipe.servings {
        facts.push(format!("serves {s}"));
    }
    if !recipe.yield_text.is_empty() {
        facts.push(format!("makes {}", recipe.yield_text));
    }
    for (label, minutes) in [
        ("prep", recipe.prep_minutes),
        ("cook", recipe.cook_minutes),
        ("total", recipe.total_minutes),
    ] {
        if let Some(m) = minutes {
            facts.push(format!("{label} {m} min"));
        }
    }
    if !facts.is_empty() {
        outln!("{}", facts.join(" · "))?;
    }
    if !recipe.tags.is_empty() {
        outln!("tags: {}", recipe.tags.join(", "))?;
    }
    if !recipe.source_url.is_empty() {
        outln!("source: {}", recipe.source_url)?;
    }
    if !recipe.ingredients.is_empty() {
        outln!("\nIngredients")?;
        for row in &recipe.ingredients {
            outln!(
                "  - {}",
                format_line(
                    row.quantity,
                    row.quantity_max,
                    &row.unit,
                    &row.name,
                    &row.note
                )
            )?;
        }
    }
    if !recipe.steps.is_empty() {
        outln!("\nSteps")?;
        for (i, step) in recipe.steps.iter().enumerate() {
            outln!("  {}. {step}", i + 1)?;
        }
    }
    if !recipe.notes.is_empty() {
        outln!("\nNotes\n{}", recipe.notes)?;
    }
    if !recipe.attachments.is_empty() {
        outln!("\nAttachments")?;
        for a in &recipe.attachments {
            outln!("  {} ({}, {} bytes)", a.file_name, a.media_type, a.size)?;
        }
    }
    Ok(())
}

pub fn tags(tags: &[TagCount], json: bool) -> Result<()> {
    if json {
        return print_json(tags);
    }
    for t in tags {
        outln!("{}\t{}", t.count, t.tag)?;
    }
    Ok(())
}

pub fn grocery_lists(lists: &GroceryLists, json: bool) -> Result<()> {
    if json {
        return print_json(lists);
    }
    let chosen = |choice| if lists.chosen == choice { "*" } else { " " };
    outln!(
        "{} mine\t{} unchecked",
        chosen(GroceryListChoice::Mine),
        lists.mine_unchecked
    )?;
    match &lists.household_name {
        Some(name) => outln!("{} household\t{name}", chosen(GroceryListChoice::Household))?,
        None => outln!("  (not in a household)")?,
    }
    Ok(())
}

pub fn grocery(items: &[GroceryItem], json: bool) -> Result<()> {
    if json {
        return print_json(items);
    }
    for item in items {
        let line = format_line(item.quantity, None, &item.unit, &item.name, "");
        let mark = if item.checked { "x" } else { " " };
        outln!("[{mark}] {}  {line}", item.id)?;
    }
    Ok(())
}
