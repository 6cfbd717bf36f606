import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const protocolSource = fileURLToPath(new URL('./protocol/src/', import.meta.url));

// Nest needs decorator metadata, which esbuild does not emit; SWC compiles the TypeScript instead.
const shared = {
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: [
      { find: /^@citywatch\/protocol$/, replacement: `${protocolSource}index.ts` },
      { find: /^@citywatch\/protocol\/(.+)$/, replacement: `${protocolSource}$1.ts` },
    ],
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['{protocol,server,edge-agent,console,models}/src/**/*.spec.{ts,tsx}', 'models/test/**/*.spec.ts'],
        },
      },
      {
        ...shared,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        ...shared,
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
