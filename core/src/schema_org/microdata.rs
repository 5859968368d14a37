//! HTML microdata (`itemscope`, `itemtype`, `itemprop`), the older way pages mark up a recipe,
//! turned into the JSON-LD shape the importer already reads: each top-level item becomes an
//! object with `@type` (the last segment of its `itemtype`) and one array per property name;
//! nested items become nested objects. Values follow the microdata rules: `content` on any
//! element, then `src`/`href`/`datetime`/`value` on the elements that carry them, else the
//! element's text.
//!
//! html5gum only tokenizes, so the element tree is tracked here with the tolerance pages need:
//! void elements never open, an end tag closes everything opened after its match, and an end
//! tag with no open match is ignored. Depth and item counts are capped so a hostile page costs
//! bounded work.

use html5gum::{DefaultEmitter, StartTag, Token, Tokenizer};
use serde_json::{Map, Value};

/// Elements never closed by an end tag.
const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"param",
    b"source", b"track", b"wbr",
];
/// Elements that start a new line of a text value.
const BLOCK: &[&[u8]] = &[
    b"br", b"p", b"li", b"div", b"h1", b"h2", b"h3", b"h4", b"h5", b"h6", b"tr", b"dt", b"dd",
];
/// Deepest element nesting tracked; deeper elements still add text to what is open.
const MAX_OPEN: usize = 512;
/// Most items (itemscopes) read from one page.
const MAX_ITEMS: usize = 2_000;
/// Longest text kept for one property.
const MAX_TEXT: usize = 64 * 1024;

/// An open element.
struct Open {
    name: Vec<u8>,
    /// The property names this element gives a value to (`itemprop`, space-separated).
    props: Vec<String>,
    /// Index into `items` when this element is an item (`itemscope`).
    item: Option<usize>,
    /// Text gathered for a text-valued property.
    text: Option<String>,
}

/// Every top-level microdata item of the page, as JSON-LD-shaped objects.
pub(crate) fn items(html: &str) -> Vec<Value> {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut items: Vec<Map<String, Value>> = Vec::new();
    // Parent item of each item (None for top-level) and the properties it fills there.
    let mut links: Vec<(Option<usize>, Vec<String>)> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.0.clone();
                if let Some(at) = implied_end(&open, &name) {
                    close_from(&mut open, &mut items, at);
                }
                if BLOCK.contains(&name.as_slice()) {
                    // A list of steps marked up as one property keeps its steps apart.
                    append_text(&mut open, "\n");
                }
                let props: Vec<String> = attr(&tag, b"itemprop")
                    .map(|p| p.split_ascii_whitespace().map(str::to_owned).collect())
                    .unwrap_or_default();
                let is_item = tag.attributes.contains_key(b"itemscope".as_slice());
                let parent = open.iter().rev().find_map(|o| o.item);
                let mut item = None;
                if is_item && items.len() < MAX_ITEMS {
                    let mut object = Map::new();
                    if let Some(ty) = attr(&tag, b"itemtype") {
                        let types: Vec<Value> = ty
                            .split_ascii_whitespace()
                            .map(|t| Value::String(last_segment(t).to_owned()))
                            .collect();
                        if !types.is_empty() {
                            object.insert("@type".into(), Value::Array(types));
                        }
                    }
                    items.push(object);
                    links.push((parent.filter(|_| !props.is_empty()), props.clone()));
                    item = Some(items.len() - 1);
                } else if !props.is_empty()
                    && let Some(parent) = parent
                    && let Some(value) = attribute_value(&tag)
                {
                    add(&mut items[parent], &props, Value::String(value));
                    if !is_void(&name) && !tag.self_closing {
                        // Its value is taken; it stays open only to keep the tree straight.
                        push(&mut open, name, Vec::new(), None, None);
                    }
                    continue;
                }
                if is_void(&name) || tag.self_closing {
                    continue;
                }
                let text =
                    (item.is_none() && !props.is_empty() && parent.is_some()).then(String::new);
                let props = if item.is_none() { props } else { Vec::new() };
                push(&mut open, name, props, item, text);
            }
            Token::String(text) => {
                append_text(&mut open, &String::from_utf8_lossy(&text.value.0));
            }
            Token::EndTag(tag) => {
                let name = tag.name.0.as_slice();
                if let Some(at) = open.iter().rposition(|o| o.name == name) {
                    close_from(&mut open, &mut items, at);
                }
            }
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    // A truncated page: whatever is still open ends with it.
    close_from(&mut open, &mut items, 0);
    // Items nested as properties go into their parents, innermost first (a child always comes
    // after its parent in page order).
    let mut top = Vec::new();
    for index in (0..items.len()).rev() {
        let object = Value::Object(simplified(std::mem::take(&mut items[index])));
        match &links[index] {
            (Some(parent), props) => add(&mut items[*parent], props, object),
            (None, _) => top.push(object),
        }
    }
    top.reverse();
    top
}

