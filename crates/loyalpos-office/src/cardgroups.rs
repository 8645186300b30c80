//! The card groups pages (admin): the list, the bonus-programme editor and its preview.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::loyalty::cardgroups::{BonusPatch, CardgroupPatch, FilterPatch};
use loyalpos_app::loyalty::issue::Issued;
use loyalpos_app::loyalty::rules::{BonusProductJson, bonus_products, filter_codes};
use loyalpos_app::office::OfficeUser;
use loyalpos_app::office::cardgroups::{self as commands, Sample};
use loyalpos_app::{ApiError, ApiResult};
use loyalpos_domain::basket::Line;
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::Plan;
use loyalpos_store::{CardgroupRow, Tx};
use serde::Deserialize;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, html};
use crate::reports::csv_download;

pub struct GroupLine {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub rate: String,
    pub base: String,
    pub filter: String,
}

#[derive(Template)]
#[template(path = "cardgroups.html")]
struct GroupsPage {
    frame: Frame,
    groups: Vec<GroupLine>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
    done: Option<String>,
}

pub async fn groups(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = query.lang.as_deref();
    let (visit, rows) = match office
        .read_page(&headers, "/office/cardgroups", lang, commands::groups)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let groups = rows
        .into_iter()
        .map(|g| GroupLine {
            rate: percent(g.bonus_rate),
            filter: format!("{} ({})", g.filter_mode, filter_codes(&g).len()),
            id: g.id.to_string(),
            name: g.display_name,
            currency: g.currency,
            base: g.bonus_base,
        })
        .collect();
    html(
        200,
        &GroupsPage {
            frame: visit.frame(),
            groups,
        },
    )
}

/// A rate in hundredths of a percent, as a percentage.
fn percent(rate: i64) -> String {
    format!("{}.{:02} %", rate / 100, rate % 100)
}

/// The editor's fields, as the form holds them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    display_name: String,
    /// Absent from a form that predates the field: the currency stays.
    currency: Option<String>,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    filter_mode: String,
    #[serde(default)]
    filter_codes: String,
    overdraft_allowed: Option<String>,
    #[serde(default)]
    overdraft_limit: String,
    #[serde(default)]
    passcode_policy: String,
    #[serde(default)]
    products: String,
    #[serde(default)]
    sample: String,
    #[serde(default)]
    sample_cash: String,
    #[serde(default)]
    sample_bonus: String,
}

impl GroupForm {
    fn of(row: &CardgroupRow) -> GroupForm {
        GroupForm {
            display_name: row.display_name.clone(),
            currency: Some(row.currency.clone()),
            rate: row.bonus_rate.to_string(),
            base: row.bonus_base.clone(),
            filter_mode: row.filter_mode.clone(),
            filter_codes: filter_codes(row).join("\n"),
            overdraft_allowed: row.overdraft_allowed.then(|| "1".into()),
            overdraft_limit: row.overdraft_limit.value().to_string(),
            passcode_policy: row.passcode_policy.to_string(),
            products: bonus_products(row)
                .iter()
                .map(|p| {
                    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                    format!(
                        "{};{};{};{}",
                        p.tax,
                        p.desc,
                        opt(&p.article_number),
                        opt(&p.ean)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            sample: "1 796 19".into(),
            sample_cash: "0".into(),
            sample_bonus: "100".into(),
        }
    }

    fn patch(&self) -> ApiResult<CardgroupPatch> {
        Ok(CardgroupPatch {
            display_name: Some(self.display_name.clone()),
            currency: self.currency.as_deref().map(|c| c.trim().to_owned()),
            overdraft_allowed: Some(self.overdraft_allowed.is_some()),
            overdraft_limit: Some(number("overdraft_limit", &self.overdraft_limit)?),
            passcode_policy: Some(number("passcode_policy", &self.passcode_policy)?),
            bonus: Some(BonusPatch {
                rate: Some(number("rate", &self.rate)?),
                base: Some(self.base.clone()),
                filter: Some(FilterPatch {
                    mode: Some(self.filter_mode.clone()),
                    codes: Some(words(&self.filter_codes)),
                }),
                products: Some(products(&self.products)?),
            }),
            ..CardgroupPatch::default()
        })
    }

    /// The currency field as the form shows it.
    fn currency_field(&self) -> &str {
        self.currency.as_deref().unwrap_or_default()
    }

    fn sample(&self) -> ApiResult<Sample> {
        let lines = self
            .sample
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| sample_line(i, l))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Sample {
            lines,
            cash: number("sample_cash", &self.sample_cash)?,
            bonus: number("sample_bonus", &self.sample_bonus)?,
        })
    }
}

fn number(field: &str, text: &str) -> ApiResult<i64> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{field}: must be a whole number")))
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Bonus products, one per line: `tax;desc;articleNumber;ean` (the last two may be empty).
fn products(text: &str) -> ApiResult<Vec<BonusProductJson>> {
    let optional = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split(';');
            let tax = number("products: tax", parts.next().unwrap_or_default())?;
            let desc = parts.next().unwrap_or_default().trim().to_owned();
            Ok(BonusProductJson {
                tax,
                desc,
                article_number: optional(parts.next()),
                ean: optional(parts.next()),
            })
        })
        .collect()
}

