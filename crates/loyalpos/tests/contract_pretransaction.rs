//! preTransaction over HTTP against api.md §8.2/§8.7: the VAT split of spent bonus with `tax` in
//! percent and in hundredths notation, 0 % lines, and the generic bonus lines of a card group
//! without configured bonus products. Demo cards (demo-tenant.md §7): B 9276004428481652
//! (Geschenkgutschein, no bonus products, cash 300 / bonus 52), C 9276004424644352 (Bonus 10 %,
//! cash 200 / bonus 20), D 9276004400000071 (Bonus 10 %, bonus 71).
mod common;

use common::*;
use serde_json::{Value, json};

fn line(id: i64, desc: &str, quantity: i64, price: i64, tax: i64) -> Value {
    json!({"id": id, "desc": desc, "quantity": quantity, "priceOne": price, "tax": tax})
}

/// Creates a transaction for `card` with these lines (sum computed) and applies the card.
async fn apply(app: &TestApp, card: &str, lines: Vec<Value>) -> (String, Value) {
    let sum: i64 = lines
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap() * l["priceOne"].as_i64().unwrap())
        .sum();
    let stx = app
        .create_stx(card_body(card, json!({"products": lines}), sum))
        .await;
    let r = app.pre(&stx).await;
    (stx, r.ok().clone())
}

/// A bonus line as preTransaction answers it.
fn bonus_line(id: i64, desc: &str, number: Option<&str>, price: i64, tax: i64) -> Value {
    json!({"id": id, "articleNumber": number, "ean": number, "quantity": 1, "priceOne": price,
        "tax": tax, "desc": desc, "serialNumber": null})
}

