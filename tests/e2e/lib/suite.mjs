// One server per test file: before/after hooks plus the closing checks.
import { before, after, test } from 'node:test';
import path from 'node:path';
import { startServer, assertNoServerErrors, assertNoSecretsLogged } from './server.mjs';
import { seenSecrets } from './api.mjs';

/**
 * Registers hooks that start one server for the file and kill it if a test
 * left it running. Returns a context whose `srv` and `url` are set once the
 * server listens.
 */
export function serverSuite(opts = {}) {
  const ctx = { srv: null, url: null };
  const name = opts.name || path.basename(process.argv[1] || 'suite', '.test.mjs');
  before(async () => {
    ctx.srv = await startServer({ ...opts, name });
    ctx.url = ctx.srv.url;
  });
  after(async () => {
    if (ctx.srv && !ctx.srv.stopped) await ctx.srv.kill();
  });
  return ctx;
}

/**
 * The last test of a file: no 5xx and no password or token in the logs, and a
 * clean SIGTERM exit.
 */
export function serverEndChecks(ctx) {
  test('server logged no status >= 500 and no secret, and exits cleanly on SIGTERM', async () => {
    let stopErr = null;
    try {
      await ctx.srv.stop();
    } catch (err) {
      stopErr = err;
    }
    try {
      assertNoServerErrors(ctx.srv.logs);
      assertNoSecretsLogged(ctx.srv.logs, seenSecrets);
    } catch (logErr) {
      if (stopErr) throw new Error(`${logErr.message}\nand: ${stopErr.message}`);
      throw logErr;
    }
    if (stopErr) throw stopErr;
  });
}
