//! `msp-release/1`, the only document that leaves a council, and `msp-receipt/1`, the
//! coordinator's answer to it (DESIGN §6, §7).
//!
//! Both refuse unknown fields: nothing unread can ride under a valid signature. A [`Release`] is
//! checked against its report spec as it is read (tables in order, cell counts, noise parameters
//! consistent with each table's sensitivity and share of ρ, ε consistent with ρ and δ), and can
//! only be built through the same checks.

use std::{fmt, str::FromStr};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    codes::{MspLevel, TeamModel},
    council::CouncilCode,
    period::Period,
    spec::SpecId,
};

/// Relative tolerance for the consistency checks on floating-point privacy parameters. The
/// node writes what opendp's privacy maps return, which differ from the closed forms only in
/// the last bits.
const REL_TOL: f64 = 1e-9;

/// Longest accepted free-text context field, in characters.
pub const MAX_TEXT_LEN: usize = 200;

/// The ε of a ρ-zCDP guarantee at a given δ: ε = ρ + 2√(ρ·ln(1/δ)) (DESIGN §4).
pub fn zcdp_epsilon(rho: f64, delta: f64) -> f64 {
    rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
}

/// The noise scale of the discrete Gaussian mechanism for sensitivity Δ₂ and budget ρ: Δ₂/√(2ρ).
pub fn gaussian_sigma(l2_sensitivity: f64, rho: f64) -> f64 {
    l2_sensitivity / (2.0 * rho).sqrt()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_TOL * a.abs().max(b.abs())
}

macro_rules! constant_tag {
    ($(#[$meta:meta])* $name:ident = $value:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            /// The tag's text.
            pub const VALUE: &'static str = $value;
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($value)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                if s == $value {
                    Ok($name)
                } else {
                    Err(serde::de::Error::custom(format_args!("expected {:?}, found {:?}", $value, s)))
                }
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "const": $value })
            }
        }
    };
}

constant_tag!(
    /// The `format` of a release document.
    ReleaseFormat = "msp-release/1"
);
constant_tag!(
    /// The `format` of a receipt.
    ReceiptFormat = "msp-receipt/1"
);
constant_tag!(
    /// The unit of privacy: one person, with all their records.
    PrivacyUnit = "person"
);
constant_tag!(
    /// The accounting: zero-concentrated differential privacy.
    Accounting = "zcdp"
);
constant_tag!(
    /// The mechanism: the discrete Gaussian, from opendp.
    Mechanism = "discrete_gaussian"
);

/// A point in time, written as RFC 3339 (`2026-07-15T09:30:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Now, to the whole second.
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    /// The instant.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    /// Truncates to the whole second, so that the text form is short and round-trips exactly.
    fn from(t: OffsetDateTime) -> Self {
        Self(t.replace_nanosecond(0).expect("0 ns is always valid"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.format(&Rfc3339).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Timestamp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OffsetDateTime::parse(s, &Rfc3339)
            .map(Self)
            .map_err(|e| format!("{s:?} is not an RFC 3339 time such as 2026-07-15T09:30:00Z: {e}"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

/// A SHA-256 digest, written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// Wraps digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

impl FromStr for Sha256 {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a SHA-256 digest: expected 64 lower-case hex digits");
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Sha256 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Sha256".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9a-f]{64}$" })
    }
}

/// The privacy guarantee of a whole release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Unit of privacy: `person`.
    pub unit: PrivacyUnit,
    /// Accounting: `zcdp`.
    pub accounting: Accounting,
    /// Mechanism: `discrete_gaussian`.
    pub mechanism: Mechanism,
    /// Total ρ spent by the release (the sum of its tables' ρ).
    pub rho: f64,
    /// The equivalent ε at `delta`: ρ + 2√(ρ·ln(1/δ)).
    pub epsilon: f64,
    /// The δ at which `epsilon` is stated.
    pub delta: f64,
}

/// Self-declared, non-personal facts about the council, used to compare models of practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilContext {
    /// How enquiries are organised.
    pub team_model: TeamModel,
    /// Making Safeguarding Personal programme level.
    pub msp_level: MspLevel,
    /// The case management system the data came from (free text, at most 200 characters).
    pub recording_system: String,
    /// Whether the council's performance team has checked this quarter's data against its case system.
    pub validated: bool,
}

/// One table of a release: its noise parameters and its noisy values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableRelease {
    /// The table's id in the spec.
    pub table: String,
    /// ρ spent on this table (what opendp's privacy map reported).
    pub rho: f64,
    /// Scale σ of the discrete Gaussian noise added to each value.
    pub sigma: f64,
    /// Noisy values, one per cell in spec order. They may be negative: they are not clamped.
    pub values: Vec<i64>,
}

