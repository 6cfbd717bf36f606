import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const protocolSource = fileURLToPath(new URL('../protocol/src/', import.meta.url));

/** Where the dev server forwards REST and socket.io traffic: a hub started with `npm start`. */
const hubUrl = process.env.HUB_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      // The console compiles the protocol's TypeScript source directly. Runtime values come from the
      // specific source files (`@citywatch/protocol/socket-events`) so the TypeBox schemas stay out of
      // the bundle; the barrel is for types.
      { find: /^@citywatch\/protocol$/, replacement: `${protocolSource}index.ts` },
      { find: /^@citywatch\/protocol\/(.+)$/, replacement: `${protocolSource}$1.ts` },
    ],
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: hubUrl, changeOrigin: true },
      '/socket.io': { target: hubUrl, changeOrigin: true, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: {
      output: {
        // Libraries in named chunks of their own: they change less often than the console, so browsers keep
        // them cached across releases, and the size report says what each part costs.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'i18n', test: /node_modules[\\/](i18next|react-i18next|use-sync-external-store)[\\/]/ },
            {
              name: 'socket',
              test: /node_modules[\\/](socket\.io-client|socket\.io-parser|engine\.io-\w+|@socket\.io)[\\/]/,
            },
          ],
        },
      },
    },
  },
});
