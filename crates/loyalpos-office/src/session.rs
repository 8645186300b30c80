//! The session of a page request: the `loyalpos_office` cookie (office.md §1), the language, and
//! the CSRF check of a form.

use axum::Extension;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE};
use axum::http::uri::Scheme;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::signin::{self, Session};
use loyalpos_app::{ApiError, ApiResult, office::OfficeUser};
use loyalpos_store::Tx;
use serde::de::DeserializeOwned;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, error_page, signed_out_error};

pub const COOKIE_NAME: &str = "loyalpos_office";

/// The cookie's value, if the request sent one.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME && !value.is_empty()).then(|| value.to_owned())
        })
}

/// `Set-Cookie` for a new session (`None`: ending it). `Secure` when the request came over TLS
/// (directly or through a trusted proxy) or the server is told to always set it.
pub fn set_cookie(value: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match value {
        Some(v) => format!("{COOKIE_NAME}={v}; Path=/office; HttpOnly; SameSite=Strict{secure}"),
        None => {
            format!("{COOKIE_NAME}=; Path=/office; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
        }
    };
    HeaderValue::from_str(&text).expect("a cookie of hex digits is a header value")
}

/// The language a page is shown in: the `lang` switch, else the session's choice, else the
/// browser's.
pub fn lang_of(headers: &HeaderMap, switch: Option<Lang>, session: Option<&Session>) -> Lang {
    switch
        .or_else(|| session.and_then(|s| s.lang.as_deref().and_then(Lang::parse)))
        .unwrap_or_else(|| {
            Lang::from_accept_language(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        })
}

/// A signed-in request: a merchant user's, or the operator's in or outside a merchant.
pub struct Signed {
    pub session: Session,
    pub lang: Lang,
    pub path: String,
}

/// A signed-in request that acts for a merchant: a merchant user's, or the operator's inside the
/// merchant it switched into.
pub struct Visit {
    signed: Signed,
    user: OfficeUser,
}

impl std::ops::Deref for Visit {
    type Target = Signed;

    fn deref(&self) -> &Signed {
        &self.signed
    }
}

impl Visit {
    pub fn user(&self) -> &OfficeUser {
        &self.user
    }
}

impl Signed {
    pub fn frame(&self) -> Frame {
        Frame::signed_in(self.lang, &self.session, &self.path)
    }

    /// The page for a refused command: its status, and its message in the page's language.
    pub fn refused(&self, err: &ApiError) -> Response {
        let message = match self.lang {
            Lang::De => err.code.user_text().to_owned(),
            Lang::En => err.details.clone(),
        };
        error_page(self.frame(), err.code.status(), &message)
    }

    /// A form's fields, once its CSRF token is the session's: a missing or wrong token answers 403
    /// and the form is not read further; a form that does not parse answers 400.
    pub fn form<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Box<Response>> {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        let token = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        if !token.is_some_and(|t| self.session.csrf_matches(t)) {
            let refused = error_page(self.frame(), 403, self.lang.texts().csrf_refused);
            return Err(Box::new(refused));
        }
        serde_urlencoded::from_bytes(body)
            .map_err(|e| Box::new(error_page(self.frame(), 400, &format!("{e}"))))
    }
}

impl Office {
    /// Whether the session cookie is `Secure`: the request came over HTTPS — the HTTP edge hands
    /// the scheme it determined (TLS, or a trusted proxy's `X-Forwarded-Proto`) as a request
    /// extension — or the server is told to always mark it.
    pub fn secure(&self, scheme: Option<Extension<Scheme>>) -> bool {
        self.config.secure_cookies || scheme.is_some_and(|Extension(s)| s == Scheme::HTTPS)
    }

    /// The request's session acting for a merchant, or the page to go to instead: the sign-in
    /// page, or for the operator outside any merchant the merchants page (nothing is read or
    /// changed for a merchant until it switches into one).
    pub async fn visit(
        &self,
        headers: &HeaderMap,
        path: &str,
        switch: Option<Lang>,
    ) -> Result<Visit, Response> {
        let signed = self.signed(headers, path, switch).await?;
        match signed.session.user.clone() {
            Some(user) => Ok(Visit { signed, user }),
            None => Err(Redirect::to("/office/merchants").into_response()),
        }
    }

    /// The request's session, or the sign-in page to go to. A language switch is kept in the
    /// session; the session's last request time is written at most once a minute.
    pub async fn signed(
        &self,
        headers: &HeaderMap,
        path: &str,
        switch: Option<Lang>,
    ) -> Result<Signed, Response> {
        let to_sign_in = || Redirect::to("/office/signin").into_response();
        let Some(cookie) = cookie_value(headers) else {
            return Err(to_sign_in());
        };
        let now = self.clock.now();
        let found = self
            .store
            .read(move |tx| signin::session(tx, &cookie, now))
            .await
            .map_err(|e| self.unavailable(headers, e.into()))?;
        let Some(session) = found else {
            return Err(Redirect::to("/office/signin?ended=1").into_response());
        };
        let lang = lang_of(headers, switch, Some(&session));
        let chosen = switch.map(Lang::code);
        if session.needs_touch(now, chosen) {
            let kept = session.clone();
            self.store
                .write(move |tx| signin::touch(tx, &kept, chosen, now))
                .await
                .map_err(|e| self.unavailable(headers, e.into()))?;
        }
        Ok(Signed {
            session,
            lang,
            path: path.to_owned(),
        })
    }

    /// A page's data, read as the signed-in user: the session first (else the sign-in page, with a
    /// `?lang=` switch kept in the session), then `read` as one read of the store (refused: the
    /// error page).
    pub async fn read_page<T, R>(
        &self,
        headers: &HeaderMap,
        path: &str,
        lang: Option<&str>,
        read: R,
    ) -> Result<(Visit, T), Response>
    where
        T: Send + 'static,
        R: FnOnce(&mut dyn Tx, &OfficeUser) -> ApiResult<T> + Send + 'static,
    {
        let visit = self
            .visit(headers, path, lang.and_then(Lang::parse))
            .await?;
        let user = visit.user().clone();
        match self.store.read(move |tx| read(tx, &user)).await {
            Ok(found) => Ok((visit, found)),
            Err(e) => Err(visit.refused(&e)),
        }
    }

    /// Runs a form's command as the signed-in user: the session, the CSRF token and the form are
    /// checked first (each refusal is its page), then `command` runs as one unit of work; what it
    /// returns goes to `answer`, a refused command to the error page.
    pub async fn submit<F, T, C>(
        &self,
        headers: &HeaderMap,
        path: &str,
        body: &[u8],
        command: C,
        answer: impl FnOnce(T) -> Response,
    ) -> Response
    where
        F: DeserializeOwned + Send + 'static,
        T: Send + 'static,
        C: FnOnce(&mut dyn Tx, &OfficeUser, F, i64) -> ApiResult<T> + Send + 'static,
    {
        let visit = match self.visit(headers, path, None).await {
            Ok(v) => v,
            Err(to_sign_in) => return to_sign_in,
        };
        let form: F = match visit.form(body) {
            Ok(form) => form,
            Err(refused) => return *refused,
        };
        let user = visit.user().clone();
        let now = self.clock.now();
        match self
            .store
            .write(move |tx| command(tx, &user, form, now))
            .await
        {
            Ok(done) => answer(done),
            Err(e) => visit.refused(&e),
        }
    }

    fn unavailable(&self, headers: &HeaderMap, err: ApiError) -> Response {
        signed_out_error(lang_of(headers, None, None), &err)
    }
}

/// Adds `Set-Cookie` to a response.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}
