//! The web view's guarantees over real HTTPS on loopback, on real databases (SQLite always,
//! PostgreSQL when configured): sign-in refuses a wrong token; no page is served without a
//! session; a POST without the session's form token, or from another origin, changes nothing;
//! budget is spent only once confirmed; an officer cannot approve; four eyes; a page opened
//! before a revision cannot approve it; and nothing is served to a non-loopback address unless
//! configured. (The pages in a real browser, with axe-core, are in the tests crate's
//! `node_browser` test.)

mod common;

use std::sync::Arc;

use common::{Node, synthetic};
use msp_node::{
    accounts::{self, Role},
    audit::Actor,
    clock,
    config::{DataDir, NodeConfig, SubmissionConfig},
    release,
    web::{self, ServeError},
};
use msp_store::testing::{TestDb, databases};
use reqwest::{StatusCode, header};

const Q: &str = "2026-27-Q1";

struct View {
    node: Node,
    base: String,
    http: reqwest::Client,
    tokens: [(String, String); 3],
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for View {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn config() -> NodeConfig {
    NodeConfig {
        coordinator_url: "https://127.0.0.1:9".into(),
        submission: Some(SubmissionConfig { require_approval: true, four_eyes: true }),
        ..common::config()
    }
}

/// A node with a quarter of data and three accounts, its web view served on a free port.
async fn view(db: &TestDb) -> View {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let node = Node::new(db).await;
    node.import(&node.write("cases.csv", synthetic(200, 1, 11))).await.unwrap();
    let admin = Actor::command_line(Some("test"));
    let people = [("Sam Officer", Role::Officer), ("Priya Shah", Role::Approver), ("Alex Lead", Role::Approver)];
    let tokens = people.map(|(name, _)| (name.to_owned(), accounts::secret()));
    for ((name, role), (_, token)) in people.iter().zip(&tokens) {
        let digest = accounts::digest(token);
        assert!(node.store.add_user(name, *role, &digest, "2026-07-01T09:00:00Z", &admin).await.unwrap());
    }
    let data = DataDir::new(node.dir.path());
    let state = Arc::new(web::Node {
        store: node.store.clone(),
        config: config(),
        data,
        clock: clock::fixed(time::macros::datetime!(2026-07-15 10:00 UTC)),
        read_token: None,
    });
    let (tls, ca) = web::tls(&state).unwrap();
    let server = msp_web::server::Server::build("127.0.0.1:0".parse().unwrap(), tls, web::router(state)).await.unwrap();
    let port = server.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let pem = std::fs::read(ca.expect("the node's own certificate")).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    View { node, base: format!("https://localhost:{port}"), http, tokens, stop: Some(stop) }
}

impl View {
    fn token(&self, who: &str) -> &str {
        &self.tokens.iter().find(|(n, _)| n == who).unwrap().1
    }

    /// Signs in by the form; the session cookie.
    async fn sign_in(&self, who: &str) -> String {
        let r = self.post_as(None, "/sign-in", &[("token", self.token(who))]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        cookie.split(';').next().unwrap().to_owned()
    }

    async fn get(&self, cookie: &str, path: &str) -> (StatusCode, String) {
        let r = self.http.get(format!("{}{path}", self.base)).header(header::COOKIE, cookie).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn post_as(&self, cookie: Option<&str>, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(cookie, path, form, Some(&self.base)).await
    }

    async fn post_from(
        &self,
        cookie: Option<&str>,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(urlencoded(form));
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        r.send().await.unwrap()
    }

    /// The form token and the hidden fields of the first form posting to `action` on `path`.
    async fn form(&self, cookie: &str, path: &str, action: &str) -> Vec<(String, String)> {
        let (status, html) = self.get(cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let at = html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("no form to {action} on {path}"));
        let form = &html[at..html[at..].find("</form>").unwrap() + at];
        form.split("<input type=\"hidden\" ")
            .skip(1)
            .map(|i| {
                let attr = |name: &str| {
                    let s = &i[i.find(&format!("{name}=\"")).unwrap() + name.len() + 2..];
                    s[..s.find('"').unwrap()].to_owned()
                };
                (attr("name"), attr("value"))
            })
            .collect()
    }

    async fn spent(&self) -> usize {
        self.node.store.charges().await.unwrap().len()
    }
}

/// A form body, as a browser encodes it.
fn urlencoded(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_a_wrong_token_and_every_page_needs_a_session() {
    for db in databases().await {
        let v = view(&db).await;
        let r = v.post_as(None, "/sign-in", &[("token", "not-a-token")]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(header::SET_COOKIE).is_none());
        assert!(r.text().await.unwrap().contains("That token is not the token of any account"));
        let log = v.node.store.audit_log(None).await.unwrap();
        assert_eq!(log[0].action, "sign_in_refused");

        for path in ["/", "/imports", &format!("/quarters/{Q}"), "/budget", "/audit"] {
            let (status, _) = v.get("msp_node_session=forged", path).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{path} without a session");
        }
        let cookie = v.sign_in("Sam Officer").await;
        for path in [
            "/",
            "/imports",
            &format!("/quarters/{Q}"),
            &format!("/quarters/{Q}/preview"),
            "/budget",
            "/submissions",
            "/compare",
            "/audit",
        ] {
            let (status, html) = v.get(&cookie, path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {html}");
            assert!(html.contains("Sam Officer"), "{path} names who is signed in");
        }
        let (status, html) = v.get(&cookie, "/quarters/not-a-quarter").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{html}");

        let r = v.post_as(Some(&cookie), "/sign-out", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(v.get(&cookie, "/").await.0, StatusCode::SEE_OTHER, "the old cookie is worth nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_needs_the_form_token_the_node_s_own_origin_and_a_confirmation() {
    for db in databases().await {
        let v = view(&db).await;
        let sam = v.sign_in("Sam Officer").await;
        let fields = v.form(&sam, &format!("/quarters/{Q}/preview"), &format!("/quarters/{Q}/release")).await;
        let confirmed: Vec<(&str, &str)> = pairs(&fields).into_iter().chain([("confirm", "yes")]).collect();
        let path = format!("/quarters/{Q}/release");

        let forged: Vec<(&str, &str)> =
            confirmed.iter().map(|&(k, val)| if k == "csrf" { (k, "forged") } else { (k, val) }).collect();
        assert_eq!(v.post_as(Some(&sam), &path, &forged).await.status(), StatusCode::FORBIDDEN, "a wrong form token");
        let elsewhere = v.post_from(Some(&sam), &path, &confirmed, Some("https://evil.example")).await;
        assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN, "another site's form");
        let nowhere = v.post_from(Some(&sam), &path, &confirmed, None).await;
        assert_eq!(nowhere.status(), StatusCode::FORBIDDEN, "neither Origin nor Referer");
        let unconfirmed = pairs(&fields);
        assert_eq!(v.post_as(Some(&sam), &path, &unconfirmed).await.status(), StatusCode::BAD_REQUEST);
        let other_rho: Vec<(&str, &str)> =
            confirmed.iter().map(|&(k, val)| if k == "rho" { (k, "1.0") } else { (k, val) }).collect();
        assert_eq!(v.post_as(Some(&sam), &path, &other_rho).await.status(), StatusCode::CONFLICT);
        assert_eq!(v.spent().await, 0, "nothing was spent by a refused form");

        let r = v.post_as(Some(&sam), &path, &confirmed).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(v.spent().await, 1);
        let made = v.node.store.release(Q.parse().unwrap(), None).await.unwrap().unwrap();
        assert_eq!(made.made_by.as_deref(), Some("Sam Officer"));

        let (_, page) = v.get(&sam, &path).await;
        assert!(page.contains("Your account is an officer"), "an officer is offered no approval");
        assert!(page.contains(&made.sha256()), "the page names the bytes");
        let bytes = v.http.get(format!("{}{path}.json", v.base)).header(header::COOKIE, &sam).send().await.unwrap();
        assert_eq!(bytes.bytes().await.unwrap().as_ref(), made.document.as_bytes(), "the download is the exact bytes");
        let approve = [("csrf", fields[0].1.as_str()), ("revision", "1"), ("sha256", &made.sha256())];
        let r = v.post_as(Some(&sam), &format!("/quarters/{Q}/approve"), &approve).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "an officer cannot approve");
        assert!(v.node.store.approval(Q.parse().unwrap(), 1).await.unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_and_a_page_opened_before_a_revision_cannot_approve() {
    for db in databases().await {
        let v = view(&db).await;
        let q = Q.parse().unwrap();
        let (priya, alex) = (v.sign_in("Priya Shah").await, v.sign_in("Alex Lead").await);
        let fields = v.form(&priya, &format!("/quarters/{Q}/preview"), &format!("/quarters/{Q}/release")).await;
        let confirmed: Vec<(&str, &str)> = pairs(&fields).into_iter().chain([("confirm", "yes")]).collect();
        assert_eq!(
            v.post_as(Some(&priya), &format!("/quarters/{Q}/release"), &confirmed).await.status(),
            StatusCode::SEE_OTHER
        );

        let (_, own) = v.get(&priya, &format!("/quarters/{Q}/release")).await;
        assert!(own.contains("another approver must approve it"), "the maker is offered no approval");
        let made = v.node.store.release(q, None).await.unwrap().unwrap();
        let sha = made.sha256();
        let csrf = fields.iter().find(|(k, _)| k == "csrf").unwrap().1.clone();
        let own_approval = [("csrf", csrf.as_str()), ("revision", "1"), ("sha256", sha.as_str())];
        let r = v.post_as(Some(&priya), &format!("/quarters/{Q}/approve"), &own_approval).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("another person must approve it"));

        // Alex opens the page, then the quarter is revised before Alex approves.
        let old_page = v.form(&alex, &format!("/quarters/{Q}/release"), &format!("/quarters/{Q}/approve")).await;
        release::release_by(
            &v.node.store,
            &config(),
            q,
            true,
            "2026-07-16T09:00:00Z".parse().unwrap(),
            &Actor::web("Priya Shah"),
        )
        .await
        .unwrap();
        let r = v.post_as(Some(&alex), &format!("/quarters/{Q}/approve"), &pairs(&old_page)).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("superseded by revision 2"));
        for revision in [1, 2] {
            assert!(v.node.store.approval(q, revision).await.unwrap().is_none(), "nothing approved");
        }

        let new_page = v.form(&alex, &format!("/quarters/{Q}/release"), &format!("/quarters/{Q}/approve")).await;
        let r = v.post_as(Some(&alex), &format!("/quarters/{Q}/approve"), &pairs(&new_page)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let approval = v.node.store.approval(q, 2).await.unwrap().unwrap();
        assert_eq!(approval.by, "Alex Lead");
        let (_, page) = v.get(&alex, &format!("/quarters/{Q}/release")).await;
        assert!(page.contains("Approved by <strong>Alex Lead</strong>"), "{page}");
        let (_, audit) = v.get(&alex, "/audit").await;
        assert!(audit.contains("Approved a release") && audit.contains("Made a new revision"), "{audit}");
    }
}

#[test]
fn nothing_is_served_beyond_this_machine_unless_configured() {
    let anywhere = "0.0.0.0:8445".parse().unwrap();
    let lan = "192.168.1.20:8445".parse().unwrap();
    for addr in [anywhere, lan] {
        let err = web::check_listen(addr, false).unwrap_err();
        assert!(matches!(err, ServeError::NotLoopback(_)));
        assert!(err.to_string().contains("allow_non_loopback = true"), "{err}");
        web::check_listen(addr, true).unwrap();
    }
    for local in ["127.0.0.1:8445", "[::1]:8445"] {
        web::check_listen(local.parse().unwrap(), false).unwrap();
    }
}
