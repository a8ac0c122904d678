//! Made-up names, postcodes and school names. Names are built from syllables so that
//! they look like names but never collide with words in cwsw's own outputs.

use rand::Rng;

use crate::draw::{self, Generator};
use crate::model::{SchoolKind, Sex};

const SURNAME_STARTS: &[&str] = &[
    "Ash", "Bel", "Cor", "Dun", "Elm", "Fen", "Gar", "Hol", "Ing", "Jor", "Kel", "Lin", "Mor",
    "Nor", "Ost", "Pen", "Quil", "Ros", "Sel", "Tor", "Ulv", "Ven", "Wes", "Yar",
];
const SURNAME_MIDDLES: &[&str] = &["", "", "a", "e", "in", "er", "ow", "ith", "an", "ell"];
const SURNAME_ENDS: &[&str] = &[
    "by", "ton", "well", "ford", "ham", "ley", "son", "wick", "more", "field", "stead", "combe",
    "thorpe", "worth", "bury",
];
const FEMALE_NAMES: &[&str] = &[
    "Amara", "Bethan", "Cerys", "Delphine", "Elowen", "Farida", "Greta", "Halima", "Imogen",
    "Juno", "Kezia", "Liora", "Maelle", "Nerys", "Orla", "Priya", "Rhian", "Saoirse", "Tamsin",
    "Yasmin", "Zofia",
];
const MALE_NAMES: &[&str] = &[
    "Alfie", "Bilal", "Cormac", "Dario", "Emrys", "Fintan", "Gethin", "Hamza", "Idris", "Jovan",
    "Kasim", "Lorcan", "Macsen", "Nikolai", "Osian", "Piran", "Rafferty", "Soren", "Tobias",
    "Yusuf", "Zoltan",
];
const SCHOOL_PLACES: &[&str] = &[
    "Ashgrove",
    "Brookfield",
    "Castlemead",
    "Dovecote",
    "Elmhurst",
    "Fairlawn",
    "Greystoke",
    "Hazelwood",
    "Ivybridge",
    "Juniper",
    "Kingsmere",
    "Larkhill",
    "Millbrook",
    "Northcote",
    "Oakfield",
    "Parkside",
    "Queensway",
    "Riverside",
    "Stonebridge",
    "Thornbury",
];
const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// A surname such as `Belinford`.
pub fn surname(rng: &mut Generator) -> String {
    format!(
        "{}{}{}",
        draw::pick(rng, SURNAME_STARTS),
        draw::pick(rng, SURNAME_MIDDLES),
        draw::pick(rng, SURNAME_ENDS)
    )
}

/// A forename.
pub fn forename(rng: &mut Generator, sex: Sex) -> String {
    let list = match sex {
        Sex::Female => FEMALE_NAMES,
        Sex::Male => MALE_NAMES,
    };
    (*draw::pick(rng, list)).to_string()
}

/// A postcode in an imaginary `ZX` area.
pub fn postcode(rng: &mut Generator) -> String {
    let letter = |rng: &mut Generator| char::from(*draw::pick(rng, POSTCODE_LETTERS));
    format!(
        "ZX{} {}{}{}",
        rng.random_range(1..=29),
        rng.random_range(0..=9),
        letter(rng),
        letter(rng)
    )
}

/// A school name that says its phase.
pub fn school_name(rng: &mut Generator, kind: SchoolKind) -> String {
    let place = draw::pick(rng, SCHOOL_PLACES);
    match kind {
        SchoolKind::Primary => format!("{place} Primary School"),
        SchoolKind::Secondary => format!("{place} Academy"),
        SchoolKind::Special => format!("{place} Special School"),
        SchoolKind::AlternativeProvision => format!("{place} Pupil Referral Unit"),
    }
}
