//! Pseudonymisation: keyed HMAC-SHA256 of normalised identifiers (design.md, warehouse;
//! domain.md §7). Only this module makes a [`PupilId`] or [`ChildId`].

use std::path::Path;

use hmac::{Hmac, Mac};
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

use crate::ExtractError;

type HmacSha256 = Hmac<Sha256>;

/// Keys shorter than this are refused: HMAC-SHA256 wants at least its output size.
pub const MINIMUM_KEY_BYTES: usize = 32;

/// A pseudonymisation key. Never printed, never written to an output; only its
/// [`key_id`](PseudonymisationKey::key_id) is recorded.
#[derive(Clone)]
pub struct PseudonymisationKey {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for PseudonymisationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PseudonymisationKey(key_id {})", self.key_id())
    }
}

impl PseudonymisationKey {
    /// A key from raw bytes; refuses fewer than 32.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, ExtractError> {
        if bytes.len() < MINIMUM_KEY_BYTES {
            return Err(ExtractError::KeyTooShort { bytes: bytes.len() });
        }
        Ok(Self { bytes })
    }

    /// Reads a key file: hex digits (whitespace ignored; 64 or more are needed), or else
    /// the raw bytes. A file of hex digits is always read as hex, so 32 hex digits are a
    /// 16-byte key and refused, not a 32-byte one.
    pub fn from_file(path: &Path) -> Result<Self, ExtractError> {
        let raw = std::fs::read(path).map_err(|source| ExtractError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text: String = String::from_utf8_lossy(&raw)
            .chars()
            .filter(|character| !character.is_whitespace())
            .collect();
        let is_hex = !text.is_empty()
            && text.len().is_multiple_of(2)
            && text.bytes().all(|byte| byte.is_ascii_hexdigit());
        if is_hex {
            let bytes = (0..text.len())
                .step_by(2)
                .filter_map(|index| u8::from_str_radix(&text[index..index + 2], 16).ok())
                .collect();
            Self::from_bytes(bytes)
        } else {
            Self::from_bytes(raw)
        }
    }

    /// A fresh random 32-byte key from the operating system (for `cwsw demo`, which
    /// throws it away).
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; MINIMUM_KEY_BYTES];
        rand::rngs::StdRng::from_os_rng().fill_bytes(&mut bytes);
        Self { bytes }
    }

    /// The key as hex, for writing a key file.
    pub fn to_hex(&self) -> String {
        self.bytes
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// A short public id of the key, recorded with every run so that outputs made with
    /// the same key can be recognised: the first 8 bytes of SHA-256 over a label and
    /// the key, as hex.
    pub fn key_id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"cwsw key id\0");
        hasher.update(&self.bytes);
        hasher.finalize()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// A pseudonymised pupil: HMAC of the normalised UPN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PupilId(String);

/// A pseudonymised child: HMAC of the LA code and LAchildID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChildId(String);

impl PupilId {
    /// The id as a number, for compact maps.
    pub(crate) fn to_u128(&self) -> u128 {
        u128::from_str_radix(&self.0, 16).unwrap_or_default()
    }

    /// A pupil id from [`PupilId::to_u128`] of one made earlier.
    pub(crate) fn from_u128(value: u128) -> Self {
        Self(format!("{value:032x}"))
    }

    /// The hex string written to the warehouse.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ChildId {
    /// The hex string written to the warehouse.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Makes pseudonymised ids with one key.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: HmacSha256,
}

impl Pseudonymiser {
    /// A pseudonymiser for the key.
    pub fn new(key: &PseudonymisationKey) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = HmacSha256::new_from_slice(&key.bytes)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Self { mac }
    }

    fn digest(&self, domain: &[u8], value: &str) -> String {
        let mut mac = self.mac.clone();
        // Domain separation: a UPN and a child id with the same text never share a hash.
        mac.update(domain);
        mac.update(b"\0");
        mac.update(value.as_bytes());
        // 128 bits of the HMAC, as hex: collision-free at any population size.
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        format!("{:032x}", u128::from_be_bytes(bytes))
    }

    /// The pupil id of an already normalised, valid UPN.
    pub fn pupil_id(&self, normalised_upn: &str) -> PupilId {
        PupilId(self.digest(b"upn", normalised_upn))
    }

    /// The child id of an LA's child: LA code and LAchildID, case and surrounding
    /// whitespace normalised.
    pub fn child_id(&self, la_code: &str, la_child_id: &str) -> ChildId {
        let normalised = format!(
            "{}:{}",
            la_code.trim(),
            la_child_id.trim().to_ascii_uppercase()
        );
        ChildId(self.digest(b"child", &normalised))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PseudonymisationKey {
        PseudonymisationKey::from_bytes(b"an obviously fake test key, 32+ bytes long".to_vec())
            .expect("long enough")
    }

    #[test]
    fn refuses_short_keys() {
        let error = PseudonymisationKey::from_bytes(vec![1; 31]).expect_err("too short");
        assert_eq!(
            error.to_string(),
            "the pseudonymisation key has 31 bytes; at least 32 are required"
        );
    }

    #[test]
    fn ids_are_stable_normalised_and_keyed() {
        let pseudonymiser = Pseudonymiser::new(&key());
        let a = pseudonymiser.child_id("801", " c0001 ");
        let b = pseudonymiser.child_id("801", "C0001");
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 32);
        let other = PseudonymisationKey::from_bytes(vec![7; 32]).expect("long enough");
        assert_ne!(Pseudonymiser::new(&other).child_id("801", "C0001"), a);
        assert_ne!(
            pseudonymiser.pupil_id("C0001").as_str(),
            pseudonymiser.child_id("", "C0001").as_str()
        );
    }

    #[test]
    fn reads_hex_key_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k");
        std::fs::write(&path, format!("{}\n", "ab".repeat(32))).expect("write");
        let key = PseudonymisationKey::from_file(&path).expect("valid");
        assert_eq!(key.to_hex(), "ab".repeat(32));
        assert_eq!(key.key_id().len(), 16);
    }
}
