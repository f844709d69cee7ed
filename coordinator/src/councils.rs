//! Councils' signing keys (DESIGN §7): enrolment after the fingerprint has been checked out of
//! band, and revocation. A key enrolled for one council never signs for another, and a revoked
//! key is never enrolled again: the council makes a new one.

use msp_protocol::keys::{decode_public_key, thumbprint};
use msp_schemas::{CouncilCode, enrolment::EnrolmentRequest, release::Timestamp};

use crate::store::{CoordinatorStoreError, CouncilKey, Store};

/// Why a key was not enrolled or revoked.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// The public key is not an Ed25519 public key in base64url.
    #[error("{0}")]
    PublicKey(String),
    /// The fingerprint read out is not the public key's.
    #[error(
        "the fingerprint read out ({expected}) does not match the public key's ({actual}): the request was altered \
         or mistyped; do not enrol it, and ask the council to send it again"
    )]
    FingerprintMismatch {
        /// What the council read out.
        expected: String,
        /// The public key's own.
        actual: String,
    },
    /// The key is already enrolled for another council.
    #[error("that key is already enrolled for {0}")]
    OtherCouncil(CouncilCode),
    /// The key was revoked.
    #[error(
        "that key was revoked and cannot be enrolled again: the council must make a new key (msp-node init --force)"
    )]
    Revoked,
    /// There was no active key to revoke.
    #[error("{council} has no active key{} to revoke", fingerprint.as_ref().map(|k| format!(" {k}")).unwrap_or_default())]
    NothingToRevoke {
        /// The council.
        council: CouncilCode,
        /// The key asked for, if one was.
        fingerprint: Option<String>,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] CoordinatorStoreError),
}

/// Enrols one key of `council`, checking it against the `fingerprint` the council read out when
/// one is given. Enrolling a key again for the same council returns it as it is.
pub async fn enrol(
    store: &Store,
    council: CouncilCode,
    public_key: &str,
    fingerprint: Option<&str>,
) -> Result<CouncilKey, EnrolError> {
    let raw = decode_public_key(public_key).map_err(|e| EnrolError::PublicKey(e.to_string()))?;
    let actual = thumbprint(&raw);
    if let Some(expected) = fingerprint
        && expected.trim() != actual
    {
        return Err(EnrolError::FingerprintMismatch { expected: expected.to_owned(), actual });
    }
    if let Some(existing) = store.key(&actual).await? {
        if existing.council != council {
            return Err(EnrolError::OtherCouncil(existing.council));
        }
        if existing.revoked_at.is_some() {
            return Err(EnrolError::Revoked);
        }
    }
    let key = CouncilKey {
        fingerprint: actual,
        council,
        public_key: public_key.trim().to_owned(),
        enrolled_at: Timestamp::now().to_string(),
        revoked_at: None,
    };
    Ok(store.enrol(&key).await?)
}

/// Enrols the key of an enrolment request (as `msp-node init --json` prints it), checking its
/// fingerprint.
pub async fn enrol_request(store: &Store, request: &EnrolmentRequest) -> Result<CouncilKey, EnrolError> {
    enrol(store, request.council, &request.public_key, Some(&request.fingerprint)).await
}

/// Revokes `council`'s key with `fingerprint`, or every active key of the council; returns how
/// many were revoked, and refuses when there was none.
pub async fn revoke(store: &Store, council: CouncilCode, fingerprint: Option<&str>) -> Result<u64, EnrolError> {
    let n = store.revoke(council, fingerprint, &Timestamp::now().to_string()).await?;
    if n == 0 {
        return Err(EnrolError::NothingToRevoke { council, fingerprint: fingerprint.map(str::to_owned) });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use msp_protocol::keypair::KeyPair;

    use super::*;

    fn key(dir: &std::path::Path, name: &str) -> (String, String) {
        let pair = KeyPair::generate(&dir.join(name)).unwrap();
        (pair.public_key_b64(), pair.fingerprint().to_owned())
    }

    #[tokio::test]
    async fn a_key_is_enrolled_once_for_one_council_and_never_again_once_revoked() {
        for db in msp_store::testing::databases().await {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&db.url).await.unwrap();
            let (hartlepool, middlesbrough) = ("E06000001".parse().unwrap(), "E06000002".parse().unwrap());
            let (public, fingerprint) = key(dir.path(), "a.p8");
            let (_, other) = key(dir.path(), "b.p8");
            let err = enrol(&store, hartlepool, &public, Some(&other)).await.unwrap_err();
            assert!(matches!(err, EnrolError::FingerprintMismatch { .. }), "{err}");
            assert!(err.to_string().contains("do not enrol"), "{err}");
            let enrolled = enrol(&store, hartlepool, &public, Some(&fingerprint)).await.unwrap();
            assert_eq!(enrolled.fingerprint, fingerprint);
            assert_eq!(
                enrol(&store, hartlepool, &public, None).await.unwrap(),
                enrolled,
                "enrolling again changes nothing"
            );
            let err = enrol(&store, middlesbrough, &public, None).await.unwrap_err();
            assert!(matches!(err, EnrolError::OtherCouncil(c) if c == hartlepool), "{err}");
            assert_eq!(revoke(&store, hartlepool, Some(&fingerprint)).await.unwrap(), 1);
            assert!(matches!(enrol(&store, hartlepool, &public, None).await, Err(EnrolError::Revoked)));
            let err = revoke(&store, hartlepool, None).await.unwrap_err();
            assert_eq!(err.to_string(), "E06000001 has no active key to revoke");
            assert!(matches!(enrol(&store, hartlepool, "short", None).await, Err(EnrolError::PublicKey(_))));
            store.db().close().await;
        }
    }

    #[tokio::test]
    async fn an_enrolment_request_is_enrolled_only_with_its_own_fingerprint() {
        let db = msp_store::testing::TestDb::sqlite();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&db.url).await.unwrap();
        let (public, fingerprint) = key(dir.path(), "a.p8");
        let (_, other) = key(dir.path(), "b.p8");
        let code = "E06000001".parse().unwrap();
        let forged = EnrolmentRequest::new(code, public.clone(), other);
        assert!(matches!(enrol_request(&store, &forged).await, Err(EnrolError::FingerprintMismatch { .. })));
        let request = EnrolmentRequest::new(code, public, fingerprint.clone());
        assert_eq!(enrol_request(&store, &request).await.unwrap().fingerprint, fingerprint);
        store.db().close().await;
    }
}
