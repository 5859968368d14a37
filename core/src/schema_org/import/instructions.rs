//! A recipe's instructions (`recipeInstructions`) as step lines: plain text split into steps,
//! `HowToStep`s, `HowToSection`s (their name as a heading line), lists and references to steps
//! elsewhere in the graph, with what was skipped counted.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{collect_texts, get, has_type};
use crate::schema_org::text::{clean_line, split_instruction_text};

/// How deep instructions (sections within sections, nested arrays) are followed.
pub(super) const MAX_INSTRUCTION_DEPTH: usize = 16;

/// Step lines read so far, and what was left out.
#[derive(Default)]
pub(super) struct InstructionReader {
    pub(super) steps: Vec<String>,
    /// Items that are neither text nor a step.
    pub(super) skipped: usize,
    /// Some part was nested deeper than [`MAX_INSTRUCTION_DEPTH`].
    pub(super) too_deep: bool,
}

impl InstructionReader {
    pub(super) fn read(
        &mut self,
        value: &Value,
        depth: usize,
        ids: &HashMap<&str, &Map<String, Value>>,
    ) {
        if depth > MAX_INSTRUCTION_DEPTH {
            self.too_deep = true;
            return;
        }
        match value {
            Value::Null => {}
            Value::String(s) => self.steps.extend(split_instruction_text(s)),
            Value::Number(_) | Value::Bool(_) => self.skipped += 1,
            Value::Array(items) => {
                for item in items {
                    self.read(item, depth + 1, ids);
                }
            }
            Value::Object(map) => self.read_node(map, depth, ids),
        }
    }

    fn read_node(
        &mut self,
        map: &Map<String, Value>,
        depth: usize,
        ids: &HashMap<&str, &Map<String, Value>>,
    ) {
        if depth > MAX_INSTRUCTION_DEPTH {
            self.too_deep = true;
            return;
        }
        // A bare reference to a step defined elsewhere in the graph.
        if map.len() == 1
            && let Some(target) = map
                .get("@id")
                .and_then(Value::as_str)
                .and_then(|id| ids.get(id.trim()))
        {
            if !std::ptr::eq(*target, map) {
                self.read_node(target, depth + 1, ids);
            }
            return;
        }
        if let Some(inner) = map.get("@value") {
            self.read(inner, depth + 1, ids);
            return;
        }
        let children = get(map, "itemListElement").filter(|v| !v.is_null());
        let is_section = has_type(map, "HowToSection");
        if is_section || (children.is_some() && !has_type(map, "HowToStep")) {
            // A section (or a plain list): its name as a heading line, then its steps.
            if is_section {
                let heading = get(map, "name").map(first_clean_line).unwrap_or_default();
                if !heading.is_empty() {
                    self.steps.push(as_heading(&heading));
                }
            }
            match children {
                Some(children) => self.read(children, depth + 1, ids),
                // A section without steps: whatever text it has.
                None => self.read_step_text(map, depth, ids),
            }
            return;
        }
        self.read_step_text(map, depth, ids);
    }

    /// A step's own text (`text`, else `name`, else `description`), else the directions and
    /// tips listed inside it.
    fn read_step_text(
        &mut self,
        map: &Map<String, Value>,
        depth: usize,
        ids: &HashMap<&str, &Map<String, Value>>,
    ) {
        for key in ["text", "name", "description"] {
            if let Some(value) = get(map, key) {
                let line = first_clean_line(value);
                if !line.is_empty() {
                    self.steps.push(line);
                    return;
                }
            }
        }
        match get(map, "itemListElement").filter(|v| !v.is_null()) {
            Some(children) => self.read(children, depth + 1, ids),
            None => self.skipped += 1,
        }
    }
}

/// The value's first non-empty text, as one clean line.
fn first_clean_line(value: &Value) -> String {
    let mut texts = Vec::new();
    let mut skipped = 0;
    collect_texts(value, 0, &mut texts, &mut skipped);
    texts
        .iter()
        .map(|t| clean_line(t))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// A section name as a step line: `For the sauce` → `For the sauce:`.
fn as_heading(name: &str) -> String {
    if name.ends_with(':') {
        name.to_string()
    } else {
        format!("{}:", name.trim_end_matches(['.', ' ']))
    }
}
