//! The back office as a plain HTTP client sees it: a session cookie, the forms' CSRF token.
#![allow(dead_code)]

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::common::TestApp;

pub const DEMO_SIGN_IN: (&str, &str) = ("johns-bakery", "demo");

/// A page answer.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub csp: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// One browser-like session, without following redirects.
pub struct Office {
    base: String,
    http: reqwest::Client,
    pub cookie: Option<String>,
}

impl Office {
    pub fn new(app: &TestApp) -> Office {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Office {
            base: app.server.base.clone(),
            http,
            cookie: None,
        }
    }

    async fn page(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match &self.cookie {
            Some(c) => request.header(COOKIE, c.clone()),
            None => request,
        };
        let response = request.send().await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let page = Page {
            status: response.status(),
            location: header(LOCATION),
            set_cookie: header(SET_COOKIE),
            csp: header(reqwest::header::CONTENT_SECURITY_POLICY),
            body: String::new(),
        };
        if let Some(set) = &page.set_cookie {
            let pair = set.split(';').next().unwrap().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        Page {
            body: response.text().await.unwrap(),
            ..page
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.page(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(format!("{}{path}", self.base)).form(form);
        self.page(request).await
    }

    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        self.post(
            "/office/signin",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Signs in and expects the dashboard.
    pub async fn signed_in(app: &TestApp, username: &str, password: &str) -> Office {
        let mut office = Office::new(app);
        let page = office.sign_in(username, password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/office/dashboard"));
        office
    }

    /// Posts a card form with the CSRF token of the card's page.
    pub async fn card_form(&mut self, mcd: &str, action: &str, form: &[(&str, &str)]) -> Page {
        let token = self.get(&format!("/office/cards/{mcd}")).await.csrf();
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(&format!("/office/cards/{mcd}/{action}"), &fields)
            .await
    }
}
