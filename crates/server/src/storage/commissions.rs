//! Commission rules and runs of the report. A run works every order of its period out from the
//! order as the server knows it now (`fairtill_core::commission`), so refunds, voids and
//! write-offs recorded since the sale count against it; each run is kept whole, and the next
//! run of the same period lists what changed since.

use std::collections::{BTreeMap, HashMap};

use fairtill_core::commission::{check_rate, commission_of, Commission, Lines};
use fairtill_core::ledger::OrderView;
use fairtill_core::money::Money;
use fairtill_core::{Decimal, Timestamp};
use fairtill_protocol::{
    AutomationNeed, Beneficiary, CommissionChange, CommissionLine, CommissionPeriod,
    CommissionRule, CommissionRun, CommissionScope, CommissionTotal, NewCommissionRule,
};
use uuid::Uuid;

use super::{ms, query_one, Db, Result, Row, Storage, StorageError};
use crate::params;

/// A rule as a run applies it.
struct Active {
    rule: CommissionRule,
    rate: Decimal,
    needs: Option<Vec<(String, u32)>>,
}

/// "staff Ana", "referrer CLUB7".
pub fn beneficiary_label(b: &Beneficiary) -> String {
    match b {
        Beneficiary::Staff { name } => format!("staff {name}"),
        Beneficiary::Referrer { name } => format!("referrer {name}"),
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether `rule`'s beneficiary is the one `view` names.
fn earns(b: &Beneficiary, view: &OrderView) -> bool {
    match b {
        Beneficiary::Staff { name } => same_name(name, &view.order.context.staff),
        Beneficiary::Referrer { name } => view
            .order
            .draft
            .referrer
            .as_deref()
            .is_some_and(|r| same_name(name, r)),
    }
}

const COLUMNS: &str =
    "id, beneficiary_kind, beneficiary, rate, scope, created_by, created_at, retired_at, needs";

fn rule(r: &Row) -> Result<(CommissionRule, Option<Vec<AutomationNeed>>)> {
    let name = r.text(2)?;
    let beneficiary = match r.text(1)?.as_str() {
        "staff" => Beneficiary::Staff { name },
        _ => Beneficiary::Referrer { name },
    };
    let needs = r
        .opt_text(8)?
        .map(|t| serde_json::from_str::<Vec<AutomationNeed>>(&t))
        .transpose()?;
    Ok((
        CommissionRule {
            id: r
                .text(0)?
                .parse()
                .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))?,
            beneficiary,
            rate: r.text(3)?,
            scope: serde_json::from_str(&r.text(4)?)?,
            created_by: r.text(5)?,
            created_at: r.time(6)?,
            retired_at: r.opt_time(7)?,
        },
        needs,
    ))
}

fn one(db: &mut dyn Db, id: Uuid) -> Result<CommissionRule> {
    let row = query_one(
        db,
        &format!("SELECT {COLUMNS} FROM commission_rules WHERE id = $1"),
        params![id.to_string()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("commission rule {id}")))?;
    Ok(rule(&row)?.0)
}

/// The key runs of one period are compared by.
fn period_key(p: &CommissionPeriod) -> String {
    format!(
        "{}|{}|{}",
        ms(p.from),
        ms(p.to),
        p.event_id.map(|e| e.to_string()).unwrap_or_default()
    )
}

/// Why a line's commission moved between two runs, in words.
fn why(before: Option<&Commission>, after: Option<&Commission>) -> String {
    let (Some(b), Some(a)) = (before, after) else {
        return if before.is_none() {
            "counted now, not in the last run (sold or synced since, or a new rule)".into()
        } else {
            "no longer counted (its rule was retired)".into()
        };
    };
    let mut said = Vec::new();
    let more = |now: Money, then: Money| now.checked_sub(then).ok().filter(|d| d.is_positive());
    if let Some(d) = more(a.refunded, b.refunded) {
        said.push(format!("refunded {d} since"));
    }
    if let Some(d) = more(a.voided, b.voided) {
        said.push(format!("voided {d} since"));
    }
    if let Some(d) = more(a.written_off, b.written_off) {
        said.push(format!("written off {d} since"));
    }
    if let Some(d) = more(a.paid, b.paid) {
        said.push(format!("paid {d} more since"));
    }
    if said.is_empty() {
        "its payments changed since".into()
    } else {
        said.join(", ")
    }
}

