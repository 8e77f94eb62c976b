import { describe, expect, it } from 'vitest';
import { fromLocalInput, toLocalInput } from './localtime';

describe('local times for datetime-local inputs', () => {
  it('round-trips an instant to the minute', () => {
    const iso = '2026-12-05T09:30:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
  });
  it('shows the local wall clock', () => {
    const local = new Date(2026, 11, 5, 7, 4);
    expect(toLocalInput(local.toISOString())).toBe('2026-12-05T07:04');
  });
  it('refuses an empty or unreadable value', () => {
    expect(() => fromLocalInput('')).toThrow('Choose a date and time.');
    expect(() => fromLocalInput('tomorrow')).toThrow('Choose a date and time.');
  });
});
