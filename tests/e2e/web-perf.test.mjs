// Size and speed of the web app, reported as test diagnostics: the bytes of
// the bundle (raw and gzip) and the time from navigation to the first board
// card on screen (median of five cold page loads, cache disabled). Bounds are
// loose: they catch a regression by an order of magnitude, not noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { serverEndChecks } from './lib/suite.mjs';
import { missing, opts, teamSuite, WEB_ROOT } from './lib/webapp.mjs';

const { ctx, fx, open } = teamSuite();

test('bundle size (bytes, gzip)', opts, (t) => {
  const dir = path.join(WEB_ROOT, 'assets');
  let raw = 0; let gz = 0;
  for (const f of readdirSync(dir).filter((x) => /\.(js|css)$/.test(x))) {
    const b = readFileSync(path.join(dir, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
    t.diagnostic(`${f}: ${b.length} bytes, ${gzipSync(b, { level: 9 }).length} gzip`);
  }
  t.diagnostic(`total: ${raw} bytes, ${gz} gzip`);
  assert.ok(gz < 150000, `the app stays small (${gz} bytes gzip)`);
});

test('time to first render of the board', opts, async (t) => {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const { page, context } = await open(fx.a, '/');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await page.locator('.topbar').waitFor();
    await page.goto(`/w/${fx.ws.id}/board/${fx.project.id}`);
    await page.locator('.task-card').first().waitFor();
    const ms = await page.evaluate(() => performance.now());
    times.push(ms);
    await context.close();
  }
  times.sort((a, b) => a - b);
  t.diagnostic(`first board card after ${times.map((x) => x.toFixed(0)).join(', ')} ms; median ${times[2].toFixed(0)} ms`);
  assert.ok(times[2] < 5000, `median ${times[2]} ms`);
});

if (!missing) serverEndChecks(ctx);
