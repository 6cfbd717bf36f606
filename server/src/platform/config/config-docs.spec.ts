import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HUB_ENVIRONMENT_KEYS } from './hub-config';

const readme = readFileSync(resolve(__dirname, '../../../../README.md'), 'utf8');
const table = readme.slice(readme.indexOf('<!-- config-table:start -->'), readme.indexOf('<!-- config-table:end -->'));

describe('the README configuration table', () => {
  it('lists every variable the hub reads, and no other', () => {
    const listed = [...table.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((match) => match[1]);
    expect([...listed].sort()).toEqual([...HUB_ENVIRONMENT_KEYS].sort());
  });
});
