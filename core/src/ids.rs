//! Random identifiers for ingredient rows, grocery items and actors: 128 random bits, hex encoded,
//! never guessable. (Documents get their ids from the document store.)

/// A fresh random id: 32 lowercase hex characters.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS random source failing is unrecoverable for an app that must mint unique ids.
    getrandom::fill(&mut bytes).expect("the system random number generator is unavailable");
    let mut out = String::with_capacity(32);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_distinct_and_hex() {
        let a = super::new_id();
        let b = super::new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