/// The fields of a release document, unchecked. Build a [`Release`] from them with
/// [`Release::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "msp-release/1", description = "A council's differentially private quarterly release.")]
pub struct ReleaseFields {
    /// Document format: `msp-release/1`.
    pub format: ReleaseFormat,
    /// The report spec whose tables this carries.
    pub spec: SpecId,
    /// The council releasing.
    pub council: CouncilCode,
    /// The quarter of data released.
    pub period: Period,
    /// 1 for the first release of the quarter; each deliberate revision adds one.
    pub revision: u32,
    /// When the node built the release (not derived from case data).
    pub created_at: Timestamp,
    /// The software that built it, e.g. `msp-node 0.1.0`.
    pub software: String,
    /// The privacy guarantee.
    pub privacy: Privacy,
    /// Council context.
    pub context: CouncilContext,
    /// The spec's tables, in spec order.
    pub tables: Vec<TableRelease>,
}

impl ReleaseFields {
    /// Gives the release the noise parameters its spec sets for a total of `rho`: each table's ρ its
    /// weight's share, each σ the closed form Δ₂/√(2ρᵢ), and the release's ρ and ε to match. For
    /// documents made by hand (tests, examples): a node states what opendp's privacy maps give,
    /// which differ from these in the last bits.
    pub fn set_rho_by_weight(&mut self, rho: f64) {
        let spec = self.spec.spec();
        let mut total = 0.0;
        for (t, s) in self.tables.iter_mut().zip(&spec.tables) {
            t.rho = s.weight() * rho;
            t.sigma = gaussian_sigma(s.l2_sensitivity(), t.rho);
            total += t.rho;
        }
        self.privacy.rho = total;
        self.privacy.epsilon = zcdp_epsilon(total, self.privacy.delta);
    }
}

/// Why a release document is not a valid `msp-release/1`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReleaseError {
    /// Revision 0.
    #[error("revision must be 1 or more")]
    ZeroRevision,
    /// Too few or too many tables.
    #[error("{spec} has {expected} tables but the release has {found}")]
    TableCount {
        /// The spec.
        spec: SpecId,
        /// Tables in the spec.
        expected: usize,
        /// Tables in the release.
        found: usize,
    },
    /// A table out of place or unknown.
    #[error("table {position} should be {expected:?} but is {found:?}")]
    TableOrder {
        /// 0-based position.
        position: usize,
        /// The spec's table there.
        expected: &'static str,
        /// The release's table there.
        found: String,
    },
    /// Wrong number of cells.
    #[error("table {table:?} has {expected} cells in the spec but {found} values in the release")]
    CellCount {
        /// The table.
        table: String,
        /// Cells in the spec.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A parameter that is not a finite positive number.
    #[error("{what} must be a finite number above 0, not {value}")]
    NotPositive {
        /// Which parameter.
        what: String,
        /// Its value.
        value: f64,
    },
    /// δ outside (0, 1).
    #[error("delta must be between 0 and 1, not {0}")]
    Delta(f64),
    /// σ does not match the table's sensitivity and ρ.
    #[error("table {table:?}: sigma {sigma} does not match its sensitivity and rho (expected {expected})")]
    Sigma {
        /// The table.
        table: String,
        /// σ given.
        sigma: f64,
        /// Δ₂/√(2ρ).
        expected: f64,
    },
    /// The tables' ρ do not add up to the release's.
    #[error("the tables' rho add up to {sum} but the release states {rho}")]
    RhoSum {
        /// Σ ρᵢ.
        sum: f64,
        /// ρ stated.
        rho: f64,
    },
    /// ε does not follow from ρ and δ.
    #[error(
        "epsilon {epsilon} does not follow from rho and delta: msp-quarterly/1 states the closed form \
         rho + 2·sqrt(rho·ln(1/delta)) = {expected}, later specs opendp's conversion, above rho and at most that"
    )]
    Epsilon {
        /// ε given.
        epsilon: f64,
        /// ρ + 2√(ρ·ln(1/δ)).
        expected: f64,
    },
    /// A text field that is empty, too long or has control characters.
    #[error("{field} must be 1 to {MAX_TEXT_LEN} characters without control characters")]
    Text {
        /// The field.
        field: &'static str,
    },
}

/// A valid `msp-release/1` document.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Release(ReleaseFields);

