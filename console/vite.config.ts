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
  },
});
