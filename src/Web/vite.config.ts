import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vitest/config';

const root = import.meta.dirname;
/** Where `npm run dev` sends /api (the portable host by default). */
const apiTarget = process.env['AGENTS_API_ORIGIN'] ?? 'http://127.0.0.1:7071';

/**
 * In development, /config.json comes from public/config.json when there is one; otherwise from
 * config.sample.json with apiBaseUrl "/api", which the dev server proxies to the host (no CORS needed).
 */
function devConfigJson(): Plugin {
  return {
    name: 'agents-dev-config-json',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/config.json', (_req, res, next) => {
        if (existsSync(resolve(root, 'public/config.json'))) return next();
        const sample = JSON.parse(readFileSync(resolve(root, 'public/config.sample.json'), 'utf8'));
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify({ ...sample, apiBaseUrl: '/api' }));
      });
    },
  };
}

/** Azure Static Web Apps reads its routing file from the deployed folder. */
function copyStaticWebAppConfig(): Plugin {
  return {
    name: 'agents-copy-staticwebapp-config',
    apply: 'build',
    closeBundle() {
      copyFileSync(resolve(root, 'staticwebapp.config.json'), resolve(root, 'dist/staticwebapp.config.json'));
    },
  };
}

export default defineConfig({
  plugins: [react(), devConfigJson(), copyStaticWebAppConfig()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true, // the OIDC redirect URI is registered for exactly this port
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  preview: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    target: 'es2022',
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
