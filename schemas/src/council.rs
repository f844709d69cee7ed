//! The register of England's 153 councils with adult social services responsibilities.
//!
//! Compiled at build time from `data/councils.csv` (boundaries from 1 April 2023; ONS/GSS codes
//! as in use from 1 April 2025, when Barnsley and Sheffield took new codes; the former codes are in
//! `data/former_codes.csv` so that old data can be mapped and people told what to use).
//! A [`CouncilCode`] can only name a council in the register, so every council code that crosses a
//! boundary in this network is known to be real.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The nine English regions (ONS), used for regional benchmarks and the `region:<slug>` role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// North East.
    NorthEast,
    /// North West.
    NorthWest,
    /// Yorkshire and The Humber.
    YorkshireAndTheHumber,
    /// East Midlands.
    EastMidlands,
    /// West Midlands.
    WestMidlands,
    /// East of England.
    EastOfEngland,
    /// London.
    London,
    /// South East.
    SouthEast,
    /// South West.
    SouthWest,
}

impl Region {
    /// All regions, in ONS order.
    pub const ALL: [Region; 9] = [
        Region::NorthEast,
        Region::NorthWest,
        Region::YorkshireAndTheHumber,
        Region::EastMidlands,
        Region::WestMidlands,
        Region::EastOfEngland,
        Region::London,
        Region::SouthEast,
        Region::SouthWest,
    ];

    /// The ONS name, as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Region::NorthEast => "North East",
            Region::NorthWest => "North West",
            Region::YorkshireAndTheHumber => "Yorkshire and The Humber",
            Region::EastMidlands => "East Midlands",
            Region::WestMidlands => "West Midlands",
            Region::EastOfEngland => "East of England",
            Region::London => "London",
            Region::SouthEast => "South East",
            Region::SouthWest => "South West",
        }
    }

    /// The region's ONS (GSS) code, E12000001 to E12000009.
    pub fn ons_code(self) -> &'static str {
        match self {
            Region::NorthEast => "E12000001",
            Region::NorthWest => "E12000002",
            Region::YorkshireAndTheHumber => "E12000003",
            Region::EastMidlands => "E12000004",
            Region::WestMidlands => "E12000005",
            Region::EastOfEngland => "E12000006",
            Region::London => "E12000007",
            Region::SouthEast => "E12000008",
            Region::SouthWest => "E12000009",
        }
    }

    /// The machine name used in URLs, roles and files.
    pub fn slug(self) -> &'static str {
        match self {
            Region::NorthEast => "north_east",
            Region::NorthWest => "north_west",
            Region::YorkshireAndTheHumber => "yorkshire_and_the_humber",
            Region::EastMidlands => "east_midlands",
            Region::WestMidlands => "west_midlands",
            Region::EastOfEngland => "east_of_england",
            Region::London => "london",
            Region::SouthEast => "south_east",
            Region::SouthWest => "south_west",
        }
    }

    /// The councils in this region, by code.
    pub fn councils(self) -> impl Iterator<Item = &'static Council> {
        Council::all().iter().filter(move |c| c.region == self)
    }
}

impl FromStr for Region {
    type Err = RegisterError;

    /// Accepts the slug (`north_east`) or the ONS name (`North East`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.slug().eq_ignore_ascii_case(s) || r.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| RegisterError::UnknownRegion(s.to_owned()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of local authority, for benchmarks by council type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthorityType {
    /// A shire county council.
    ShireCounty,
    /// A unitary authority (the Isles of Scilly are grouped here).
    EnglishUnitary,
    /// A metropolitan district.
    MetropolitanDistrict,
    /// A London borough (the City of London is grouped here).
    LondonBorough,
}

impl AuthorityType {
    /// All types.
    pub const ALL: [AuthorityType; 4] = [
        AuthorityType::ShireCounty,
        AuthorityType::EnglishUnitary,
        AuthorityType::MetropolitanDistrict,
        AuthorityType::LondonBorough,
    ];

