//! Customers: the optional details on an order, and the customer records that keep a
//! returning buyer's details and saved cards across orders and tills.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, DeviceId};

/// A billing address; every part optional but the country is a two-letter code when given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Address {
    /// Street and number.
    pub line1: Option<String>,
    /// Apartment, suite…
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166 two-letter country code.
    pub country: Option<String>,
}

/// Who bought, when the customer wants a receipt or follow-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Customer {
    /// Full name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Billing address.
    pub billing_address: Option<Address>,
}

/// A customer record: someone who buys again, found at any till by name, email or phone.
/// Every change is a new version of the record; the one with the latest `updated_at` is the
/// customer's details everywhere (ties: the larger device id, so every copy agrees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomerProfile {
    /// Identifier, the same in every version.
    pub id: CustomerId,
    /// Name, email, phone, billing address.
    pub details: Customer,
    /// When this version was made.
    pub updated_at: Timestamp,
    /// Where it was made.
    pub device_id: DeviceId,
    /// Who made it.
    pub staff: String,
}

impl CustomerProfile {
    /// True when this version replaces `other` (a later time, or the same time from a larger
    /// device id).
    pub fn supersedes(&self, other: &CustomerProfile) -> bool {
        (self.updated_at, self.device_id) > (other.updated_at, other.device_id)
    }
}

/// A card saved at the processor for a customer (made by the server, which alone talks to the
/// processor). Only the processor's id and what may be shown of the card: never its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedCard {
    /// The processor's id of the card (a Stripe payment method, `pm_…`).
    pub id: String,
    /// Whose card.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub customer_id: CustomerId,
    /// Brand, e.g. `visa`.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry month (1–12).
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
    /// When it was saved: the newest card a customer has is their default.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub saved_at: Timestamp,
}

/// Why customer details were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// The email is not an address.
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    /// The phone number has letters in it.
    #[error("{0:?} is not a phone number")]
    BadPhone(String),
    /// The country is not a two-letter code.
    #[error("country {0:?} must be a two-letter code such as DE or US")]
    BadCountry(String),
    /// Nothing was filled in.
    #[error("customer details are empty")]
    Empty,
}

fn clean(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Checks that `email` (trimmed) looks like an address: one `@`, a name before it, a domain
/// with a dot after it, no spaces. The address as it should be kept.
pub fn check_email(email: &str) -> Result<String, CustomerError> {
    let e = email.trim();
    let mut parts = e.split('@');
    let ok = matches!((parts.next(), parts.next(), parts.next()),
        (Some(user), Some(domain), None) if !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if !ok || e.contains(char::is_whitespace) || e.len() > 254 {
        return Err(CustomerError::BadEmail(e.to_string()));
    }
    Ok(e.to_string())
}

impl Customer {
    /// Trims every field, drops empty ones and checks email, phone and country.
    pub fn validated(&self) -> Result<Customer, CustomerError> {
        let email = clean(&self.email);
        if let Some(e) = &email {
            check_email(e)?;
        }
        let phone = clean(&self.phone);
        if let Some(p) = &phone {
            let ok = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && p.chars().filter(char::is_ascii_digit).count() >= 4;
            if !ok {
                return Err(CustomerError::BadPhone(p.clone()));
            }
        }
        let address = match &self.billing_address {
            Some(a) => {
                let country = clean(&a.country).map(|c| c.to_ascii_uppercase());
                if let Some(c) = &country {
                    if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                        return Err(CustomerError::BadCountry(c.clone()));
                    }
                }
                let cleaned = Address {
                    line1: clean(&a.line1),
                    line2: clean(&a.line2),
                    city: clean(&a.city),
                    region: clean(&a.region),
                    postal_code: clean(&a.postal_code),
                    country,
                };
                (cleaned != Address::default()).then_some(cleaned)
            }
            None => None,
        };
        let customer = Customer {
            name: clean(&self.name),
            email,
            phone,
            billing_address: address,
        };
        if customer == Customer::default() {
            return Err(CustomerError::Empty);
        }
        Ok(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_details_are_refused_with_what_is_wrong() {
        let c = Customer {
            email: Some("not-an-email".into()),
            ..Default::default()
        };
        assert!(matches!(c.validated(), Err(CustomerError::BadEmail(_))));
        let c = Customer {
            phone: Some("call me".into()),
            ..Default::default()
        };
        assert!(matches!(c.validated(), Err(CustomerError::BadPhone(_))));
        assert!(matches!(
            Customer::default().validated(),
            Err(CustomerError::Empty)
        ));
    }

    #[test]
    fn details_are_trimmed() {
        let c = Customer {
            name: Some("  Ada Lovelace ".into()),
            email: Some(" ada@example.org".into()),
            ..Default::default()
        };
        let v = c.validated().expect("valid");
        assert_eq!(v.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(v.email.as_deref(), Some("ada@example.org"));
    }
}
