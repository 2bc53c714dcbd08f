/**
 * The dashboard's build: `npm run build:dashboard`, also run by `fanout setup` (so by
 * `npm start` and `npm test`) and by `fanout dev` when the page was never built. Relative asset
 * paths: the same build is served at /dashboard/ by the local host and by CloudFront.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // React Server Components' "use client" marks mean nothing in a page bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
});
