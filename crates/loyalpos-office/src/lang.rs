//! German and English (office.md §2): the language of a page, its texts, and how it writes
//! amounts and times.

use loyalpos_app::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// The first of German or English the browser names in `Accept-Language`; German when it
    /// names neither (the shops are German).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let header = header.unwrap_or_default().to_ascii_lowercase();
        let first = header
            .split(',')
            .map(|part| part.split(';').next().unwrap_or_default().trim())
            .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or_default()));
        first.unwrap_or(Lang::De)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::De => &DE,
            Lang::En => &EN,
        }
    }

    /// An amount in cents: `1.234,56 €` in German, `€1,234.56` in English; other currencies by
    /// their code.
    pub fn money(self, cents: i64, currency: &str) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        let (thousands, decimal) = match self {
            Lang::De => ('.', ','),
            Lang::En => (',', '.'),
        };
        let units = group_thousands(abs / 100, thousands);
        let number = format!("{units}{decimal}{:02}", abs % 100);
        match (self, currency) {
            (Lang::De, "EUR") => format!("{sign}{number} €"),
            (Lang::En, "EUR") => format!("{sign}€{number}"),
            (_, code) => format!("{sign}{number} {code}"),
        }
    }

    /// A moment in the installation's zone, to the minute.
    pub fn time(self, clock: &Clock, seconds: i64) -> String {
        let format = match self {
            Lang::De => "%d.%m.%Y %H:%M",
            Lang::En => "%Y-%m-%d %H:%M",
        };
        clock.zoned(seconds).strftime(format).to_string()
    }
}

fn group_thousands(mut value: u64, separator: char) -> String {
    let mut groups = Vec::new();
    loop {
        if value < 1000 {
            groups.push(value.to_string());
            break;
        }
        groups.push(format!("{:03}", value % 1000));
        value /= 1000;
    }
    groups.reverse();
    groups.join(&separator.to_string())
}

