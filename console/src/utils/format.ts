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
