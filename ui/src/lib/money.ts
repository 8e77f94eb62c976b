// Exact money arithmetic for the screen (change due, "up to" checks) on decimal strings.
// Amounts are parsed into BigInt minor units and back: no JavaScript number ever holds money.

const AMOUNT = /^(\d+)(?:[.,](\d*))?$/;

/** Minor-unit digits of a currency (EUR 2, JPY 0, KWD 3), from the locale data. */
export function exponentOf(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
}

/** Why `text` is not an amount of `currency`, or null when it is one. */
export function amountProblem(text: string, currency: string): string | null {
  const t = text.trim();
  if (t === '') return 'enter an amount';
  const m = AMOUNT.exec(t);
  if (!m) return `"${t}" is not an amount`;
  const places = exponentOf(currency);
  const decimals = m[2] ?? '';
  if (decimals.length > places) {
    return places === 0
      ? `${currency} has no decimals`
      : `${currency} has ${places} decimals at most`;
  }
  return null;
}

/** Minor units of a typed or wire amount ("12.5" EUR → 1250n). Throws on a non-amount. */
export function toMinor(text: string, currency: string): bigint {
  const problem = amountProblem(text.replace(/^-/, ''), currency);
  if (problem) throw new Error(problem);
  const negative = text.trim().startsWith('-');
  const m = AMOUNT.exec(text.trim().replace(/^-/, ''))!;
  const places = exponentOf(currency);
  const minor = BigInt(m[1] + (m[2] ?? '').padEnd(places, '0'));
  return negative ? -minor : minor;
}

/** The wire string of minor units (1250n EUR → "12.50"). */
export function fromMinor(minor: bigint, currency: string): string {
  const places = exponentOf(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(places + 1, '0');
  const whole = places === 0 ? digits : digits.slice(0, -places);
  const frac = places === 0 ? '' : '.' + digits.slice(-places);
  return (negative ? '-' : '') + whole + frac;
}

/** Change due for cash: tendered less total, or null when too little was handed over. */
export function changeDue(tendered: string, total: string, currency: string): string | null {
  const given = toMinor(tendered, currency);
  const due = toMinor(total, currency);
  return given >= due ? fromMinor(given - due, currency) : null;
}
