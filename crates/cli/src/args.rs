//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use fairtill_core::customer::Customer;
use fairtill_core::ids::{EventId, OrderId, TxId};
use fairtill_core::ledger::{OrderView, PaymentKind, PaymentMethod, TxKind, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::offer::OfferLine;
use fairtill_core::order::{OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxPolicy};
use fairtill_core::Timestamp;
use fairtill_store::{Actor, Tender, Till, TxFilter};
use serde::Deserialize;

/// Input the user must correct (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

pub(crate) fn input(msg: impl Into<String>) -> anyhow::Error {
    InputError(msg.into()).into()
}

/// fairtill: record, list, summarize, export and import sales in a Fairtill device database.
///
/// Exit codes: 0 success, 1 failure, 2 bad input, 3 refused by a ledger rule,
/// 4 the database is damaged or from a newer version of Fairtill.
#[derive(Debug, Parser)]
#[command(name = "fairtill", version)]
pub struct Cli {
    /// The device database file (created if it does not exist).
    #[arg(
        long,
        env = "FAIRTILL_DB",
        global = true,
        default_value = "fairtill.db"
    )]
    pub db: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Receipt prefix for a new database (1–8 letters or digits).
    #[arg(long, global = true, default_value = "T1")]
    pub device_code: String,
    /// Device name for a new database.
    #[arg(long, global = true, default_value = "Till")]
    pub device_name: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Record a sale, or log a sale paid in another system (--method external).
    Record(Record),
    /// List transactions, newest first.
    List(List),
    /// Totals per currency of the transactions a filter selects.
    Summary(Summary),
    /// Show one order (by order id, transaction id or receipt) with its full history.
    Show(Show),
    /// Act on a recorded sale as the app's order screen does: capture, void, refund, credit,
    /// write off, mark paid, replace a voided sale, record a result.
    Act(crate::actions::Act),
    /// Sync without the window: enroll with a server, run one round now, or say how it stands.
    #[command(subcommand)]
    Sync(crate::sync::SyncCmd),
    /// Export transactions as CSV (all of them, streamed).
    Export(Export),
    /// Import historical or external sales from CSV: all rows, or none.
    Import(Import),
    /// List, save or retire saved offers.
    #[command(subcommand)]
    Offers(OfferCmd),
    /// Back up the database (online backup API).
    Backup(Backup),
    /// Replace the database with a backup (the current one is kept aside).
    Restore(Restore),
    /// Check the database's integrity and what waits to sync.
    Check,
}

/// `record` arguments.
#[derive(Debug, Args)]
pub struct Record {
    /// A line: NAME:UNIT_PRICE[:QUANTITY], e.g. "Mug:12.50:2". Repeat for more lines.
    #[arg(long = "item", value_name = "NAME:PRICE[:QTY]")]
    pub items: Vec<String>,
    /// A typed amount with no product (a keypad sale): AMOUNT[:NOTE], e.g. "12.50:Repair".
    /// Repeat for more; mixes with --item.
    #[arg(long = "amount", value_name = "AMOUNT[:NOTE]")]
    pub amounts: Vec<String>,
    /// Currency of the prices.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// cash, card or external (paid in another system: log, don't charge).
    #[arg(long, default_value = "cash")]
    pub method: String,
    /// For --method external: the other system's name.
    #[arg(long)]
    pub system: Option<String>,
    /// For --method external: its payment reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// For --method card: last four digits.
    #[arg(long)]
    pub last4: Option<String>,
    /// For --method card: the terminal's approval code.
    #[arg(long)]
    pub approval_code: Option<String>,
    /// approved, declined, abandoned, canceled or unknown.
    #[arg(long, default_value = "approved")]
    pub result: String,
    /// Authorize for later capture instead of taking the money now (card or external).
    #[arg(long)]
    pub authorize: bool,
    /// Customer name.
    #[arg(long)]
    pub customer_name: Option<String>,
    /// Customer email.
    #[arg(long)]
    pub customer_email: Option<String>,
    /// Customer phone.
    #[arg(long)]
    pub customer_phone: Option<String>,
    /// Who recorded it.
    #[arg(long, default_value = "cli")]
    pub staff: String,
    /// The event id.
    #[arg(long)]
    pub event: Option<String>,
    /// Read the sale from a JSON file ("-" for standard input): {"draft": …, "tender": …}.
    #[arg(long = "from-json", value_name = "FILE", conflicts_with_all = ["items", "amounts"])]
    pub from_json: Option<PathBuf>,
}

