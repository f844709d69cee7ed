//! The transparency log: the signed tree head, inclusion and consistency proofs, and the
//! coordinator's public key that signs heads and receipts.

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use msp_protocol::jws;
use msp_schemas::{
    api::{ConsistencyProof, CoordinatorKey, InclusionProof, SignedTreeHead, TREE_HEAD_FORMAT, TreeHead},
    release::{Sha256, Timestamp},
};
use serde::Deserialize;

use super::{error::HttpError, query::query, state::AppState};

/// `GET /v1/keys`: the public half of the coordinator's signing key.
pub(super) async fn key(State(state): State<AppState>) -> Json<CoordinatorKey> {
    Json(state.key.public())
}

/// `GET /v1/log/head`: the log's size and root now, signed.
pub(super) async fn head(State(state): State<AppState>) -> Result<Json<SignedTreeHead>, HttpError> {
    let tree = state.log.synced(&state.store).await?;
    let size = tree.size();
    let root = tree.root(size).map_err(|e| HttpError::Log(e.to_string()))?;
    drop(tree);
    let head = TreeHead {
        format: TREE_HEAD_FORMAT.into(),
        tree_size: size,
        root_hash: Sha256::from_bytes(root),
        timestamp: Timestamp::from((state.clock)()),
    };
    let jws = state.key.sign_jws(jws::TYP_TREE_HEAD, &serde_json::to_vec(&head).expect("a tree head serialises"));
    Ok(Json(SignedTreeHead { tree_head: head, tree_head_jws: jws }))
}

#[derive(Debug, Deserialize)]
pub(super) struct InclusionQuery {
    hash: String,
    tree_size: u64,
}

/// `GET /v1/log/inclusion?hash=…&tree_size=…`: the audit path of a submission's leaf.
pub(super) async fn inclusion(
    State(state): State<AppState>,
    q: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<InclusionProof>, HttpError> {
    let q = query(q)?;
    let sha: Sha256 = q.hash.parse().map_err(HttpError::BadQuery)?;
    let index = state
        .store
        .index_of(sha.as_bytes())
        .await?
        .ok_or_else(|| HttpError::NotFound(format!("no submission in the log has the JWS hash {sha}")))?;
    let tree = state.log.synced(&state.store).await?;
    let path = tree.inclusion_proof(index, q.tree_size).map_err(|e| HttpError::BadQuery(e.to_string()))?;
    Ok(Json(InclusionProof {
        leaf_index: index,
        tree_size: q.tree_size,
        audit_path: path.into_iter().map(Sha256::from_bytes).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub(super) struct ConsistencyQuery {
    first: u64,
    second: u64,
}

/// `GET /v1/log/consistency?first=…&second=…`: proof that the smaller tree is a prefix of the larger.
pub(super) async fn consistency(
    State(state): State<AppState>,
    q: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, HttpError> {
    let q = query(q)?;
    let tree = state.log.synced(&state.store).await?;
    let proof = tree.consistency_proof(q.first, q.second).map_err(|e| HttpError::BadQuery(e.to_string()))?;
    Ok(Json(ConsistencyProof {
        first: q.first,
        second: q.second,
        proof: proof.into_iter().map(Sha256::from_bytes).collect(),
    }))
}
