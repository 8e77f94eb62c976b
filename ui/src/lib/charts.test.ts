import { describe, expect, it } from 'vitest';
import type { HourlySales } from '../bindings/HourlySales';
import { currenciesOf, netBy, netPerHour } from './charts';

function row(hour: string, device: string, method: string, gross: string, refunded = '0.00', currency = 'EUR'): HourlySales {
  return {
    hour,
    device_id: device,
    device_name: device,
    staff: 'ana',
    method,
    sales: 1,
    gross: { amount: gross, currency },
    refunded: { amount: refunded, currency },
  };
}

const rows = [
  row('2026-11-22T09:00:00Z', 'Booth 1', 'cash', '0.10'),
  row('2026-11-22T09:00:00Z', 'Booth 2', 'card', '0.20'),
  row('2026-11-22T11:00:00Z', 'Booth 1', 'card', '100.05', '0.05'),
  row('2026-11-22T11:00:00Z', 'Booth 1', 'cash', '5', '0', 'USD'),
];

describe('manager charts', () => {
  it('adds amounts exactly, per key, largest first', () => {
    expect(netBy(rows, 'EUR', (r) => r.device_name).map((b) => [b.label, b.amount])).toEqual([
      ['Booth 1', '100.10'],
      ['Booth 2', '0.20'],
    ]);
    // 0.10 + 0.20 is 0.30 here, not 0.30000000000000004.
    expect(netBy(rows.slice(0, 2), 'EUR', () => 'all')[0].amount).toBe('0.30');
  });

  it('fills the quiet hours between the first and the last', () => {
    expect(netPerHour(rows, 'EUR').map((h) => [h.hour, h.bar.amount])).toEqual([
      ['2026-11-22T09:00:00.000Z', '0.30'],
      ['2026-11-22T10:00:00.000Z', '0.00'],
      ['2026-11-22T11:00:00.000Z', '100.00'],
    ]);
  });

  it('puts the busiest currency first and never mixes currencies', () => {
    expect(currenciesOf(rows)).toEqual(['EUR', 'USD']);
    expect(netBy(rows, 'USD', (r) => r.method)).toEqual([{ label: 'cash', amount: '5.00' }]);
  });
});
