//! What a user name may be, shared by login (which refuses bad names before touching the
//! store) and administration (which refuses to create them).

/// Longest user name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// 1–[`MAX_NAME_CHARS`] characters: ASCII letters, digits, `.`, `_`, `-`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
