//! Pulling JSON-LD out of an HTML page: the content of every
//! `<script type="application/ld+json">` block, plus the page's canonical URL and `og:image`
//! as fallbacks for recipes that do not name their own.

use html5gum::{DefaultEmitter, StartTag, Token, Tokenizer};

/// What an HTML page holds for the importer.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct PageData {
    /// The text of each JSON-LD block, in page order, wrappers (`<!-- -->`, CDATA) removed.
    pub json_ld_blocks: Vec<String>,
    /// `<link rel="canonical">`, else `<meta property="og:url">`.
    pub page_url: Option<String>,
    /// `<meta property="og:image">`.
    pub page_image: Option<String>,
}

/// Scans `html` with a spec-compliant tokenizer (script content is raw text, so `<` and `</p>`
/// inside the JSON do not confuse it). Never fails: a truncated block is returned as it is and
/// fails later as JSON.
pub(crate) fn extract(html: &str) -> PageData {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut page = PageData::default();
    let mut canonical: Option<String> = None;
    let mut og_url: Option<String> = None;
    // Bytes of the JSON-LD block being read, if inside one.
    let mut block: Option<Vec<u8>> = None;
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => match tag.name.0.as_slice() {
                b"script" if !tag.self_closing => {
                    if let Some(done) = block.take() {
                        page.json_ld_blocks.push(finish_block(&done));
                    }
                    if is_json_ld(&tag) {
                        block = Some(Vec::new());
                    }
                }
                b"link" if canonical.is_none() => {
                    let is_canonical = attr(&tag, b"rel").is_some_and(|rel| {
                        rel.split_ascii_whitespace()
                            .any(|r| r.eq_ignore_ascii_case("canonical"))
                    });
                    if is_canonical {
                        canonical = attr(&tag, b"href").filter(|href| !href.is_empty());
                    }
                }
                b"meta" => {
                    let property = attr(&tag, b"property").or_else(|| attr(&tag, b"name"));
                    let content = attr(&tag, b"content").filter(|c| !c.is_empty());
                    match property.map(|p| p.to_ascii_lowercase()).as_deref() {
                        Some("og:url") if og_url.is_none() => og_url = content,
                        Some("og:image") if page.page_image.is_none() => {
                            page.page_image = content;
                        }
                        _ => {}
                    }
                }
                _ => {}
            },
            Token::String(text) => {
                if let Some(buf) = block.as_mut() {
                    buf.extend_from_slice(&text.value.0);
                }
            }
            Token::EndTag(tag) => {
                if tag.name.0.as_slice() == b"script"
                    && let Some(done) = block.take()
                {
                    page.json_ld_blocks.push(finish_block(&done));
                }
            }
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    if let Some(done) = block.take() {
        page.json_ld_blocks.push(finish_block(&done));
    }
    page.page_url = canonical.or(og_url);
    page
}

/// An attribute's value, trimmed, if the tag has it.
fn attr(tag: &StartTag<()>, name: &[u8]) -> Option<String> {
    tag.attributes
        .get(name)
        .map(|value| String::from_utf8_lossy(&value.value.0).trim().to_string())
}

/// `type="application/ld+json"`, any case, surrounding whitespace and parameters
/// (`; charset=utf-8`) tolerated.
fn is_json_ld(tag: &StartTag<()>) -> bool {
    attr(tag, b"type").is_some_and(|ty| {
        ty.split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/ld+json"))
    })
}

/// The block's text with the wrappers some CMSs put around script content removed.
fn finish_block(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s = text.trim();
    loop {
        let before = s;
        for prefix in ["<!--", "/*<![CDATA[*/", "//<![CDATA[", "<![CDATA["] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
            }
        }
        for suffix in ["-->", "/*]]>*/", "//]]>", "]]>"] {
            if let Some(rest) = s.strip_suffix(suffix) {
                s = rest.trim_end();
            }
        }
        if s.len() == before.len() {
            break;
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_in_any_case_and_spacing() {
        let html = r#"<html><head>
            <script>var x = "<script type='application/ld+json'>";</script>
            <SCRIPT TYPE=" Application/LD+JSON ">{"a": "<p>1 < 2</p>"}</SCRIPT>
            <script type="application/ld+json; charset=utf-8"><!-- {"b": 2} --></script>
            <script type="application/json">{"c": 3}</script>
            <script type=application/ld+json>//<![CDATA[
            {"d": 4}
            //]]></script>
            <link rel="alternate canonical" href=" https://example.org/r?a=1&amp;b=2 ">
            <meta property="og:image" content="https://example.org/i.jpg">
        </head></html>"#;
        let page = extract(html);
        assert_eq!(
            page.json_ld_blocks,
            [r#"{"a": "<p>1 < 2</p>"}"#, r#"{"b": 2}"#, r#"{"d": 4}"#]
        );
        assert_eq!(
            page.page_url.as_deref(),
            Some("https://example.org/r?a=1&b=2")
        );
        assert_eq!(
            page.page_image.as_deref(),
            Some("https://example.org/i.jpg")
        );
    }

    #[test]
    fn unterminated_block_is_returned() {
        let page = extract(r#"<script type="application/ld+json">{"name": "x"#);
        assert_eq!(page.json_ld_blocks, [r#"{"name": "x"#]);
        let page = extract(r#"<script type="application/ld+json""#);
        assert!(page.json_ld_blocks.is_empty());
    }

    #[test]
    fn og_url_is_a_fallback() {
        let page = extract(r#"<meta property="og:url" content="https://example.org/a">"#);
        assert_eq!(page.page_url.as_deref(), Some("https://example.org/a"));
    }
}
