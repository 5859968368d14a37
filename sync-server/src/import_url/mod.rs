//! Fetching a recipe page for a signed-in user (`POST /api/v1/import/url`): a browser cannot
//! read another site's page, so the relay does, and answers core's [`PageImport`] (the page's
//! recipes as drafts, the recipe image's bytes); the device then makes the recipes itself.
//!
//! The address comes from a user, so the fetch is treated as hostile: only `http`/`https`, no
//! user name or password in the address, only public addresses ([`address_policy`]) checked on
//! the addresses actually connected to, redirects followed by hand (at most
//! [`MAX_REDIRECTS`], each one checked again), a size cap on the page and on the image read
//! as the bytes arrive (a `Content-Length` is not trusted), and one deadline for the whole
//! fetch. No proxy from the environment is used (it would bypass the address check).

pub mod address_policy;

use std::error::Error as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use larder_core::page_import::{
    PageImage, PageImport, PageRecipe, image_media_type, recipes_from_html, split_address,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use tokio::time::{Instant, timeout_at};
use url::{Host, Url};

use crate::config::ImportUrlConfig;
pub use address_policy::{AddressPolicy, RefusedAddress};

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Image addresses tried per recipe.
const IMAGE_TRIES: usize = 3;
/// Recipes of one page whose image is fetched (a listing page can hold dozens).
const RECIPES_WITH_IMAGES: usize = 5;
const USER_AGENT: &str = concat!("Larder/", env!("CARGO_PKG_VERSION"), " (recipe import)");
const PAGE_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1";
const IMAGE_ACCEPT: &str = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9";

/// Why a page could not be imported; each is answered with its own 4xx.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    BadAddress(String),
    #[error(transparent)]
    Refused(#[from] RefusedAddress),
    #[error("the page redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("the page could not be reached: {0}")]
    Unreachable(String),
    #[error("the site answered {status} for {url}")]
    Status { status: u16, url: String },
    #[error("the page is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the page did not load within {secs} seconds")]
    TimedOut { secs: u64 },
    #[error("the address is not a web page (it is {content_type})")]
    NotAPage { content_type: String },
    #[error("no recipe was found on the page")]
    NoRecipe,
}

/// The fetcher, built once from the configuration and shared by every request.
#[derive(Debug, Clone)]
pub struct PageFetcher {
    client: reqwest::Client,
    policy: AddressPolicy,
    max_page_bytes: u64,
    max_image_bytes: u64,
    timeout: Duration,
}

/// A response body read within its cap, and the address it finally came from.
struct Fetched {
    url: Url,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

impl PageFetcher {
    /// The fetcher for `[import_url]`; fails only if the TLS backend cannot start.
    pub fn new(config: &ImportUrlConfig) -> Result<Self, reqwest::Error> {
        let policy = AddressPolicy::new(config.allow_private_networks.clone());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(address_policy::PolicyResolver {
                policy: policy.clone(),
            }))
            .user_agent(USER_AGENT)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(PageFetcher {
            client,
            policy,
            max_page_bytes: config.max_page_bytes,
            max_image_bytes: config.max_image_bytes,
            timeout: config.timeout,
        })
    }

    /// Reads the page at `address` and its recipes, with the first image of each that can be
    /// fetched within the limits (an image that cannot is a warning, not a failure).
    pub async fn fetch_page(&self, address: &str) -> Result<PageImport, FetchError> {
        let deadline = Instant::now() + self.timeout;
        let url = parse_address(address)?;
        let page = timeout_at(deadline, self.get(url, self.max_page_bytes, PAGE_ACCEPT))
            .await
            .map_err(|_| self.timed_out())??;
        if let Some(content_type) = &page.content_type
            && !is_page_type(content_type)
        {
            return Err(FetchError::NotAPage {
                content_type: content_type.clone(),
            });
        }
        // Pages are UTF-8 all but universally; a stray byte in another encoding costs one
        // replacement character, not the recipe.
        let html = String::from_utf8_lossy(&page.bytes);
        let mut recipes = recipes_from_html(&html).map_err(|_| FetchError::NoRecipe)?;
        if recipes.is_empty() {
            return Err(FetchError::NoRecipe);
        }
        for recipe in &mut recipes {
            recipe.image_urls = absolute_image_urls(&page.url, &recipe.image_urls);
        }
        'recipes: for recipe in recipes.iter_mut().take(RECIPES_WITH_IMAGES) {
            let candidates: Vec<String> = recipe
                .image_urls
                .iter()
                .take(IMAGE_TRIES)
                .cloned()
                .collect();
            for image_url in candidates {
                match timeout_at(deadline, self.fetch_image(&image_url)).await {
                    Ok(Ok(image)) => {
                        recipe.image = Some(image);
                        break;
                    }
                    Ok(Err(why)) => warn_image(recipe, &image_url, &why),
                    Err(_) => {
                        warn_image(recipe, &image_url, &self.timed_out().to_string());
                        break 'recipes;
                    }
                }
            }
        }
        Ok(PageImport {
            page_url: page.url.to_string(),
            recipes,
        })
    }

    fn timed_out(&self) -> FetchError {
        FetchError::TimedOut {
            secs: self.timeout.as_secs(),
        }
    }

    /// One image, checked to be one by its bytes.
    async fn fetch_image(&self, address: &str) -> Result<PageImage, String> {
        let url = parse_address(address).map_err(|e| e.to_string())?;
        let fetched = self
            .get(url, self.max_image_bytes, IMAGE_ACCEPT)
            .await
            .map_err(|e| match e {
                FetchError::TooLarge { limit } => format!("larger than {limit} bytes"),
                other => other.to_string(),
            })?;
        let media_type = image_media_type(&fetched.bytes).ok_or("not an image")?;
        Ok(PageImage {
            file_name: image_file_name(&fetched.url, media_type),
            url: fetched.url.to_string(),
            media_type: media_type.to_owned(),
            bytes_base64: BASE64.encode(&fetched.bytes),
        })
    }

    /// GETs `url`, following up to [`MAX_REDIRECTS`] redirects (each target checked like the
    /// first address), and reads a successful body of at most `cap` bytes.
    async fn get(&self, mut url: Url, cap: u64, accept: &str) -> Result<Fetched, FetchError> {
        for _ in 0..=MAX_REDIRECTS {
            self.check_host(&url)?;
            let mut response = self
                .client
                .get(url.clone())
                .header(ACCEPT, accept)
                .send()
                .await
                .map_err(|e| self.request_error(&e))?;
            let status = response.status();
            if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::Status {
                        status: status.as_u16(),
                        url: url.to_string(),
                    })?;
                url = url
                    .join(location)
                    .map_err(|_| bad("the page redirected to an address that is not valid"))?;
                check_scheme_and_credentials(&url)?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    url: url.to_string(),
                });
            }
            if response.content_length().is_some_and(|len| len > cap) {
                return Err(FetchError::TooLarge { limit: cap });
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| self.request_error(&e))? {
                if (bytes.len() + chunk.len()) as u64 > cap {
                    return Err(FetchError::TooLarge { limit: cap });
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                url,
                content_type,
                bytes,
            });
        }
        Err(FetchError::TooManyRedirects)
    }

    /// An address written as an IP literal is never resolved, so it is checked here.
    fn check_host(&self, url: &Url) -> Result<(), FetchError> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
            Some(Host::Domain(_)) => return Ok(()),
            None => return Err(bad("the address has no site name")),
        };
        if self.policy.allows(ip) {
            Ok(())
        } else {
            Err(FetchError::Refused(RefusedAddress {
                host: ip.to_string(),
            }))
        }
    }

    /// What a failed request means for the user: a refused address (from the resolver,
    /// somewhere in reqwest's error chain), the deadline, or an unreachable site.
    fn request_error(&self, err: &reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = err.source();
        let mut innermost = err.to_string();
        while let Some(cause) = source {
            if let Some(refused) = cause.downcast_ref::<RefusedAddress>() {
                return FetchError::Refused(refused.clone());
            }
            innermost = cause.to_string();
            source = cause.source();
        }
        if err.is_timeout() {
            return self.timed_out();
        }
        FetchError::Unreachable(innermost)
    }
}