/// Properties that are lists in JSON-LD stay arrays; every other property given once becomes
/// a plain value, as JSON-LD writes it.
fn simplified(object: Map<String, Value>) -> Map<String, Value> {
    const LISTS: &[&str] = &[
        "recipeIngredient",
        "ingredients",
        "recipeInstructions",
        "@type",
    ];
    object
        .into_iter()
        .map(|(key, value)| match value {
            Value::Array(mut values) if values.len() == 1 && !LISTS.contains(&key.as_str()) => {
                let one = values.pop().unwrap_or(Value::Null);
                (key, one)
            }
            other => (key, other),
        })
        .collect()
}

/// Adds text to every open text-valued property (a property's text includes its descendants').
fn append_text(open: &mut [Open], text: &str) {
    for element in open {
        if let Some(buf) = element.text.as_mut()
            && buf.len() < MAX_TEXT
        {
            buf.push_str(text);
        }
    }
}

/// Closes the open elements from index `at` up, giving each text-valued property its text.
fn close_from(open: &mut Vec<Open>, items: &mut [Map<String, Value>], at: usize) {
    while open.len() > at {
        let Some(element) = open.pop() else { break };
        if let Some(text) = element.text
            && let Some(parent) = open.iter().rev().find_map(|o| o.item)
        {
            let text = text
                .lines()
                .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            add(&mut items[parent], &element.props, Value::String(text));
        }
    }
}

/// HTML's implied end tags for the elements recipe lists are made of: a new `<li>` ends the
/// open `<li>` of the same list, a new `<p>` the open `<p>`, a new `<dt>`/`<dd>` the open one,
/// a new `<tr>` the open row and `<td>`/`<th>` the open cell. Answers the index to close from.
fn implied_end(open: &[Open], starting: &[u8]) -> Option<usize> {
    let (closes, stops): (&[&[u8]], &[&[u8]]) = match starting {
        b"li" => (&[b"li"], &[b"ul", b"ol", b"menu"]),
        b"p" => (
            &[b"p"],
            &[b"div", b"section", b"article", b"li", b"td", b"blockquote"],
        ),
        b"dt" | b"dd" => (&[b"dt", b"dd"], &[b"dl"]),
        b"tr" => (&[b"tr"], &[b"table", b"tbody", b"thead", b"tfoot"]),
        b"td" | b"th" => (&[b"td", b"th"], &[b"tr", b"table"]),
        b"option" => (&[b"option"], &[b"select", b"datalist"]),
        _ => return None,
    };
    for (index, element) in open.iter().enumerate().rev() {
        let name = element.name.as_slice();
        if closes.contains(&name) {
            return Some(index);
        }
        if stops.contains(&name) {
            return None;
        }
    }
    None
}

fn push(
    open: &mut Vec<Open>,
    name: Vec<u8>,
    props: Vec<String>,
    item: Option<usize>,
    text: Option<String>,
) {
    if open.len() < MAX_OPEN {
        open.push(Open {
            name,
            props,
            item,
            text,
        });
    }
}

fn is_void(name: &[u8]) -> bool {
    VOID.contains(&name)
}

/// `http://schema.org/Recipe` → `Recipe`.
fn last_segment(itemtype: &str) -> &str {
    itemtype
        .trim_end_matches('/')
        .rsplit(['/', '#'])
        .next()
        .unwrap_or(itemtype)
}

