//! Unique Pupil Numbers: format and check letter (DfE *Unique pupil numbers* guidance;
//! CIN census validation rule 1510 "UPN invalid (wrong check letter at character 1)").

/// The check-letter alphabet: remainders 0–22 map to these letters (no I, O or S).
const CHECK_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// Why a UPN is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpnProblem {
    /// Not 13 characters.
    Length,
    /// Characters 2–12 are not all digits, or character 13 is neither digit nor check-alphabet letter.
    Characters,
    /// Character 1 is not the check letter the other twelve give.
    CheckLetter,
}

impl UpnProblem {
    /// The message DfE's validators use.
    pub fn message(self) -> &'static str {
        match self {
            Self::Length => "UPN invalid (not 13 characters)",
            Self::Characters => {
                "UPN invalid (characters 2-12 not all numeric, or character 13 not a recognised value)"
            }
            Self::CheckLetter => "UPN invalid (wrong check letter at character 1)",
        }
    }
}

/// The check letter for the twelve characters after it: digits weighted 2..13 by
/// position, summed, modulo 23. A temporary UPN's final letter counts as its place in
/// the check alphabet (A = 0).
pub fn check_letter(rest: &[u8; 12]) -> Option<u8> {
    let mut sum = 0u32;
    for (index, &character) in rest.iter().enumerate() {
        let weight = index as u32 + 2;
        let value = match character {
            b'0'..=b'9' => u32::from(character - b'0'),
            b'A'..=b'Z' if index == 11 => CHECK_LETTERS
                .iter()
                .position(|&letter| letter == character)?
                as u32,
            _ => return None,
        };
        sum += value * weight;
    }
    Some(CHECK_LETTERS[(sum % 23) as usize])
}

/// Normalises a UPN as written (case, surrounding and inner whitespace) to its canonical form.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|character| !character.is_whitespace())
        .map(|character| character.to_ascii_uppercase())
        .collect()
}

/// Checks a normalised UPN.
pub fn validate(upn: &str) -> Result<(), UpnProblem> {
    let bytes = upn.as_bytes();
    if bytes.len() != 13 {
        return Err(UpnProblem::Length);
    }
    let rest: &[u8; 12] = bytes[1..].try_into().map_err(|_| UpnProblem::Length)?;
    if !rest[..11].iter().all(u8::is_ascii_digit) {
        return Err(UpnProblem::Characters);
    }
    let expected = check_letter(rest).ok_or(UpnProblem::Characters)?;
    if bytes[0] == expected {
        Ok(())
    } else {
        Err(UpnProblem::CheckLetter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_examples() {
        // Examples from DfE's Unique Pupil Numbers guidance.
        assert_eq!(validate("H801200001001"), Ok(()));
        assert_eq!(validate("G80120000101A"), Ok(()));
        assert_eq!(validate("Z801200001001"), Err(UpnProblem::CheckLetter));
        assert_eq!(validate("H80120000100"), Err(UpnProblem::Length));
        assert_eq!(validate("H8012X0001001"), Err(UpnProblem::Characters));
        assert_eq!(normalise(" h801 200001001 "), "H801200001001");
    }
}