impl Release {
    /// Checks `fields` against the rules of `msp-release/1` and its spec.
    pub fn new(fields: ReleaseFields) -> Result<Self, ReleaseError> {
        let f = &fields;
        if f.revision == 0 {
            return Err(ReleaseError::ZeroRevision);
        }
        check_text("software", &f.software, false)?;
        check_text("context.recording_system", &f.context.recording_system, true)?;
        let spec = f.spec.spec();
        if spec.tables.len() != f.tables.len() {
            return Err(ReleaseError::TableCount { spec: f.spec, expected: spec.tables.len(), found: f.tables.len() });
        }
        positive("privacy.rho", f.privacy.rho)?;
        positive("privacy.epsilon", f.privacy.epsilon)?;
        if !(f.privacy.delta > 0.0 && f.privacy.delta < 1.0) {
            return Err(ReleaseError::Delta(f.privacy.delta));
        }
        let mut sum = 0.0;
        for (position, (want, got)) in spec.tables.iter().zip(&f.tables).enumerate() {
            if want.id != got.table {
                return Err(ReleaseError::TableOrder { position, expected: want.id, found: got.table.clone() });
            }
            if want.cells.len() != got.values.len() {
                return Err(ReleaseError::CellCount {
                    table: got.table.clone(),
                    expected: want.cells.len(),
                    found: got.values.len(),
                });
            }
            positive(&format!("{}.rho", got.table), got.rho)?;
            positive(&format!("{}.sigma", got.table), got.sigma)?;
            let expected = gaussian_sigma(want.l2_sensitivity(), got.rho);
            if !close(expected, got.sigma) {
                return Err(ReleaseError::Sigma { table: got.table.clone(), sigma: got.sigma, expected });
            }
            sum += got.rho;
        }
        if !close(sum, f.privacy.rho) {
            return Err(ReleaseError::RhoSum { sum, rho: f.privacy.rho });
        }
        // `/1` states ε by DESIGN §4's closed form; later specs by opendp's conversion, which is
        // tighter: at most the closed form, and more than ρ (no (ε, δ) below ρ holds for ρ-zCDP
        // at the δ a release may state, below 1/e).
        let expected = zcdp_epsilon(f.privacy.rho, f.privacy.delta);
        let fits = match f.spec {
            SpecId::MspQuarterlyV1 => close(expected, f.privacy.epsilon),
            _ => f.privacy.epsilon > f.privacy.rho && f.privacy.epsilon <= expected * (1.0 + 1e-12),
        };
        if !fits {
            return Err(ReleaseError::Epsilon { epsilon: f.privacy.epsilon, expected });
        }
        Ok(Self(fields))
    }

    /// Reads and checks a release from its JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The compact JSON bytes that the node signs and sends.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a release always serialises: no maps with non-string keys, no NaN")
    }

    /// The document's fields.
    pub fn fields(&self) -> &ReleaseFields {
        &self.0
    }

    /// The council releasing.
    pub fn council(&self) -> CouncilCode {
        self.0.council
    }

    /// The quarter released.
    pub fn period(&self) -> Period {
        self.0.period
    }

    /// The revision.
    pub fn revision(&self) -> u32 {
        self.0.revision
    }

    /// The spec.
    pub fn spec(&self) -> SpecId {
        self.0.spec
    }

    /// The table with this id.
    pub fn table(&self, id: &str) -> Option<&TableRelease> {
        self.0.tables.iter().find(|t| t.table == id)
    }
}

impl<'de> Deserialize<'de> for Release {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Release::new(ReleaseFields::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn positive(what: &str, value: f64) -> Result<(), ReleaseError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ReleaseError::NotPositive { what: what.to_owned(), value })
    }
}

fn check_text(field: &'static str, text: &str, may_be_empty: bool) -> Result<(), ReleaseError> {
    let n = text.chars().count();
    if (n == 0 && !may_be_empty) || n > MAX_TEXT_LEN || text.chars().any(char::is_control) {
        Err(ReleaseError::Text { field })
    } else {
        Ok(())
    }
}

/// What the coordinator signs when it accepts a submission (DESIGN §7): proof that it received
/// exactly these bytes and placed them in its transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "msp-receipt/1", description = "The coordinator's signed acknowledgement of a submission.")]
pub struct Receipt {
    /// Document format: `msp-receipt/1`.
    pub format: ReceiptFormat,
    /// The coordinator's id for the submission.
    pub submission_id: String,
    /// The council that submitted.
    pub council: CouncilCode,
    /// The quarter released.
    pub period: Period,
    /// The release's revision.
    pub revision: u32,
    /// SHA-256 of the exact JWS bytes received.
    pub jws_sha256: Sha256,
    /// The submission's leaf index in the transparency log.
    pub log_index: u64,
    /// Size of the log when the submission was added (greater than `log_index`).
    pub tree_size: u64,
    /// Root hash of the log at `tree_size` (RFC 9162).
    pub root_hash: Sha256,
    /// When the coordinator received the submission.
    pub received_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsilon_follows_design_section_4() {
        // ρ = 0.5, δ = 1e-6: ε = 0.5 + 2·√(0.5·ln 1e6) ≈ 5.7565.
        let e = zcdp_epsilon(0.5, 1e-6);
        assert!((e - 5.756_5).abs() < 1e-3, "{e}");
    }

    #[test]
    fn sigma_follows_the_discrete_gaussian_rule() {
        assert!((gaussian_sigma(1.0, 0.5) - 1.0).abs() < 1e-15);
        assert!((gaussian_sigma(365.0, 0.01) - 365.0 / 0.02f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn digests_round_trip_as_lower_case_hex() {
        let d = Sha256::from_bytes([0xab; 32]);
        let s = d.to_string();
        assert_eq!(s.len(), 64);
        assert_eq!(s.parse::<Sha256>().unwrap(), d);
        assert!(s.to_uppercase().parse::<Sha256>().is_err());
        assert!("ab".parse::<Sha256>().is_err());
    }

    #[test]
    fn timestamps_are_truncated_to_the_second_and_round_trip() {
        let t: Timestamp = "2026-07-15T09:30:00Z".parse().unwrap();
        assert_eq!(t.to_string(), "2026-07-15T09:30:00Z");
        assert_eq!(Timestamp::now().get().nanosecond(), 0);
        assert!("15/07/2026".parse::<Timestamp>().is_err());
    }
}
