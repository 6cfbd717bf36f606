import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** sha256 of every input the build reads and every model it writes, committed as models/checksums.json. */
export interface ChecksumManifest {
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

export type ChecksumKind = keyof ChecksumManifest;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256OfFile(file: string): string {
  return sha256(readFileSync(file));
}

export class ChecksumMismatchError extends Error {
  constructor(kind: ChecksumKind, name: string, expected: string | undefined, actual: string) {
    const label = kind === 'inputs' ? 'input' : 'output';
    super(
      expected === undefined
        ? `models: no ${label} checksum recorded for ${name} (sha256 ${actual}).`
        : `models: ${label} checksum mismatch for ${name}: expected sha256 ${expected}, got ${actual}. ` +
            'The pinned package may have been republished or altered, or the converter changed.',
    );
    this.name = 'ChecksumMismatchError';
    this.message +=
      ' If the change is deliberate, run `npm run build -w @citywatch/models -- --update-checksums`, review and commit models/checksums.json.';
  }
}

/**
 * The committed checksums. In update mode a mismatch records the new value instead of failing;
 * `save()` writes the file back only when something changed.
 */
export class ChecksumBook {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly manifest: ChecksumManifest,
    private readonly updateMode: boolean,
  ) {}

  static open(file: string, updateMode: boolean): ChecksumBook {
    const manifest: ChecksumManifest = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as ChecksumManifest)
      : { inputs: {}, outputs: {} };
    return new ChecksumBook(file, manifest, updateMode);
  }

  expected(kind: ChecksumKind, name: string): string | undefined {
    return this.manifest[kind][name];
  }

  matches(kind: ChecksumKind, name: string, bytes: Uint8Array): boolean {
    return this.expected(kind, name) === sha256(bytes);
  }

  /** Throws ChecksumMismatchError unless the bytes hash to the recorded value (or records it in update mode). */
  verify(kind: ChecksumKind, name: string, bytes: Uint8Array): void {
    const actual = sha256(bytes);
    const expected = this.expected(kind, name);
    if (expected === actual) return;
    if (!this.updateMode) throw new ChecksumMismatchError(kind, name, expected, actual);
    this.manifest[kind][name] = actual;
    this.changed = true;
  }

  save(): boolean {
    if (!this.changed) return false;
    writeFileSync(this.file, `${JSON.stringify(this.manifest, null, 2)}\n`);
    return true;
  }
}
