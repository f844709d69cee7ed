//! The page shell every site of the network draws its pages in, after the GOV.UK Design System:
//! a skip link, a header with the site's title (and who is signed in, with a sign-out button),
//! the main navigation with the current page marked (`aria-current="page"`), `main#main`, and a
//! footer. HTML only, styled by [`crate::assets::CSS`]: no script, nothing from elsewhere.
//!
//! A site fills in a [`Shell`] (its title, home, navigation for the reader, footer) and draws
//! each page's body in it; [`Shell::page`] answers with the page and its [`crate::headers::secure`]
//! headers.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use maud::{DOCTYPE, Markup, html};

use crate::headers::secure;

/// One link of the main navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavItem<'a> {
    /// Where it goes; the page at exactly this path is marked current.
    pub href: &'a str,
    /// What it says.
    pub label: &'a str,
}

/// Who is signed in, shown in the header beside a sign-out button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn<'a> {
    /// Shown as "Signed in as **label**" (a role, an officer's name).
    pub label: &'a str,
    /// Where the sign-out form posts (e.g. `/sign-out`).
    pub sign_out: &'a str,
}

/// What a site's pages share around their bodies.
#[derive(Debug, Clone)]
pub struct Shell<'a> {
    /// The site's name: the header's title and the end of every page title
    /// (`Sign in – MSP Outcomes Network`).
    pub site: &'a str,
    /// Where the header's title links to.
    pub home: &'a str,
    /// Who is signed in, if anyone.
    pub signed_in: Option<SignedIn<'a>>,
    /// The main navigation, in order.
    pub nav: &'a [NavItem<'a>],
    /// The path of the page being drawn, to mark its navigation link.
    pub current: &'a str,
    /// The footer's content (inside `footer.footer > div.footer__inner`).
    pub footer: Markup,
}

impl Shell<'_> {
    /// The whole document: `title` (then ` – ` and the site's name) in the head, `body` in `main`.
    pub fn render(&self, title: &str, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="en-GB" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " – " (self.site) }
                    link rel="stylesheet" href="/static/app.css";
                    link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                }
                body {
                    a.skip-link href="#main" { "Skip to main content" }
                    header.header {
                        div.header__inner {
                            a.header__title href=(self.home) { (self.site) }
                            @if let Some(who) = &self.signed_in {
                                div.header__role {
                                    "Signed in as " strong { (who.label) } " "
                                    form.inline method="post" action=(who.sign_out) {
                                        button.button.button--secondary type="submit" { "Sign out" }
                                    }
                                }
                            }
                        }
                    }
                    nav.nav aria-label="Main" {
                        div.nav__inner {
                            ul.nav__list {
                                @for item in self.nav {
                                    li {
                                        a href=(item.href) aria-current=[(item.href == self.current).then_some("page")] {
                                            (item.label)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main.main id="main" tabindex="-1" { (body) }
                    footer.footer {
                        div.footer__inner { (self.footer) }
                    }
                }
            }
        }
    }

    /// The page as an answer: 200, HTML, with the page security headers.
    pub fn page(&self, title: &str, body: Markup) -> Response {
        html_page(self.render(title, body))
    }
}

/// A rendered document as an answer: 200, `text/html; charset=utf-8`, with the page security
/// headers ([`secure`]). Set another status on the answer for a refusal or an error page.
pub fn html_page(document: Markup) -> Response {
    secure(
        (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], document.into_string()).into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell<'a>(nav: &'a [NavItem<'a>], signed_in: Option<SignedIn<'a>>) -> Shell<'a> {
        Shell { site: "msp-node (local)", home: "/", signed_in, nav, current: "/releases", footer: html! { p { "f" } } }
    }

    const NAV: [NavItem<'static>; 2] =
        [NavItem { href: "/", label: "Overview" }, NavItem { href: "/releases", label: "Releases" }];

    #[test]
    fn the_shell_names_the_site_marks_the_current_page_and_skips_to_main() {
        let html = shell(&NAV, None).render("Releases", html! { h1 { "Releases" } }).into_string();
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en-GB\">"), "{html}");
        assert!(html.contains("<title>Releases – msp-node (local)</title>"), "{html}");
        assert!(html.contains("<a class=\"skip-link\" href=\"#main\">"), "{html}");
        assert!(html.contains("<a class=\"header__title\" href=\"/\">msp-node (local)</a>"), "{html}");
        assert!(html.contains("<a href=\"/releases\" aria-current=\"page\">Releases</a>"), "{html}");
        assert!(html.contains("<a href=\"/\">Overview</a>"), "only the current page is marked: {html}");
        assert!(html.contains("<main class=\"main\" id=\"main\" tabindex=\"-1\"><h1>Releases</h1></main>"), "{html}");
        assert!(html.contains("<div class=\"footer__inner\"><p>f</p></div>"), "{html}");
        assert!(!html.contains("Signed in as") && !html.contains("<script"), "{html}");
    }

    #[test]
    fn a_signed_in_reader_is_named_with_a_sign_out_button() {
        let who = SignedIn { label: "Jo <officer>", sign_out: "/sign-out" };
        let html = shell(&NAV, Some(who)).render("x", html! {}).into_string();
        assert!(html.contains("Signed in as <strong>Jo &lt;officer&gt;</strong>"), "escaped: {html}");
        assert!(html.contains("<form class=\"inline\" method=\"post\" action=\"/sign-out\">"), "{html}");
    }

    #[test]
    fn a_page_is_html_with_the_page_security_headers() {
        let r = shell(&NAV, None).page("x", html! {});
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
