/** The search-box web UI: its build is the folder's public surface; the browser code lives in src/. */
export { buildWeb, WEB_DIST, type BuildWebOptions, type BuildWebResult } from './build.ts';
