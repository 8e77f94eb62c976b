// The Sell screen's cart: lines as typed by staff, with validation in words. Totals, tax and
// discounts are computed by the Rust core (cart_totals); this file only holds what was typed.

import type { Cart } from '../bindings/Cart';
import type { Discount } from '../bindings/Discount';
import type { OfferLine } from '../bindings/OfferLine';
import type { OrderLine } from '../bindings/OrderLine';
import type { Product } from '../bindings/Product';
import type { TaxCategory } from '../bindings/TaxCategory';
import { amountProblem, toMinor } from './money';

/** How a discount was typed: nothing, an amount, or a percent. */
export type DiscountInput = { kind: 'none' | 'amount' | 'percent'; value: string; reason: string };

/** One cart line as the screen edits it. */
export interface CartLine {
  sku: string;
  name: string;
  /** Catalog (or offer) price, a decimal string. */
  listPrice: string;
  currency: string;
  quantity: number;
  taxCategory: TaxCategory;
  /** A typed price replacing the list price ('' for none). */
  priceOverride: string;
  overrideReason: string;
  discount: DiscountInput;
}

export const noDiscount = (): DiscountInput => ({ kind: 'none', value: '', reason: '' });

/** A line for a product or offer line. */
export function lineOf(p: Product | OfferLine, quantity = 1): CartLine {
  return {
    sku: p.sku,
    name: p.name,
    listPrice: p.unit_price.amount,
    currency: p.unit_price.currency,
    quantity,
    taxCategory: p.tax_category,
    priceOverride: '',
    overrideReason: '',
    discount: noDiscount(),
  };
}

/** The SKU of a typed amount with no product (fairtill_core::order::CUSTOM_SKU). */
export const CUSTOM_SKU = '';

/** A keypad line: one unit of a typed amount, named by its note (or "Custom amount"). */
export function customLine(amount: string, currency: string, taxCategory: TaxCategory, note = ''): CartLine {
  return {
    sku: CUSTOM_SKU,
    name: note.trim() || 'Custom amount',
    listPrice: amount.trim().replace(',', '.'),
    currency,
    quantity: 1,
    taxCategory,
    priceOverride: '',
    overrideReason: '',
    discount: noDiscount(),
  };
}

/** What is wrong with a typed custom amount, or null: it must be more than zero. */
export function customAmountProblem(amount: string, currency: string): string | null {
  const p = amountProblem(amount, currency);
  if (p) return p;
  if (toMinor(amount, currency) === 0n) return 'a custom amount is more than zero';
  return null;
}

/** Adds a product: one more of a plain line already there, else a new line. */
export function addProduct(lines: CartLine[], p: Product | OfferLine, quantity = 1): CartLine[] {
  const same = lines.findIndex(
    (l) =>
      l.sku === p.sku &&
      l.sku !== CUSTOM_SKU &&
      l.priceOverride === '' &&
      l.discount.kind === 'none' &&
      l.listPrice === p.unit_price.amount,
  );
  if (same >= 0) {
    return lines.map((l, i) => (i === same ? { ...l, quantity: l.quantity + quantity } : l));
  }
  return [...lines, lineOf(p, quantity)];
}

/** What is wrong with a discount as typed, or null. */
export function discountProblem(d: DiscountInput, currency: string): string | null {
  if (d.kind === 'none') return null;
  if (d.reason.trim() === '') return 'a discount needs a reason';
  if (d.kind === 'amount') return amountProblem(d.value, currency);
  const p = d.value.trim();
  if (!/^\d+(\.\d+)?$/.test(p)) return `"${p}" is not a percentage`;
  const [whole, frac = ''] = p.split('.');
  const tenths = BigInt(whole + frac.padEnd(4, '0').slice(0, 4));
  if (tenths === 0n || tenths > 1000000n) return 'a percentage is more than 0 and at most 100';
  return null;
}

/** What is wrong with a line as typed, or null. */
export function lineProblem(l: CartLine): string | null {
  if (!Number.isInteger(l.quantity) || l.quantity < 1) return 'quantity must be at least 1';
  if (l.priceOverride !== '') {
    const p = amountProblem(l.priceOverride, l.currency);
    if (p) return `price: ${p}`;
    if (l.overrideReason.trim() === '') return 'a changed price needs a reason';
  }
  return discountProblem(l.discount, l.currency);
}

function discountOf(d: DiscountInput, currency: string): Discount | null {
  switch (d.kind) {
    case 'none':
      return null;
    case 'amount':
      return {
        value: { type: 'amount', amount: { amount: d.value.trim().replace(',', '.'), currency } },
        reason: d.reason.trim(),
      };
    case 'percent':
      return { value: { type: 'percent', percent: d.value.trim() }, reason: d.reason.trim() };
  }
}

/** The order line the core prices. */
export function orderLine(l: CartLine): OrderLine {
  const overridden = l.priceOverride.trim() !== '';
  return {
    sku: l.sku,
    name: l.name,
    unit_price: {
      amount: overridden ? l.priceOverride.trim().replace(',', '.') : l.listPrice,
      currency: l.currency,
    },
    quantity: l.quantity,
    tax_category: l.taxCategory,
    discount: discountOf(l.discount, l.currency),
    price_override_reason: overridden ? l.overrideReason.trim() : null,
  };
}

/** The customer as typed. */
export interface CustomerInput {
  name: string;
  email: string;
  phone: string;
}

/** The cart command argument, or the first problem in words. */
export function toCart(
  lines: CartLine[],
  orderDiscount: DiscountInput,
  customer: CustomerInput,
  note: string,
  referrer = '',
): { cart: Cart } | { problem: string } {
  for (const [i, l] of lines.entries()) {
    const p = lineProblem(l);
    if (p) return { problem: `line ${i + 1} (${l.name}): ${p}` };
  }
  const currency = lines[0]?.currency ?? 'EUR';
  const dp = discountProblem(orderDiscount, currency);
  if (dp) return { problem: `order discount: ${dp}` };
  const blank = (s: string) => (s.trim() === '' ? null : s.trim());
  const hasCustomer = [customer.name, customer.email, customer.phone].some((s) => s.trim() !== '');
  return {
    cart: {
      lines: lines.map(orderLine),
      discount: discountOf(orderDiscount, currency),
      customer: hasCustomer
        ? {
            name: blank(customer.name),
            email: blank(customer.email),
            phone: blank(customer.phone),
            billing_address: null,
          }
        : null,
      note: blank(note),
      referrer: blank(referrer) ?? undefined,
    },
  };
}