impl Storage {
    /// Every commission rule, newest first (retired ones too).
    pub async fn commission_rules(&self) -> Result<Vec<CommissionRule>> {
        self.transact(|db| {
            db.query(
                &format!("SELECT {COLUMNS} FROM commission_rules ORDER BY created_at DESC, id"),
                &[],
            )?
            .iter()
            .map(|r| rule(r).map(|(r, _)| r))
            .collect()
        })
        .await
    }

    /// Saves a commission rule. Refused: no name, a rate that is not a percentage, an empty SKU,
    /// an offer the server does not have.
    pub async fn add_commission_rule(
        &self,
        new: NewCommissionRule,
        manager: String,
        now: Timestamp,
    ) -> Result<CommissionRule> {
        let rate = new
            .rate
            .trim()
            .parse::<Decimal>()
            .map_err(|_| StorageError::Invalid(format!("{:?} is not a percentage", new.rate)))
            .and_then(|r| check_rate(r).map_err(StorageError::Invalid))?;
        let (kind, name) = match &new.beneficiary {
            Beneficiary::Staff { name } => ("staff", name.trim().to_string()),
            Beneficiary::Referrer { name } => ("referrer", name.trim().to_string()),
        };
        if name.is_empty() || name.chars().count() > 60 {
            return Err(StorageError::Invalid(
                "name who earns the commission (60 characters at most)".into(),
            ));
        }
        self.transact(move |db| {
            let needs = match &new.scope {
                CommissionScope::All => None,
                CommissionScope::Product { sku } => {
                    if sku.trim().is_empty() {
                        return Err(StorageError::Invalid("enter the product's SKU".into()));
                    }
                    Some(vec![AutomationNeed { sku: sku.trim().to_string(), quantity: 1 }])
                }
                CommissionScope::Offer { offer_id } => {
                    Some(super::automations::offer_needs(db, &offer_id.0.to_string())?)
                }
            };
            let id = Uuid::now_v7();
            db.execute(
                "INSERT INTO commission_rules (id, beneficiary_kind, beneficiary, rate, scope, needs, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    id.to_string(),
                    kind,
                    name.as_str(),
                    rate.to_string(),
                    serde_json::to_string(&new.scope)?,
                    needs.as_ref().map(serde_json::to_string).transpose()?,
                    manager.as_str(),
                    ms(now)
                ],
            )?;
            let what = format!("{kind} {name} at {rate} %");
            super::managers::audit(db, now, &manager, "commission_rule_added", &id.to_string(), Some(&what))?;
            one(db, id)
        })
        .await
    }

    /// Retires a rule: runs from now on leave it out.
    pub async fn retire_commission_rule(
        &self,
        id: Uuid,
        manager: String,
        now: Timestamp,
    ) -> Result<CommissionRule> {
        self.transact(move |db| {
            one(db, id)?;
            db.execute(
                "UPDATE commission_rules SET retired_at = coalesce(retired_at, $1) WHERE id = $2",
                params![ms(now), id.to_string()],
            )?;
            super::managers::audit(
                db,
                now,
                &manager,
                "commission_rule_retired",
                &id.to_string(),
                None,
            )?;
            one(db, id)
        })
        .await
    }

    /// Runs the commission report for `period` as the orders stand now, keeps it, and compares
    /// it with the last run of the same period.
    pub async fn run_commissions(
        &self,
        period: CommissionPeriod,
        manager: String,
        now: Timestamp,
    ) -> Result<CommissionRun> {
        if period.from >= period.to {
            return Err(StorageError::Invalid(
                "the period must end after it starts".into(),
            ));
        }
        self.transact(move |db| {
            let mut active = Vec::new();
            for r in db.query(
                &format!("SELECT {COLUMNS} FROM commission_rules WHERE retired_at IS NULL ORDER BY created_at, id"),
                &[],
            )? {
                let (rule, needs) = rule(&r)?;
                let rate = rule
                    .rate
                    .parse()
                    .map_err(|_| StorageError::Backend(format!("stored rate {:?}", rule.rate)))?;
                let needs = needs.map(|n| n.into_iter().map(|n| (n.sku, n.quantity)).collect());
                active.push(Active { rule, rate, needs });
            }
            let ids = match period.event_id {
                Some(event) => db.query(
                    "SELECT id FROM orders WHERE created_at >= $1 AND created_at < $2 AND event_id = $3
                     ORDER BY created_at, id",
                    params![ms(period.from), ms(period.to), event.to_string()],
                )?,
                None => db.query(
                    "SELECT id FROM orders WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id",
                    params![ms(period.from), ms(period.to)],
                )?,
            };
            let mut lines = Vec::new();
            if !active.is_empty() {
                for row in ids {
                    let id = fairtill_core::ids::OrderId(
                        row.text(0)?
                            .parse()
                            .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))?,
                    );
                    let view = super::orders::order(db, id, now)?.view;
                    for a in active.iter().filter(|a| earns(&a.rule.beneficiary, &view)) {
                        let scope = match &a.needs {
                            None => Lines::All,
                            Some(needs) => Lines::Holding(needs),
                        };
                        let Some(amounts) = commission_of(&view, &scope, a.rate)
                            .map_err(|e| StorageError::Backend(e.to_string()))?
                        else {
                            continue;
                        };
                        lines.push(CommissionLine {
                            rule_id: a.rule.id,
                            beneficiary: beneficiary_label(&a.rule.beneficiary),
                            order_id: id,
                            receipt: view.order.receipt.clone(),
                            sold_at: view.order.created_at,
                            rate: a.rule.rate.clone(),
                            amounts,
                        });
                    }
                }
            }
            let mut totals: BTreeMap<(String, String), CommissionTotal> = BTreeMap::new();
            for l in &lines {
                let currency = l.amounts.net.currency();
                let t = totals
                    .entry((l.beneficiary.clone(), currency.code().to_string()))
                    .or_insert_with(|| CommissionTotal {
                        beneficiary: l.beneficiary.clone(),
                        orders: 0,
                        net: Money::zero(currency),
                        commission: Money::zero(currency),
                    });
                t.orders += 1;
                t.net = t.net.checked_add(l.amounts.net).map_err(|e| StorageError::Backend(e.to_string()))?;
                t.commission = t
                    .commission
                    .checked_add(l.amounts.commission)
                    .map_err(|e| StorageError::Backend(e.to_string()))?;
            }
            let key = period_key(&period);
            let previous: Option<CommissionRun> = query_one(
                db,
                "SELECT body FROM commission_runs WHERE period = $1 ORDER BY ran_at DESC, id DESC LIMIT 1",
                params![key.as_str()],
            )?
            .map(|r| r.text(0).and_then(|b| Ok(serde_json::from_str(&b)?)))
            .transpose()?;
            let mut changes = Vec::new();
            if let Some(prev) = &previous {
                let then: HashMap<(Uuid, String), &CommissionLine> = prev
                    .lines
                    .iter()
                    .map(|l| ((l.rule_id, l.order_id.to_string()), l))
                    .collect();
                let now_: HashMap<(Uuid, String), &CommissionLine> =
                    lines.iter().map(|l| ((l.rule_id, l.order_id.to_string()), l)).collect();
                let mut keys: Vec<&(Uuid, String)> = then.keys().chain(now_.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let (b, a) = (then.get(k), now_.get(k));
                    let (bc, ac) = (b.map(|l| l.amounts.commission), a.map(|l| l.amounts.commission));
                    if bc == ac {
                        continue;
                    }
                    let l = a.or(b).copied();
                    let Some(l) = l else { continue };
                    changes.push(CommissionChange {
                        beneficiary: l.beneficiary.clone(),
                        receipt: l.receipt.clone(),
                        before: bc,
                        after: ac,
                        why: why(b.map(|l| &l.amounts), a.map(|l| &l.amounts)),
                    });
                }
            }
            let run = CommissionRun {
                id: Uuid::now_v7(),
                period,
                ran_at: now,
                ran_by: manager.clone(),
                totals: totals.into_values().collect(),
                lines,
                previous: previous.map(|p| p.id),
                changes,
            };
            db.execute(
                "INSERT INTO commission_runs (id, period, ran_at, ran_by, body) VALUES ($1, $2, $3, $4, $5)",
                params![
                    run.id.to_string(),
                    key.as_str(),
                    ms(now),
                    manager.as_str(),
                    serde_json::to_string(&run)?
                ],
            )?;
            super::managers::audit(db, now, &manager, "commissions_run", &run.id.to_string(), Some(&key))?;
            Ok(run)
        })
        .await
    }

    /// A kept run.
    pub async fn commission_run(&self, id: Uuid) -> Result<CommissionRun> {
        self.transact(move |db| {
            let row = query_one(
                db,
                "SELECT body FROM commission_runs WHERE id = $1",
                params![id.to_string()],
            )?
            .ok_or_else(|| StorageError::NotFound(format!("commission run {id}")))?;
            Ok(serde_json::from_str(&row.text(0)?)?)
        })
        .await
    }
}