#[derive(Deserialize)]
struct SaleJson {
    draft: OrderDraft,
    tender: Tender,
}

fn parse_line(spec: &str, currency: Currency) -> anyhow::Result<OrderLine> {
    let parts: Vec<&str> = spec
        .rsplitn(3, ':')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let (name, price, quantity) = match parts.as_slice() {
        [name, price] => (*name, *price, "1"),
        [name, price, quantity] if quantity.parse::<u32>().is_ok() => (*name, *price, *quantity),
        [name_a, name_b, price] => {
            // A name with a colon and no quantity: "Poster: A3:9.50".
            let name = format!("{name_a}:{name_b}");
            return parse_line(&format!("{name}:{price}:1"), currency).map(|mut l| {
                l.name = name.trim().to_string();
                l
            });
        }
        _ => {
            return Err(input(format!(
                "--item {spec:?} must look like NAME:PRICE or NAME:PRICE:QTY"
            )))
        }
    };
    let unit_price = Money::parse(price, currency)?;
    let quantity: u32 = quantity.parse().ok().filter(|q| *q >= 1).ok_or_else(|| {
        input(format!(
            "quantity {quantity:?} must be a whole number of at least 1"
        ))
    })?;
    let name = name.trim();
    if name.is_empty() {
        return Err(input(format!("--item {spec:?} has no name")));
    }
    Ok(OrderLine {
        sku: name.to_uppercase().replace(' ', "-"),
        name: name.to_string(),
        unit_price,
        quantity,
        tax_category: TaxCategory::Standard,
        discount: None,
        price_override_reason: None,
    })
}

/// A keypad line from `AMOUNT[:NOTE]`: more than zero, standard tax.
fn parse_custom(spec: &str, currency: Currency) -> anyhow::Result<OrderLine> {
    let (amount, note) = match spec.split_once(':') {
        Some((amount, note)) => (amount, Some(note)),
        None => (spec, None),
    };
    let amount = Money::parse(amount.trim(), currency)
        .map_err(|e| input(format!("--amount {spec:?}: {e}")))?;
    if !amount.is_positive() {
        return Err(input(format!("--amount {spec:?} must be more than zero")));
    }
    Ok(OrderLine::custom(amount, TaxCategory::Standard, note))
}

pub(crate) fn parse_result(text: &str) -> anyhow::Result<TxResult> {
    TxResult::parse(&text.to_ascii_lowercase()).ok_or_else(|| {
        input(format!(
            "result {text:?} must be approved, declined, abandoned, canceled or unknown"
        ))
    })
}

pub(crate) fn parse_event(text: &Option<String>) -> anyhow::Result<Option<EventId>> {
    text.as_deref()
        .map(|e| {
            e.parse()
                .map_err(|_| input(format!("{e:?} is not an event id")))
        })
        .transpose()
}

impl Record {
    /// Who records.
    pub fn actor(&self) -> Actor {
        Actor {
            staff: self.staff.clone(),
            event_id: parse_event(&self.event).ok().flatten(),
        }
    }

