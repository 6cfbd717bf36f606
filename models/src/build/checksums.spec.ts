import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChecksumBook, ChecksumMismatchError, sha256 } from './checksums';

function bookFile(contents: object): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'checksums-')), 'checksums.json');
  writeFileSync(file, JSON.stringify(contents));
  return file;
}

describe('ChecksumBook', () => {
  const model = Buffer.from('model bytes');

  it('accepts bytes with the recorded sha256', () => {
    const book = ChecksumBook.open(bookFile({ inputs: {}, outputs: { 'a.onnx': sha256(model) } }), false);
    expect(book.matches('outputs', 'a.onnx', model)).toBe(true);
    expect(() => book.verify('outputs', 'a.onnx', model)).not.toThrow();
    expect(book.save()).toBe(false);
  });

  it('fails with both checksums and the way out when they differ or none is recorded', () => {
    const book = ChecksumBook.open(bookFile({ inputs: { 'p.tgz': 'abc' }, outputs: {} }), false);
    expect(() => book.verify('inputs', 'p.tgz', model)).toThrow(ChecksumMismatchError);
    expect(() => book.verify('inputs', 'p.tgz', model)).toThrow(
      `input checksum mismatch for p.tgz: expected sha256 abc, got ${sha256(model)}`,
    );
    expect(() => book.verify('outputs', 'b.onnx', model)).toThrow(
      /no output checksum recorded for b.onnx.*--update-checksums/,
    );
  });

  it('records new checksums in update mode and saves them', () => {
    const file = bookFile({ inputs: {}, outputs: { 'a.onnx': 'stale' } });
    const book = ChecksumBook.open(file, true);
    book.verify('outputs', 'a.onnx', model);
    expect(book.save()).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ inputs: {}, outputs: { 'a.onnx': sha256(model) } });
  });
});
