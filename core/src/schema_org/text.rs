//! Plain text out of the strings recipe sites put in JSON-LD: HTML tags stripped, entities
//! decoded (also when a site encoded them twice), whitespace collapsed, block tags and raw
//! newlines turned into line breaks; and instruction text split into steps.

use html5gum::{DefaultEmitter, Token, Tokenizer};

/// How many times text is run through the HTML tokenizer at most. Sites sometimes encode
/// twice (`&amp;#39;`, `&lt;p&gt;`), so a second and third pass undo that.
const MAX_PASSES: usize = 3;

/// Tags that end a line of text when they open or close.
const BLOCK_TAGS: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"br",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"figcaption",
    b"figure",
    b"footer",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hr",
    b"li",
    b"ol",
    b"p",
    b"pre",
    b"section",
    b"table",
    b"td",
    b"th",
    b"tr",
    b"ul",
];

/// Tags whose content is never text a reader sees.
const HIDDEN_TAGS: &[&[u8]] = &[b"script", b"style", b"template", b"noscript", b"iframe"];

/// One line: tags stripped, entities decoded, all whitespace (line breaks included) collapsed
/// to single spaces, trimmed.
pub(crate) fn clean_line(s: &str) -> String {
    let text = html_to_text(s);
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let line = normalize_spaces(line);
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&line);
    }
    out
}

/// Several paragraphs: like [`clean_line`] per line, but line breaks are kept, runs of blank
/// lines become one blank line and leading/trailing blank lines go.
pub(crate) fn clean_block(s: &str) -> String {
    let text = html_to_text(s);
    let mut out = String::with_capacity(text.len());
    let mut pending_blank = false;
    for line in text.split('\n') {
        let line = normalize_spaces(line);
        if line.is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if pending_blank { "\n\n" } else { "\n" });
        }
        pending_blank = false;
        out.push_str(&line);
    }
    out
}

/// The non-empty lines of `s`, each cleaned like [`clean_line`].
pub(crate) fn clean_lines(s: &str) -> Vec<String> {
    html_to_text(s)
        .split('\n')
        .map(normalize_spaces)
        .filter(|line| !line.is_empty())
        .collect()
}

/// Instruction text given as one string, split into steps: one step per line. When every line
/// is numbered `1.` `2.` … (or `1)` `2)` …) the numbers are dropped. When the text is a single
/// paragraph holding sequentially numbered parts (`1. Mix. 2. Bake.`), it is split on those.
pub(crate) fn split_instruction_text(s: &str) -> Vec<String> {
    let lines = clean_lines(s);
    if let [only] = lines.as_slice() {
        if let Some(parts) = split_numbered_paragraph(only) {
            return parts;
        }
        return lines;
    }
    strip_sequential_numbers(&lines).unwrap_or(lines)
}

/// If `line` starts with the marker for step `n` (`n.` or `n)` followed by whitespace), the
/// byte length of that marker, whitespace excluded.
fn number_marker_len(line: &str, n: usize) -> Option<usize> {
    let digits = n.to_string();
    let rest = line.strip_prefix(digits.as_str())?;
    let mut chars = rest.chars();
    let punct = chars.next()?;
    if punct != '.' && punct != ')' {
        return None;
    }
    let after = chars.next()?;
    after
        .is_whitespace()
        .then_some(digits.len() + punct.len_utf8())
}

fn strip_sequential_numbers(lines: &[String]) -> Option<Vec<String>> {
    if lines.len() < 2 {
        return None;
    }
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let len = number_marker_len(line, i + 1)?;
        let rest = line.get(len..)?.trim();
        if rest.is_empty() {
            return None;
        }
        out.push(rest.to_string());
    }
    Some(out)
}

fn split_numbered_paragraph(text: &str) -> Option<Vec<String>> {
    // Byte offsets of the markers `1.`, `2.`, … and their lengths, in order.
    let mut markers: Vec<(usize, usize)> = Vec::new();
    let mut prev_is_space = true;
    for (i, c) in text.char_indices() {
        if prev_is_space && c.is_ascii_digit() {
            let expected = markers.len() + 1;
            if let Some(len) = text
                .get(i..)
                .and_then(|rest| number_marker_len(rest, expected))
            {
                let overlaps = markers.last().is_some_and(|&(at, l)| i < at + l);
                if !overlaps {
                    markers.push((i, len));
                }
            }
        }
        prev_is_space = c.is_whitespace();
    }
    if markers.len() < 2 {
        return None;
    }
    let mut parts = Vec::with_capacity(markers.len() + 1);
    let first = markers.first().map_or(0, |&(at, _)| at);
    let intro = text.get(..first).unwrap_or("").trim();
    if !intro.is_empty() {
        parts.push(intro.to_string());
    }
    for (k, &(at, len)) in markers.iter().enumerate() {
        let end = markers.get(k + 1).map_or(text.len(), |&(next, _)| next);
        let part = text.get(at + len..end).unwrap_or("").trim();
        if !part.is_empty() {
            parts.push(part.to_string());
        }
    }
    (parts.len() >= 2).then_some(parts)
}

