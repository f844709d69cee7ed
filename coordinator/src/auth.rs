//! Who may see what (DESIGN §8, replaced by the publication rule): the roles bearer tokens are
//! made for (see [`crate::tokens`]), each quarter's publication date, and the rule they make.
//!
//! - `national` (ADASS/LGA): everything, always;
//! - `region:<slug>`: its councils, and any group made only of them;
//! - `council:<code>`: its own figures;
//! - `admin`: enrolment, tokens and submission status (no figures);
//! - and from a quarter's **publication date**, every reader of figures — any role but `admin`,
//!   and the open-data pages with no sign-in — sees every council's noisy figures and every group
//!   for that quarter (a financial year once all four of its quarters are published).
//!
//! Why this holds where the former rule (hide a group of one or two councils) did not: before
//! publication a role is shown nothing computed from a council it may not see, so no subtraction
//! of figures it is shown (England before and after one submission, a year minus its quarters,
//! England minus two model groups) can isolate one; after publication every council's noisy
//! figures are shown anyway, and each is already differentially private at the node, so
//! differencing them gives away nothing the release itself does not.

use std::fmt;

use std::{collections::BTreeMap, sync::Arc};

use msp_schemas::{CouncilCode, Period, Region};
use time::{Date, Month};

use crate::benchmark::{Group, Snapshot, Window};

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

    /// The council a role belongs to, if any.
    pub fn council(&self) -> Option<CouncilCode> {
        match self {
            Role::Council(c) => Some(*c),
            _ => None,
        }
    }
}

/// When each quarter is published: the operator's dates (`msp-coordinator publication set`),
/// and for every other quarter the default, the first day of the third month after it ends
/// (2026-27-Q1, April to June, on 1 September 2026).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Publication {
    /// The operator's dates.
    set: BTreeMap<Period, Date>,
}

impl Publication {
    /// The schedule with the operator's dates `set`.
    pub fn new(set: BTreeMap<Period, Date>) -> Self {
        Self { set }
    }

    /// A quarter's default publication date: two full months after it ends.
    pub fn default_date(q: Period) -> Date {
        let end = q.last_day();
        let (mut year, mut month) = (end.year(), end.month());
        for _ in 0..3 {
            if month == Month::December {
                year += 1;
            }
            month = month.next();
        }
        Date::from_calendar_date(year, month, 1).expect("the first of a month exists")
    }

    /// A quarter's publication date.
    pub fn date(&self, q: Period) -> Date {
        self.set.get(&q).copied().unwrap_or_else(|| Self::default_date(q))
    }

    /// Whether the operator set the quarter's date.
    pub fn is_set(&self, q: Period) -> bool {
        self.set.contains_key(&q)
    }

    /// A window's publication date: its last quarter's to be published.
    pub fn window_date(&self, w: Window) -> Date {
        w.quarters().into_iter().map(|q| self.date(q)).max().expect("a window has a quarter")
    }
}

/// A reader of figures at one moment: who (a role, or `None` for the open-data pages, which need
/// no sign-in), and which quarters are published on `today`. Every view asks it what to show.
#[derive(Debug, Clone)]
pub struct Access {
    /// The role (`None`: the public, on the open-data pages).
    pub role: Option<Role>,
    /// The publication dates.
    pub publication: Arc<Publication>,
    /// Today.
    pub today: Date,
}

impl Access {
    /// Whether the reader reads figures at all (everyone but the administrator).
    pub fn reads(&self) -> bool {
        self.role.is_none_or(|r| r.reads_benchmarks())
    }

    /// Whether every quarter of `w` is published.
    pub fn published(&self, w: Window) -> bool {
        self.publication.window_date(w) <= self.today
    }

    /// Whether the reader may see one council's own figures for `w`.
    pub fn sees_council(&self, c: CouncilCode, w: Window) -> bool {
        self.reads() && (self.published(w) || self.role.is_some_and(|r| r.sees_council(c)))
    }

    /// Whether the reader may see `group` over `w`, whose members are `members` (`None` for a
    /// model group, whose members are whoever declares it): once `w` is published, always;
    /// before, only if the role may see every member — not merely every council that has
    /// submitted, or whether a group is shown would tell who else has — and a model group only
    /// to national analysts, as its members are known only from the releases themselves.
    pub fn may_see(&self, group: &Group, w: Window, members: Option<&[CouncilCode]>) -> bool {
        if !self.reads() {
            return false;
        }
        if self.published(w) {
            return true;
        }
        let Some(role) = self.role else { return false };
        let named = match group {
            Group::Council(c) | Group::Peers(c) => role.sees_council(*c),
            _ => true,
        };
        match members {
            Some(members) => named && members.iter().all(|c| role.sees_council(*c)),
            None => role == Role::National,
        }
    }

    /// [`Access::may_see`] for a benchmark of `snap`; and a council's saved peer group only to
    /// that council's readers and national analysts, whether published or not.
    pub fn may_see_in(&self, snap: &Snapshot, group: Group, w: Window) -> bool {
        self.private(snap, group).is_none() && self.may_see(&group, w, snap.members(group).as_deref())
    }

    /// Why `group` is never shown to this reader, if it is a council's saved peer group and the
    /// reader is neither that council's nor a national analyst.
    pub fn private(&self, snap: &Snapshot, group: Group) -> Option<String> {
        let Group::Named(s) = group else { return None };
        let owner = snap.groups.get(s)?.owner?;
        (!matches!(self.role, Some(Role::National)) && self.role != Some(Role::Council(owner))).then(|| {
            format!(
                "{} is {}'s own comparator group: only its readers and national analysts see it",
                snap.name(group),
                owner.council().name
            )
        })
    }

