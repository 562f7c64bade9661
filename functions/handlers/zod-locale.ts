import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The functions validate events with zod's tree-shakable build ("mini"), which carries no messages of
 * its own: this module gives it the English ones. Every module that defines a schema imports it
 * first (`import './zod-locale.ts'`), so that no rejection reason is ever the bare "Invalid input".
 *
 * Why mini: zod's classic build is one object whose methods keep all of it in every bundle (about
 * 95 KiB of each function); the mini build's functions are dropped when unused (about 35 KiB). Only
 * the English locale is imported: `locales` would bundle every language. And `z` is imported as a
 * namespace where it is used, never re-exported: a namespace passed on as a value keeps all of zod.
 */
config(en());