/// Collapses whitespace (no-break spaces included) to single spaces, drops invisible characters
/// and trims.
fn normalize_spaces(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut space = false;
    for c in line.chars() {
        if matches!(c, '\u{200B}' | '\u{FEFF}' | '\u{00AD}') {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// Tags stripped and entities decoded, with `\n` wherever a line ends: raw line breaks
/// (`\r\n`, `\r`, U+2028, U+2029 too) and block tags (`<p>`, `<br>`, `<li>`, …).
fn html_to_text(s: &str) -> String {
    let mut current = normalize_newlines(s);
    for _ in 0..MAX_PASSES {
        if !looks_like_markup(&current) {
            break;
        }
        let next = markup_pass(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn normalize_newlines(s: &str) -> String {
    if !s.contains(['\r', '\u{2028}', '\u{2029}']) {
        return s.to_string();
    }
    s.replace("\r\n", "\n")
        .replace(['\r', '\u{2028}', '\u{2029}'], "\n")
}

/// Whether `s` holds something the tokenizer would change: a tag or comment opener (`<` then a
/// letter, `/` or `!`) or an entity (`&` then a letter or `#`).
fn looks_like_markup(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.windows(2).any(|pair| match pair {
        [b'<', next] => next.is_ascii_alphabetic() || *next == b'/' || *next == b'!',
        [b'&', next] => next.is_ascii_alphanumeric() || *next == b'#',
        _ => false,
    })
}

/// One run through the HTML tokenizer: text kept, tags dropped (block tags become `\n`),
/// the content of script-like tags dropped, entities decoded.
fn markup_pass(s: &str) -> String {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut hidden_until: Option<Vec<u8>> = None;
    for token in Tokenizer::new_with_emitter(s, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.0.as_slice();
                if hidden_until.is_some() {
                    continue;
                }
                if HIDDEN_TAGS.contains(&name) && !tag.self_closing {
                    hidden_until = Some(name.to_vec());
                } else if BLOCK_TAGS.contains(&name) {
                    out.push(b'\n');
                }
            }
            Token::EndTag(tag) => {
                let name = tag.name.0.as_slice();
                if let Some(hidden) = &hidden_until {
                    if hidden.as_slice() == name {
                        hidden_until = None;
                    }
                    continue;
                }
                if BLOCK_TAGS.contains(&name) {
                    out.push(b'\n');
                }
            }
            Token::String(text) => {
                if hidden_until.is_none() {
                    out.extend_from_slice(&text.value.0);
                }
            }
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_line_strips_tags_and_entities() {
        let table = [
            ("Plain text", "Plain text"),
            ("  spaced \t out  ", "spaced out"),
            ("<p>Stir &amp; serve</p>", "Stir & serve"),
            ("Mom&#39;s &quot;best&quot; pie", "Mom's \"best\" pie"),
            ("a&nbsp;b", "a b"),
            ("Fish &amp;amp; chips", "Fish & chips"),
            ("Mom&amp;#39;s", "Mom's"),
            ("&lt;b&gt;Bold&lt;/b&gt; move", "Bold move"),
            ("line one<br>line two", "line one line two"),
            ("line one\nline two", "line one line two"),
            ("AT&T and 5 < 10", "AT&T and 5 < 10"),
            ("<script>alert(1)</script>Safe", "Safe"),
            ("<!-- note -->Visible", "Visible"),
            ("Caf&eacute; cr&egrave;me", "Café crème"),
            ("&#x1F373; eggs", "🍳 eggs"),
            ("zero\u{200B}width", "zerowidth"),
            ("", ""),
            ("<", "<"),
            ("&", "&"),
            ("<p", ""),
            ("</", "</"),
        ];
        for (input, expected) in table {
            assert_eq!(clean_line(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn clean_block_keeps_paragraphs() {
        assert_eq!(
            clean_block("<p>First  para.</p><p>Second<br/>line.</p>"),
            "First para.\n\nSecond\nline."
        );
        assert_eq!(clean_block("a\r\n\r\n\r\nb\rc"), "a\n\nb\nc");
        assert_eq!(clean_block("\n\n  only \n\n"), "only");
    }

    #[test]
    fn instruction_text_splitting() {
        assert_eq!(
            split_instruction_text("Mix the flour.\nKnead.\n\nBake."),
            ["Mix the flour.", "Knead.", "Bake."]
        );
        assert_eq!(
            split_instruction_text("1. Mix the flour.\n2. Knead.\n3) Bake."),
            ["Mix the flour.", "Knead.", "Bake."]
        );
        assert_eq!(
            split_instruction_text("Before: 1. Mix 1.5 cups. 2. Rest 10 min. 3. Bake at 200 C."),
            ["Before:", "Mix 1.5 cups.", "Rest 10 min.", "Bake at 200 C."]
        );
        assert_eq!(
            split_instruction_text("Whisk 2. eggs and 1 cup milk."),
            ["Whisk 2. eggs and 1 cup milk."]
        );
        assert_eq!(
            split_instruction_text("<ol><li>Mix.</li><li>Bake.</li></ol>"),
            ["Mix.", "Bake."]
        );
        // Not sequential: kept as written.
        assert_eq!(
            split_instruction_text("2. Second\n1. First"),
            ["2. Second", "1. First"]
        );
        assert!(split_instruction_text("  ").is_empty());
    }
}
