//! The public error of every command: every variant knows its HTTP status, catalogue code and German `error_user` text.
//! The envelope, the support id and the log line are produced in exactly one place (`dispatch`).

use loyalpos_domain::DomainError;
use loyalpos_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadRequest = 4001,
    BadAmount = 4002,
    BadId = 4003,
    TooLarge = 4004,
    Unauthenticated = 2003,
    Forbidden = 2004,
    MethodNotAllowed = 2005,
    RateLimited = 2006,
    NotFound = 3001,
    WrongState = 4101,
    DuplicateRequest = 4102,
    AlreadyExists = 4103,
    CardInvalid = 4201,
    CardLocked = 4202,
    InsufficientBalance = 4203,
    BalanceChanged = 4204,
    CancelNotAllowed = 4205,
    WrongSecret = 4206,
    PaymentDeclined = 4301,
    Internal = 1001,
    Unavailable = 1002,
}

impl Code {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        use Code::*;
        match self {
            BadRequest | BadAmount | BadId | CardInvalid | CardLocked | InsufficientBalance
            | BalanceChanged | CancelNotAllowed | WrongSecret => 400,
            TooLarge => 413,
            Unauthenticated => 401,
            Forbidden => 403,
            MethodNotAllowed => 405,
            RateLimited => 429,
            NotFound => 404,
            WrongState | DuplicateRequest | AlreadyExists => 409,
            PaymentDeclined => 402,
            Internal => 500,
            Unavailable => 503,
        }
    }

    pub fn exception(self) -> &'static str {
        use Code::*;
        match self {
            BadRequest | BadAmount | BadId | TooLarge => "ProductFormatException",
            Unauthenticated | Forbidden | MethodNotAllowed | RateLimited => {
                "ProductNotAllowedException"
            }
            NotFound => "ProductNotFoundException",
            WrongState => "ProductStateException",
            DuplicateRequest | AlreadyExists => "ProductDuplicateException",
            CardInvalid | CardLocked | InsufficientBalance | BalanceChanged | CancelNotAllowed
            | WrongSecret => "ProductLoyaltyException",
            PaymentDeclined => "ProductPaymentException",
            Internal | Unavailable => "ProductInternalException",
        }
    }

    pub fn user_text(self) -> &'static str {
        use Code::*;
        match self {
            BadRequest => "Die Anfrage ist ungültig (Code 4001)",
            BadAmount => "Der Betrag oder die Währung ist ungültig (Code 4002)",
            BadId => "Die Kartennummer oder ID ist ungültig (Code 4003)",
            TooLarge => "Die Anfrage ist zu groß (Code 4004)",
            Unauthenticated => "Es ist ein unbekannter Fehler aufgetreten (Code 2003)",
            Forbidden => "Diese Aktion ist nicht erlaubt (Code 2004)",
            MethodNotAllowed => "Diese Aktion ist nicht erlaubt (Code 2005)",
            RateLimited => "Zu viele Anfragen, bitte später erneut versuchen (Code 2006)",
            NotFound => "Das Objekt wurde nicht gefunden (Code 3001)",
            WrongState => "Die Transaktion kann in diesem Status nicht geändert werden (Code 4101)",
            DuplicateRequest => "Die Anfrage wurde bereits gesendet (Code 4102)",
            AlreadyExists => "Das Objekt existiert bereits (Code 4103)",
            CardInvalid => "Die Karte ist unbekannt oder ungültig (Code 4201)",
            CardLocked => "Die Karte ist gesperrt (Code 4202)",
            InsufficientBalance => "Das Guthaben reicht nicht aus (Code 4203)",
            BalanceChanged => "Das Guthaben hat sich geändert, bitte erneut anwenden (Code 4204)",
            CancelNotAllowed => "Die Stornierung ist nicht möglich (Code 4205)",
            WrongSecret => "Der Sicherheitscode ist falsch (Code 4206)",
            PaymentDeclined => "Die Zahlung wurde abgelehnt (Code 4301)",
            Internal => "Es ist ein unbekannter Fehler aufgetreten (Code 1001)",
            Unavailable => "Der Dienst ist vorübergehend nicht verfügbar (Code 1002)",
        }
    }
}

/// An error answered with the API envelope. `details` is English and safe to show; `internal`
/// (never shown to clients) carries the cause for the log.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub details: String,
    pub internal: Option<String>,
    /// Methods for the `Allow` header of a 405.
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(code: Code, details: impl Into<String>) -> Self {
        ApiError {
            code,
            details: details.into(),
            internal: None,
            allow: None,
        }
    }
    pub fn bad_request(details: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, details)
    }
    pub fn bad_id(details: impl Into<String>) -> Self {
        Self::new(Code::BadId, details)
    }
    pub fn not_found(object: &str, id: &str) -> Self {
        Self::new(Code::NotFound, format!("{object} {id} not found"))
    }
    pub fn forbidden() -> Self {
        Self::new(
            Code::Forbidden,
            "this credential may not perform this action",
        )
    }
    pub fn unauthenticated() -> Self {
        Self::new(Code::Unauthenticated, "Valid auth token required")
    }
    pub fn internal(cause: impl Into<String>) -> Self {
        ApiError {
            code: Code::Internal,
            details: "internal error".into(),
            internal: Some(cause.into()),
            allow: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(cause) => ApiError {
                code: Code::Unavailable,
                details: "storage unavailable, safe to retry".into(),
                internal: Some(cause),
                allow: None,
            },
            StoreError::KeyInUse => ApiError::new(
                Code::DuplicateRequest,
                "a request with this Idempotency-Key is still running; retry later",
            ),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let code = match &err {
            DomainError::InvalidRequest(_) => Code::BadRequest,
            DomainError::InvalidAmount(_) => Code::BadAmount,
            DomainError::InvalidCardNumber(_) => Code::BadId,
            DomainError::StateConflict(_) => Code::WrongState,
            DomainError::CardInvalid(_) => Code::CardInvalid,
            DomainError::CardLocked(_) => Code::CardLocked,
            DomainError::InsufficientBalance(_) => Code::InsufficientBalance,
            DomainError::BalanceChanged(_) => Code::BalanceChanged,
            DomainError::CancelNotAllowed(_) => Code::CancelNotAllowed,
            DomainError::WrongSecret(_) => Code::WrongSecret,
        };
        ApiError::new(code, err.detail().to_owned())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