    /// Why `group` over `w` is not shown: a private group, or when it will be published.
    pub fn refusal_in(&self, snap: &Snapshot, group: Group, w: Window) -> String {
        self.private(snap, group).unwrap_or_else(|| self.refusal(&snap.name(group), w))
    }

    /// When a figure of `w` not shown yet will be: "published on 1 September 2026".
    pub fn withheld(&self, w: Window) -> String {
        let on = self.publication.window_date(w);
        format!("published on {}", long_date(on))
    }

    /// Why `what` for `w` is refused, and when it will not be.
    pub fn refusal(&self, what: &str, w: Window) -> String {
        match self.role {
            _ if !self.reads() => NOT_A_READER.to_owned(),
            None => format!(
                "{what} for {w} is not published yet: it will be on {}",
                long_date(self.publication.window_date(w))
            ),
            Some(_) => format!(
                "{what} for {w} is not available to your role until it is {}: until then a council sees its own figures, \
                 a region's group its councils, and national analysts every council",
                self.withheld(w)
            ),
        }
    }

    /// The note under a table where some groups are not shown yet.
    pub fn hidden_note(&self, hidden: &[String], w: Window) -> String {
        format!(
            "Not shown yet: {}. {w} is {}; until then your role sees only groups made of councils it may see.",
            hidden.join(", "),
            self.withheld(w)
        )
    }
}

/// Why the administrator's role is shown no figures.
pub const NOT_A_READER: &str = "this role manages the network and does not read figures";

/// A date for people: 1 September 2026.
pub fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
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

    fn access(role: Option<Role>, today: &str) -> Access {
        let today = Date::parse(today, &time::format_description::well_known::Iso8601::DATE).unwrap();
        Access { role, publication: Arc::new(Publication::default()), today }
    }

    #[test]
    fn a_quarter_is_published_two_full_months_after_it_ends_unless_the_operator_says_otherwise() {
        let day = |s: &str| Date::parse(s, &time::format_description::well_known::Iso8601::DATE).unwrap();
        let q = |s: &str| s.parse::<Period>().unwrap();
        assert_eq!(Publication::default_date(q("2026-27-Q1")), day("2026-09-01"));
        assert_eq!(Publication::default_date(q("2026-27-Q3")), day("2027-03-01"), "across the new year");
        assert_eq!(Publication::default_date(q("2026-27-Q4")), day("2027-06-01"));
        let p = Publication::new([(q("2026-27-Q1"), day("2026-08-15"))].into());
        assert_eq!(p.date(q("2026-27-Q1")), day("2026-08-15"));
        assert_eq!(
            p.window_date(Window::Year("2026-27".parse().unwrap())),
            day("2027-06-01"),
            "a year: its last quarter"
        );
    }

    #[test]
    fn before_publication_a_role_sees_only_what_is_made_of_councils_it_may_see() {
        let (a, b, c) = (code("E06000001"), code("E06000002"), code("E09000007"));
        let q = Window::Quarter("2026-27-Q1".parse().unwrap());
        let before = |role| access(Some(role), "2026-08-31");
        let other = Role::Council(code("E08000038"));
        assert!(!before(other).may_see(&Group::England, q, Some(&[a, b, c])), "not even a group of three");
        assert!(before(Role::Council(a)).may_see(&Group::Council(a), q, Some(&[a])));
        assert!(!before(Role::Council(a)).may_see(&Group::Peers(a), q, Some(&[b])), "its peers are other councils");
        assert!(
            !before(Role::Council(a)).may_see(&Group::Council(b), q, Some(&[])),
            "not even that b has not submitted"
        );
        assert!(before(Role::Region(Region::NorthEast)).may_see(&Group::Region(Region::NorthEast), q, Some(&[a, b])));
        assert!(!before(Role::Region(Region::NorthEast)).may_see(&Group::England, q, Some(&[a, b, c])));
        assert!(before(Role::National).may_see(&Group::England, q, Some(&[a])));
        assert!(!before(Role::Admin).may_see(&Group::England, q, Some(&[a, b, c])));
        assert!(!access(None, "2026-08-31").may_see(&Group::England, q, Some(&[a, b, c])), "the public: nothing yet");
        let locality = Group::TeamModel(msp_schemas::codes::TeamModel::Locality);
        assert!(!before(Role::Region(Region::NorthEast)).may_see(&locality, q, None), "a model group: national only");
        assert!(before(Role::National).may_see(&locality, q, None));
        assert!(!before(other).sees_council(a, q));
    }

    #[test]
    fn from_publication_every_reader_but_the_administrator_sees_every_figure() {
        let (a, b) = (code("E06000001"), code("E06000002"));
        let q = Window::Quarter("2026-27-Q1".parse().unwrap());
        let on = |role| access(role, "2026-09-01");
        for reader in [Some(Role::Council(code("E08000038"))), Some(Role::Region(Region::London)), None] {
            assert!(on(reader).may_see(&Group::England, q, Some(&[a, b])));
            assert!(on(reader).may_see(&Group::Council(a), q, Some(&[a])));
            assert!(on(reader).sees_council(b, q));
        }
        assert!(!on(Some(Role::Admin)).may_see(&Group::England, q, Some(&[a])));
        let year = Window::Year("2026-27".parse().unwrap());
        assert!(!on(None).may_see(&Group::England, year, Some(&[a])), "a year waits for its last quarter");
    }
}
