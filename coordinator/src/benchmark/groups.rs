//! The groups of councils benchmarks are made for (England, a region, an authority type, a
//! declared model of practice, one council, a council's peers, a named comparator group) and the
//! windows they cover (a quarter, or a financial year of four). Each parses from, and prints as,
//! its id. A named group's councils are the operator's list ([`Memberships`]), read from the
//! database with the releases.

use std::collections::BTreeMap;

use msp_schemas::{
    AuthorityType, CouncilCode, FinancialYear, Period, Region,
    codes::{CodeList, MspLevel, TeamModel},
};

use super::release::CouncilRelease;

/// A group of councils to benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// All 153.
    England,
    /// One region.
    Region(Region),
    /// One authority type.
    Type(AuthorityType),
    /// Councils declaring a team model.
    TeamModel(TeamModel),
    /// Councils declaring an MSP level.
    MspLevel(MspLevel),
    /// One council alone.
    Council(CouncilCode),
    /// A council's peers: the other councils of its region.
    Peers(CouncilCode),
    /// A named comparator group: a list of councils the operator defined (nearest neighbours,
    /// say), network-wide or saved for one council.
    Named(Slug),
    /// Councils of one size, by their own noisy volumes in published quarters (see [`SizeBand`]).
    Size(SizeBand),
}

/// A council's size: the people with a concluded enquiry it released a year, from its noisy
/// releases of the four latest published quarters it released (scaled to a year when fewer). From
/// published quarters only, so that which band a council is in tells no one anything its
/// unpublished releases hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SizeBand {
    /// Fewer than 500 people a year.
    Small,
    /// 500 to 1,499.
    Medium,
    /// 1,500 or more.
    Large,
}

impl SizeBand {
    /// Every band, smallest first.
    pub const ALL: [SizeBand; 3] = [SizeBand::Small, SizeBand::Medium, SizeBand::Large];

    /// The band of a council releasing `people` a year.
    pub fn of(people: f64) -> SizeBand {
        if people < 500.0 {
            SizeBand::Small
        } else if people < 1500.0 {
            SizeBand::Medium
        } else {
            SizeBand::Large
        }
    }

    /// Its id.
    pub fn slug(self) -> &'static str {
        match self {
            SizeBand::Small => "small",
            SizeBand::Medium => "medium",
            SizeBand::Large => "large",
        }
    }

    /// Its name, for people.
    pub fn name(self) -> &'static str {
        match self {
            SizeBand::Small => "Smaller councils (fewer than 500 people a year)",
            SizeBand::Medium => "Mid-sized councils (500 to 1,499 people a year)",
            SizeBand::Large => "Larger councils (1,500 or more people a year)",
        }
    }
}

/// Longest name of a named group's id.
pub const SLUG_MAX: usize = 40;

/// A named group's id: 1 to 40 of a-z, 0-9 and `-`, starting with a letter or digit. Kept inline so
/// that a [`Group`] stays a plain value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug {
    len: u8,
    bytes: [u8; SLUG_MAX],
}

impl Slug {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("checked ASCII when made")
    }
}

impl std::str::FromStr for Slug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= SLUG_MAX
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-');
        if !ok {
            return Err(format!(
                "{s:?} is not a group id: use 1 to {SLUG_MAX} lower-case letters, digits and hyphens, such as \
                 hartlepool-neighbours"
            ));
        }
        let mut bytes = [0u8; SLUG_MAX];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Slug { len: s.len() as u8, bytes })
    }
}

impl std::fmt::Debug for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fewest councils a named group may have: a group is a group of three or more.
pub const MIN_NAMED: usize = 3;

/// A named comparator group as the operator defined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparator {
    /// Its id.
    pub slug: Slug,
    /// Its name, for people.
    pub name: String,
    /// The council it was saved for (its peer list), or `None` for a network-wide group.
    pub owner: Option<CouncilCode>,
    /// Its councils, in code order.
    pub members: Vec<CouncilCode>,
}

impl Comparator {
    /// The group as the store keeps it.
    pub fn stored(&self) -> crate::store::StoredGroup {
        crate::store::StoredGroup {
            slug: self.slug.to_string(),
            name: self.name.clone(),
            owner: self.owner,
            members: self.members.clone(),
        }
    }