/// A sample basket line: `quantity price tax [articleNumber]`, the price in cents.
fn sample_line(index: usize, text: &str) -> ApiResult<Line> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let field = |i: usize, name: &str| {
        number(
            &format!("sample line {}: {name}", index + 1),
            parts.get(i).copied().unwrap_or_default(),
        )
    };
    Ok(Line {
        id: index as i64 + 1,
        quantity: field(0, "quantity")?,
        price_one: Cents(field(1, "price")?),
        tax: field(2, "tax")?,
        ean: None,
        article_number: parts.get(3).map(|s| (*s).to_owned()),
        is_bonus: false,
    })
}

/// The preview's figures as the page shows them.
pub struct PreviewView {
    pub lines: Vec<(i64, String, String)>,
    pub bonus_spent: String,
    pub cash_spent: String,
    pub missing_sum: String,
}

fn preview_view(lang: Lang, currency: &str, plan: &Plan) -> PreviewView {
    PreviewView {
        lines: plan
            .bonus_lines
            .iter()
            .map(|b| {
                (
                    b.tax,
                    b.desc.clone(),
                    lang.money(b.price_one.value(), currency),
                )
            })
            .collect(),
        bonus_spent: lang.money(plan.bonus_spent.value(), currency),
        cash_spent: lang.money(plan.cash_spent.value(), currency),
        missing_sum: lang.money(plan.missing_sum.value(), currency),
    }
}

#[derive(Template)]
#[template(path = "cardgroup.html")]
struct GroupPage {
    frame: Frame,
    id: String,
    currency: String,
    form: GroupForm,
    preview: Option<PreviewView>,
    done: bool,
}

pub async fn group(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/office/cardgroups/{id}");
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::group(tx, user, &id);
    let lang = query.lang.as_deref();
    let (visit, row) = match office.read_page(&headers, &path, lang, read).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let page = GroupPage {
        frame: visit.frame(),
        id: row.id.to_string(),
        currency: row.currency.clone(),
        form: GroupForm::of(&row),
        preview: None,
        done: query.done.is_some(),
    };
    html(200, &page)
}

pub async fn save(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/office/cardgroups/{id}");
    let back = format!("{path}?done=1");
    let command = move |tx: &mut dyn Tx, user: &OfficeUser, form: GroupForm, now| {
        commands::update(tx, user, &id, form.patch()?, now).map(drop)
    };
    let answer = move |()| Redirect::to(&back).into_response();
    office.submit(&headers, &path, &body, command, answer).await
}

pub async fn preview(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let visit = match office
        .visit(&headers, &format!("/office/cardgroups/{id}"), None)
        .await
    {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let form: GroupForm = match visit.form(&body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let (patch, sample) = match form.patch().and_then(|p| Ok((p, form.sample()?))) {
        Ok(parsed) => parsed,
        Err(e) => return visit.refused(&e),
    };
    let user = visit.user().clone();
    let group = id.clone();
    let previewed = office
        .store
        .read(move |tx| commands::preview(tx, &user, &group, patch, &sample))
        .await;
    let (edited, plan) = match previewed {
        Ok(previewed) => previewed,
        Err(e) => return visit.refused(&e),
    };
    let page = GroupPage {
        frame: visit.frame(),
        id,
        preview: Some(preview_view(visit.lang, &edited.currency, &plan)),
        currency: edited.currency,
        form,
        done: false,
    };
    html(200, &page)
}

#[derive(Debug, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    count: String,
    #[serde(default)]
    prefix: String,
}

/// Issues cards and answers their numbers and CSCs as a CSV download: the only time the CSCs are
/// shown (they are stored hashed), so the answer is never cached.
pub async fn issue(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/office/cardgroups/{id}");
    let name = format!("cards-{id}.csv");
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, form: IssueForm, now| {
        commands::issue(tx, user, &id, &form.count, &form.prefix, now)
    };
    let answer = move |issued: Vec<Issued>| {
        let mut csv = String::from("card_number;csc;merchantcard_id\r\n");
        for card in &issued {
            let line = format!(
                "{};{};{}\r\n",
                card.card.cardnumber, card.csc, card.merchantcard.id
            );
            csv.push_str(&line);
        }
        csv_download(&name, csv)
    };
    office.submit(&headers, &path, &body, run, answer).await
}