/// A property's value when an attribute carries it (microdata's rules, plus `content` on any
/// element as pages use it).
fn attribute_value(tag: &StartTag<()>) -> Option<String> {
    if let Some(content) = attr(tag, b"content") {
        return Some(content);
    }
    let from = match tag.name.0.as_slice() {
        b"img" | b"audio" | b"video" | b"source" | b"embed" | b"iframe" | b"track" => {
            b"src".as_slice()
        }
        b"a" | b"area" | b"link" => b"href",
        b"object" => b"data",
        b"time" => b"datetime",
        b"data" | b"meter" => b"value",
        b"meta" => return Some(String::new()),
        _ => return None,
    };
    attr(tag, from).or_else(|| {
        // A `<time>` without `datetime` is read by its text.
        (tag.name.0.as_slice() != b"time").then(String::new)
    })
}

fn add(object: &mut Map<String, Value>, props: &[String], value: Value) {
    for prop in props {
        match object.get_mut(prop) {
            Some(Value::Array(values)) => values.push(value.clone()),
            _ => {
                object.insert(prop.clone(), Value::Array(vec![value.clone()]));
            }
        }
    }
}

fn attr(tag: &StartTag<()>, name: &[u8]) -> Option<String> {
    tag.attributes
        .get(name)
        .map(|value| String::from_utf8_lossy(&value.value.0).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_properties_nested_items_and_attribute_values() {
        let html = r#"<div itemscope itemtype="http://schema.org/Recipe">
            <h1 itemprop="name">Lemon <b>tart</b></h1>
            <img itemprop="image" src="/tart.jpg">
            <meta itemprop="prepTime" content="PT20M">
            <time itemprop="cookTime" datetime="PT35M">35 minutes</time>
            <ul><li itemprop="recipeIngredient">3 lemons<li itemprop="recipeIngredient">100 g sugar</ul>
            <div itemprop="recipeInstructions" itemscope itemtype="https://schema.org/HowToStep">
              <p itemprop="text">Bake.</p>
            </div>
            <p>not a property</p>
        </div>
        <div itemscope itemtype="http://schema.org/Person"><span itemprop="name">Ann</span></div>"#;
        let found = items(html);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            json!({
                "@type": ["Recipe"],
                "name": "Lemon tart",
                "image": "/tart.jpg",
                "prepTime": "PT20M",
                "cookTime": "PT35M",
                "recipeIngredient": ["3 lemons", "100 g sugar"],
                "recipeInstructions": [{"@type": ["HowToStep"], "text": "Bake."}],
            })
        );
        assert_eq!(found[1]["name"], json!("Ann"));
    }

    #[test]
    fn stray_end_tags_and_unclosed_elements_do_not_derail_it() {
        let html = r#"</div><div itemscope itemtype="schema.org/Recipe"><span itemprop="name">Soup</i></span>
            <span itemprop="recipeIngredient">1 leek"#;
        let found = items(html);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["name"], json!("Soup"));
        assert_eq!(found[0]["recipeIngredient"], json!(["1 leek"]));
    }

    #[test]
    fn implied_end_tags_close_list_items_and_paragraphs() {
        let html = r#"<div itemscope itemtype="https://schema.org/Recipe">
            <ol><li itemprop="recipeInstructions">Mix<li itemprop="recipeInstructions">Rest</ol>
            <p itemprop="description">Quick<p>Not part of it</div>"#;
        let found = items(html);
        assert_eq!(found[0]["recipeInstructions"], json!(["Mix", "Rest"]));
        assert_eq!(found[0]["description"], json!("Quick"));
    }

    #[test]
    fn a_deep_page_is_bounded() {
        let html = format!(
            "<div itemscope itemtype='x/Recipe'>{}<span itemprop='name'>Deep</span>",
            "<div>".repeat(5_000)
        );
        let found = items(&html);
        assert_eq!(found.len(), 1);
        let many = "<div itemscope itemtype='x/Thing'></div>".repeat(MAX_ITEMS + 10);
        assert_eq!(items(&many).len(), MAX_ITEMS);
    }
}