    /// The order draft and how it is paid.
    pub fn to_sale(&self) -> anyhow::Result<(OrderDraft, Tender)> {
        parse_event(&self.event)?;
        if let Some(path) = &self.from_json {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(path)
                    .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?
            };
            let sale: SaleJson = serde_json::from_str(&text)
                .map_err(|e| input(format!("the sale JSON is not valid: {e}")))?;
            return Ok((sale.draft, sale.tender));
        }
        if self.items.is_empty() && self.amounts.is_empty() {
            return Err(input(
                "give at least one --item NAME:PRICE[:QTY] or --amount AMOUNT[:NOTE], or --from-json FILE",
            ));
        }
        let currency = Currency::from_code(&self.currency)?;
        let mut lines = self
            .items
            .iter()
            .map(|i| parse_line(i, currency))
            .collect::<anyhow::Result<Vec<_>>>()?;
        for spec in &self.amounts {
            lines.push(parse_custom(spec, currency)?);
        }
        let method = match self.method.to_ascii_lowercase().as_str() {
            "cash" => PaymentMethod::Cash,
            "card" => PaymentMethod::Card {
                last4: self.last4.clone(),
                approval_code: self.approval_code.clone(),
            },
            "external" => PaymentMethod::External {
                system: self.system.clone().ok_or_else(|| {
                    input("--method external needs --system (which system took the payment)")
                })?,
                reference: self.reference.clone().ok_or_else(|| {
                    input("--method external needs --reference (its payment reference)")
                })?,
            },
            other => {
                return Err(input(format!(
                    "--method {other:?} must be cash, card or external"
                )))
            }
        };
        let customer = Customer {
            name: self.customer_name.clone(),
            email: self.customer_email.clone(),
            phone: self.customer_phone.clone(),
            billing_address: None,
        };
        let draft = OrderDraft {
            currency,
            lines,
            discount: None,
            tax: TaxPolicy::none(),
            customer: Some(customer),
            note: None,
            referrer: None,
        };
        let kind = if self.authorize {
            PaymentKind::Authorize {
                capture_window: fairtill_core::event::DEFAULT_CAPTURE_WINDOW,
            }
        } else {
            PaymentKind::Sale
        };
        Ok((
            draft,
            Tender {
                kind,
                method,
                result: parse_result(&self.result)?,
                amount: None,
            },
        ))
    }
}

/// Filters shared by list, summary and export.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Created at or after (2026-06-01 or 2026-06-01T09:00:00Z).
    #[arg(long)]
    pub from: Option<String>,
    /// Created before (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Event id.
    #[arg(long)]
    pub event: Option<String>,
    /// Staff member.
    #[arg(long)]
    pub staff: Option<String>,
    /// Kind (authorize, capture, sale, void, refund, credit); repeat for several.
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Result (approved, declined, abandoned, canceled, unknown); repeat for several.
    #[arg(long = "result")]
    pub results: Vec<String>,
    /// Currency.
    #[arg(long)]
    pub currency: Option<String>,
    /// Payment method (cash, card, external, marked_paid).
    #[arg(long)]
    pub method: Option<String>,
    /// Text in customer name, email or phone, receipt, or external reference.
    #[arg(long)]
    pub text: Option<String>,
}

