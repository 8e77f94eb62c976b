// What the manager's charts draw, added up exactly: sums are BigInt minor units, and each bar
// carries its amount as a decimal string, which Chart.js reads for the bar's height and the
// tooltip formats for people. No JavaScript number ever holds an amount here.

import type { HourlySales } from '../bindings/HourlySales';
import { fromMinor, toMinor } from './money';

/** One bar: what it is, and its exact amount (a decimal string). */
export type Bar = { label: string; amount: string };

/** The currencies in the rows, the one with the most sales first. */
export function currenciesOf(rows: HourlySales[]): string[] {
  const sales = new Map<string, number>();
  for (const r of rows) sales.set(r.gross.currency, (sales.get(r.gross.currency) ?? 0) + r.sales);
  return [...sales.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}

function bar(label: string, minor: bigint, currency: string): Bar {
  return { label, amount: fromMinor(minor, currency) };
}

/** Net takings (gross less refunds) of one currency, summed by `key`, largest first. */
export function netBy(rows: HourlySales[], currency: string, key: (r: HourlySales) => string): Bar[] {
  const sums = new Map<string, bigint>();
  for (const r of rows) {
    if (r.gross.currency !== currency) continue;
    const net = toMinor(r.gross.amount, currency) - toMinor(r.refunded.amount, currency);
    sums.set(key(r), (sums.get(key(r)) ?? 0n) + net);
  }
  return [...sums.entries()]
    .sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : a[0].localeCompare(b[0])))
    .map(([label, minor]) => bar(label, minor, currency));
}

/** Net takings of one currency for every hour from the first to the last (quiet hours are 0). */
export function netPerHour(rows: HourlySales[], currency: string): { hour: string; bar: Bar }[] {
  const sums = new Map<number, bigint>();
  for (const r of rows) {
    if (r.gross.currency !== currency) continue;
    const hour = Date.parse(r.hour);
    const net = toMinor(r.gross.amount, currency) - toMinor(r.refunded.amount, currency);
    sums.set(hour, (sums.get(hour) ?? 0n) + net);
  }
  if (sums.size === 0) return [];
  const hours = [...sums.keys()];
  const first = Math.min(...hours);
  const last = Math.max(...hours);
  const out = [];
  for (let h = first; h <= last; h += 3_600_000) {
    const iso = new Date(h).toISOString();
    out.push({ hour: iso, bar: bar(iso, sums.get(h) ?? 0n, currency) });
  }
  return out;
}
