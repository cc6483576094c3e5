/**
 * jose 6 ships as an ES module only; this project compiles to CommonJS, where Node (>= 20.19)
 * can `require()` an ES module. The types come from the ESM declarations; the value from require.
 */
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

export type { Jose };
export type JWTPayload = Jose.JWTPayload;

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const jose = require('jose') as typeof Jose;