    /// A group as the store kept it (`None` if its id is not one: a database edited by hand).
    pub fn from_stored(g: crate::store::StoredGroup) -> Option<Self> {
        Some(Comparator { slug: g.slug.parse().ok()?, name: g.name, owner: g.owner, members: g.members })
    }
}

/// The named groups, by id: who is in the groups the register does not fix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    named: BTreeMap<Slug, Comparator>,
    sizes: BTreeMap<CouncilCode, SizeBand>,
}

impl Memberships {
    /// The named groups `groups`.
    pub fn new(groups: impl IntoIterator<Item = Comparator>) -> Self {
        Self { named: groups.into_iter().map(|g| (g.slug, g)).collect(), sizes: BTreeMap::new() }
    }

    /// The same, with each council's size band.
    pub fn with_sizes(mut self, sizes: BTreeMap<CouncilCode, SizeBand>) -> Self {
        self.sizes = sizes;
        self
    }

    /// A council's size band, if it has released a published quarter.
    pub fn size(&self, c: CouncilCode) -> Option<SizeBand> {
        self.sizes.get(&c).copied()
    }

    /// A named group.
    pub fn get(&self, slug: Slug) -> Option<&Comparator> {
        self.named.get(&slug)
    }

    /// Every named group, by id.
    pub fn all(&self) -> impl Iterator<Item = &Comparator> {
        self.named.values()
    }

    /// The named groups `reader` is offered in pickers: the network-wide ones, and those saved
    /// for the reader's council (national analysts are offered all).
    pub fn offered(&self, council: Option<CouncilCode>, everything: bool) -> Vec<&Comparator> {
        self.named.values().filter(|g| everything || g.owner.is_none() || g.owner == council).collect()
    }
}

impl Group {
    /// The machine name: `england`, `region:london`, `type:unitary`, `team_model:specialist`,
    /// `msp_level:gold`, `council:E06000001`, `peers:E06000001`.
    pub fn id(&self) -> String {
        match self {
            Group::England => "england".into(),
            Group::Region(r) => format!("region:{}", r.slug()),
            Group::Type(t) => format!("type:{}", t.slug()),
            Group::TeamModel(m) => format!("team_model:{}", m.code()),
            Group::MspLevel(l) => format!("msp_level:{}", l.code()),
            Group::Council(c) => format!("council:{c}"),
            Group::Peers(c) => format!("peers:{c}"),
            Group::Named(s) => format!("named:{s}"),
            Group::Size(b) => format!("size:{}", b.slug()),
        }
    }

    /// The name, for people.
    pub fn name(&self) -> String {
        match self {
            Group::England => "England".into(),
            Group::Region(r) => r.name().into(),
            Group::Type(t) => t.plural().to_owned(),
            Group::TeamModel(m) => m.label().into(),
            Group::MspLevel(l) => format!("MSP level: {}", l.label()),
            Group::Council(c) => c.council().name.into(),
            Group::Peers(c) => format!("{}'s peers ({})", c.council().name, c.council().region.name()),
            // Its name is the operator's: [`Group::name_in`] gives it.
            Group::Named(s) => format!("Group {s}"),
            Group::Size(b) => b.name().to_owned(),
        }
    }

    /// The name, for people, with named groups' names from `m`.
    pub fn name_in(&self, m: &Memberships) -> String {
        match self {
            Group::Named(s) => m.get(*s).map_or_else(|| self.name(), |g| g.name.clone()),
            _ => self.name(),
        }
    }

    /// Whether the group is fixed by the register (so its size is known in advance) rather
    /// than by what councils declare in their releases.
    pub(super) fn by_register(&self) -> bool {
        !matches!(self, Group::TeamModel(_) | Group::MspLevel(_) | Group::Size(_))
    }

    /// Whether the group's members are known without its releases (the register, the operator's
    /// list, or a size band from published quarters), so its size says nothing of who submitted.
    pub fn members_known(&self) -> bool {
        !matches!(self, Group::TeamModel(_) | Group::MspLevel(_))
    }

    /// Whether a council is in the group by the register, or by `m` for a named group.
    pub(super) fn holds(&self, c: CouncilCode, m: &Memberships) -> bool {
        let council = c.council();
        match self {
            Group::England => true,
            Group::Region(r) => council.region == *r,
            Group::Type(t) => council.authority_type == *t,
            Group::Council(x) => *x == c,
            Group::Peers(x) => *x != c && x.council().region == council.region,
            Group::TeamModel(_) | Group::MspLevel(_) => true,
            Group::Named(s) => m.get(*s).is_some_and(|g| g.members.contains(&c)),
            Group::Size(b) => m.size(c) == Some(*b),
        }
    }

