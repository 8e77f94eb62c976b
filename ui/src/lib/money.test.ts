import { describe, expect, it } from 'vitest';
import { amountProblem, changeDue, exponentOf, fromMinor, toMinor } from './money';

describe('money on decimal strings', () => {
  it('knows minor units per currency', () => {
    expect(exponentOf('EUR')).toBe(2);
    expect(exponentOf('JPY')).toBe(0);
    expect(exponentOf('KWD')).toBe(3);
  });

  it('round-trips amounts beyond a double', () => {
    const big = '92233720368547758.07';
    expect(fromMinor(toMinor(big, 'EUR'), 'EUR')).toBe(big);
    expect(toMinor('12.5', 'EUR')).toBe(1250n);
    expect(toMinor('12,5', 'EUR')).toBe(1250n);
    expect(fromMinor(5n, 'EUR')).toBe('0.05');
    expect(fromMinor(-250n, 'EUR')).toBe('-2.50');
    expect(fromMinor(300n, 'JPY')).toBe('300');
  });

  it('computes change due exactly', () => {
    expect(changeDue('50', '37.85', 'EUR')).toBe('12.15');
    expect(changeDue('0.3', '0.1', 'EUR')).toBe('0.20');
    expect(changeDue('37.85', '37.85', 'EUR')).toBe('0.00');
    expect(changeDue('30', '37.85', 'EUR')).toBeNull();
  });

  it('says why a typed amount is refused', () => {
    expect(amountProblem('12.50', 'EUR')).toBeNull();
    expect(amountProblem('', 'EUR')).toBe('enter an amount');
    expect(amountProblem('12.505', 'EUR')).toBe('EUR has 2 decimals at most');
    expect(amountProblem('1.5', 'JPY')).toBe('JPY has no decimals');
    expect(amountProblem('ten', 'EUR')).toBe('"ten" is not an amount');
    expect(amountProblem('-5', 'EUR')).toBe('"-5" is not an amount');
  });
});