fn bad(message: &str) -> FetchError {
    FetchError::BadAddress(message.to_owned())
}

/// Parses a user's address: core's shape check (same messages as on the device), then a full
/// parse, `http`/`https` only, no credentials.
fn parse_address(address: &str) -> Result<Url, FetchError> {
    let address = address.trim();
    split_address(address).map_err(|e| FetchError::BadAddress(e.to_string()))?;
    let url = Url::parse(address).map_err(|e| FetchError::BadAddress(format!("{e}")))?;
    check_scheme_and_credentials(&url)?;
    Ok(url)
}

fn check_scheme_and_credentials(url: &Url) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            "only http:// and https:// addresses can be imported from",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("the address must not contain a user name or password"));
    }
    if url.host().is_none() {
        return Err(bad("the address has no site name"));
    }
    Ok(())
}

fn is_page_type(content_type: &str) -> bool {
    matches!(
        content_type,
        "text/html" | "application/xhtml+xml" | "text/plain" | ""
    )
}

/// The recipe's image addresses made absolute against the page's, `http(s)` only, without
/// duplicates.
fn absolute_image_urls(page: &Url, images: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for image in images {
        let Ok(url) = page.join(image.trim()) else {
            continue;
        };
        if matches!(url.scheme(), "http" | "https") && !out.contains(&url.to_string()) {
            out.push(url.to_string());
        }
    }
    out
}

