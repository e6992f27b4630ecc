/**
 * Parsing and printing of DateTime and Date cells. Stored as polars Datetime(ms, UTC) (epoch
 * milliseconds) and Date (days since 1970-01-01), i.e. Parquet timestamp and date32.
 *
 * Years are limited to 0001–9999: what RFC 3339 (and so the GraphQL DateTime scalar and
 * `toISOString()`) can write as four digits. PostgreSQL's `infinity` and BC dates fall outside.
 */
export const MS_PER_DAY = 86_400_000;
const MIN_MS = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// ISO 8601 / RFC 3339 date-time; `T` or a space (PostgreSQL's text form) between date and time.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function inRange(ms: number): boolean {
  return ms >= MIN_MS && ms <= MAX_MS;
}

/** UTC ms of a calendar date and time, or undefined when a field is out of its range (Feb 30). */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  let t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC maps years 0–99 to 1900–1999.
  if (y < 100) {
    const date = new Date(t);
    date.setUTCFullYear(y);
    t = date.getTime();
  }
  // Date.UTC rolls Feb 30 over to Mar 1; a calendar date that moved was not a real one.
  return new Date(t).getUTCDate() === d ? t : undefined;
}

// The form `toISOString()` writes, which the SQL sources send: parsed natively.
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Epoch ms of an ISO 8601 date-time, or undefined when it is not one (or outside 0001–9999).
 * Without an offset the time is read as UTC, never as the server's local time, so the result
 * does not depend on where the cache runs (PostgreSQL `timestamp` text reads the same way).
 * Digits past milliseconds are truncated: the column holds milliseconds.
 */
export function parseDateTime(text: string): number | undefined {
  if (text.length === 24 && CANONICAL.test(text)) {
    const ms = Date.parse(text);
    // V8 rolls Feb 30 (and 24:00) over into the next day: a day that moved was not a real one.
    if (!Number.isNaN(ms) && new Date(ms).getUTCDate() === Number(text.slice(8, 10))) return checked(ms);
  }
  const m = DATE_TIME.exec(text.trim());
  if (!m) {
    const d = DATE_ONLY.exec(text.trim());
    // A bare date is midnight UTC of that day, as `new Date('2024-01-02')` reads it.
    return d ? checked(utcMs(Number(d[1]), Number(d[2]), Number(d[3]))) : undefined;
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const local = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
  if (local === undefined) return undefined;
  return checked(local - offsetMinutes(zone) * 60_000);
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function checked(ms: number | undefined): number | undefined {
  return ms !== undefined && inRange(ms) ? ms : undefined;
}

/** Epoch ms of a JS Date within 0001–9999; undefined for an invalid Date or one outside. */
export function dateTimeMs(d: Date): number | undefined {
  return checked(d.getTime());
}

/**
 * Days since 1970-01-01 of a calendar date: `YYYY-MM-DD`, or a date-time / Date that is exactly
 * midnight UTC. Any other instant is refused rather than rounded: a Date at local midnight (what
 * `pg` makes of a `date` by default) lies on the previous UTC day east of Greenwich, and picking
 * a day for it would shift dates silently with the server's time zone.
 */
export function parseDate(value: string | Date): number | undefined {
  let ms: number | undefined;
  if (value instanceof Date) ms = dateTimeMs(value);
  else {
    const d = DATE_ONLY.exec(value.trim());
    ms = d ? checked(utcMs(Number(d[1]), Number(d[2]), Number(d[3]))) : parseDateTime(value);
  }
  return ms !== undefined && ms % MS_PER_DAY === 0 ? ms / MS_PER_DAY : undefined;
}

/** ISO 8601 UTC text of a stored DateTime cell (Date from polars, or epoch ms). */
export function formatDateTime(value: Date | number): string {
  return (typeof value === 'number' ? new Date(value) : value).toISOString();
}

/** `YYYY-MM-DD` of a stored Date cell (Date at midnight UTC from polars, or days). */
export function formatDate(value: Date | number): string {
  const ms = typeof value === 'number' ? value * MS_PER_DAY : value.getTime();
  return new Date(ms).toISOString().slice(0, 10);
}
