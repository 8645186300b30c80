//! The users page (office.md §2 "Users", admin): the merchant's users with create, role, disable
//! and password reset — each a command of `loyalpos_app::office::users`. A new password is hashed
//! on a blocking thread after the session, CSRF token and role are checked, before the write.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::ApiError;
use loyalpos_app::office::OfficeUser;
use loyalpos_app::office::users::{self as commands, MIN_PASSWORD};
use loyalpos_store::Tx;
use serde::Deserialize;

use crate::Office;
use crate::render::{Frame, html};

/// A user as the page lists them.
pub struct UserLine {
    pub id: String,
    pub username: String,
    pub role: String,
    pub created: String,
    pub disabled: Option<String>,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    frame: Frame,
    users: Vec<UserLine>,
    min_password: usize,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    lang: Option<String>,
    done: Option<String>,
}

pub async fn users(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<UsersQuery>,
) -> Response {
    let lang = query.lang.as_deref();
    let (visit, rows) = match office
        .read_page(&headers, "/office/users", lang, commands::users)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let me = visit.user().user_id.clone();
    let page = UsersPage {
        frame: visit.frame(),
        users: rows
            .into_iter()
            .map(|u| UserLine {
                is_me: u.id == me,
                created: lang.time(&office.clock, u.created),
                disabled: u.disabled_at.map(|at| lang.time(&office.clock, at)),
                id: u.id,
                username: u.username,
                role: u.role,
            })
            .collect(),
        min_password: MIN_PASSWORD,
        done: query.done.is_some(),
    };
    html(200, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

/// A form that sets a password: the session, token and admin role are checked first, then the
/// password is hashed off the async threads, then `command` runs as one unit of work.
async fn with_new_password<C>(
    office: &Office,
    headers: &HeaderMap,
    body: &[u8],
    command: C,
) -> Response
where
    C: FnOnce(&mut dyn Tx, &OfficeUser, UserForm, String, i64) -> Result<(), ApiError>
        + Send
        + 'static,
{
    let visit = match office.visit(headers, "/office/users", None).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let form: UserForm = match visit.form(body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    if let Err(refused) = visit.user().require_admin() {
        return visit.refused(&refused);
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || commands::hashed(&password)).await;
    let hash = match hash {
        Ok(Ok(hash)) => hash,
        Ok(Err(refused)) => return visit.refused(&refused),
        Err(e) => return visit.refused(&ApiError::internal(e.to_string())),
    };
    let user = visit.user().clone();
    let now = office.clock.now();
    match office
        .store
        .write(move |tx| command(tx, &user, form, hash, now))
        .await
    {
        Ok(()) => done(),
        Err(e) => visit.refused(&e),
    }
}

fn done() -> Response {
    Redirect::to("/office/users?done=1").into_response()
}

pub async fn create(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    with_new_password(&office, &headers, &body, |tx, user, form, hash, now| {
        commands::create(tx, user, &form.username, &hash, &form.role, now).map(drop)
    })
    .await
}

pub async fn reset_password(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with_new_password(&office, &headers, &body, move |tx, user, _, hash, now| {
        commands::reset_password(tx, user, &id, &hash, now)
    })
    .await
}

pub async fn set_role(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, form: UserForm, now| {
        commands::set_role(tx, user, &id, &form.role, now)
    };
    office
        .submit(&headers, "/office/users", &body, run, |()| done())
        .await
}

pub async fn disable(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, _: Vec<(String, String)>, now| {
        commands::disable(tx, user, &id, now)
    };
    office
        .submit(&headers, "/office/users", &body, run, |()| done())
        .await
}
