import { describe, expect, it } from 'vitest';
import { listMigrations, splitStatements } from './migrator';

describe('migrations', () => {
  it('are ordered, with TimescaleDB-only files after their common file', () => {
    const names = listMigrations().map((m) => m.name);
    const numbers = names.map((name) => Number(name.slice(0, 4)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    const events = names.indexOf('0002_events.sql');
    expect(names[events + 1]).toBe('0002_events.timescale.sql');
    expect(listMigrations().find((m) => m.name === '0002_events.timescale.sql')?.variant).toBe('timescale');
  });

  it('split into statements at line-ending semicolons, without comment lines', () => {
    expect(splitStatements('-- a comment;\nCREATE TABLE a (x int);\n\nSELECT 1;\nSELECT 2')).toEqual([
      'CREATE TABLE a (x int)',
      'SELECT 1',
      'SELECT 2',
    ]);
  });
});
