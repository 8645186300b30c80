//! Sign-in and sign-out, the dashboard and the audit trail.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::uri::Scheme;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::signin::{self, Attempt, SignIn};
use loyalpos_app::office::{self as commands, OfficeUser};
use loyalpos_store::Tx;
use serde::Deserialize;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, error_page, html, signed_out_error};
use crate::session::{lang_of, set_cookie, with_cookie};

/// The query every page understands: the language switch.
#[derive(Debug, Default, Deserialize)]
pub struct LangSwitch {
    pub lang: Option<String>,
}

impl LangSwitch {
    pub fn lang(&self) -> Option<Lang> {
        self.lang.as_deref().and_then(Lang::parse)
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    frame: Frame,
    message: Option<&'static str>,
    username: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    lang: Option<String>,
    ended: Option<String>,
}

pub async fn sign_in_page(headers: HeaderMap, Query(q): Query<SignInQuery>) -> Response {
    let lang = lang_of(&headers, q.lang.as_deref().and_then(Lang::parse), None);
    let message = q.ended.is_some().then_some(lang.texts().session_ended);
    html(
        200,
        &SignInPage {
            frame: Frame::signed_out(lang, "/office/signin"),
            message,
            username: String::new(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Checks the password off the async workers and the store's threads, then records the verdict:
/// a session cookie and the dashboard, or the form again with one message for a wrong username
/// or password and another once the username is locked.
pub async fn sign_in(
    State(office): State<Office>,
    scheme: Option<Extension<Scheme>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&headers, None, None);
    let form: SignInForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let refused = |status: u16, message: &'static str, username: String| {
        let frame = Frame::signed_out(lang, "/office/signin");
        html(
            status,
            &SignInPage {
                frame,
                message: Some(message),
                username,
            },
        )
    };
    let now = office.clock.now();
    let username = form.username.trim().to_owned();
    let name = username.clone();
    let demo = office.config.demo;
    let attempt = match office
        .store
        .read(move |tx| signin::begin(tx, &name, demo, now))
        .await
    {
        Ok(attempt) => attempt,
        Err(e) => return signed_out_error(lang, &e.into()),
    };
    let user = match attempt {
        Attempt::LockedOut => return refused(429, lang.texts().locked_out, username),
        Attempt::Check(user) => user,
    };
    let password = form.password;
    let checked = user.clone();
    let verdict = tokio::task::spawn_blocking(move || signin::verify(checked.as_ref(), &password))
        .await
        .unwrap_or(signin::Verdict::Wrong);
    let name = username.clone();
    let recorded = office
        .store
        .write(move |tx| signin::finish(tx, &name, user.as_ref(), verdict, Some(lang.code()), now))
        .await;
    match recorded {
        Ok(SignIn::SignedIn(session)) => {
            let cookie = set_cookie(Some(&session.session_id), office.secure(scheme));
            let landing = match session.account.operator {
                true => "/office/merchants",
                false => "/office/dashboard",
            };
            with_cookie(Redirect::to(landing).into_response(), cookie)
        }
        Ok(SignIn::Refused) => refused(401, lang.texts().sign_in_refused, username),
        Ok(SignIn::LockedOut) => refused(429, lang.texts().locked_out, username),
        Err(e) => signed_out_error(lang, &e.into()),
    }
}

pub async fn sign_out(
    State(office): State<Office>,
    scheme: Option<Extension<Scheme>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visit = match office.signed(&headers, "/office/signout", None).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    if let Err(refused) = visit.form::<Vec<(String, String)>>(&body) {
        return *refused;
    }
    let now = office.clock.now();
    let session = visit.session.clone();
    if let Err(e) = office
        .store
        .write(move |tx| signin::sign_out(tx, &session, now))
        .await
    {
        return visit.refused(&e.into());
    }
    let cookie = set_cookie(None, office.secure(scheme));
    with_cookie(Redirect::to("/office/signin").into_response(), cookie)
}

pub struct AuditLine {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    entries: Vec<AuditLine>,
    older: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    lang: Option<String>,
    before: Option<i64>,
}

pub async fn audit(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Response {
    let before = q.before;
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::audit_page(tx, user, before);
    let lang = q.lang.as_deref();
    let (visit, (rows, more)) = match office
        .read_page(&headers, "/office/audit", lang, read)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let older = more
        .then(|| {
            rows.last()
                .map(|r| format!("/office/audit?before={}", r.id))
        })
        .flatten();
    let entries = rows
        .into_iter()
        .map(|r| AuditLine {
            time: visit.lang.time(&office.clock, r.at),
            actor: r.actor,
            action: r.action,
            object: r.object,
            detail: r.detail,
        })
        .collect();
    html(
        200,
        &AuditPage {
            frame: visit.frame(),
            entries,
            older,
        },
    )
}

pub async fn not_found(headers: HeaderMap) -> Response {
    let lang = lang_of(&headers, None, None);
    error_page(Frame::signed_out(lang, "/office"), 404, "Not found")
}
