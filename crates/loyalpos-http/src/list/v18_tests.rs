//! examples.md V18 — lists and `q`, against fixtures shaped like the fresh demo tenant
//! (demo-tenant.md §2, §7, §8).

use serde_json::{Value as Json, json};

use super::{ListError, apply, parse_params};

const MERCHANT: &str = "MRC_35SZ0000000000000000000000000";
const STORE: &str = "STO_2ZCZ0000000000000000000000000";

const MERCHANT_CARD_MAIN: &[&str] = &["id", "card.cardnumber", "customer.contact.name"];
const SMART_TRANSACTION_MAIN: &[&str] = &[
    "id",
    "merchantRef",
    "transactionRef",
    "trans_id",
    "idents.value",
];
const MERCHANT_MAIN: &[&str] = &["id", "user.companyname"];

#[allow(clippy::too_many_arguments)]
fn merchant_card(
    mcd: &str,
    crd: &str,
    cardnumber: &str,
    group: &str,
    customer: Json,
    (cash, bonus): (i64, i64),
    stock: &str,
    lock: &str,
    passcode: i64,
    created: &str,
) -> Json {
    json!({
        "object": "loyalty.merchantcards",
        "id": mcd,
        "merchant": {"object": "general.merchants", "id": MERCHANT, "companyname": "John's Bakery"},
        "created_for_merchant": {"object": "general.merchants", "id": MERCHANT, "companyname": "John's Bakery"},
        "card": {"object": "loyalty.cards", "id": crd, "cardnumber": cardnumber, "created": created},
        "cardgroup": {"object": "loyalty.cardgroups", "id": "CRG_X", "display_name": group},
        "created_for_store": {"object": "general.stores", "id": STORE},
        "customer": customer,
        "is_base_card": mcd != "MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU",
        "points": 0,
        "cash_balance": cash,
        "bonus_balance": bonus,
        "balance": cash + bonus,
        "last_usage": null,
        "last_charge": null,
        "stock_status": stock,
        "lock_status": lock,
        "passcode": passcode,
        "expiry_date": null,
        "payment_container": null,
        "customer_assignment_date": null
    })
}

/// Cards A–E in the default list order (newest first, ties by id).
fn merchant_cards() -> Vec<Json> {
    let customer = json!({
        "object": "loyalty.customers",
        "id": "CUS_2YBREKK0A2MNAXJ752TSDD9DH3PKAJ",
        "contact": {"name": "Max Mustermann", "forename": "Max", "surname": "Mustermann"}
    });
    let a = merchant_card(
        "MCD_2RXTNXPRM2YG9922UMBHHAEWEGN6AJ",
        "CRD_2U7MTNAMM3PMBPAB50C9G2AEHA9GPJ",
        "9276004429942845",
        "Punkte",
        customer,
        (1000, 0),
        "active",
        "unlocked",
        0,
        "2015-09-28T16:01:20+02:00",
    );
    let b = merchant_card(
        "MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU",
        "CRD_3CVJTETZ3MHPR034C9BYGEKDH6XRP4",
        "9276004428481652",
        "Geschenkgutschein",
        Json::Null,
        (300, 52),
        "inactive",
        "unlocked",
        1,
        "2015-02-20T08:54:07+01:00",
    );
    let c = merchant_card(
        "MCD_DEMO92760044246443520000000000",
        "CRD_DEMO92760044246443520000000000",
        "9276004424644352",
        "Bonus 10 %",
        Json::Null,
        (200, 20),
        "active",
        "unlocked",
        0,
        "2020-09-01T08:00:00+02:00",
    );
    let d = merchant_card(
        "MCD_DEMO92760044000000710000000000",
        "CRD_DEMO92760044000000710000000000",
        "9276004400000071",
        "Bonus 10 %",
        Json::Null,
        (0, 71),
        "active",
        "unlocked",
        0,
        "2020-09-01T08:00:00+02:00",
    );
    let e = merchant_card(
        "MCD_DEMO92760044299999520000000000",
        "CRD_DEMO92760044299999520000000000",
        "9276004429999952",
        "Punkte",
        Json::Null,
        (500, 0),
        "active",
        "locked",
        0,
        "2020-09-01T08:00:00+02:00",
    );
    vec![e, d, c, a, b]
}

