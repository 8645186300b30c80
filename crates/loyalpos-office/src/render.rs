//! Rendering: the frame every page shares (navigation, language switch, sign-out form), HTML
//! answers, the error page, and a receipt drawn as a till slip.

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use loyalpos_app::office::Role;
use loyalpos_app::office::signin::Session;
use serde_json::Value;

use crate::lang::{Lang, Texts};

/// What the frame of every page shows.
pub struct Frame {
    pub t: &'static Texts,
    pub lang: Lang,
    /// The signed-in user's name (empty on the sign-in page).
    pub username: String,
    pub is_admin: bool,
    /// The installation's operator signed in.
    pub operator: bool,
    /// The merchant the pages act for (none: the operator has not switched into one): the
    /// merchant pages are shown in the navigation only then.
    pub in_merchant: bool,
    /// The operator's merchant: its id and name, for the banner.
    pub operator_merchant: Option<(String, String)>,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    /// The page's path, for the language switch.
    pub path: String,
}

impl Frame {
    pub fn signed_in(lang: Lang, session: &Session, path: &str) -> Frame {
        Frame {
            t: lang.texts(),
            lang,
            username: session.account.username.clone(),
            is_admin: session.user.as_ref().is_some_and(|u| u.role == Role::Admin),
            operator: session.account.operator,
            in_merchant: session.user.is_some(),
            operator_merchant: session.user.as_ref().filter(|u| u.operator).map(|u| {
                let name = session.merchant_name.clone().unwrap_or_default();
                (u.merchant_id.to_string(), name)
            }),
            csrf: session.csrf.clone(),
            path: path.to_owned(),
        }
    }

    pub fn signed_out(lang: Lang, path: &str) -> Frame {
        Frame {
            t: lang.texts(),
            lang,
            username: String::new(),
            is_admin: false,
            operator: false,
            in_merchant: false,
            operator_merchant: None,
            csrf: String::new(),
            path: path.to_owned(),
        }
    }

    pub fn signed(&self) -> bool {
        !self.username.is_empty()
    }
}

/// A rendered page with its status.
pub fn html(status: u16, page: &impl Template) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match page.render() {
        Ok(body) => (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "an office page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    frame: Frame,
    status: u16,
    message: &'a str,
}

pub fn error_page(frame: Frame, status: u16, message: &str) -> Response {
    html(
        status,
        &ErrorPage {
            frame,
            status,
            message,
        },
    )
}

/// The page for a request refused before any session is known (the store unavailable at sign-in
/// or while a session is looked up).
pub fn signed_out_error(lang: Lang, err: &loyalpos_app::ApiError) -> Response {
    error_page(
        Frame::signed_out(lang, "/office"),
        err.code.status(),
        &err.details,
    )
}

/// Characters per line of the drawn till slip (a 58 mm printer's line).
const SLIP_WIDTH: usize = 40;

/// One printed line of a till slip.
pub struct SlipLine {
    pub text: String,
    pub important: bool,
}

/// The receipt lines of api.md §8.9 (as stored with the booking) drawn as a till slip: separators
/// as a rule with their caption, name and value at either edge, text lines aligned as decorated.
pub fn till_slip(receipt_json: &str) -> Vec<SlipLine> {
    till_slip_of(&serde_json::from_str(receipt_json).unwrap_or_default())
}

/// The same from the receipt lines as a JSON value (a Smart Transaction's `receipt`).
pub fn till_slip_of(receipt: &Value) -> Vec<SlipLine> {
    receipt
        .as_array()
        .map(|lines| lines.iter().map(slip_line).collect())
        .unwrap_or_default()
}

fn slip_line(line: &Value) -> SlipLine {
    let value = &line["value"];
    let text_of = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
    let decorations: Vec<&str> = value["decoration"]
        .as_array()
        .map(|d| d.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let important = decorations.contains(&"important");
    let text = match line["type"].as_str().unwrap_or_default() {
        "separator" => rule(&text_of("caption")),
        "name-value" => spread(&text_of("name"), &text_of("value")),
        "textline" => aligned(&text_of("text"), &decorations),
        _ => String::new(),
    };
    SlipLine { text, important }
}

fn rule(caption: &str) -> String {
    if caption.is_empty() {
        return "-".repeat(SLIP_WIDTH);
    }
    let caption = format!(" {caption} ");
    let dashes = SLIP_WIDTH.saturating_sub(caption.chars().count());
    format!(
        "{}{caption}{}",
        "-".repeat(dashes / 2),
        "-".repeat(dashes - dashes / 2)
    )
}

fn spread(name: &str, value: &str) -> String {
    let used = name.chars().count() + value.chars().count();
    let gap = SLIP_WIDTH.saturating_sub(used).max(1);
    format!("{name}{}{value}", " ".repeat(gap))
}

fn aligned(text: &str, decorations: &[&str]) -> String {
    let free = SLIP_WIDTH.saturating_sub(text.chars().count());
    let pad = if decorations.contains(&"align-center") {
        free / 2
    } else if decorations.contains(&"align-right") {
        free
    } else {
        0
    };
    format!("{}{text}", " ".repeat(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_drawn_forty_characters_wide_with_its_decorations() {
        let receipt = r#"[
            {"type":"separator","value":{"caption":"Bonuskarte"}},
            {"type":"name-value","value":{"name":"Kartennummer","value":"9276...0005","decoration":[]}},
            {"type":"textline","value":{"text":"STORNO","decoration":["align-center","important"]}},
            {"type":"space"}
        ]"#;
        let slip = till_slip(receipt);
        assert_eq!(slip[0].text, format!("{0} Bonuskarte {0}", "-".repeat(14)));
        assert_eq!(
            slip[1].text,
            format!("Kartennummer{}9276...0005", " ".repeat(17))
        );
        assert_eq!(slip[2].text, format!("{}STORNO", " ".repeat(17)));
        assert!(slip[2].important && !slip[1].important);
        assert_eq!(slip[3].text, "");
    }
}
