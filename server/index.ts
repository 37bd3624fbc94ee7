/** The one import a TypeScript client needs: `import type { AppRouter } from 'affiliate-ops'`. */
export type { AppRouter } from './routers/index.js';
