//! Problem details (RFC 9457) that the coordinator answers with and the node reads.
//!
//! Each [`ProblemType`] has a stable `type` (a relative URI, `/problems/<slug>`, which the
//! coordinator serves as an explanation page), a status code and a title. Clients branch on the
//! type, never on the human-readable detail.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

macro_rules! problem_types {
    ($($variant:ident => $slug:literal, $status:literal, $title:literal;)+) => {
        /// The stable kinds of error the coordinator reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemType {
            $(
                #[doc = concat!("`/problems/", $slug, "` (", stringify!($status), "): ", $title, ".")]
                $variant,
            )+
        }

        impl ProblemType {
            /// Every problem type.
            pub const ALL: &'static [ProblemType] = &[$(ProblemType::$variant,)+];

            /// The last segment of the type URI.
            pub fn slug(self) -> &'static str {
                match self { $(ProblemType::$variant => $slug,)+ }
            }

            /// The HTTP status that goes with it.
            pub fn status(self) -> u16 {
                match self { $(ProblemType::$variant => $status,)+ }
            }

            /// A short summary that does not change between occurrences.
            pub fn title(self) -> &'static str {
                match self { $(ProblemType::$variant => $title,)+ }
            }
        }
    };
}

problem_types! {
    MalformedJws => "malformed-jws", 400, "The body is not a compact JWS";
    MalformedRequest => "malformed-request", 400, "The request could not be read";
    BadSignature => "bad-signature", 401, "The signature does not verify";
    UnknownKey => "unknown-key", 401, "The signing key is not enrolled";
    Unauthenticated => "unauthenticated", 401, "Sign in or present a bearer token";
    RevokedKey => "revoked-key", 403, "The signing key has been revoked";
    CouncilMismatch => "council-mismatch", 403, "The release names a different council from the signing key";
    Forbidden => "forbidden", 403, "This role may not see or do this";
    NotFound => "not-found", 404, "Nothing is here";
    Conflict => "conflict", 409, "A different release is already stored for this council, period and revision";
    PayloadTooLarge => "payload-too-large", 413, "The body is larger than 1 MiB";
    UnsupportedMediaType => "unsupported-media-type", 415, "The body must be application/jose";
    UnsupportedSpec => "unsupported-spec", 422, "The release uses a report spec this coordinator does not support";
    InvalidPeriod => "invalid-period", 422, "The period is malformed or has not ended";
    InvalidRelease => "invalid-release", 422, "The payload is not a valid msp-release/1 document";
    PolicyViolation => "policy-violation", 422, "The release breaks the network policy (its spec, its ρ or its revision)";
    ImplausibleRelease => "implausible-release", 422, "The release holds what no correct node makes (a value, a table's ρ or its creation time)";
    BudgetExceeded => "budget-exceeded", 422, "The council's published ρ would exceed the network policy's cap";
    Internal => "internal", 500, "Something went wrong on the coordinator";
    Unavailable => "unavailable", 503, "The coordinator cannot take requests right now";
}

impl ProblemType {
    /// The `type` URI: `/problems/<slug>`.
    pub fn uri(self) -> String {
        format!("/problems/{}", self.slug())
    }
}

impl fmt::Display for ProblemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for ProblemType {
    type Err = String;

    /// Accepts the slug or the `/problems/<slug>` URI.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let slug = s.strip_prefix("/problems/").unwrap_or(s);
        ProblemType::ALL
            .iter()
            .copied()
            .find(|t| t.slug() == slug)
            .ok_or_else(|| format!("{s:?} is not a known problem type"))
    }
}

/// An RFC 9457 problem details document (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The problem type URI.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// The type's title.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time and what to do about it.
    pub detail: String,
}

impl Problem {
    /// A problem of type `kind` with `detail`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self { type_uri: kind.uri(), title: kind.title().to_owned(), status: kind.status(), detail: detail.into() }
    }

    /// The problem type, if it is one this software knows.
    pub fn kind(&self) -> Option<ProblemType> {
        self.type_uri.parse().ok()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn problem_types_have_unique_slugs_and_error_statuses() {
        let slugs: HashSet<_> = ProblemType::ALL.iter().map(|t| t.slug()).collect();
        assert_eq!(slugs.len(), ProblemType::ALL.len());
        assert!(ProblemType::ALL.iter().all(|t| (400..600).contains(&t.status())));
    }

    #[test]
    fn problems_serialise_as_rfc_9457_and_parse_back() {
        let p = Problem::new(ProblemType::Conflict, "revision 1 of 2026-27-Q1 is already stored");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["type"], "/problems/conflict");
        assert_eq!(json["status"], 409);
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back.kind(), Some(ProblemType::Conflict));
        assert_eq!("payload-too-large".parse::<ProblemType>().unwrap(), ProblemType::PayloadTooLarge);
    }
}
