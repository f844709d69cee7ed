//! Who may see what (DESIGN §8): the roles bearer tokens are made for (see [`crate::tokens`]),
//! and the rules that keep each council's own figures from roles that may not see them.
//!
//! - `national` (ADASS/LGA): everything;
//! - `region:<slug>`: its councils' own figures, and every aggregate;
//! - `council:<code>`: its own figures, and every aggregate;
//! - `admin`: enrolment, tokens and submission status.
//!
//! An aggregate that could give away one council's figures is treated as that council's: a
//! council's peers (its region without it, which subtracted from the region leaves the council)
//! and any group with fewer than [`MIN_COUNCILS`] councils included (unless the role may see
//! every one of them).

use std::fmt;

use msp_schemas::{CouncilCode, Region};

use crate::benchmark::Group;

/// Fewest councils an aggregate must include to be shown to a role that may not see them all.
pub const MIN_COUNCILS: usize = 3;

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything.
    National,
    /// One region's councils, and aggregates.
    Region(Region),
    /// One council, and aggregates.
    Council(CouncilCode),
    /// Management.
    Admin,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::National => f.write_str("national"),
            Role::Region(r) => write!(f, "region:{}", r.slug()),
            Role::Council(c) => write!(f, "council:{c}"),
            Role::Admin => f.write_str("admin"),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "national" => Ok(Role::National),
            None if s == "admin" => Ok(Role::Admin),
            Some(("region", r)) => r.parse().map(Role::Region).map_err(|e| format!("{e}")),
            Some(("council", c)) => c.parse().map(Role::Council).map_err(|e| format!("{e}")),
            _ => Err(format!("{s:?} is not a role: use national, region:<slug>, council:<code> or admin")),
        }
    }
}

impl Role {
    /// Whether the role may see one council's own figures.
    pub fn sees_council(&self, c: CouncilCode) -> bool {
        match self {
            Role::National => true,
            Role::Region(r) => c.council().region == *r,
            Role::Council(x) => *x == c,
            Role::Admin => false,
        }
    }

    /// Whether the role reads benchmarks at all.
    pub fn reads_benchmarks(&self) -> bool {
        !matches!(self, Role::Admin)
    }

    /// Whether the role may see a benchmark of `group` that includes `councils`.
    pub fn may_see(&self, group: &Group, councils: &[CouncilCode]) -> bool {
        if !self.reads_benchmarks() {
            return false;
        }
        if councils.iter().all(|c| self.sees_council(*c)) {
            return true;
        }
        match group {
            Group::Council(c) | Group::Peers(c) => self.sees_council(*c),
            _ => councils.len() >= MIN_COUNCILS,
        }
    }

    /// The council a role belongs to, if any.
    pub fn council(&self) -> Option<CouncilCode> {
        match self {
            Role::Council(c) => Some(*c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> CouncilCode {
        s.parse().unwrap()
    }

    #[test]
    fn roles_parse_and_print() {
        for r in ["national", "admin", "region:london", "council:E06000001"] {
            assert_eq!(r.parse::<Role>().unwrap().to_string(), r);
        }
        assert!("region:wales".parse::<Role>().is_err());
        assert!("mayor".parse::<Role>().is_err());
    }

    #[test]
    fn a_council_sees_itself_its_region_sees_it_and_others_do_not() {
        let hartlepool = code("E06000001");
        assert!(Role::National.sees_council(hartlepool));
        assert!(Role::Region(Region::NorthEast).sees_council(hartlepool));
        assert!(!Role::Region(Region::London).sees_council(hartlepool));
        assert!(Role::Council(hartlepool).sees_council(hartlepool));
        assert!(!Role::Council(code("E06000002")).sees_council(hartlepool));
        assert!(!Role::Admin.sees_council(hartlepool));
    }

    #[test]
    fn aggregates_that_would_give_a_council_away_are_kept_from_those_who_may_not_see_it() {
        let (a, b, c) = (code("E06000001"), code("E06000002"), code("E09000007"));
        let other = Role::Council(code("E08000038"));
        assert!(other.may_see(&Group::England, &[a, b, c]));
        assert!(!other.may_see(&Group::England, &[a, b]), "two councils: one could be subtracted");
        assert!(
            !other.may_see(&Group::Peers(a), &[b, c, code("E06000003")]),
            "peers subtracted from the region leave the council"
        );
        assert!(Role::Council(a).may_see(&Group::Peers(a), &[b]));
        assert!(Role::Region(Region::NorthEast).may_see(&Group::England, &[a, b]), "it may see both");
        assert!(!Role::Admin.may_see(&Group::England, &[a, b, c]));
    }
}