    /// The name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            AuthorityType::ShireCounty => "Shire County",
            AuthorityType::EnglishUnitary => "English Unitary",
            AuthorityType::MetropolitanDistrict => "Metropolitan District",
            AuthorityType::LondonBorough => "London Borough",
        }
    }

    /// The name of the group of all councils of the type.
    pub fn plural(self) -> &'static str {
        match self {
            AuthorityType::ShireCounty => "Shire counties",
            AuthorityType::EnglishUnitary => "English unitaries",
            AuthorityType::MetropolitanDistrict => "Metropolitan districts",
            AuthorityType::LondonBorough => "London boroughs",
        }
    }

    /// The machine name used in URLs and files.
    pub fn slug(self) -> &'static str {
        match self {
            AuthorityType::ShireCounty => "shire_county",
            AuthorityType::EnglishUnitary => "unitary",
            AuthorityType::MetropolitanDistrict => "metropolitan_district",
            AuthorityType::LondonBorough => "london_borough",
        }
    }

    /// The councils of this type.
    pub fn councils(self) -> impl Iterator<Item = &'static Council> {
        Council::all().iter().filter(move |c| c.authority_type == self)
    }
}

impl FromStr for AuthorityType {
    type Err = RegisterError;

    /// Accepts the slug (`unitary`) or the name (`English Unitary`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthorityType::ALL
            .into_iter()
            .find(|t| t.slug().eq_ignore_ascii_case(s) || t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| RegisterError::UnknownAuthorityType(s.to_owned()))
    }
}

impl fmt::Display for AuthorityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One council in the register.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Council {
    /// ONS/GSS code, e.g. `E06000001`.
    pub code: &'static str,
    /// Name, e.g. `Hartlepool`.
    pub name: &'static str,
    /// ONS region.
    pub region: Region,
    /// Kind of authority.
    pub authority_type: AuthorityType,
}

include!(concat!(env!("OUT_DIR"), "/register.rs"));

impl Council {
    /// Every council in the register, sorted by code.
    pub fn all() -> &'static [Council] {
        REGISTER
    }

    /// The council with this GSS code.
    pub fn by_code(code: &str) -> Option<&'static Council> {
        REGISTER.binary_search_by(|c| c.code.cmp(code)).ok().map(|i| &REGISTER[i])
    }

    /// The council that used `former_code` before a change of code, and the last day it was used.
    pub fn by_former_code(former_code: &str) -> Option<(&'static Council, &'static str)> {
        FORMER_CODES
            .iter()
            .find(|(old, _, _)| *old == former_code)
            .and_then(|(_, new, until)| Council::by_code(new).map(|c| (c, *until)))
    }

    /// This council's code as a [`CouncilCode`].
    pub fn council_code(&'static self) -> CouncilCode {
        CouncilCode(self)
    }
}

/// Why a council, region or authority type could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// A code the council no longer uses.
    #[error("{former:?} was {name}'s code until {until}: use its current code {current}")]
    FormerCode {
        /// The code given.
        former: String,
        /// The council.
        name: &'static str,
        /// Its current code.
        current: &'static str,
        /// Last day the former code was used.
        until: &'static str,
    },
    /// Not a code in the register.
    #[error(
        "{0:?} is not the code of a council in the register: use the council's ONS (GSS) code, \
         such as E06000001 for Hartlepool; `msp-coordinator council list` or schemas/data/councils.csv lists them all"
    )]
    UnknownCouncil(String),
    /// Not a region.
    #[error("{0:?} is not an English region: use one of {slugs}", slugs = Region::ALL.map(Region::slug).join(", "))]
    UnknownRegion(String),
    /// Not an authority type.
    #[error("{0:?} is not an authority type: use one of {slugs}", slugs = AuthorityType::ALL.map(AuthorityType::slug).join(", "))]
    UnknownAuthorityType(String),
}

/// The code of a council in the register. It cannot hold anything else.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CouncilCode(&'static Council);

impl CouncilCode {
    /// The GSS code.
    pub fn as_str(self) -> &'static str {
        self.0.code
    }

    /// The council this code names.
    pub fn council(self) -> &'static Council {
        self.0
    }
}

impl PartialOrd for CouncilCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CouncilCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.code.cmp(other.0.code)
    }
}

impl fmt::Debug for CouncilCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CouncilCode({})", self.0.code)
    }
}

impl fmt::Display for CouncilCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}

impl FromStr for CouncilCode {
    type Err = RegisterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(c) = Council::by_code(s) {
            return Ok(CouncilCode(c));
        }
        Err(match Council::by_former_code(s) {
            Some((c, until)) => {
                RegisterError::FormerCode { former: s.to_owned(), name: c.name, current: c.code, until }
            }
            None => RegisterError::UnknownCouncil(s.to_owned()),
        })
    }
}

