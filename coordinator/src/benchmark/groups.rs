//! The groups of councils benchmarks are made for (England, a region, an authority type, a
//! declared model of practice, one council, a council's peers) and the windows they cover (a
//! quarter, or a financial year of four). Each parses from, and prints as, its id.

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
        }
    }

    /// Whether the group is fixed by the register (so its size is known in advance) rather
    /// than by what councils declare in their releases.
    pub(super) fn by_register(&self) -> bool {
        !matches!(self, Group::TeamModel(_) | Group::MspLevel(_))
    }

    /// Whether a council is in the group by the register.
    pub(super) fn holds(&self, c: CouncilCode) -> bool {
        let council = c.council();
        match self {
            Group::England => true,
            Group::Region(r) => council.region == *r,
            Group::Type(t) => council.authority_type == *t,
            Group::Council(x) => *x == c,
            Group::Peers(x) => *x != c && x.council().region == council.region,
            Group::TeamModel(_) | Group::MspLevel(_) => true,
        }
    }

    /// The councils the register puts in the group, in code order (`None` for a model group,
    /// whose members are the councils declaring it).
    pub fn members(&self) -> Option<Vec<CouncilCode>> {
        self.by_register().then(|| {
            let mut all: Vec<CouncilCode> =
                msp_schemas::Council::all().iter().map(|c| c.council_code()).filter(|c| self.holds(*c)).collect();
            all.sort();
            all
        })
    }

    /// Whether a release belongs to the group (declared context counts for model groups).
    pub fn takes(&self, r: &CouncilRelease) -> bool {
        match self {
            Group::TeamModel(m) => r.team_model == *m,
            Group::MspLevel(l) => r.msp_level == *l,
            other => other.holds(r.council),
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
                 council:<code> or peers:<code>"
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
        assert_eq!("2026-27".parse::<Window>().unwrap(), Window::Year("2026-27".parse().unwrap()));
        assert!("2026-27-Q9".parse::<Window>().is_err());
    }
}
