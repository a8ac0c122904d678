//! The attendance codes the generator writes, and which count as authorised absence
//! (domain.md §5, attendance code meanings; the dictionary's `attendance_code` list).

/// Authorised absence codes and their share of authorised sessions, before 2024/25 codes.
pub const AUTHORISED_TO_2024: &[(&str, f64)] = &[
    ("I", 0.60),
    ("M", 0.08),
    ("C", 0.13),
    ("E", 0.03),
    ("R", 0.03),
    ("H", 0.05),
    ("T", 0.01),
    ("S", 0.01),
];

/// Authorised absence codes from the 2024 regulations (H and J retired; C1, C2, J1 new).
pub const AUTHORISED_FROM_2024: &[(&str, f64)] = &[
    ("I", 0.60),
    ("M", 0.08),
    ("C", 0.10),
    ("C1", 0.03),
    ("C2", 0.02),
    ("E", 0.03),
    ("R", 0.03),
    ("J1", 0.02),
    ("T", 0.01),
    ("S", 0.01),
];

/// Unauthorised absence codes and their shares.
pub const UNAUTHORISED: &[(&str, f64)] = &[("O", 0.55), ("G", 0.15), ("N", 0.20), ("U", 0.10)];

/// Whether a code the generator writes is authorised absence.
pub fn is_authorised(code: &str) -> bool {
    AUTHORISED_TO_2024
        .iter()
        .chain(AUTHORISED_FROM_2024)
        .any(|(authorised, _)| *authorised == code)
}
