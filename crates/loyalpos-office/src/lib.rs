//! The back office (office.md): server-rendered pages at `/office` for a merchant's staff. This
//! crate only parses forms, checks the session and renders; every rule and every change is a
//! command of `loyalpos_app::office` (and through it the API's own commands).

mod cardgroups;
mod cards;
mod customers;
mod dashboard;
mod devices;
mod lang;
mod merchants;
mod pages;
mod render;
mod reports;
mod session;
mod stores;
mod transactions;
mod users;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loyalpos_app::clock::Clock;
use loyalpos_store::Store;

/// How the office is served.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfficeConfig {
    /// Marks the session cookie `Secure` even when the request did not come over TLS (a TLS proxy
    /// that is not a trusted proxy).
    pub secure_cookies: bool,
    /// A demo installation (`serve --demo`): the demo user's public password signs in.
    pub demo: bool,
}

#[derive(Clone)]
pub(crate) struct Office {
    pub store: Store,
    pub clock: Clock,
    pub config: OfficeConfig,
}

/// The office's routes, all under `/office`.
pub fn router(store: Store, clock: Clock, config: OfficeConfig) -> Router {
    let office = Office {
        store,
        clock,
        config,
    };
    Router::new()
        .route(
            "/office",
            get(|| async { Redirect::to("/office/dashboard") }),
        )
        .route(
            "/office/",
            get(|| async { Redirect::to("/office/dashboard") }),
        )
        .route("/office/static/office.css", get(stylesheet))
        .route(
            "/office/signin",
            get(pages::sign_in_page).post(pages::sign_in),
        )
        .route("/office/signout", post(pages::sign_out))
        .route("/office/merchants", get(merchants::merchants))
        .route("/office/merchants/switch", post(merchants::switch))
        .route("/office/merchants/leave", post(merchants::leave))
        .route("/office/dashboard", get(dashboard::dashboard))
        .route("/office/live", get(dashboard::live))
        .route("/office/static/live.js", get(live_script))
        .route("/office/audit", get(pages::audit))
        .route("/office/cards", get(cards::search))
        .route("/office/cards/{id}", get(cards::card))
        .route("/office/cards/{id}/lock", post(cards::lock))
        .route("/office/cards/{id}/unlock", post(cards::unlock))
        .route("/office/cards/{id}/move", post(cards::move_to_group))
        .route("/office/cards/{id}/correction", post(cards::correct))
        .route(
            "/office/cards/{id}/bookings/{ltx}/cancel",
            post(cards::cancel_booking),
        )
        .route(
            "/office/customers",
            get(customers::search).post(customers::create),
        )
        .route("/office/customers/new", get(customers::new_customer))
        .route(
            "/office/customers/{id}",
            get(customers::customer).post(customers::update),
        )
        .route(
            "/office/customers/{id}/anonymise",
            get(customers::anonymise_page).post(customers::anonymise),
        )
        .route("/office/stores", get(stores::stores).post(stores::create))
        .route(
            "/office/stores/{id}",
            get(stores::store).post(stores::update),
        )
        .route("/office/stores/{id}/default", post(stores::set_default))
        .route("/office/users", get(users::users).post(users::create))
        .route("/office/users/{id}/role", post(users::set_role))
        .route("/office/users/{id}/disable", post(users::disable))
        .route("/office/users/{id}/password", post(users::reset_password))
        .route("/office/transactions", get(transactions::list))
        .route("/office/transactions/{id}", get(transactions::detail))
        .route(
            "/office/transactions/{id}/cancel",
            post(transactions::cancel),
        )
        .route("/office/cardgroups", get(cardgroups::groups))
        .route(
            "/office/cardgroups/{id}",
            get(cardgroups::group).post(cardgroups::save),
        )
        .route("/office/cardgroups/{id}/preview", post(cardgroups::preview))
        .route("/office/cardgroups/{id}/issue", post(cardgroups::issue))
        .route("/office/reports", get(reports::reports))
        .route("/office/reports/bookings", get(reports::bookings))
        .route("/office/reports/bookings.csv", get(reports::bookings_csv))
        .route("/office/reports/end-of-day", get(reports::end_of_day))
        .route(
            "/office/reports/end-of-day.csv",
            get(reports::end_of_day_csv),
        )
        .route("/office/devices", get(devices::devices))
        .route("/office/devices/confirm", post(devices::confirm))
        .route("/office/devices/reject", post(devices::reject))
        .route("/office/devices/{id}/rename", post(devices::rename))
        .route("/office/devices/{id}/move", post(devices::move_to_store))
        .route("/office/devices/{id}/revoke", post(devices::revoke))
        // Not a fallback: the API's dispatcher is the server's fallback.
        .route("/office/{*rest}", axum::routing::any(pages::not_found))
        .with_state(office)
        .layer(axum::middleware::map_response(security_headers))
}

/// No inline script or style anywhere (office.md §1): the policy allows only the office's own
/// files; pages are never cached (they show balances and carry CSRF tokens) nor framed.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn live_script() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/live.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/office.css"),
    )
        .into_response()
}
