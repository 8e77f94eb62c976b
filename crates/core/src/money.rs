//! Money: an exact amount in minor units of one ISO 4217 currency.
//!
//! Amounts are entered and shown as decimal strings (`"12.50"`), held as `i64` minor units
//! (`1250`), and never pass through a float. A currency's minor-unit exponent is enforced:
//! `"1000.5"` JPY is an error, not a rounding.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What can go wrong turning text into money or combining amounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not an ISO 4217 currency.
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    /// The code is ISO 4217 but has no minor unit (gold, SDR, test codes): not sold at a till.
    #[error("{0} has no minor unit and cannot be used for sales")]
    UnsupportedCurrency(String),
    /// The text is not a decimal number.
    #[error("{0:?} is not an amount (write it like 12.50)")]
    InvalidAmount(String),
    /// More decimal places than the currency has.
    #[error("{amount} has more decimal places than {currency} allows ({exponent})")]
    TooPrecise {
        /// The amount as written.
        amount: String,
        /// The currency code.
        currency: &'static str,
        /// The currency's minor-unit exponent.
        exponent: u32,
    },
    /// Two amounts of different currencies were combined.
    #[error("cannot combine {left} with {right}: amounts of different currencies are never added")]
    CurrencyMismatch {
        /// The first currency.
        left: &'static str,
        /// The second currency.
        right: &'static str,
    },
    /// An amount that must be above zero was not.
    #[error("{what} must be more than zero (got {amount})")]
    NotPositive {
        /// What the amount is for ("sale amount", "unit price").
        what: &'static str,
        /// The amount given.
        amount: String,
    },
    /// The amount is too large to hold.
    #[error("amount is too large")]
    Overflow,
}

/// An ISO 4217 currency that has a minor unit (USD: 2, JPY: 0, KWD: 3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Looks up a currency by its three-letter code (case-insensitive).
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        let iso = iso_currency::Currency::from_code(&upper)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))?;
        match iso.exponent() {
            Some(_) => Ok(Currency(iso)),
            None => Err(MoneyError::UnsupportedCurrency(upper)),
        }
    }

    /// The three-letter code, e.g. `"USD"`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Number of decimal places of the minor unit (USD 2, JPY 0, KWD 3).
    pub fn exponent(self) -> u32 {
        // Construction guarantees an exponent.
        u32::from(self.0.exponent().unwrap_or(0))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// Parses a decimal string strictly: digits, an optional sign and one decimal point.
pub fn parse_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let t = text.trim();
    let well_formed = !t.is_empty()
        && t.trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(MoneyError::InvalidAmount(text.to_string()));
    }
    Decimal::from_str(t).map_err(|_| MoneyError::InvalidAmount(text.to_string()))
}

/// Rounds a decimal to the currency's minor unit, half away from zero: the one rounding rule
/// for retail totals, tax and allocated discounts.
pub fn round_to_currency(value: Decimal, currency: Currency) -> Result<Money, MoneyError> {
    let rounded =
        value.round_dp_with_strategy(currency.exponent(), RoundingStrategy::MidpointAwayFromZero);
    Money::from_decimal(rounded, currency)
}

/// An exact amount of one currency, held in minor units.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, type = "{ amount: string, currency: string }")
)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount from minor units (`1250` USD is 12.50 USD).
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// An amount from a decimal; refuses more decimal places than the currency has.
    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let exponent = currency.exponent();
        let normalized = value.normalize();
        if normalized.scale() > exponent {
            return Err(MoneyError::TooPrecise {
                amount: value.to_string(),
                currency: currency.code(),
                exponent,
            });
        }
        let scaled = normalized
            .checked_mul(Decimal::from(10_i64.pow(exponent)))
            .ok_or(MoneyError::Overflow)?;
        let minor = i64::try_from(scaled).map_err(|_| MoneyError::Overflow)?;
        Ok(Money { minor, currency })
    }

    /// Parses an amount written as a decimal string in a currency.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        let value = parse_decimal(amount)?;
        Money::from_decimal(value, currency).map_err(|e| match e {
            MoneyError::TooPrecise {
                currency, exponent, ..
            } => MoneyError::TooPrecise {
                amount: amount.trim().to_string(),
                currency,
                exponent,
            },
            other => other,
        })
    }

    /// Minor units (cents for USD, yen for JPY).
    pub fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The amount as a decimal with the currency's number of places.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }

    /// The amount as a decimal string with exactly the currency's places (`"12.50"`, `"1000"`).
    pub fn amount_string(self) -> String {
        self.to_decimal().to_string()
    }

    /// True when above zero.
    pub fn is_positive(self) -> bool {
        self.minor > 0
    }

    /// True when exactly zero.
    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// Returns the amount if it is above zero, else a `NotPositive` error naming `what`.
    pub fn require_positive(self, what: &'static str) -> Result<Self, MoneyError> {
        if self.is_positive() {
            Ok(self)
        } else {
            Err(MoneyError::NotPositive {
                what,
                amount: self.to_string(),
            })
        }
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency.code(),
                right: other.currency.code(),
            })
        }
    }

    /// Adds two amounts of the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// Subtracts an amount of the same currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// Multiplies by a whole quantity.
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// The smaller of two amounts of the same currency.
    pub fn min(self, other: Money) -> Money {
        if other.minor < self.minor {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Wire form of money: `{"amount": "12.50", "currency": "USD"}`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Money))]
