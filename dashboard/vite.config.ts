import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const hubUrl = 'http://127.0.0.1:8080';

// The hub serves dashboard/dist at '/'; in `vite dev` the API and socket.io are proxied to a local hub.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // Leaflet and socket.io-client are bundled in; a single chunk keeps the hub's static serving trivial.
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': { target: hubUrl, changeOrigin: false },
      '/socket.io': { target: hubUrl, ws: true },
    },
  },
});
