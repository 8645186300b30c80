//! Builders shared by the unit tests: the docs' basket and the demo tenant's card groups
//! (demo-tenant.md), so every test reads like the example it checks.

use crate::basket::{DISCHARGE_EANS, LOAD_EANS, Line};
use crate::money::{Cents, Currency};
use crate::plan::Balances;
use crate::program::{BonusBase, BonusProduct, BonusProgram, CardRules, FilterMode};

pub fn goods(id: i64, quantity: i64, price_one: i64, tax: i64) -> Line {
    Line {
        id,
        quantity,
        price_one: Cents(price_one),
        tax,
        ean: None,
        article_number: None,
        is_bonus: false,
    }
}

pub fn load(id: i64, price_one: i64) -> Line {
    goods(id, 1, price_one, 0).with_ean(LOAD_EANS[0])
}

pub fn discharge(id: i64, price_one: i64) -> Line {
    goods(id, 1, price_one, 0).with_ean(DISCHARGE_EANS[0])
}

pub trait LineExt {
    fn with_ean(self, ean: &str) -> Line;
    fn with_article(self, article_number: &str) -> Line;
}

impl LineExt for Line {
    fn with_ean(mut self, ean: &str) -> Line {
        self.ean = Some(ean.to_owned());
        self
    }
    fn with_article(mut self, article_number: &str) -> Line {
        self.article_number = Some(article_number.to_owned());
        self
    }
}

/// The docs' basket: Sandwich Romano 349 @7, Fruit salad 249 @7, 2 × Water 99 @19; T = 796.
pub fn docs_basket() -> Vec<Line> {
    vec![
        goods(1, 1, 349, 7).with_article("30037"),
        goods(2, 1, 249, 7).with_article("30200"),
        goods(3, 2, 99, 19)
            .with_article("51")
            .with_ean("4999012345678"),
    ]
}

pub fn bal(cash: i64, bonus: i64) -> Balances {
    Balances {
        cash: Cents(cash),
        bonus: Cents(bonus),
        points: 0,
    }
}

pub fn bonus_product(
    tax: i64,
    desc: &str,
    article: Option<&str>,
    ean: Option<&str>,
) -> BonusProduct {
    BonusProduct {
        tax,
        desc: desc.to_owned(),
        article_number: article.map(str::to_owned),
        ean: ean.map(str::to_owned),
    }
}

/// Group "Punkte": no bonus programme, no overdraft, only the last transaction may be cancelled.
pub fn punkte_rules() -> CardRules {
    CardRules {
        currency: Currency::eur(),
        ..CardRules::default()
    }
}

/// Group "Geschenkgutschein": like Punkte, but any transaction may be cancelled; passcode policy 1.
pub fn gift_rules() -> CardRules {
    CardRules {
        cancel_selected: true,
        passcode_policy: 1,
        ..punkte_rules()
    }
}

/// Group "Bonus 10 %": rate 1000, base reduced, no filter, bonus products for 7 % and 19 %.
pub fn bonus10_rules() -> CardRules {
    CardRules {
        card_creation_via_stx: true,
        bonus: BonusProgram {
            rate: 1000,
            base: BonusBase::Reduced,
            filter_mode: FilterMode::None,
            filter_codes: vec![],
            products: vec![
                bonus_product(7, "Bonus Steuer 7", Some("111111117"), Some("111111117")),
                bonus_product(
                    19,
                    "Bonus Steuer 19",
                    Some("1111111119"),
                    Some("1111111119"),
                ),
            ],
        },
        ..punkte_rules()
    }
}