/// The image's last path segment as a file name (letters, digits, `-_.` only), with the
/// extension its bytes call for.
fn image_file_name(url: &Url, media_type: &str) -> String {
    let extension = match media_type {
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/avif" => "avif",
        _ => "jpg",
    };
    let stem: String = url
        .path_segments()
        .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
        .map(|name| name.rsplit_once('.').map_or(name, |(stem, _)| stem))
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(80)
        .collect();
    let stem = if stem.is_empty() {
        "image".to_owned()
    } else {
        stem
    };
    format!("{stem}.{extension}")
}

fn warn_image(recipe: &mut PageRecipe, url: &str, why: &str) {
    recipe
        .warnings
        .push(format!("the image {url} was not attached: {why}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_must_be_http_without_credentials() {
        for (address, fragment) in [
            ("ftp://example.org/x", "http"),
            ("file:///etc/passwd", "http"),
            ("javascript:alert(1)", "http"),
            ("https://user:pw@example.org/", "user name or password"),
            ("https://user@example.org/", "user name or password"),
            ("https:///nohost", "site name"),
            ("https://exa mple.org/", "spaces"),
        ] {
            let err = parse_address(address).unwrap_err();
            assert!(
                matches!(&err, FetchError::BadAddress(m) if m.contains(fragment)),
                "{address}: {err}"
            );
        }
        assert_eq!(
            parse_address(" https://example.org/a?b=1 ")
                .unwrap()
                .as_str(),
            "https://example.org/a?b=1"
        );
    }

    #[test]
    fn image_addresses_are_made_absolute_and_deduplicated() {
        let page = Url::parse("https://example.org/recipes/tart/").unwrap();
        let images = [
            "img/tart.jpg".to_owned(),
            "/img/tart.jpg".to_owned(),
            "https://cdn.example.org/t.png".to_owned(),
            "data:image/png;base64,AAAA".to_owned(),
            "https://example.org/img/tart.jpg".to_owned(),
        ];
        assert_eq!(
            absolute_image_urls(&page, &images),
            vec![
                "https://example.org/recipes/tart/img/tart.jpg",
                "https://example.org/img/tart.jpg",
                "https://cdn.example.org/t.png",
            ]
        );
    }

    #[test]
    fn image_file_names_are_safe_and_carry_the_real_extension() {
        let url = Url::parse("https://example.org/a/Lemon%20Tart!.png?w=1").unwrap();
        assert_eq!(image_file_name(&url, "image/jpeg"), "Lemon20Tart.jpg");
        let bare = Url::parse("https://example.org/").unwrap();
        assert_eq!(image_file_name(&bare, "image/webp"), "image.webp");
    }
}