/// (id, desc, priceOne, tax) of the basket lines after the client lines.
fn bonus_lines_of(stx: &Value, client_lines: usize) -> Vec<(i64, String, i64, i64)> {
    stx["basket"]["products"].as_array().unwrap()[client_lines..]
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["desc"].as_str().unwrap().to_owned(),
                l["priceOne"].as_i64().unwrap(),
                l["tax"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Imports a demo-merchant card in the Bonus 10 % group with this opening bonus and no cash;
/// returns its card number.
fn card_with_bonus(app: &TestApp, n: u32, bonus: i64) -> String {
    let number = format!("92760000777700{n:02}");
    let doc = json!({
        "loyalty.cards": [{"id": format!("CRD_PRETRANSACTIONTEST0000000000{n:02}"), "cardnumber": number}],
        "loyalty.merchantcards": [{"id": format!("MCD_PRETRANSACTIONTEST0000000000{n:02}"), "merchant": {"id": MERCHANT},
            "card": {"id": format!("CRD_PRETRANSACTIONTEST0000000000{n:02}")},
            "cardgroup": {"id": "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK"}, "bonus_balance": bonus}]
    });
    let path = std::env::temp_dir().join(format!(
        "loyalpos-pretransaction-{}-{n}-{}.json",
        std::process::id(),
        app.server.base.replace([':', '/', '.'], "")
    ));
    std::fs::write(&path, doc.to_string()).unwrap();
    app.cli(&["import", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    number
}

on_both_backends! {
    async fn the_rounding_difference_goes_to_the_largest_share_and_the_higher_rate_on_a_tie(app: TestApp) {
        let one = card_with_bonus(&app, 1, 1);
        // 100 @0, 100 @7, 100 @19: P = 300, bonus_spent = min(1, 300) = 1
        // share_r = ⌊(2 × 1 × 100 + 300) / 600⌋ = ⌊500 / 600⌋ = 0 for every rate; diff = 1 − 0 = +1
        // goes to the tie's higher rate 19 → −1 @19; missing_sum = 300 − 1 = 299
        let (_, pre) = apply(&app, &one, vec![line(1, "A", 1, 100, 0), line(2, "B", 1, 100, 7), line(3, "C", 1, 100, 19)]).await;
        assert_eq!(pre, json!({"missing_sum": 299, "bonus_products": [bonus_line(4, "Bonus Steuer 19", Some("1111111119"), -1, 19)]}));
        // 100 @7, 100 @1900: P = 200; share_r = ⌊(2 × 1 × 100 + 200) / 400⌋ = ⌊400 / 400⌋ = 1 each;
        // diff = 1 − 2 = −1 to the tie's higher rate 19 → 0, dropped → −1 @7 only; missing_sum = 200 − 1 = 199
        let (_, pre) = apply(&app, &one, vec![line(1, "B", 1, 100, 7), line(2, "C", 1, 100, 1900)]).await;
        assert_eq!(pre, json!({"missing_sum": 199, "bonus_products": [bonus_line(3, "Bonus Steuer 7", Some("111111117"), -1, 7)]}));
        let three = card_with_bonus(&app, 3, 3);
        // docs' basket (598 @7, 198 @19, P = 796), bonus 3: share_7 = ⌊(2 × 3 × 598 + 796) / 1592⌋ = ⌊4384 / 1592⌋ = 2,
        // share_19 = ⌊(2 × 3 × 198 + 796) / 1592⌋ = ⌊1984 / 1592⌋ = 1; diff 0; missing_sum = 796 − 3 = 793
        let (_, pre) = apply(&app, &three, docs_basket()["products"].as_array().unwrap().clone()).await;
        assert_eq!(pre, json!({"missing_sum": 793, "bonus_products": [
            bonus_line(4, "Bonus Steuer 7", Some("111111117"), -2, 7),
            bonus_line(5, "Bonus Steuer 19", Some("1111111119"), -1, 19)]}));
    }

    async fn a_bonus_of_one_hundred_is_split_over_zero_seven_and_nineteen_percent(app: TestApp) {
        let hundred = card_with_bonus(&app, 4, 100);
        // 150 @0, 450 @700, 399 @1900: P = 999, bonus_spent = min(100, 999) = 100
        // share_0  = ⌊(2 × 100 × 150 + 999) / 1998⌋ = ⌊30999 / 1998⌋ = 15
        // share_7  = ⌊(2 × 100 × 450 + 999) / 1998⌋ = ⌊90999 / 1998⌋ = 45
        // share_19 = ⌊(2 × 100 × 399 + 999) / 1998⌋ = ⌊80799 / 1998⌋ = 40; 15 + 45 + 40 = 100, diff 0
        // missing_sum = 999 − 100 = 899
        let (stx, pre) = apply(&app, &hundred, vec![line(1, "A", 1, 150, 0), line(2, "B", 1, 450, 700), line(3, "C", 1, 399, 1900)]).await;
        assert_eq!(pre, json!({"missing_sum": 899, "bonus_products": [
            bonus_line(4, "Bonus Steuer 0", None, -15, 0),
            bonus_line(5, "Bonus Steuer 7", Some("111111117"), -45, 700),
            bonus_line(6, "Bonus Steuer 19", Some("1111111119"), -40, 1900)]}));
        // basket_info.sum = 999 − 100 = 899
        assert_eq!(app.stx(&stx).await["basket_info"]["sum"], 899);
    }

    async fn bonus_lines_of_a_basket_in_hundredths_notation_carry_the_hundredths_rate(app: TestApp) {
        // docs' basket with tax 700/1900: G_7 = 349 + 249 = 598, G_19 = 2 × 99 = 198, T = B = P = 796
        let (stx, pre) = apply(&app, CARD_D, vec![
            line(1, "Sandwich Romano", 1, 349, 700),
            line(2, "Fruit salad, small bowl", 1, 249, 700),
            line(3, "Water", 2, 99, 1900),
        ]).await;
        // bonus_spent = min(71, 796) = 71; cash_spent = max(0, min(0, 725)) = 0;
        // missing_sum = 796 − 71 − 0 = 725
        // share_7  = ⌊(2 × 71 × 598 + 796) / 1592⌋ = ⌊85712 / 1592⌋ = 53
        // share_19 = ⌊(2 × 71 × 198 + 796) / 1592⌋ = ⌊28912 / 1592⌋ = 18; 53 + 18 = 71, diff 0
        assert_eq!(pre, json!({"missing_sum": 725, "bonus_products": [
            bonus_line(4, "Bonus Steuer 7", Some("111111117"), -53, 700),
            bonus_line(5, "Bonus Steuer 19", Some("1111111119"), -18, 1900)]}));
        let got = app.stx(&stx).await;
        assert_eq!(got["status"], "processing");
        // basket_info.sum = T − bonus_spent = 796 − 71 = 725
        assert_eq!((got["basket_info"]["sum"].as_i64(), got["basket_info"]["missing_sum"].as_i64()), (Some(725), Some(725)));
        assert_eq!(bonus_lines_of(&got, 3), vec![(4, "Bonus Steuer 7".into(), -53, 700), (5, "Bonus Steuer 19".into(), -18, 1900)]);
        // start/cash books the plan: bonus −71; base reduced: E = 796 − 71 = 725 →
        // ⌊(725 × 1000 + 5000) / 10000⌋ = 73 collected; D = 0/73/73
        let started = app.start(&stx, "cash").await;
        let ltx = app.ltx_of(started.ok()).await;
        assert_eq!(bookings(&ltx), vec![("bonus_spent".to_owned(), -71), ("bonus_collected".to_owned(), 73)]);
        assert_eq!(app.balances(MCD_D).await, (0, 73, 73));
    }

    async fn percent_and_hundredths_lines_of_one_rate_form_one_group_written_like_its_first_line(app: TestApp) {
        // 7 %: 349 @700 + 249 @7 = 598 (first line 700); 19 %: 99 @19 + 99 @1900 = 198 (first line 19)
        // T = B = P = 796
        let (stx, pre) = apply(&app, CARD_C, vec![
            line(1, "Sandwich Romano", 1, 349, 700),
            line(2, "Fruit salad, small bowl", 1, 249, 7),
            line(3, "Water", 1, 99, 19),
            line(4, "Water", 1, 99, 1900),
        ]).await;
        // bonus_spent = min(20, 796) = 20; cash_spent = max(0, min(200, 776)) = 200;
        // missing_sum = 796 − 20 − 200 = 576
        // share_7  = ⌊(2 × 20 × 598 + 796) / 1592⌋ = ⌊24716 / 1592⌋ = 15
        // share_19 = ⌊(2 × 20 × 198 + 796) / 1592⌋ = ⌊8716 / 1592⌋ = 5; 15 + 5 = 20, diff 0
        // ids continue after the highest line id 4
        assert_eq!(pre, json!({"missing_sum": 576, "bonus_products": [
            bonus_line(5, "Bonus Steuer 7", Some("111111117"), -15, 700),
            bonus_line(6, "Bonus Steuer 19", Some("1111111119"), -5, 19)]}));
        let got = app.stx(&stx).await;
        // client lines are echoed as sent; basket_info.sum = 796 − 20 = 776
        let taxes: Vec<i64> = got["basket"]["products"].as_array().unwrap().iter().map(|l| l["tax"].as_i64().unwrap()).collect();
        assert_eq!(taxes, vec![700, 7, 19, 1900, 700, 19]);
        assert_eq!((got["basket_info"]["sum"].as_i64(), got["basket_info"]["missing_sum"].as_i64()), (Some(776), Some(576)));
    }

    async fn a_zero_percent_line_gets_its_own_generic_bonus_line_next_to_the_configured_ones(app: TestApp) {
        // examples.md V19 basket: G_0 = 150, G_7 = 450, G_19 = 399; T = B = P = 999
        let (stx, pre) = apply(&app, CARD_D, vec![
            line(1, "Zeitung", 1, 150, 0),
            line(2, "Brot", 1, 450, 7),
            line(3, "Saft", 1, 399, 19),
        ]).await;
        // bonus_spent = min(71, 999) = 71; cash_spent 0; missing_sum = 999 − 71 = 928
        // share_0  = ⌊(2 × 71 × 150 + 999) / 1998⌋ = ⌊22299 / 1998⌋ = 11
        // share_7  = ⌊(2 × 71 × 450 + 999) / 1998⌋ = ⌊64899 / 1998⌋ = 32
        // share_19 = ⌊(2 × 71 × 399 + 999) / 1998⌋ = ⌊57657 / 1998⌋ = 28; 11 + 32 + 28 = 71, diff 0
        // the Bonus 10 % group has no product for 0 %: "Bonus Steuer 0" with null numbers
        assert_eq!(pre, json!({"missing_sum": 928, "bonus_products": [
            bonus_line(4, "Bonus Steuer 0", None, -11, 0),
            bonus_line(5, "Bonus Steuer 7", Some("111111117"), -32, 7),
            bonus_line(6, "Bonus Steuer 19", Some("1111111119"), -28, 19)]}));
        let got = app.stx(&stx).await;
        // basket_info.sum = 999 − 71 = 928
        assert_eq!((got["basket_info"]["sum"].as_i64(), got["basket_info"]["missing_sum"].as_i64()), (Some(928), Some(928)));
        assert_eq!(bonus_lines_of(&got, 3), vec![(4, "Bonus Steuer 0".into(), -11, 0), (5, "Bonus Steuer 7".into(), -32, 7), (6, "Bonus Steuer 19".into(), -28, 19)]);
    }

    async fn a_basket_of_only_zero_percent_goods_takes_the_whole_bonus_on_one_zero_percent_line(app: TestApp) {
        // G_0 = 2 × 250 = 500 = T = B = P
        let (stx, pre) = apply(&app, CARD_D, vec![line(1, "Briefmarken", 2, 250, 0)]).await;
        // bonus_spent = min(71, 500) = 71; share_0 = ⌊(2 × 71 × 500 + 500) / 1000⌋ = ⌊71500 / 1000⌋ = 71;
        // missing_sum = 500 − 71 = 429
        assert_eq!(pre, json!({"missing_sum": 429, "bonus_products": [bonus_line(2, "Bonus Steuer 0", None, -71, 0)]}));
        // basket_info.sum = 500 − 71 = 429
        assert_eq!(app.stx(&stx).await["basket_info"]["sum"], 429);
    }

    async fn a_card_group_without_bonus_products_gets_generic_bonus_lines_per_rate(app: TestApp) {
        // card B (Geschenkgutschein, bonus.products []); docs' basket: G_7 = 598, G_19 = 198, T = B = P = 796
        let (stx, pre) = apply(&app, CARD_B, docs_basket()["products"].as_array().unwrap().clone()).await;
        // bonus_spent = min(52, 796) = 52; cash_spent = max(0, min(300, 744)) = 300;
        // missing_sum = 796 − 52 − 300 = 444
        // share_7  = ⌊(2 × 52 × 598 + 796) / 1592⌋ = ⌊62988 / 1592⌋ = 39
        // share_19 = ⌊(2 × 52 × 198 + 796) / 1592⌋ = ⌊21388 / 1592⌋ = 13; 39 + 13 = 52, diff 0
        assert_eq!(pre, json!({"missing_sum": 444, "bonus_products": [
            bonus_line(4, "Bonus Steuer 7", None, -39, 7),
            bonus_line(5, "Bonus Steuer 19", None, -13, 19)]}));
        let got = app.stx(&stx).await;
        // basket_info.sum = 796 − 52 = 744
        assert_eq!((got["basket_info"]["sum"].as_i64(), got["basket_info"]["missing_sum"].as_i64()), (Some(744), Some(444)));
        assert_eq!(bonus_lines_of(&got, 3), vec![(4, "Bonus Steuer 7".into(), -39, 7), (5, "Bonus Steuer 19".into(), -13, 19)]);
        assert_eq!(got["basket"]["products"][3]["articleNumber"], Value::Null);
    }

    async fn a_generic_bonus_line_names_a_fractional_hundredths_rate_with_a_decimal_comma(app: TestApp) {
        // card B (no bonus products); one line 1000 @750 (7,5 %): T = B = P = 1000
        let (_, pre) = apply(&app, CARD_B, vec![line(1, "Ermäßigt", 1, 1000, 750)]).await;
        // bonus_spent = min(52, 1000) = 52; cash_spent = max(0, min(300, 948)) = 300;
        // missing_sum = 1000 − 52 − 300 = 648; share_7,5 = ⌊(2 × 52 × 1000 + 1000) / 2000⌋ = ⌊105000 / 2000⌋ = 52
        assert_eq!(pre, json!({"missing_sum": 648, "bonus_products": [bonus_line(2, "Bonus Steuer 7,5", None, -52, 750)]}));
    }
}
