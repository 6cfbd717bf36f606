const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of an ISO 8601 instant in the browser's zone, e.g. 08:15:30. */
export function formatClockTime(isoTime: string, locale: string): string {
  let format = clockFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
    clockFormats.set(locale, format);
  }
  const time = new Date(isoTime);
  return Number.isNaN(time.getTime()) ? isoTime : format.format(time);
}

const integerFormats = new Map<string, Intl.NumberFormat>();

export function formatInteger(value: number, locale: string): string {
  let format = integerFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    integerFormats.set(locale, format);
  }
  return format.format(value);
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** Date and time of an ISO 8601 instant in the browser's zone, e.g. 2026/11/27 08:15:30. */
export function formatDateTime(isoTime: string | null | undefined, locale: string): string {
  if (!isoTime) return '—';
  let format = dateTimeFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    dateTimeFormats.set(locale, format);
  }
  const time = new Date(isoTime);
  return Number.isNaN(time.getTime()) ? isoTime : format.format(time);
}

/** A duration in seconds as the largest two units: 1 h 5 min, 3 min 20 s (units from the caller's messages). */
export function formatDuration(
  seconds: number | null | undefined,
  units: { h: string; min: string; s: string },
): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} ${units.h} ${m} ${units.min}`;
  if (m > 0) return `${m} ${units.min} ${s} ${units.s}`;
  return `${s} ${units.s}`;
}

/** The value of a `datetime-local` input for an instant, in the browser's zone. */
export function toDateTimeLocal(time: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T${pad(time.getHours())}:${pad(time.getMinutes())}`;
}

/** A `datetime-local` value as ISO 8601 with the browser's offset (the hub wants a zone), or undefined. */
export function fromDateTimeLocal(value: string): string | undefined {
  if (!value) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return undefined;
  const offset = -time.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${value.length === 16 ? `${value}:00` : value}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}
