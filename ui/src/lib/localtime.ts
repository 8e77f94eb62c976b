// Times as a datetime-local input shows and takes them: the manager's own clock, to the minute.

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant (RFC 3339) as `YYYY-MM-DDTHH:MM` in the local time zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value as an instant (RFC 3339, UTC); throws on an empty or bad one. */
export function fromLocalInput(value: string): string {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) throw new Error('Choose a date and time.');
  return d.toISOString();
}
