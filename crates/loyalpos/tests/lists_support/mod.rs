//! What the list tests share (api.md §5): a contract every `GET` list must keep — paging at the
//! edges, every `q` construct, both sort forms and directions, projections, the empty answer, syntax
//! errors — checked against the route's own full answer, and the same-answer check for the two
//! evaluation paths (`q` pushed down to SQL versus evaluated in memory: `NOT NOT (q)` never pushes
//! down).
#![allow(dead_code)]

use serde_json::{Value, json};

use crate::common::*;

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET route?query` that must answer 200 with a list envelope.
pub async fn list(app: &TestApp, route: &str, token: &str, query: &str) -> Value {
    let r = app.get(&format!("{route}?{query}"), token).await;
    let body = r.ok().clone();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["count", "data"], "{route}?{query}: {body}");
    assert!(body["count"].is_u64() && body["data"].is_array());
    body
}

/// `GET route?q=…&extra` (q encoded here).
pub async fn query(app: &TestApp, route: &str, token: &str, q: &str, extra: &str) -> Value {
    let sep = if extra.is_empty() { "" } else { "&" };
    list(app, route, token, &format!("q={}{sep}{extra}", enc(q))).await
}

pub fn ids(answer: &Value) -> Vec<String> {
    answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

pub fn count(answer: &Value) -> u64 {
    answer["count"].as_u64().unwrap()
}

/// The answer of `q` equals the answer of `NOT NOT (q)`, which is evaluated in memory only, for
/// the default order and page, a small page, and a sort; returns the answer.
pub async fn same_both_ways(app: &TestApp, route: &str, token: &str, q: &str) -> Value {
    let mut first = Value::Null;
    for extra in ["", "count=2&offset=1", "sort=id:asc&count=3", "fields=id"] {
        let pushed = query(app, route, token, q, extra).await;
        let in_memory = query(app, route, token, &format!("NOT NOT ({q})"), extra).await;
        assert_eq!(pushed, in_memory, "{route}?q={q}&{extra}");
        if extra.is_empty() {
            first = pushed;
        }
    }
    first
}

/// Asserts `q` selects exactly `want` on both paths (in any order: objects created in the same
/// second order by their random ids; the contract checks the order itself).
pub async fn selects(app: &TestApp, route: &str, token: &str, q: &str, want: &[&str]) {
    let answer = same_both_ways(app, route, token, q).await;
    let mut got = ids(&answer);
    got.sort();
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{route}?q={q}");
    assert_eq!(count(&answer), want.len() as u64, "{route}?q={q}");
}

/// What the contract needs to know about a route beyond its answers.
pub struct Route<'a> {
    pub path: &'a str,
    pub token: &'a str,
    /// A nested field and a value that every object of the route has (`merchant.id`).
    pub nested: Option<(&'a str, &'a str)>,
    /// Whether the objects carry `created`.
    pub created: bool,
}

/// The list contract of api.md §5, checked on a route with at least three objects.
pub async fn check_list_contract(app: &TestApp, route: &Route<'_>) {
    let (path, token) = (route.path, route.token);
    let all = list(app, path, token, "count=1000").await;
    let n = count(&all) as usize;
    let items = all["data"].as_array().unwrap().clone();
    assert!(n >= 3, "{path} needs at least three objects, has {n}");
    assert_eq!(items.len(), n);
    let all_ids = ids(&all);

    // Defaults and paging at the edges.
    assert_eq!(
        list(app, path, token, "").await,
        all,
        "{path}: default page"
    );
    let page = |offset: usize, count: usize| json!({"count": n, "data": items.iter().skip(offset).take(count).cloned().collect::<Vec<_>>()});
    for (q, want) in [
        ("offset=0&count=1", page(0, 1)),
        ("count=1&offset=0", page(0, 1)),
        (&*format!("offset={}&count=5", n - 1), page(n - 1, 5)),
        (&*format!("offset={n}&count=5"), page(n, 5)),
        (&*format!("offset={}", n + 7), page(n, 5)),
        ("offset=99999999999999999999999", page(n, 5)),
        ("count=0", page(0, 0)),
        ("count=0&offset=1", page(0, 0)),
        ("count=1001", page(0, 1000)),
        ("count=99999999999999999999999", page(0, 1000)),
        (&*format!("offset=1&count={}", n - 2), page(1, n - 2)),
        ("count=2&offset=1", page(1, 2)),
        ("expand=true&count=2", page(0, 2)),
    ] {
        assert_eq!(list(app, path, token, q).await, want, "{path}?{q}");
    }
    for bad in [
        "count=-1",
        "offset=-1",
        "count=abc",
        "offset=1.5",
        "count=1e3",
        "count=&offset=",
    ] {
        let r = app.get(&format!("{path}?{bad}"), token).await;
        r.assert_error(400, 4001);
    }

    // Sort: both forms, both directions, stable on ties.
    let mut sorted = all_ids.clone();
    sorted.sort();
    let asc = list(app, path, token, "sort=id:asc&count=1000").await;
    assert_eq!(ids(&asc), sorted, "{path}: sort=id:asc");
    assert_eq!(
        list(app, path, token, "sort%5Bid%5D=asc&count=1000").await,
        asc
    );
    assert_eq!(list(app, path, token, "sort=id&count=1000").await, asc);
    let desc = list(app, path, token, "sort=id:DESC&count=1000").await;
    sorted.reverse();
    assert_eq!(ids(&desc), sorted, "{path}: sort=id:desc");
    assert_eq!(
        list(app, path, token, "sort[id]=desc&count=1000").await,
        desc
    );
    assert_eq!(
        ids(&list(app, path, token, "sort=id:desc&offset=1&count=2").await),
        sorted[1..3]
    );
    if route.created {
        // Newest first is the default order; a stable sort on `created` keeps the id tie-break.
        assert_eq!(
            list(app, path, token, "sort=created:desc&count=1000").await,
            all
        );
        let mut by_created = items.clone();
        by_created.reverse();
        by_created.sort_by(|a, b| a["created"].as_str().cmp(&b["created"].as_str()));
        let asc = list(app, path, token, "sort=created:asc,id:asc&count=1000").await;
        assert_eq!(count(&asc), n as u64);
        let got: Vec<&str> = asc["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["created"].as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = items
            .iter()
            .map(|i| i["created"].as_str().unwrap())
            .collect();
        want.sort();
        assert_eq!(got, want, "{path}: sort=created:asc");
    }
    for bad in ["sort=id:up", "sort=-id", "sort[id]=sideways"] {
        app.get(&format!("{path}?{bad}"), token)
            .await
            .assert_error(400, 4001);
    }

    // Projection: `object` and `id` always, in the object's own key order.
    let projected = list(app, path, token, "fields=id,status&count=1000").await;
    assert_eq!(count(&projected), n as u64);
    for (item, full) in projected["data"].as_array().unwrap().iter().zip(&items) {
        let keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let want: Vec<&str> = full
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| ["object", "id", "status"].contains(k))
            .collect();
        assert_eq!(keys, want, "{path}: fields=id,status");
        assert_eq!(item["id"], full["id"]);
    }
    if let Some((nested, _)) = route.nested {
        let (head, leaf) = nested.split_once('.').unwrap();
        let projected = list(app, path, token, &format!("fields={nested}&count=1")).await;
        let item = &projected["data"][0];
        assert_eq!(
            item[head].as_object().unwrap().keys().collect::<Vec<_>>(),
            [leaf],
            "{path}: fields={nested}"
        );
        assert_eq!(item[head][leaf], items[0][head][leaf]);
    }

    // The empty answer.
    let empty = json!({"count": 0, "data": []});
    assert_eq!(query(app, path, token, "id:NOPE", "").await, empty);
    assert_eq!(
        query(app, path, token, "id:NOPE", "offset=3&count=2").await,
        empty
    );
    assert_eq!(query(app, path, token, "no.such.field:x", "").await, empty);

    // Every q construct, on both evaluation paths.
    let (id0, id1, id2) = (&all_ids[0], &all_ids[1], &all_ids[2]);
    let (i0, i1, i2) = (id0.as_str(), id1.as_str(), id2.as_str());
    selects(app, path, token, &format!("id:{id0}"), &[i0]).await;
    selects(app, path, token, &format!("id:\"{id0}\""), &[i0]).await;
    selects(
        app,
        path,
        token,
        &format!("id:{}", id0.to_lowercase()),
        &[i0],
    )
    .await;
    selects(
        app,
        path,
        token,
        &format!("id:{}?", &id0[..id0.len() - 1]),
        &[i0],
    )
    .await;
    selects(
        app,
        path,
        token,
        &format!("id:\"{}*\"", &id0[..id0.len() - 3]),
        &[i0],
    )
    .await;
    let prefix = &id0[..4];
    let with_prefix: Vec<&str> = all_ids
        .iter()
        .map(String::as_str)
        .filter(|i| i.starts_with(prefix))
        .collect();
    selects(app, path, token, &format!("id:{prefix}*"), &with_prefix).await;
    selects(
        app,
        path,
        token,
        &format!("id:{id0} OR id:{id2}"),
        &[i0, i2],
    )
    .await;
    selects(app, path, token, &format!("id:{id0} AND id:{id1}"), &[]).await;
    selects(app, path, token, &format!("id:{id0} id:{id0}"), &[i0]).await;
    let others = |skip: &[&str]| -> Vec<&str> {
        all_ids
            .iter()
            .map(String::as_str)
            .filter(|i| !skip.contains(i))
            .collect()
    };
    selects(app, path, token, &format!("NOT id:{id0}"), &others(&[i0])).await;
    selects(app, path, token, &format!("!id:{id0}"), &others(&[i0])).await;
    selects(
        app,
        path,
        token,
        &format!("(id:{id0} OR id:{id1}) AND NOT id:{id1}"),
        &[i0],
    )
    .await;
    selects(
        app,
        path,
        token,
        &format!("((id:{id0}) OR (id:{id1} AND id:{id1}))"),
        &[i0, i1],
    )
    .await;
    selects(
        app,
        path,
        token,
        &format!("!(id:{id0} OR id:{id1})"),
        &others(&[i0, i1]),
    )
    .await;
    let (lo, hi) = if id1 < id2 { (i1, i2) } else { (i2, i1) };
    let in_range: Vec<&str> = all_ids
        .iter()
        .map(String::as_str)
        .filter(|i| *i >= lo && *i <= hi)
        .collect();
    selects(app, path, token, &format!("id:[{lo} TO {hi}]"), &in_range).await;
    let from_lo: Vec<&str> = all_ids
        .iter()
        .map(String::as_str)
        .filter(|i| *i >= lo)
        .collect();
    selects(app, path, token, &format!("id:[{lo} TO *]"), &from_lo).await;
    let bare = same_both_ways(app, path, token, id0).await;
    assert!(ids(&bare).contains(id0), "{path}: bare term {id0}");
    for harmless in [
        "testnr",
        "1",
        "\"two words\"",
        "*",
        "ä?ö",
        "9276*",
        "NOTX",
        "a:b:c",
    ] {
        same_both_ways(app, path, token, harmless).await;
    }
    if let Some((nested, value)) = route.nested {
        selects(
            app,
            path,
            token,
            &format!("{nested}:{value}"),
            &all_ids.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await;
        selects(app, path, token, &format!("!{nested}:{value}"), &[]).await;
    }
    if route.created {
        let every: Vec<&str> = all_ids.iter().map(String::as_str).collect();
        selects(app, path, token, "created:[* TO *]", &every).await;
        selects(
            app,
            path,
            token,
            "created:[1970-01-01 TO 2999-12-31]",
            &every,
        )
        .await;
        selects(
            app,
            path,
            token,
            "created:[1970-01-01T00:00:00Z TO *]",
            &every,
        )
        .await;
        selects(
            app,
            path,
            token,
            "created:[* TO 1970-01-01T00:00:00+00:00]",
            &[],
        )
        .await;
        let newest = items[0]["created"].as_str().unwrap();
        let since: Vec<&str> = items
            .iter()
            .filter(|i| i["created"].as_str().unwrap() >= newest)
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        selects(
            app,
            path,
            token,
            &format!("created:[{newest} TO *]"),
            &since,
        )
        .await;
    }

    // Syntax errors point at the position.
    for (bad, at) in [
        ("(id:x", "position 5"),
        ("id:[a TO", "position 8"),
        ("AND", "position 0"),
        ("id:", "position 3"),
        ("a OR", "position 4"),
        ("x)", "position 1"),
    ] {
        let r = app.get(&format!("{path}?q={}", enc(bad)), token).await;
        let body = r.assert_error(400, 4001);
        let details = body["error_details"].as_str().unwrap();
        assert!(details.contains(at), "{path}?q={bad}: {details}");
    }
}
