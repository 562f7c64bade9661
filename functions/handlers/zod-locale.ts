import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The functions' zod: its tree-shakable build ("mini"), which carries no messages of its own, with the
 * English ones. Every module in functions/ takes zod from here (`import * as z from './zod-locale.ts'`)
 * and never from 'zod' or 'zod/mini' directly, so that no schema is ever used without them and no
 * rejection reason is ever the bare "Invalid input".
 *
 * Why mini: zod's classic build is one object whose methods keep all of it in every bundle (about
 * 95 KiB of each function); the mini build's functions are dropped when unused (27 to 39 KiB). Only
 * the English locale is imported: `locales` would bundle every language. And zod is passed on with
 * `export *`, to be imported as a namespace: a namespace passed on as a value (`export * as z`,
 * `export { z }`) keeps all of zod and every locale (about 420 KiB of each function).
 */
config(en());

export * from 'zod/mini';
