//! Tokens and one-time codes. Both are random; the server keeps only their SHA-256.

use rand::Rng;
use sha2::{Digest, Sha256};

/// A new device token: 256 random bits, hex.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex(&bytes)
}

/// A new one-time enrollment code people can type: 12 characters from an unambiguous alphabet,
/// grouped `ABCD-EFGH-JKLM` (about 60 bits).
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalizes a typed code (case, spaces, dashes) before hashing.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// SHA-256, hex.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typeable_and_normalize() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(
            normalize_code(&code.to_lowercase().replace('-', " ")),
            normalize_code(&code)
        );
        assert_ne!(new_token(), new_token());
        assert_eq!(hash("a").len(), 64);
    }
}
