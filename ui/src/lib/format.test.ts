import { describe, expect, it } from 'vitest';
import { count, formatMoney, formatWhen, isShort, overShort } from './format';

describe('formatMoney', () => {
  it('formats decimal strings exactly, beyond what a float can hold', () => {
    expect(formatMoney('1234.50', 'EUR', 'en-US')).toBe('€1,234.50');
    expect(formatMoney('90071992547409.93', 'USD', 'en-US')).toBe('$90,071,992,547,409.93');
    expect(formatMoney('1500', 'JPY', 'ja-JP')).toBe('￥1,500');
    expect(formatMoney('-5.00', 'USD', 'en-US')).toBe('-$5.00');
  });

  it('follows the locale', () => {
    expect(formatMoney('1234.50', 'EUR', 'de-DE')).toBe('1.234,50\u00a0€');
  });

  it('refuses what is not an amount', () => {
    expect(() => formatMoney('12,50', 'EUR')).toThrow('not an amount');
    expect(() => formatMoney('', 'EUR')).toThrow();
  });
});

describe('formatWhen and count', () => {
  it('says never for no time, and pluralizes', () => {
    expect(formatWhen(null)).toBe('never');
    expect(formatWhen('garbage')).toBe('unknown');
    expect(formatWhen('2026-11-22T10:56:19Z', 'en-GB')).toContain('2026');
    expect(count(1, 'record')).toBe('1 record');
    expect(count(6, 'record')).toBe('6 records');
  });
});

describe('overShort and isShort', () => {
  it('reads the sign from exact minor units', () => {
    expect(overShort({ amount: '-0.50', currency: 'EUR' }, 'en-GB')).toBe('short €0.50');
    expect(overShort({ amount: '0.00', currency: 'EUR' }, 'en-GB')).toBe('exact');
    expect(overShort({ amount: '2', currency: 'EUR' }, 'en-GB')).toBe('over €2.00');
    expect(isShort({ amount: '-0.01', currency: 'EUR' })).toBe(true);
    expect(isShort({ amount: '0', currency: 'JPY' })).toBe(false);
  });
});