    /// The councils the register (or, for a named group or a size band, `m`) puts in the group,
    /// in code order (`None` for a model group, whose members are the councils declaring it).
    pub fn members(&self, m: &Memberships) -> Option<Vec<CouncilCode>> {
        if let Group::Size(b) = self {
            return Some(m.sizes.iter().filter(|(_, s)| *s == b).map(|(c, _)| *c).collect());
        }
        self.by_register().then(|| {
            let mut all: Vec<CouncilCode> =
                msp_schemas::Council::all().iter().map(|c| c.council_code()).filter(|c| self.holds(*c, m)).collect();
            all.sort();
            all
        })
    }

    /// Whether a release belongs to the group (declared context counts for model groups; `m`
    /// says who is in named groups).
    pub fn takes(&self, r: &CouncilRelease, m: &Memberships) -> bool {
        match self {
            Group::TeamModel(model) => r.team_model == *model,
            Group::MspLevel(l) => r.msp_level == *l,
            other => other.holds(r.council, m),
        }
    }

    /// The groups every benchmark page offers.
    pub fn standard() -> Vec<Group> {
        let mut out = vec![Group::England];
        out.extend(Region::ALL.map(Group::Region));
        out.extend(AuthorityType::ALL.map(Group::Type));
        out.extend(TeamModel::ALL.iter().map(|m| Group::TeamModel(*m)));
        out.extend(MspLevel::ALL.iter().map(|l| Group::MspLevel(*l)));
        out
    }
}

impl std::str::FromStr for Group {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not a group: use england, region:<slug>, type:<slug>, team_model:<code>, msp_level:<code>, \
                 council:<code>, peers:<code>, named:<id> or size:small|medium|large"
            )
        };
        if s == "england" {
            return Ok(Group::England);
        }
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        Ok(match kind {
            "region" => Group::Region(value.parse().map_err(|e| format!("{e}"))?),
            "type" => Group::Type(value.parse().map_err(|e| format!("{e}"))?),
            "team_model" => Group::TeamModel(value.parse().map_err(|e| format!("{e}"))?),
            "msp_level" => Group::MspLevel(value.parse().map_err(|e| format!("{e}"))?),
            "council" => Group::Council(value.parse().map_err(|e| format!("{e}"))?),
            "peers" => Group::Peers(value.parse().map_err(|e| format!("{e}"))?),
            "named" => Group::Named(value.parse()?),
            "size" => Group::Size(
                SizeBand::ALL
                    .into_iter()
                    .find(|b| b.slug() == value)
                    .ok_or_else(|| format!("{value:?} is not a size band: use small, medium or large"))?,
            ),
            _ => return Err(bad()),
        })
    }
}

/// The time a benchmark covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// One quarter.
    Quarter(Period),
    /// A financial year: its four quarters added up.
    Year(FinancialYear),
}

impl Window {
    /// The quarters covered.
    pub fn quarters(&self) -> Vec<Period> {
        match self {
            Window::Quarter(p) => vec![*p],
            Window::Year(y) => y.quarters().to_vec(),
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Window::Quarter(p) => write!(f, "{p}"),
            Window::Year(y) => write!(f, "{y}"),
        }
    }
}

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains("-Q") {
            s.parse().map(Window::Quarter).map_err(|e: msp_schemas::period::PeriodError| e.to_string())
        } else {
            s.parse().map(Window::Year).map_err(|e: msp_schemas::period::PeriodError| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_windows_parse_from_their_ids() {
        for g in Group::standard() {
            assert_eq!(g.id().parse::<Group>().unwrap(), g);
        }
        assert!("region:wales".parse::<Group>().is_err());
        let named: Group = "named:hartlepool-neighbours".parse().unwrap();
        assert_eq!(named.id(), "named:hartlepool-neighbours");
        for bad in ["named:", "named:Hartlepool", "named:-x", "named:a b", &format!("named:{}", "a".repeat(41))] {
            assert!(bad.parse::<Group>().is_err(), "{bad}");
        }
        assert_eq!("2026-27".parse::<Window>().unwrap(), Window::Year("2026-27".parse().unwrap()));
        assert!("2026-27-Q9".parse::<Window>().is_err());
    }
}
