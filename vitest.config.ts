import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Polars and PGlite are heavy native/wasm modules; forks isolate them per file.
    pool: 'forks',
  },
});