struct MoneyWire {
    /// The amount as a decimal string in the currency's minor units (`"12.50"`, `"-3.00"`,
    /// `"1500"` for JPY): never a binary floating-point number.
    amount: String,
    currency: Currency,
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <MoneyWire as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Money {}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An ISO 4217 currency code"))
            .examples(["USD"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.amount_string(),
            currency: self.currency,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(d)?;
        Money::parse(&wire.amount, wire.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::from_code(code).expect("known currency")
    }

    #[test]
    fn exponents_come_from_iso_4217() {
        assert_eq!(cur("USD").exponent(), 2);
        assert_eq!(cur("JPY").exponent(), 0);
        assert_eq!(cur("KWD").exponent(), 3);
        assert_eq!(cur("eur").code(), "EUR");
    }

    #[test]
    fn wrong_precision_is_an_error_not_a_rounding() {
        let err = Money::parse("1000.5", cur("JPY")).unwrap_err();
        assert!(
            matches!(err, MoneyError::TooPrecise { exponent: 0, .. }),
            "{err:?}"
        );
        assert!(Money::parse("12.345", cur("USD")).is_err());
        assert_eq!(
            Money::parse("12.345", cur("KWD")).map(Money::minor),
            Ok(12345)
        );
        assert_eq!(
            Money::parse("1000.0", cur("JPY")).map(Money::minor),
            Ok(1000)
        );
    }

    #[test]
    fn unknown_and_unsupported_currencies_are_refused() {
        assert!(matches!(
            Currency::from_code("ABC"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(matches!(
            Currency::from_code("XAU"),
            Err(MoneyError::UnsupportedCurrency(_))
        ));
    }

    #[test]
    fn amounts_are_strict_decimals() {
        for bad in ["", "abc", "1e5", "1.2.3", "12,50", "-", "."] {
            assert!(
                Money::parse(bad, cur("USD")).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert_eq!(
            Money::parse(" 12.5 ", cur("USD")).map(Money::minor),
            Ok(1250)
        );
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let a = Money::from_minor(100, cur("USD"));
        let b = Money::from_minor(100, cur("EUR"));
        assert!(matches!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn zero_or_negative_is_refused_where_it_makes_no_sense() {
        assert!(Money::zero(cur("USD"))
            .require_positive("sale amount")
            .is_err());
        assert!(Money::from_minor(-5, cur("USD"))
            .require_positive("sale amount")
            .is_err());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        let usd = cur("USD");
        assert_eq!(
            round_to_currency(Decimal::new(1005, 3), usd).map(Money::minor),
            Ok(101)
        );
        assert_eq!(
            round_to_currency(Decimal::new(-1005, 3), usd).map(Money::minor),
            Ok(-101)
        );
        assert_eq!(
            round_to_currency(Decimal::new(1004, 3), usd).map(Money::minor),
            Ok(100)
        );
    }

    #[test]
    fn serializes_as_decimal_string() {
        let m = Money::parse("12.5", cur("USD")).expect("valid");
        let json = serde_json::to_string(&m).expect("serialize");
        assert_eq!(json, r#"{"amount":"12.50","currency":"USD"}"#);
        let back: Money = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1.5","currency":"JPY"}"#).is_err());
    }
}
