import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The app's web UI, built into ui/dist (tauri.conf.json serves it).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari16',
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
