//! The POSTs that change something: making a release, approving it, submitting it. Each passes
//! the `Origin` check (in [`super::router`]) and the session's form token first, and each change
//! is written to the audit log with the change itself (by [`crate::release`],
//! [`crate::submit::approval`] and [`crate::submit`]). After a change the browser is sent on to
//! the page that shows it (303), so that reloading does not post again.

use axum::{
    Form,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{Page, State as NodeState, auth::Viewer, failed, layout, signing_key};
use crate::{
    clock,
    release::{self as releases, ReleaseError},
    submit::{Backoff, Coordinator, SubmitError, Submitter, approval},
};

/// The release form.
#[derive(Debug, Deserialize)]
pub struct MakeRelease {
    csrf: String,
    /// The ρ the page showed (the configured one when it was drawn).
    rho: f64,
    /// The confirmation box.
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /quarters/{period}/release`: spends the budget and makes the release, once confirmed.
pub async fn release(
    State(node): State<NodeState>,
    viewer: Viewer,
    Path(p): Path<String>,
    Form(form): Form<MakeRelease>,
) -> Page {
    viewer.check_form(&form.csrf)?;
    let period = layout::period(&p)?;
    if form.confirm.as_deref() != Some("yes") {
        return Err(layout::refusal(
            StatusCode::BAD_REQUEST,
            "Confirm the budget first",
            "Tick the box to say you have checked the preview and want to spend the budget. Nothing was spent.",
        ));
    }
    let configured = node.config.budget().rho_per_release;
    if (form.rho - configured).abs() > 1e-12 {
        return Err(layout::refusal(
            StatusCode::CONFLICT,
            "The budget has changed",
            &format!(
                "The page showed ρ = {}, but the node now releases at ρ = {configured}. Nothing was spent: open the \
                 preview again and check it.",
                form.rho
            ),
        ));
    }
    // As `msp-node release` does: go by the network's policy as it is now, if the coordinator
    // answers within a few seconds (else by the one held).
    let refresh = crate::submit::policy::refresh_briefly(&node.data, &node.config, &node.store, &node.clock).await;
    tracing::info!("{}", refresh.line());
    let now = clock::now(&node.clock);
    match releases::release_by(&node.store, &node.config, period, false, now, &viewer.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("/quarters/{period}/release")).into_response()),
        Err(e @ (ReleaseError::Store(_) | ReleaseError::Mechanism(_) | ReleaseError::Document(_))) => Err(failed(e)),
        Err(e) => Err(layout::refusal(StatusCode::UNPROCESSABLE_ENTITY, "The release was not made", &e.to_string())),
    }
}

/// The approval form.
#[derive(Debug, Deserialize)]
pub struct Approve {
    csrf: String,
    revision: u32,
    sha256: String,
}

/// `POST /quarters/{period}/approve`: an approver approves exactly the release shown.
pub async fn approve(
    State(node): State<NodeState>,
    viewer: Viewer,
    Path(p): Path<String>,
    Form(form): Form<Approve>,
) -> Page {
    viewer.check_form(&form.csrf)?;
    let period = layout::period(&p)?;
    if !viewer.user.role.may_approve() {
        return Err(layout::refusal(
            StatusCode::FORBIDDEN,
            "Only an approver can approve",
            "Your account is an officer's. Ask an approver to approve the release; nothing was changed.",
        ));
    }
    let ask = approval::Request { period, revision: Some(form.revision), sha256: Some(&form.sha256) };
    match approval::approve(&node.store, &node.config, ask, &viewer.actor(), clock::now(&node.clock)).await {
        Ok(_) => Ok(Redirect::to(&format!("/quarters/{period}/release")).into_response()),
        Err(e) => Err(refused(e, "The release was not approved")),
    }
}

/// The submit form.
#[derive(Debug, Deserialize)]
pub struct Submit {
    csrf: String,
    revision: u32,
}

/// `POST /quarters/{period}/submit`: signs and sends the release, and keeps the receipt once it
/// checks out.
pub async fn submit(
    State(node): State<NodeState>,
    viewer: Viewer,
    Path(p): Path<String>,
    Form(form): Form<Submit>,
) -> Page {
    viewer.check_form(&form.csrf)?;
    let period = layout::period(&p)?;
    let key = signing_key(&node)?;
    let coordinator =
        Coordinator::for_node(&node.config, &node.data, Backoff::default()).map_err(|e| refused(e, "Not sent"))?;
    let s = Submitter {
        store: &node.store,
        config: &node.config,
        key: &key,
        coordinator,
        clock: node.clock.clone(),
        by: viewer.actor(),
    };
    let sent = async {
        let o = s.queue(period, form.revision).await?;
        s.send(&o).await
    }
    .await;
    match sent {
        Ok(_) => Ok(Redirect::to("/submissions").into_response()),
        Err(e) => Err(refused(e, "The release was not sent")),
    }
}

/// A refusal page for a submission error: the store failing is the node's fault, anything else
/// says what to do.
fn refused(e: SubmitError, title: &str) -> Response {
    match e {
        SubmitError::Store(e) => failed(e),
        e => layout::refusal(StatusCode::CONFLICT, title, &e.to_string()),
    }
}