fn parse_when(text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Ok(d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        return Ok(dt.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    Err(input(format!(
        "{text:?} is not a date (use 2026-06-01 or 2026-06-01T09:00:00Z)"
    )))
}

impl FilterArgs {
    /// The store filter.
    pub fn to_filter(&self) -> anyhow::Result<TxFilter> {
        Ok(TxFilter {
            from: self.from.as_deref().map(parse_when).transpose()?,
            to: self.to.as_deref().map(parse_when).transpose()?,
            event_id: parse_event(&self.event)?,
            staff: self.staff.clone(),
            kinds: self
                .kinds
                .iter()
                .map(|k| {
                    TxKind::parse(&k.to_ascii_lowercase())
                        .ok_or_else(|| input(format!("kind {k:?} is not a transaction kind")))
                })
                .collect::<anyhow::Result<_>>()?,
            results: self
                .results
                .iter()
                .map(|r| parse_result(r))
                .collect::<anyhow::Result<_>>()?,
            currency: self
                .currency
                .as_deref()
                .map(Currency::from_code)
                .transpose()?,
            method: self.method.clone(),
            text: self.text.clone(),
        })
    }
}

/// `list` arguments.
#[derive(Debug, Args)]
pub struct List {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Rows per page.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// The `next` cursor of the previous page.
    #[arg(long)]
    pub after: Option<String>,
}

/// `summary` arguments.
#[derive(Debug, Args)]
pub struct Summary {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `show` arguments.
#[derive(Debug, Args)]
pub struct Show {
    /// Order id, transaction id, or receipt number (T1-000042).
    pub id: String,
}

/// Finds the order an id or receipt names.
pub fn resolve_order(till: &Till, id: &str) -> anyhow::Result<OrderView> {
    if let Ok(order) = id.parse::<OrderId>() {
        if let Ok(view) = till.order(order) {
            return Ok(view);
        }
        if let Some(order) = till.order_of(TxId(order.0))? {
            return Ok(till.order(order)?);
        }
        return Err(input(format!(
            "{id} is not an order, or a transaction of an order, in this database"
        )));
    }
    let found: Option<String> = till
        .connection()
        .query_row(
            "SELECT id FROM orders WHERE receipt = ?1",
            [id.trim()],
            |r| r.get(0),
        )
        .ok();
    let order = found.ok_or_else(|| input(format!("no order with receipt {id:?}")))?;
    Ok(till.order(
        order
            .parse()
            .map_err(|_| input("stored order id is not valid"))?,
    )?)
}

/// `export` arguments.
#[derive(Debug, Args)]
pub struct Export {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// File to write (must not exist); standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Plain UTF-8 with no byte-order mark, for scripts. Without it the file starts with the
    /// mark, so Excel and LibreOffice show every character as it is.
    #[arg(long)]
    pub plain: bool,
}

/// `import` arguments.
#[derive(Debug, Args)]
pub struct Import {
    /// The CSV file. Columns: created_at, amount, currency (required); item, sku, quantity,
    /// method, external_system, external_reference, card_last4, approval_code, result,
    /// customer_name, customer_email, customer_phone, staff, event_id, note.
    pub file: PathBuf,
}

/// `offers` subcommands.
#[derive(Debug, Subcommand)]
pub enum OfferCmd {
    /// List saved offers.
    List {
        /// Include retired offers.
        #[arg(long)]
        all: bool,
    },
    /// Save a new offer (offers cannot be edited later).
    Save(OfferSave),
    /// Retire an offer (hide it from pickers; history keeps it).
    Retire {
        /// The offer id.
        id: String,
        /// Who retires it.
        #[arg(long, default_value = "cli")]
        staff: String,
    },
}

/// `offers save` arguments.
#[derive(Debug, Args)]
pub struct OfferSave {
    /// Offer name.
    #[arg(long)]
    pub name: String,
    /// Currency.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// A line: NAME:UNIT_PRICE[:QUANTITY]. Repeat for more.
    #[arg(long = "item", required = true)]
    pub items: Vec<String>,
}

impl OfferSave {
    /// Name, currency and lines.
    pub fn to_offer(&self) -> anyhow::Result<(String, Currency, Vec<OfferLine>)> {
        let currency = Currency::from_code(&self.currency)?;
        let lines = self
            .items
            .iter()
            .map(|i| {
                parse_line(i, currency).map(|l| OfferLine {
                    sku: l.sku,
                    name: l.name,
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    tax_category: l.tax_category,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((self.name.clone(), currency, lines))
    }
}

/// `backup` arguments.
#[derive(Debug, Args)]
pub struct Backup {
    /// Write the backup to this file (must not exist).
    #[arg(long, conflicts_with = "dir")]
    pub out: Option<PathBuf>,
    /// Write a timestamped backup into this folder, keeping the newest --keep.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// How many rolling backups to keep.
    #[arg(long, default_value_t = 10)]
    pub keep: usize,
}

/// `restore` arguments.
#[derive(Debug, Args)]
pub struct Restore {
    /// The backup file.
    #[arg(long)]
    pub from: PathBuf,
}