fn smart_transaction(id: &str, status: &str, cardnumber: Option<&str>, created: &str) -> Json {
    let idents = match cardnumber {
        Some(n) => json!([{"object": "smart.idents", "id": "smi_1", "type": "card", "value": n}]),
        None => json!([]),
    };
    json!({
        "object": "smart.transactions",
        "id": id,
        "merchant": {"object": "general.merchants", "id": MERCHANT, "companyname": "John's Bakery"},
        "created": created,
        "status": status,
        "idents": idents,
        "merchantRef": null,
        "transactionRef": null,
        "trans_id": null,
        "transactions": [],
        "receipt": []
    })
}

fn smart_transactions() -> Vec<Json> {
    vec![
        smart_transaction(
            "STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ",
            "ok",
            None,
            "2021-02-25T08:47:25+01:00",
        ),
        smart_transaction(
            "STX_WHCJCB3SD2NSZZ73E33NP3TJJ4RKA2",
            "created",
            Some("9276004424644352"),
            "2020-12-03T10:05:00+01:00",
        ),
        smart_transaction(
            "STX_3QPGBB72F2NSPDS95JZPWA772DUMAZ",
            "created",
            Some("9276004400000071"),
            "2020-12-03T10:00:00+01:00",
        ),
        smart_transaction(
            "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2",
            "created",
            Some("9276004429942845"),
            "2020-09-17T09:18:14+02:00",
        ),
    ]
}

fn cards(raw: &str) -> Json {
    let params = parse_params(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
    apply(merchant_cards(), &params, MERCHANT_CARD_MAIN)
}

fn card_numbers(answer: &Json) -> Vec<&str> {
    answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["card"]["cardnumber"].as_str().unwrap())
        .collect()
}

#[test]
fn looking_up_card_b_by_its_number_finds_exactly_that_merchant_card() {
    let answer = cards("q=card.cardnumber:9276004428481652");
    assert_eq!(answer["count"], 1);
    let item = &answer["data"][0];
    assert_eq!(item["id"], "MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU");
    assert_eq!(
        (
            &item["cash_balance"],
            &item["bonus_balance"],
            &item["balance"]
        ),
        (&json!(300), &json!(52), &json!(352))
    );
    assert_eq!(item["passcode"], 1);
    assert_eq!(item["stock_status"], "inactive");
    assert_eq!(item["customer"], Json::Null);
}

#[test]
fn the_quoted_card_number_finds_the_same_card() {
    assert_eq!(
        cards("q=card.cardnumber:%229276004428481652%22"),
        cards("q=card.cardnumber:9276004428481652")
    );
    assert_eq!(
        cards(r#"q=card.cardnumber:"9276004428481652""#),
        cards("q=card.cardnumber:9276004428481652")
    );
}

#[test]
fn a_typo_in_the_card_number_answers_count_zero_and_empty_data() {
    assert_eq!(
        cards("q=card.cardnumber:9276004428481653"),
        json!({"count": 0, "data": []})
    );
}

#[test]
fn passcode_one_finds_card_b() {
    let answer = cards("q=passcode:1");
    assert_eq!(answer["count"], 1);
    assert_eq!(card_numbers(&answer), ["9276004428481652"]);
}

#[test]
fn cards_without_a_customer_are_b_c_d_and_e() {
    let answer = cards("q=!customer.object:loyalty.customers");
    assert_eq!(answer["count"], 4);
    let mut numbers = card_numbers(&answer);
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        [
            "9276004400000071",
            "9276004424644352",
            "9276004428481652",
            "9276004429999952"
        ]
    );
}

#[test]
fn the_locked_card_is_e() {
    let answer = cards("q=lock_status:locked");
    assert_eq!(answer["count"], 1);
    assert_eq!(card_numbers(&answer), ["9276004429999952"]);
}

#[test]
fn bonus_between_50_and_100_finds_b_and_d() {
    let answer = cards("q=bonus_balance:[50+TO+100]");
    assert_eq!(answer["count"], 2);
    let mut numbers = card_numbers(&answer);
    numbers.sort_unstable();
    assert_eq!(numbers, ["9276004400000071", "9276004428481652"]);
    assert_eq!(cards("q=bonus_balance:%5B50%20TO%20100%5D"), answer);
}

#[test]
fn the_two_largest_balances_are_a_then_e_out_of_five() {
    let answer = cards("sort=balance:desc&count=2");
    assert_eq!(answer["count"], 5);
    assert_eq!(
        card_numbers(&answer),
        ["9276004429942845", "9276004429999952"]
    );
    assert_eq!(cards("sort[balance]=desc&count=2"), answer);
}

