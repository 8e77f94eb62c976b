import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../bindings/ErrorCode';
import { HANDLING, problemOf } from './errors';

describe('problemOf', () => {
  it('shows every code as its message, titled where the message alone would not say', () => {
    const expected: Record<ErrorCode, string> = {
      invalid: 'enter the float',
      refused: 'cannot refund 30.00 USD',
      not_found: 'order 1 not found',
      conflict: 'Changed elsewhere: that conflict was already resolved by sam',
      busy: "the till's database is busy for a moment",
      disk_full: "Disk full: this computer's disk is full",
      storage: "Storage problem: the till's database could not complete that",
      offline: 'Offline: the server cannot be reached',
      sign_in: 'sign in as a manager first',
      not_allowed: 'Not allowed: the server does not accept this device',
      update_app: 'Update Fairtill: this Fairtill app speaks sync API version 1',
      update_server: 'The server needs an update: newer than the server',
      printer: 'The printer at 10.0.0.5:9100 is out of paper. The sale is recorded.',
    };
    for (const [code, text] of Object.entries(expected) as [ErrorCode, string][]) {
      const message = text.includes(': ') && HANDLING[code].title ? text.slice(text.indexOf(': ') + 2) : text;
      const p = problemOf({ code, message });
      expect(p.code).toBe(code);
      expect(p.text).toBe(text);
    }
  });

  it('raises the till-wide problems in the header and lets polling wait out the passing ones', () => {
    const alerts = Object.entries(HANDLING).filter(([, h]) => h.alert).map(([c]) => c).sort();
    expect(alerts).toEqual(['disk_full', 'storage', 'update_app', 'update_server']);
    const transient = Object.entries(HANDLING).filter(([, h]) => h.transient).map(([c]) => c).sort();
    expect(transient).toEqual(['busy', 'offline']);
  });

  it('treats anything else thrown as a storage problem with its own words', () => {
    const p = problemOf(new Error('IPC channel closed'));
    expect(p.code).toBe('storage');
    expect(p.text).toBe('Storage problem: IPC channel closed');
    expect(problemOf({ code: 'nonsense', message: 'x' }).code).toBe('storage');
  });
});