/// Every text a page shows, in one language.
pub struct Texts {
    pub product: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub sign_in_refused: &'static str,
    pub locked_out: &'static str,
    pub session_ended: &'static str,
    pub dashboard: &'static str,
    pub cards: &'static str,
    pub audit: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub card_number: &'static str,
    pub customer: &'static str,
    pub card_group: &'static str,
    pub balance: &'static str,
    pub cash: &'static str,
    pub bonus: &'static str,
    pub total: &'static str,
    pub lock_state: &'static str,
    pub locked: &'static str,
    pub unlocked: &'static str,
    pub expiry: &'static str,
    pub none: &'static str,
    pub no_results: &'static str,
    pub next_page: &'static str,
    pub previous_page: &'static str,
    pub lock: &'static str,
    pub unlock: &'static str,
    pub reason: &'static str,
    pub note: &'static str,
    pub move_to_group: &'static str,
    pub move_card: &'static str,
    pub correction: &'static str,
    pub correction_load: &'static str,
    pub correction_discharge: &'static str,
    pub amount_cents: &'static str,
    pub correction_text: &'static str,
    pub book: &'static str,
    pub ledger: &'static str,
    pub time: &'static str,
    pub ta_code: &'static str,
    pub kind: &'static str,
    pub amount: &'static str,
    pub balance_after: &'static str,
    pub receipt: &'static str,
    pub last_bookings: &'static str,
    pub who: &'static str,
    pub what: &'static str,
    pub object: &'static str,
    pub detail: &'static str,
    pub older: &'static str,
    pub done: &'static str,
    pub error: &'static str,
    pub language: &'static str,
    pub signed_in_as: &'static str,
    pub csrf_refused: &'static str,
    pub today: &'static str,
    pub last_30_days: &'static str,
    pub turnover: &'static str,
    pub bookings_count: &'static str,
    pub bonus_granted: &'static str,
    pub bonus_redeemed: &'static str,
    pub cash_redeemed: &'static str,
    pub cards_in_use: &'static str,
    pub new_cards: &'static str,
    pub turnover_per_day: &'static str,
    pub card_groups: &'static str,
    pub name: &'static str,
    pub currency: &'static str,
    pub bonus_rate: &'static str,
    pub bonus_rate_hint: &'static str,
    pub bonus_base: &'static str,
    pub base_full: &'static str,
    pub base_reduced: &'static str,
    pub filter: &'static str,
    pub filter_none: &'static str,
    pub filter_blacklist: &'static str,
    pub filter_whitelist: &'static str,
    pub filter_codes: &'static str,
    pub overdraft_allowed: &'static str,
    pub overdraft_limit: &'static str,
    pub passcode_policy: &'static str,
    pub bonus_products_hint: &'static str,
    pub save: &'static str,
    pub preview: &'static str,
    pub sample_hint: &'static str,
    pub sample_cash: &'static str,
    pub sample_bonus: &'static str,
    pub tax: &'static str,
    pub description: &'static str,
    pub bonus_spent: &'static str,
    pub cash_spent: &'static str,
    pub reports: &'static str,
    pub bookings_csv: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub full_numbers: &'static str,
    pub download: &'static str,
    pub devices: &'static str,
    pub device_confirmed: &'static str,
    pub user_code: &'static str,
    pub store: &'static str,
    pub confirm: &'static str,
    pub reject: &'static str,
    pub vendor: &'static str,
    pub online: &'static str,
    pub online_yes: &'static str,
    pub online_no: &'static str,
    pub created: &'static str,
    pub revoke: &'static str,
    pub lock_reasons: [(i64, &'static str); 5],
}

impl Texts {
    pub fn lock_reason(&self, id: i64) -> &'static str {
        self.lock_reasons
            .iter()
            .find(|(r, _)| *r == id)
            .map_or("", |(_, text)| text)
    }
}

static DE: Texts = Texts {
    product: "loyalpos Backoffice",
    sign_in: "Anmelden",
    sign_out: "Abmelden",
    username: "Benutzername",
    password: "Passwort",
    sign_in_refused: "Benutzername oder Passwort ist falsch.",
    locked_out: "Zu viele fehlgeschlagene Anmeldungen: Dieser Benutzername ist für 15 Minuten gesperrt.",
    session_ended: "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    dashboard: "Übersicht",
    cards: "Karten",
    audit: "Protokoll",
    search: "Suchen",
    search_hint: "Kartennummer (ganz oder letzte Ziffern), Kundenname, E-Mail oder Kundennummer",
    card_number: "Kartennummer",
    customer: "Kunde",
    card_group: "Kartengruppe",
    balance: "Guthaben",
    cash: "Bargeld",
    bonus: "Bonus",
    total: "Gesamt",
    lock_state: "Sperrstatus",
    locked: "gesperrt",
    unlocked: "aktiv",
    expiry: "Ablaufdatum",
    none: "–",
    no_results: "Keine Karten gefunden.",
    next_page: "Nächste Seite",
    previous_page: "Vorherige Seite",
    lock: "Sperren",
    unlock: "Entsperren",
    reason: "Grund",
    note: "Notiz",
    move_to_group: "In Kartengruppe verschieben",
    move_card: "Verschieben",
    correction: "Korrekturbuchung",
    correction_load: "Aufladen",
    correction_discharge: "Abbuchen",
    amount_cents: "Betrag in Cent",
    correction_text: "Begründung (Pflicht)",
    book: "Buchen",
    ledger: "Buchungen",
    time: "Zeit",
    ta_code: "TA-Code",
    kind: "Art",
    amount: "Betrag",
    balance_after: "Saldo danach",
    receipt: "Beleg",
    last_bookings: "Letzte Buchungen",
    who: "Wer",
    what: "Was",
    object: "Objekt",
    detail: "Details",
    older: "Ältere Einträge",
    done: "Erledigt.",
    error: "Fehler",
    language: "Sprache",
    signed_in_as: "Angemeldet als",
    csrf_refused: "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte laden Sie die Seite neu.",
    today: "Heute",
    last_30_days: "Letzte 30 Tage",
    turnover: "Umsatz mit Kundenkarten",
    bookings_count: "Buchungen",
    bonus_granted: "Bonus gewährt",
    bonus_redeemed: "Bonus eingelöst",
    cash_redeemed: "Guthaben eingelöst",
    cards_in_use: "Karten im Einsatz",
    new_cards: "Neue Karten",
    turnover_per_day: "Umsatz mit Kundenkarten je Tag (letzte 30 Tage)",
    card_groups: "Kartengruppen",
    name: "Name",
    currency: "Währung",
    bonus_rate: "Bonussatz",
    bonus_rate_hint: "Bonussatz in 1/100 % (1000 = 10 %)",
    bonus_base: "Bonusbasis",
    base_full: "voller Betrag",
    base_reduced: "reduzierter Betrag",
    filter: "Artikelfilter",
    filter_none: "kein Filter",
    filter_blacklist: "ausgeschlossene Artikel",
    filter_whitelist: "nur diese Artikel",
    filter_codes: "Artikelnummern oder EANs (eine je Zeile)",
    overdraft_allowed: "Überziehung erlaubt",
    overdraft_limit: "Überziehungslimit in Cent",
    passcode_policy: "PIN-Regel",
    bonus_products_hint: "Bonusartikel je MwSt.-Satz: Satz;Bezeichnung;Artikelnummer;EAN (eine je Zeile)",
    save: "Speichern",
    preview: "Vorschau",
    sample_hint: "Beispielkorb: Menge Preis-in-Cent MwSt [Artikelnummer] (eine Position je Zeile)",
    sample_cash: "Bargeld der Karte in Cent",
    sample_bonus: "Bonus der Karte in Cent",
    tax: "MwSt.",
    description: "Bezeichnung",
    bonus_spent: "eingelöster Bonus",
    cash_spent: "eingelöstes Bargeld",
    reports: "Berichte",
    bookings_csv: "Buchungen als CSV",
    from: "Von",
    to: "Bis",
    full_numbers: "Volle Kartennummern",
    download: "Herunterladen",
    devices: "Geräte",
    device_confirmed: "Gerät bestätigt:",
    user_code: "Code der Kasse (Benutzercode)",
    store: "Filiale",
    confirm: "Bestätigen",
    reject: "Ablehnen",
    vendor: "Hersteller",
    online: "Online",
    online_yes: "online",
    online_no: "offline",
    created: "Angelegt",
    revoke: "Sperren",
    lock_reasons: loyalpos_domain::card::LOCK_REASONS,
};

static EN: Texts = Texts {
    product: "loyalpos back office",
    sign_in: "Sign in",
    sign_out: "Sign out",
    username: "Username",
    password: "Password",
    sign_in_refused: "Wrong username or password.",
    locked_out: "Too many failed sign-ins: this username is locked for 15 minutes.",
    session_ended: "Your session has ended. Please sign in again.",
    dashboard: "Dashboard",
    cards: "Cards",
    audit: "Audit",
    search: "Search",
    search_hint: "Card number (full or last digits), customer name, e-mail or customer number",
    card_number: "Card number",
    customer: "Customer",
    card_group: "Card group",
    balance: "Balance",
    cash: "Cash",
    bonus: "Bonus",
    total: "Total",
    lock_state: "Lock state",
    locked: "locked",
    unlocked: "active",
    expiry: "Expiry",
    none: "–",
    no_results: "No cards found.",
    next_page: "Next page",
    previous_page: "Previous page",
    lock: "Lock",
    unlock: "Unlock",
    reason: "Reason",
    note: "Note",
    move_to_group: "Move to card group",
    move_card: "Move",
    correction: "Correction booking",
    correction_load: "Load",
    correction_discharge: "Discharge",
    amount_cents: "Amount in cents",
    correction_text: "Reason (required)",
    book: "Book",
    ledger: "Bookings",
    time: "Time",
    ta_code: "TA code",
    kind: "Kind",
    amount: "Amount",
    balance_after: "Balance after",
    receipt: "Receipt",
    last_bookings: "Latest bookings",
    who: "Who",
    what: "What",
    object: "Object",
    detail: "Detail",
    older: "Older entries",
    done: "Done.",
    error: "Error",
    language: "Language",
    signed_in_as: "Signed in as",
    csrf_refused: "This form has expired or did not come from this page. Please reload the page.",
    today: "Today",
    last_30_days: "Last 30 days",
    turnover: "Turnover through loyalty cards",
    bookings_count: "Bookings",
    bonus_granted: "Bonus granted",
    bonus_redeemed: "Bonus redeemed",
    cash_redeemed: "Cash redeemed",
    cards_in_use: "Cards in use",
    new_cards: "New cards",
    turnover_per_day: "Turnover through loyalty cards per day (last 30 days)",
    card_groups: "Card groups",
    name: "Name",
    currency: "Currency",
    bonus_rate: "Bonus rate",
    bonus_rate_hint: "Bonus rate in 1/100 % (1000 = 10 %)",
    bonus_base: "Bonus base",
    base_full: "full amount",
    base_reduced: "reduced amount",
    filter: "Article filter",
    filter_none: "no filter",
    filter_blacklist: "excluded articles",
    filter_whitelist: "only these articles",
    filter_codes: "Article numbers or EANs (one per line)",
    overdraft_allowed: "Overdraft allowed",
    overdraft_limit: "Overdraft limit in cents",
    passcode_policy: "Passcode policy",
    bonus_products_hint: "Bonus products per VAT rate: rate;description;article number;EAN (one per line)",
    save: "Save",
    preview: "Preview",
    sample_hint: "Sample basket: quantity price-in-cents VAT [article number] (one line each)",
    sample_cash: "The card's cash in cents",
    sample_bonus: "The card's bonus in cents",
    tax: "VAT",
    description: "Description",
    bonus_spent: "bonus spent",
    cash_spent: "cash spent",
    reports: "Reports",
    bookings_csv: "Bookings as CSV",
    from: "From",
    to: "To",
    full_numbers: "Full card numbers",
    download: "Download",
    devices: "Devices",
    device_confirmed: "Device confirmed:",
    user_code: "Code shown by the register (user code)",
    store: "Store",
    confirm: "Confirm",
    reject: "Reject",
    vendor: "Vendor",
    online: "Online",
    online_yes: "online",
    online_no: "offline",
    created: "Created",
    revoke: "Revoke",
    // The API's reasons (`lockReasons`, German) in the same order.
    lock_reasons: [
        (1, "Card lost"),
        (2, "Card damaged"),
        (3, "Complaint"),
        (6, "Card expired"),
        (8, "Card not activated"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_german_in_german_and_english_in_english() {
        assert_eq!(Lang::De.money(796, "EUR"), "7,96 €");
        assert_eq!(Lang::De.money(123_456, "EUR"), "1.234,56 €");
        assert_eq!(Lang::De.money(-220, "EUR"), "-2,20 €");
        assert_eq!(Lang::En.money(123_456, "EUR"), "€1,234.56");
        assert_eq!(Lang::En.money(5, "CHF"), "0.05 CHF");
        assert_eq!(Lang::De.money(100_000_000, "EUR"), "1.000.000,00 €");
    }

    #[test]
    fn the_browser_languages_pick_the_first_of_german_or_english() {
        assert_eq!(
            Lang::from_accept_language(Some("en-GB,en;q=0.9,de;q=0.8")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language(Some("fr-FR, de-DE;q=0.7, en;q=0.5")),
            Lang::De
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::De);
        assert_eq!(Lang::from_accept_language(None), Lang::De);
    }
}
