import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// TypeScript in <script lang="ts"> (used by the build and by svelte-check).
export default { preprocess: vitePreprocess() };
