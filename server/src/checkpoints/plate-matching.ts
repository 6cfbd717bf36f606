/**
 * Plate text: normalising, OCR-confusion keys, wildcard patterns and the distance a fuzzy match reports.
 * Pure functions, shared by the history search (SQL side) and the in-memory hotlist index.
 */

/** Characters OCR mistakes for one another, each class mapped to one representative. */
export const CONFUSION_FROM = 'DQOBIZSG';
export const CONFUSION_TO = '00081256';
const CONFUSION = new Map([...CONFUSION_FROM].map((c, i) => [c, CONFUSION_TO[i]!]));

const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const SUFFIXES = '挂学警港澳领使';
/** Everything that may appear in a plate as typed by a user (I and O included: users type them, OCR reads them). */
const PLATE_CHARACTER = new RegExp(`^[${PROVINCES}${SUFFIXES}A-Z0-9]$`);
export const UNREADABLE = new Set(['无牌', '未识别']);

/** Upper-cases and trims what a user typed. */
export function cleanPlate(input: string): string {
  return input.trim().toUpperCase();
}

/** The confusion-normalised key: two plates with the same key differ only by OCR confusions. */
export function confusionKey(plate: string): string {
  let key = '';
  for (const c of plate) key += CONFUSION.get(c) ?? c;
  return key;
}

/** SQL giving `confusionKey(column)`, so keys computed in the database and here agree. */
export function confusionKeySql(column: string): string {
  return `translate(${column}, '${CONFUSION_FROM}', '${CONFUSION_TO}')`;
}

/** The strings made by leaving out one character (distinct). */
export function deletions(text: string): string[] {
  const chars = [...text];
  const out = new Set<string>();
  for (let i = 0; i < chars.length; i++) out.add(chars.slice(0, i).join('') + chars.slice(i + 1).join(''));
  return [...out];
}

/** Characters a normalised key can hold at each position, for enumerating single insertions. */
const KEY_BODY = [...'0123456789ACEFHJKLMNPRTUVWXY'];
const KEY_ALPHABET_FIRST = [...PROVINCES];
const KEY_ALPHABET_LAST = [...KEY_BODY, ...SUFFIXES];

/** Every key one inserted character away from `key` (what a plate read with one character missing matches). */
export function insertions(key: string): string[] {
  const chars = [...key];
  const out = new Set<string>();
  for (let i = 0; i <= chars.length; i++) {
    const alphabet = i === 0 ? KEY_ALPHABET_FIRST : i === chars.length ? KEY_ALPHABET_LAST : KEY_BODY;
    const before = chars.slice(0, i).join('');
    const after = chars.slice(i).join('');
    for (const c of alphabet) out.add(before + c + after);
  }
  return [...out];
}

/** Keys of every plate a fuzzy search for `plate` accepts: the same key, one character more, or one fewer. */
export function fuzzyCandidateKeys(plate: string): string[] {
  const key = confusionKey(plate);
  return [key, ...deletions(key), ...insertions(key)];
}

/** Levenshtein distance (insert, delete, substitute each cost 1) between short strings. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/**
 * Whether `read` is a fuzzy match of `listed`: equal after confusion-normalising, or one character missing
 * or extra on top. Returns the edit distance between the raw texts, or null when they do not match.
 */
export function fuzzyDistance(read: string, listed: string): number | null {
  const a = confusionKey(read);
  const b = confusionKey(listed);
  const lengthGap = [...a].length - [...b].length;
  if (lengthGap === 0 ? a !== b : Math.abs(lengthGap) > 1 || !oneDeletionApart(a, b)) return null;
  return editDistance(read, listed);
}

function oneDeletionApart(a: string, b: string): boolean {
  const [long, short] = [...a].length > [...b].length ? [a, b] : [b, a];
  return deletions(long).includes(short);
}

export class PlateInputError extends Error {}

export function isPattern(plate: string): boolean {
  return /[?*]/.test(plate);
}

/** Checks a plate typed for an exact or fuzzy search; throws PlateInputError saying what is wrong. */
export function checkPlate(plate: string, mode: 'exact' | 'fuzzy'): string {
  const clean = cleanPlate(plate);
  if (mode === 'exact' && UNREADABLE.has(clean)) return clean;
  const chars = [...clean];
  const bad = chars.filter((c) => !PLATE_CHARACTER.test(c));
  if (bad.length > 0) {
    throw new PlateInputError(
      `plate "${plate}" holds characters no plate has: ${[...new Set(bad)].join(' ')}` +
        (mode === 'exact' && isPattern(clean) ? ' (use plateMatch=wildcard for ? and *)' : ''),
    );
  }
  if (mode === 'fuzzy' && (chars.length < 5 || chars.length > 9)) {
    throw new PlateInputError(`plate "${plate}" must have 5 to 9 characters for a fuzzy search`);
  }
  return clean;
}

export interface CompiledPattern {
  /** The pattern as cleaned (upper case). */
  text: string;
  regex: RegExp;
  /** The same pattern for SQL LIKE (`_` and `%`). */
  like: string;
  /** Runs of consecutive fixed characters, for indexing. */
  literalRuns: string[];
}

/** Compiles a wildcard pattern (`?` one character, `*` any run); throws PlateInputError when it is malformed. */
export function compilePattern(pattern: string): CompiledPattern {
  const text = cleanPlate(pattern).replace(/\*+/g, '*');
  const chars = [...text];
  const bad = chars.filter((c) => c !== '?' && c !== '*' && !PLATE_CHARACTER.test(c));
  if (bad.length > 0) {
    throw new PlateInputError(
      `pattern "${pattern}" holds characters that are neither plate characters nor ? or *: ${[...new Set(bad)].join(' ')}`,
    );
  }
  const fixed = chars.filter((c) => c !== '?' && c !== '*').length;
  if (fixed < 2) throw new PlateInputError(`pattern "${pattern}" needs at least 2 fixed characters`);
  if (chars.length > 12) throw new PlateInputError(`pattern "${pattern}" is longer than any plate`);
  const body = chars.map((c) => (c === '?' ? '.' : c === '*' ? '.*' : c)).join('');
  const like = chars.map((c) => (c === '?' ? '_' : c === '*' ? '%' : c)).join('');
  const literalRuns = text.split(/[?*]/).filter((run) => run.length > 0);
  return { text, regex: new RegExp(`^${body}$`, 'u'), like, literalRuns };
}
