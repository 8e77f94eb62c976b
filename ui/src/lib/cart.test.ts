import { describe, expect, it } from 'vitest';
import type { Product } from '../bindings/Product';
import {
  addProduct,
  customAmountProblem,
  customLine,
  lineProblem,
  lineOf,
  noDiscount,
  toCart,
} from './cart.svelte';

const mug: Product = {
  sku: 'MUG',
  name: 'Blue mug',
  unit_price: { amount: '12.50', currency: 'EUR' },
  tax_category: 'standard',
  barcode: '4006381333931',
  favourite: true,
};
const nobody = { name: '', email: '', phone: '' };

describe('the cart as typed', () => {
  it('adds one more of a plain line instead of a new line', () => {
    let lines = addProduct([], mug);
    lines = addProduct(lines, mug);
    expect(lines).toHaveLength(1);
    expect(lines[0].quantity).toBe(2);
    const overridden = [{ ...lines[0], priceOverride: '10', overrideReason: 'damaged' }];
    expect(addProduct(overridden, mug)).toHaveLength(2);
  });

  it('sells a typed amount as its own line with no SKU, never merged', () => {
    const repair = customLine('12,50', 'EUR', 'reduced', ' Strap repair ');
    expect(repair).toMatchObject({ sku: '', name: 'Strap repair', listPrice: '12.50', taxCategory: 'reduced' });
    expect(customLine('3', 'EUR', 'standard').name).toBe('Custom amount');
    let lines = addProduct([repair], mug);
    lines = [...lines, customLine('12.50', 'EUR', 'reduced', 'Strap repair')];
    expect(lines.map((l) => [l.sku, l.quantity])).toEqual([
      ['', 1],
      ['MUG', 1],
      ['', 1],
    ]);
    expect(customAmountProblem('0.00', 'EUR')).toBe('a custom amount is more than zero');
    expect(customAmountProblem('', 'EUR')).toBe('enter an amount');
    expect(customAmountProblem('1.234', 'EUR')).toBe('EUR has 2 decimals at most');
    expect(customAmountProblem('1200', 'JPY')).toBeNull();
  });

  it('asks for a reason when the price changes or a discount is given', () => {
    const line = lineOf(mug);
    expect(lineProblem(line)).toBeNull();
    expect(lineProblem({ ...line, priceOverride: '10' })).toBe('a changed price needs a reason');
    expect(lineProblem({ ...line, priceOverride: '10.001', overrideReason: 'x' })).toBe(
      'price: EUR has 2 decimals at most',
    );
    expect(lineProblem({ ...line, quantity: 0 })).toBe('quantity must be at least 1');
    const pct = { kind: 'percent' as const, value: '10', reason: '' };
    expect(lineProblem({ ...line, discount: pct })).toBe('a discount needs a reason');
    expect(lineProblem({ ...line, discount: { ...pct, value: '150', reason: 'vip' } })).toBe(
      'a percentage is more than 0 and at most 100',
    );
    expect(lineProblem({ ...line, discount: { ...pct, reason: 'vip' } })).toBeNull();
  });

  it('builds the command argument with amounts as strings', () => {
    const line = { ...lineOf(mug, 2), priceOverride: '11,00', overrideReason: 'show price' };
    const result = toCart(
      [line],
      { kind: 'amount', value: '2', reason: 'regular' },
      { ...nobody, email: ' a@b.de ' },
      '',
    );
    expect('cart' in result).toBe(true);
    if (!('cart' in result)) return;
    expect(result.cart.lines[0].unit_price).toEqual({ amount: '11.00', currency: 'EUR' });
    expect(result.cart.lines[0].price_override_reason).toBe('show price');
    expect(result.cart.discount?.value).toEqual({
      type: 'amount',
      amount: { amount: '2', currency: 'EUR' },
    });
    expect(result.cart.customer?.email).toBe('a@b.de');
    expect(result.cart.note).toBeNull();
  });

  it('names the first bad line', () => {
    const bad = { ...lineOf(mug), priceOverride: '9' };
    const result = toCart([lineOf(mug), bad], noDiscount(), nobody, '');
    expect(result).toEqual({ problem: 'line 2 (Blue mug): a changed price needs a reason' });
  });
});
