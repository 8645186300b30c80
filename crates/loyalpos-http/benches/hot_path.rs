//! Criterion benchmarks of the pure work on a checkout's hot path: the preTransaction plan, the
//! start settlement, the receipt, and the JSON of a full smart transaction.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use loyalpos_app::loyalty::receipt_json;
use loyalpos_app::smart::doc::StxDoc;
use loyalpos_domain::basket::Line;
use loyalpos_domain::money::{Cents, Currency};
use loyalpos_domain::plan::{Balances, plan};
use loyalpos_domain::program::{BonusBase, BonusProduct, BonusProgram, CardRules, FilterMode};
use loyalpos_domain::receipt::booking_receipt;
use loyalpos_domain::settle::settle;

fn basket(lines: i64) -> Vec<Line> {
    (1..=lines)
        .map(|id| Line {
            id,
            quantity: 1 + id % 3,
            price_one: Cents(99 + 37 * id),
            tax: if id % 3 == 0 { 19 } else { 7 },
            ean: None,
            article_number: Some(format!("{}", 30000 + id)),
            is_bonus: false,
        })
        .collect()
}

fn rules() -> CardRules {
    CardRules {
        currency: Currency::eur(),
        overdraft_allowed: false,
        overdraft_limit: Cents(0),
        cancel_selected: false,
        passcode_policy: 0,
        card_creation_via_stx: true,
        bonus: BonusProgram {
            rate: 1000,
            base: BonusBase::Reduced,
            filter_mode: FilterMode::None,
            filter_codes: Vec::new(),
            products: [7, 19]
                .iter()
                .map(|t| BonusProduct {
                    tax: *t,
                    desc: format!("Bonus Steuer {t}"),
                    article_number: None,
                    ean: None,
                })
                .collect(),
        },
    }
}

/// A full smart transaction as stored after preTransaction and start (the seed's shape).
const STORED_STX: &str = r#"{"contract_id":"GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF","store_id":"STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ","device_destination_id":null,"lines":[{"id":1,"parent":null,"articleNumber":"30037","ean":"","desc":"Sandwich Romano","quantity":1,"priceOne":349,"tax":7,"group":[],"serialNumber":null,"item_type":"article","reference_id":null,"contract_id":null,"sum":null,"sub_basket":null,"plan_id":null,"start_at":null},{"id":2,"parent":null,"articleNumber":"30200","ean":"","desc":"Fruit salad, small bowl","quantity":1,"priceOne":249,"tax":7,"group":[],"serialNumber":null,"item_type":"article","reference_id":null,"contract_id":null,"sum":null,"sub_basket":null,"plan_id":null,"start_at":null},{"id":3,"parent":null,"articleNumber":"51","ean":"4999012345678","desc":"Water, mildly sprinkling, 0.25 ltr.","quantity":2,"priceOne":99,"tax":19,"group":[],"serialNumber":null,"item_type":"article","reference_id":null,"contract_id":null,"sum":null,"sub_basket":null,"plan_id":null,"start_at":null}],"basket_type":"default","sum":796,"gratuity":null,"currency":"EUR","idents":[{"kind":"card","value":"9276004424644352","issued_cardnumber":null}],"merchant_ref":null,"transaction_ref":null,"intent":"sale","is_demo":true,"payment_method":"cash","echo":{},"plan":{"bonus_spent":20,"cash_spent":200,"discharge":0,"load":0,"missing_sum":576,"bonus_lines":[]},"transactions":["LTX_YBYPUETZ2HQXURG9XU0M5H4KGWW0NH"],"receipt":[],"terminal_amount":null}"#;

fn hot_path(c: &mut Criterion) {
    let balances = Balances {
        cash: Cents(200),
        bonus: Cents(20),
        points: 0,
    };
    let rules = rules();
    for n in [3, 10, 50] {
        let lines = basket(n);
        c.bench_function(&format!("plan, {n} lines"), |b| {
            b.iter(|| plan(black_box(&lines), &balances, &rules))
        });
        let p = plan(&lines, &balances, &rules).unwrap();
        c.bench_function(&format!("settle with plan, {n} lines"), |b| {
            b.iter(|| settle(black_box(&lines), Some(&p), &balances, &rules))
        });
    }
    let lines = basket(10);
    let p = plan(&lines, &balances, &rules).unwrap();
    let s = settle(&lines, Some(&p), &balances, &rules).unwrap();
    let figures = s
        .receipt_figures("9276004424644352", 29187330, &Currency::eur())
        .unwrap();
    c.bench_function("booking receipt as JSON", |b| {
        b.iter(|| receipt_json(&booking_receipt(black_box(&figures))))
    });
    c.bench_function("stored smart transaction: parse", |b| {
        b.iter(|| StxDoc::parse(black_box(STORED_STX)))
    });
    let doc = StxDoc::parse(STORED_STX).unwrap();
    c.bench_function("stored smart transaction: serialise", |b| {
        b.iter(|| black_box(&doc).to_json())
    });
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
