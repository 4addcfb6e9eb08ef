/**
 * Bundles the browser code (src/main.ts) with esbuild and copies index.html and styles.css into
 * web/dist/, which `rosetta serve` serves at `/`. Run it with `npx tsx web/build.ts`.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Where the built UI goes by default (the server's static root). */
export const WEB_DIST = path.join(WEB_DIR, 'dist');

export interface BuildWebOptions {
  /** Output folder; replaced as a whole. Default: web/dist. */
  outDir?: string;
  /** Default true; false keeps the bundle readable while debugging. */
  minify?: boolean;
}

export interface BuildWebResult {
  outDir: string;
  files: Array<{ name: string; bytes: number }>;
  ms: number;
}

const hash8 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex').slice(0, 8);

/**
 * Builds the UI.
 * @example
 *   const { outDir, files } = await buildWeb();
 *   // outDir: '/…/web/dist', files: [{ name: 'index.html', bytes: 5210 }, { name: 'main.js', bytes: 21034 }, …]
 */
export async function buildWeb(options: BuildWebOptions = {}): Promise<BuildWebResult> {
  const started = performance.now();
  const outDir = path.resolve(options.outDir ?? WEB_DIST);
  const minify = options.minify ?? true;

  const bundle = await build({
    entryPoints: [path.join(WEB_DIR, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    minify,
    sourcemap: 'linked',
    outfile: path.join(outDir, 'main.js'),
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });

  const files = new Map<string, string | Uint8Array>();
  for (const file of bundle.outputFiles) files.set(path.basename(file.path), file.contents);
  const css = await readFile(path.join(WEB_DIR, 'styles.css'), 'utf8');
  files.set('styles.css', css);

  // Content hashes in the references let the server cache main.js and styles.css for long
  // while a rebuilt UI is still picked up on the next page load.
  let html = await readFile(path.join(WEB_DIR, 'index.html'), 'utf8');
  for (const name of ['main.js', 'styles.css']) {
    const ref = `"${name}"`;
    if (!html.includes(ref)) throw new Error(`web/index.html does not reference ${ref}; the build cannot version it`);
    html = html.replace(ref, `"${name}?v=${hash8(files.get(name) ?? '')}"`);
  }
  files.set('index.html', html);

  // Write next to the target and swap, so a server already running never serves half a build.
  const staging = `${outDir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const [name, data] of files) await writeFile(path.join(staging, name), data);
  await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);

  return {
    outDir,
    files: [...files].map(([name, data]) => ({ name, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength })),
    ms: Math.round(performance.now() - started),
  };
}

const runAsScript = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (runAsScript) {
  const result = await buildWeb();
  const sizes = result.files.map((f) => `${f.name} ${(f.bytes / 1024).toFixed(1)} kB`).join(', ');
  console.log(`web UI built in ${result.ms} ms -> ${path.relative(process.cwd(), result.outDir) || '.'}: ${sizes}`);
}
