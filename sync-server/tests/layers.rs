//! The crate's floors (lib.rs): every `crate::…` path in src/ names a module on a lower floor,
//! or one listed before it on the same floor, so no two top-level modules use each other and
//! the domain knows nothing of HTTP. Read from the source text: `use` lines, grouped imports
//! and inline paths alike; comments and `#[cfg(test)]` modules are left out (tests may reach
//! anywhere).

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules from the bottom up; a module may use only those before it.
const ORDER: &[&str] = &[
    // Base.
    "clock",
    "secret",
    "data_dir",
    "config",
    "telemetry",
    // Store.
    "store",
    // Domain.
    "blobs",
    "accounts",
    "hook",
    "import_url",
    "sync",
    "plan",
    "backup",
    "admin_commands",
    // HTTP.
    "http",
    // Server.
    "server",
];

/// The source text with comments and `#[cfg(test)] mod … { … }` blocks blanked out.
fn code_of(src: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<i32> = None;
    let mut depth = 0;
    let mut pending_test = false;
    for line in src.lines() {
        let code = line.split("//").next().unwrap_or("");
        let trimmed = code.trim();
        if trimmed.starts_with("#[cfg(test)]") {
            pending_test = true;
            continue;
        }
        let opens = code.matches('{').count() as i32;
        let closes = code.matches('}').count() as i32;
        if pending_test && trimmed.starts_with("mod ") {
            pending_test = false;
            if opens > closes {
                skip_depth = Some(depth);
            }
            depth += opens - closes;
            continue;
        }
        pending_test = false;
        depth += opens - closes;
        if let Some(d) = skip_depth {
            if depth <= d {
                skip_depth = None;
            }
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Top-level modules a piece of code names through `crate::`.
fn used_modules(code: &str) -> Vec<String> {
    let mut used = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::b, c}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        used.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            used.push(first_segment(&item));
        } else {
            used.push(first_segment(rest));
        }
    }
    used.retain(|m| !m.is_empty());
    used
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_uses_only_floors_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rank: BTreeMap<&str, usize> = ORDER.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut checked = 0;
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        if rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        // The crate root and the binary's files sit above every floor.
        let Some(&own) = rank.get(top.as_str()) else {
            assert!(
                ["lib", "main", "backup_cmd"].contains(&top.as_str()),
                "{}: a top-level module missing from the floors in tests/layers.rs",
                rel.display()
            );
            continue;
        };
        checked += 1;
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for used in used_modules(&code) {
            if used == top {
                continue;
            }
            match rank.get(used.as_str()) {
                Some(&r) if r < own => {}
                Some(_) => upward.push(format!("{} uses crate::{used}", rel.display())),
                None => upward.push(format!(
                    "{} uses crate::{used}, which is on no floor",
                    rel.display()
                )),
            }
        }
    }
    assert!(checked > 40, "only {checked} files were checked");
    assert!(
        upward.is_empty(),
        "modules reaching up or sideways:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_reader_sees_what_the_checker_sees() {
    let code = code_of(
        "use crate::{a::b, c};\n// crate::x\nfn f() { crate::d::e(); }\n#[cfg(test)]\nmod tests {\n    use crate::z;\n}\nuse crate::f;\n",
    );
    assert_eq!(used_modules(&code), ["a", "c", "d", "f"]);
}
