// Formatting for people. Amounts stay decimal strings from end to end: Intl.NumberFormat
// formats a numeric string exactly, so no JavaScript number ever holds money.

import { toMinor } from './money';

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Formats a decimal string amount in a currency for the locale ("1234.50", "EUR" → "€1,234.50"). */
export function formatMoney(amount: string, currency: string, locale?: string): string {
  if (!DECIMAL.test(amount)) throw new Error(`"${amount}" is not an amount`);
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  return format.format(amount as Intl.StringNumericLiteral);
}

/** A time for people, or "never". */
export function formatWhen(iso: string | null, locale?: string): string {
  if (!iso) return 'never';
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return 'unknown';
  return when.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "1 record", "3 records". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Whether a cash count came up short (the over/short is below zero), on exact minor units. */
export function isShort(m: { amount: string; currency: string }): boolean {
  return toMinor(m.amount, m.currency) < 0n;
}

/** An over/short in words: "short €0.50", "exact" or "over €2.00". */
export function overShort(m: { amount: string; currency: string }, locale?: string): string {
  const minor = toMinor(m.amount, m.currency);
  if (minor === 0n) return 'exact';
  return minor < 0n
    ? `short ${formatMoney(m.amount.slice(1), m.currency, locale)}`
    : `over ${formatMoney(m.amount, m.currency, locale)}`;
}
