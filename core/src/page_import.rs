//! Importing a recipe from a web page's address. A browser cannot fetch another site's page, so
//! the relay fetches it for the signed-in user and answers a [`PageImport`]: the page's recipes
//! as core's drafts (ingredient rows already parsed) and the recipe image's bytes. The device then
//! makes the recipes locally with [`crate::Larder::import_page`], like any other import.
//!
//! Building the answer from the page's HTML happens here, so the relay, the CLI and the tests
//! read pages with the same code as file import ([`crate::schema_org::import_html`]: JSON-LD,
//! then microdata).

use serde::{Deserialize, Serialize};

use crate::api::ingredient_input;
use crate::model::RecipeDraft;
use crate::schema_org::{self, ImportError};

/// Longest address accepted, in bytes (browsers' practical limit).
pub const MAX_URL_LEN: usize = 2048;

/// `POST /api/v1/import/url`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UrlImportRequest {
    pub url: String,
}

/// A fetched page's recipes, as the relay answers them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PageImport {
    /// The address the page was finally read from (after redirects).
    pub page_url: String,
    pub recipes: Vec<PageRecipe>,
}

/// One recipe found on the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PageRecipe {
    /// The recipe with its ingredient rows parsed; its source URL is the page's when the
    /// recipe does not name one.
    pub draft: RecipeDraft,
    /// What could not be read, for the user.
    pub warnings: Vec<String>,
    /// The image addresses the recipe names, absolute, in page order.
    pub image_urls: Vec<String>,
    /// The first image that could be fetched within the limits, if any.
    pub image: Option<PageImage>,
}

/// An image fetched with the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PageImage {
    pub url: String,
    pub file_name: String,
    pub media_type: String,
    pub bytes_base64: String,
}

/// The recipes of a page's HTML, with ingredient rows parsed. Image addresses are left as the
/// page wrote them: the fetcher resolves them against the page's address.
pub fn recipes_from_html(html: &str) -> Result<Vec<PageRecipe>, ImportError> {
    Ok(schema_org::import_html(html)?
        .into_iter()
        .map(|recipe| {
            let mut draft = recipe.draft;
            draft.ingredients = recipe
                .ingredient_lines
                .iter()
                .map(|line| ingredient_input(line))
                .filter(|row| !row.name.is_empty())
                .collect();
            PageRecipe {
                draft,
                warnings: recipe.warnings,
                image_urls: recipe.image_urls,
                image: None,
            }
        })
        .collect())
}

/// The media type of image bytes, from their signature (JPEG, PNG, GIF, WebP, AVIF), or `None`
/// when the bytes are not one of those.
pub fn image_media_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'a',
            b'v',
            b'i',
            b'f',
            ..,
        ] => Some("image/avif"),
        _ => None,
    }
}

/// Why an address is not one to import from (checked on the device before asking the relay,
/// and again by the relay).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("enter the page's full address, starting with http:// or https://")]
    NotHttp,
    #[error("the address is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("the address has no site name")]
    NoHost,
    #[error("the address must not contain spaces")]
    Whitespace,
}

/// The site and path of an `http(s)` address, checked for the basic shape (the relay parses it
/// fully). Answers `(host, path)`.
pub fn split_address(url: &str) -> Result<(&str, &str), AddressError> {
    let url = url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(AddressError::TooLong);
    }
    if url.chars().any(char::is_whitespace) {
        return Err(AddressError::Whitespace);
    }
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            url.get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .map(|_| &url[scheme.len()..])
        })
        .ok_or(AddressError::NotHttp)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if host.is_empty() || host.starts_with(':') {
        return Err(AddressError::NoHost);
    }
    Ok((host, &rest[end..]))
}

/// A title for a recipe kept as a link only: the page's last path segment in words, else the
/// site. `https://example.org/recipes/lemon-tart/` → `Lemon tart (example.org)`.
pub fn title_for_link(url: &str) -> Result<String, AddressError> {
    let (host, path) = split_address(url)?;
    let host = host.split(':').next().unwrap_or(host);
    let host = host.strip_prefix("www.").unwrap_or(host);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let slug = path
        .split('/')
        .rfind(|segment| !segment.is_empty())
        .map(|segment| segment.rsplit_once('.').map_or(segment, |(stem, _)| stem))
        .map(|segment| segment.replace(['-', '_', '+'], " "))
        .map(|words| words.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|words| words.chars().any(char::is_alphabetic));
    Ok(match slug {
        Some(words) => {
            let mut chars = words.chars();
            let first: String = chars
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            format!("{first}{} ({host})", chars.as_str())
        }
        None => format!("Recipe from {host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_for_their_shape() {
        assert_eq!(
            split_address("https://example.org/a?b"),
            Ok(("example.org", "/a?b"))
        );
        assert_eq!(split_address("HTTP://ex.org"), Ok(("ex.org", "")));
        assert_eq!(split_address("ftp://ex.org/"), Err(AddressError::NotHttp));
        assert_eq!(split_address("example.org/x"), Err(AddressError::NotHttp));
        assert_eq!(split_address("https:///x"), Err(AddressError::NoHost));
        assert_eq!(
            split_address("https://a b.org"),
            Err(AddressError::Whitespace)
        );
        let long = format!("https://ex.org/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(split_address(&long), Err(AddressError::TooLong));
    }

    #[test]
    fn link_titles_come_from_the_path_or_the_site() {
        assert_eq!(
            title_for_link("https://www.example.org/recipes/lemon-tart/").as_deref(),
            Ok("Lemon tart (example.org)")
        );
        assert_eq!(
            title_for_link("http://example.org:8080/soup_of_the_day.html?x=1").as_deref(),
            Ok("Soup of the day (example.org)")
        );
        assert_eq!(
            title_for_link("https://example.org/12345").as_deref(),
            Ok("Recipe from example.org")
        );
    }

    #[test]
    fn image_types_come_from_the_bytes() {
        assert_eq!(
            image_media_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(
            image_media_type(b"\x89PNG\r\n\x1a\n...."),
            Some("image/png")
        );
        assert_eq!(
            image_media_type(b"RIFF\0\0\0\0WEBPVP8 "),
            Some("image/webp")
        );
        assert_eq!(image_media_type(b"<html>"), None);
        assert_eq!(image_media_type(b""), None);
    }

    #[test]
    fn page_recipes_have_parsed_rows() {
        let html = r#"<script type="application/ld+json">{"@type":"Recipe","name":"Tea",
            "recipeIngredient":["2 cups water","1 tsp black tea"],"image":"/tea.png"}</script>"#;
        let recipes = recipes_from_html(html).expect("a recipe");
        assert_eq!(recipes.len(), 1);
        let rows = &recipes[0].draft.ingredients;
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].quantity, rows[0].unit.as_str()),
            (Some(2.0), "cup")
        );
        assert_eq!(recipes[0].image_urls, ["/tea.png"]);
    }
}
