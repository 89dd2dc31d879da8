import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const hubUrl = 'http://127.0.0.1:8080';

// The hub serves dashboard/dist at '/'; in `vite dev` the API and socket.io are proxied to a local hub.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: 'public',
  resolve: {
    // The light build of hls.js (no subtitles, alternate audio or DRM, none of which a camera feed has)
    // keeps the bundle in one chunk of reasonable size; the code is typed against the full package.
    alias: [{ find: /^hls\.js$/, replacement: 'hls.js/dist/hls.light.mjs' }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // Leaflet and socket.io-client are bundled in; a single chunk keeps the hub's static serving trivial.
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      // The dashboard, and the shell of councils' public pages (the hub fills in their content).
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        'council-page': fileURLToPath(new URL('council-page.html', import.meta.url)),
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: hubUrl, changeOrigin: false },
      '/socket.io': { target: hubUrl, ws: true },
    },
  },
});
