// TypeScript declarations of the ES module entry (index.mjs): the named
// exports of index.d.ts, and the whole library as the default export.
import * as gale from './index.js';

export * from './index.js';
export default gale;