#[test]
fn a_wildcard_sorted_projected_list_shows_only_object_id_and_the_card_number() {
    let answer =
        cards("q=card.cardnumber:92760044*&sort=card.cardnumber:asc&fields=card.cardnumber");
    assert_eq!(answer["count"], 5);
    assert_eq!(
        card_numbers(&answer),
        [
            "9276004400000071",
            "9276004424644352",
            "9276004428481652",
            "9276004429942845",
            "9276004429999952"
        ]
    );
    assert_eq!(
        answer["data"][0],
        json!({"object": "loyalty.merchantcards", "id": "MCD_DEMO92760044000000710000000000",
               "card": {"cardnumber": "9276004400000071"}})
    );
    for item in answer["data"].as_array().unwrap() {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["object", "id", "card"]);
    }
}

#[test]
fn an_unclosed_parenthesis_is_a_syntax_error() {
    let ListError(message) = parse_params("q=(card.cardnumber").unwrap_err();
    assert!(message.starts_with("q: expected ')'"), "{message}");
    assert!(message.contains("position 16"), "{message}");
}

#[test]
fn three_smart_transactions_are_in_status_created() {
    let answer = apply(
        smart_transactions(),
        &parse_params("q=status:created").unwrap(),
        SMART_TRANSACTION_MAIN,
    );
    assert_eq!(answer["count"], 3);
    let ids: Vec<&str> = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "STX_WHCJCB3SD2NSZZ73E33NP3TJJ4RKA2",
            "STX_3QPGBB72F2NSPDS95JZPWA772DUMAZ",
            "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2"
        ]
    );
}

#[test]
fn the_merchant_list_holds_the_one_demo_merchant() {
    let merchants = vec![json!({
        "object": "general.merchants",
        "id": MERCHANT,
        "user": {"companyname": "John's Bakery"}
    })];
    let answer = apply(merchants, &parse_params("").unwrap(), MERCHANT_MAIN);
    assert_eq!(answer["count"], 1);
    assert_eq!(answer["data"][0]["id"], MERCHANT);
}

#[test]
fn smart_transactions_are_found_by_a_card_number_in_their_idents() {
    let params = parse_params("q=idents.value:9276004429942845").unwrap();
    let answer = apply(smart_transactions(), &params, SMART_TRANSACTION_MAIN);
    assert_eq!(answer["count"], 1);
    assert_eq!(
        answer["data"][0]["id"],
        "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2"
    );
    // A bare card number searches idents.value too.
    let bare = apply(
        smart_transactions(),
        &parse_params("q=9276004429942845").unwrap(),
        SMART_TRANSACTION_MAIN,
    );
    assert_eq!(bare, answer);
}

#[test]
fn the_specs_status_and_created_range_example_selects_by_time() {
    let run = |q: &str| {
        apply(
            smart_transactions(),
            &parse_params(q).unwrap(),
            SMART_TRANSACTION_MAIN,
        )["count"]
            .clone()
    };
    assert_eq!(
        run("q=status:created+AND+created:[2020-09-01T00:00:00+02:00+TO+*]"),
        3
    );
    assert_eq!(
        run("q=status:created+AND+created:[2020-12-01T00:00:00%2B01:00+TO+*]"),
        2
    );
    assert_eq!(run("q=status:ok+AND+created:[2021-01-01+TO+2021-12-31]"), 1);
    assert_eq!(run("q=created:[2020-12-03+TO+2020-12-03]"), 2);
    assert_eq!(run("q=created:[2020-01-01+TO+2020-12-02]"), 1);
}

#[test]
fn bare_terms_that_match_nothing_answer_an_empty_list_and_never_fail() {
    for q in ["q=testnr", "q=1", "q=%21", "q=*"] {
        let result = parse_params(q);
        if let Ok(params) = result {
            let answer = apply(merchant_cards(), &params, MERCHANT_CARD_MAIN);
            assert!(answer["count"].as_u64().is_some(), "{q}");
        }
    }
    assert_eq!(cards("q=testnr"), json!({"count": 0, "data": []}));
    assert_eq!(cards("q=1"), json!({"count": 0, "data": []}));
    assert_eq!(cards("q=*")["count"], 5);
    assert_eq!(cards("q=mustermann")["count"], 1);
}
