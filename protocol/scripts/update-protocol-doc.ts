/**
 * Rewrites the generated tables of docs/protocol.md from the schemas.
 *
 *   npx tsx protocol/scripts/update-protocol-doc.ts           rewrite the doc
 *   npx tsx protocol/scripts/update-protocol-doc.ts --check   exit 1 if the doc is stale
 *   npx tsx protocol/scripts/update-protocol-doc.ts --print   print every table instead
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generatedBlocks, regenerate } from './schema-tables';

const docPath = resolve(__dirname, '../../docs/protocol.md');

if (process.argv.includes('--print')) {
  for (const [name, table] of Object.entries(generatedBlocks())) console.log(`## ${name}\n\n${table}\n`);
} else {
  const doc = readFileSync(docPath, 'utf8');
  const next = regenerate(doc);
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error('docs/protocol.md is stale: run npx tsx protocol/scripts/update-protocol-doc.ts');
      process.exitCode = 1;
    }
  } else if (next !== doc) {
    writeFileSync(docPath, next);
    console.log('docs/protocol.md updated');
  } else {
    console.log('docs/protocol.md is up to date');
  }
}