impl Serialize for CouncilCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CouncilCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for CouncilCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CouncilCode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = Council::all().iter().map(|c| c.code).collect();
        schemars::json_schema!({
            "type": "string",
            "description": "ONS (GSS) code of one of the 153 councils with adult social services responsibilities.",
            "enum": codes
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_register_holds_153_councils_with_unique_codes() {
        assert_eq!(Council::all().len(), 153);
        let codes: BTreeSet<_> = Council::all().iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), 153);
        assert!(codes.iter().all(|c| c.len() == 9 && c.starts_with('E')));
    }

    #[test]
    fn each_region_has_its_published_number_of_councils() {
        let expected = [
            (Region::London, 33),
            (Region::NorthWest, 24),
            (Region::SouthEast, 19),
            (Region::SouthWest, 15),
            (Region::YorkshireAndTheHumber, 15),
            (Region::WestMidlands, 14),
            (Region::NorthEast, 12),
            (Region::EastOfEngland, 11),
            (Region::EastMidlands, 10),
        ];
        assert_eq!(expected.len(), 9);
        for (region, n) in expected {
            assert_eq!(region.councils().count(), n, "{region}");
        }
    }

    #[test]
    fn every_authority_type_is_used_and_they_cover_the_register() {
        let total: usize = AuthorityType::ALL.iter().map(|t| t.councils().count()).sum();
        assert_eq!(total, 153);
        assert!(AuthorityType::ALL.iter().all(|t| t.councils().count() > 0));
        assert_eq!(AuthorityType::LondonBorough.councils().count(), 33);
    }

    #[test]
    fn councils_are_found_by_code() {
        let c = Council::by_code("E06000001").unwrap();
        assert_eq!(c.name, "Hartlepool");
        assert_eq!(c.region, Region::NorthEast);
        assert_eq!(c.authority_type, AuthorityType::EnglishUnitary);
        let bcp = Council::by_code("E06000058").unwrap();
        assert_eq!(bcp.name, "Bournemouth, Christchurch and Poole");
        // Barnsley and Sheffield carry their 2025 codes.
        assert_eq!(Council::by_code("E08000038").unwrap().name, "Barnsley");
        assert!(Council::by_code("E08000016").is_none());
        assert_eq!(Council::by_code("E08000039").unwrap().name, "Sheffield");
        let err = "E08000016".parse::<CouncilCode>().unwrap_err();
        assert!(err.to_string().contains("use its current code E08000038"), "{err}");
        // Derbyshire and Lincolnshire sit in the East Midlands.
        for name in ["Derbyshire", "Lincolnshire"] {
            let c = Council::all().iter().find(|c| c.name == name).unwrap();
            assert_eq!(c.region, Region::EastMidlands, "{name}");
        }
    }

    #[test]
    fn an_unknown_code_is_refused_with_a_hint() {
        let err = "E99999999".parse::<CouncilCode>().unwrap_err();
        assert!(err.to_string().contains("E06000001"), "{err}");
        assert!("e06000001".parse::<CouncilCode>().is_err());
        assert!("".parse::<CouncilCode>().is_err());
    }

    #[test]
    fn regions_and_types_parse_from_slug_or_name() {
        for r in Region::ALL {
            assert_eq!(r.slug().parse::<Region>().unwrap(), r);
            assert_eq!(r.name().parse::<Region>().unwrap(), r);
        }
        for t in AuthorityType::ALL {
            assert_eq!(t.slug().parse::<AuthorityType>().unwrap(), t);
            assert_eq!(t.name().parse::<AuthorityType>().unwrap(), t);
        }
        assert!("Wales".parse::<Region>().unwrap_err().to_string().contains("north_east"));
    }

    #[test]
    fn council_codes_serialise_as_their_text() {
        let code: CouncilCode = "E09000033".parse().unwrap();
        assert_eq!(code.council().name, "Westminster");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"E09000033\"");
        assert_eq!(serde_json::from_str::<CouncilCode>("\"E09000033\"").unwrap(), code);
        assert!(serde_json::from_str::<CouncilCode>("\"E09999999\"").is_err());
    }
}
