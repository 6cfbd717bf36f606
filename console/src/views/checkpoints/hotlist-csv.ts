import type { HotlistEntryBody } from '@citywatch/protocol';
import { HOTLIST_CATEGORIES, type HotlistCategory } from '@citywatch/protocol/api/checkpoints';

export interface HotlistCsvRow {
  line: number;
  body?: HotlistEntryBody;
  problem?: string;
}

/**
 * Reads a hotlist CSV: a header line naming the columns (plate, category, priority, reason, validFrom, validUntil,
 * tollgateIds separated by `;`, fuzzy), then one entry per line. Each line is checked on its own, so one bad line
 * is reported without losing the rest.
 */
export function parseHotlistCsv(text: string): HotlistCsvRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const column = (name: string) => header.indexOf(name);
  if (column('plate') < 0) return [{ line: 1, problem: 'the first line must name the columns, with at least "plate"' }];
  const rows: HotlistCsvRow[] = [];
  for (let i = 1; i < lines.length; i += 1) {
    if (!lines[i]!.trim()) continue;
    const cells = splitCsvLine(lines[i]!);
    const cell = (name: string) => (column(name) >= 0 ? (cells[column(name)] ?? '').trim() : '');
    const plate = cell('plate');
    const category = (cell('category') || 'other') as HotlistCategory;
    const priority = Number(cell('priority') || '2');
    if (plate.length < 2 || plate.length > 12) {
      rows.push({ line: i + 1, problem: 'plate: 2 to 12 characters' });
      continue;
    }
    if (!HOTLIST_CATEGORIES.includes(category)) {
      rows.push({ line: i + 1, problem: `category: one of ${HOTLIST_CATEGORIES.join(', ')}` });
      continue;
    }
    if (![1, 2, 3].includes(priority)) {
      rows.push({ line: i + 1, problem: 'priority: 1, 2 or 3' });
      continue;
    }
    const tollgateIds = cell('tollgateIds')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    const fuzzy = cell('fuzzy');
    rows.push({
      line: i + 1,
      body: {
        plate,
        category,
        priority,
        reason: cell('reason') || 'CSV import',
        validFrom: cell('validFrom') || undefined,
        validUntil: cell('validUntil') || undefined,
        tollgateIds: tollgateIds.length > 0 ? tollgateIds : undefined,
        fuzzy: fuzzy === '' ? undefined : /^(1|true|yes)$/i.test(fuzzy),
      },
    });
  }
  return rows;
}

/** Splits one CSV line, honouring double quotes ("a, b" and "" inside quotes). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(current);
      current = '';
    } else current += char;
  }
  cells.push(current);
  return cells;
}
