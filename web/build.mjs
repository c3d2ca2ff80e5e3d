// Builds the web app into dist/: bundles src/main.js (preact + htm) and
// src/styles.css with esbuild under content-hashed names in dist/assets/,
// copies the official socket.io-client browser build beside them (hashed
// too), copies public/ as is, and writes dist/index.html pointing at the
// hashed files. The server caches /assets/* for a year and index.html never,
// so a new build is picked up on the next page load.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const assets = path.join(dist, 'assets');
const watch = process.argv.includes('--dev');

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: { app: path.join(here, 'src/main.js'), styles: path.join(here, 'src/styles.css') },
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  minify: !watch,
  sourcemap: true,
  outdir: assets,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => path.relative(dist, p));
const pick = (re) => {
  const f = outputs.find((o) => re.test(o));
  if (!f) throw new Error(`build: no output matching ${re}`);
  return '/' + f.split(path.sep).join('/');
};
const appJs = pick(/^assets\/app-[^/]+\.js$/);
const appCss = pick(/^assets\/styles-[^/]+\.css$/);

// The official browser build of socket.io-client, named by its content hash.
const sioSrc = path.join(here, 'node_modules/socket.io-client/dist/socket.io.min.js');
const sio = readFileSync(sioSrc);
const sioHash = createHash('sha256').update(sio).digest('hex').slice(0, 10);
const sioName = `socket.io-${sioHash}.min.js`;
// Drop the source-map comment: the map is not shipped.
writeFileSync(path.join(assets, sioName), sio.toString('utf8').replace(/\n?\/\/# sourceMappingURL=.*\s*$/, '\n'));

if (existsSync(path.join(here, 'public'))) cpSync(path.join(here, 'public'), dist, { recursive: true });

const html = readFileSync(path.join(here, 'src/index.html'), 'utf8')
  .replace('%APP_JS%', appJs)
  .replace('%APP_CSS%', appCss)
  .replace('%SOCKET_IO_JS%', `/assets/${sioName}`);
writeFileSync(path.join(dist, 'index.html'), html);
console.log(`web: built ${appJs}, ${appCss}, /assets/${sioName} into ${path.relative(process.cwd(), dist) || 'dist'}`);
