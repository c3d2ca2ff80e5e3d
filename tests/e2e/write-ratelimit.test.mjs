// REST writes are limited per user (WRITE_RATE_LIMIT writes per minute):
// over it, 429 RATE_LIMITED with Retry-After; reads and other users go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, expectError, expectOk, registerUser, createWorkspace, createProject } from './lib/api.mjs';

const ctx = serverSuite({ env: { WRITE_RATE_LIMIT: '8' } });

test('a user over WRITE_RATE_LIMIT gets 429 with Retry-After; reads and others are not limited', async () => {
  const a = await registerUser(ctx.url);
  const b = await registerUser(ctx.url);
  const ws = await createWorkspace(ctx.url, a.accessToken); // write 1
  const p = await createProject(ctx.url, a.accessToken, ws.id); // write 2
  const statuses = [];
  let limited;
  for (let i = 0; i < 10 && !limited; i++) {
    const res = await api(ctx.url, 'POST', `/projects/${p.id}/tasks`, { token: a.accessToken, body: { title: `t${i}` } });
    statuses.push(res.status);
    if (res.status === 429) limited = res;
  }
  assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 429]);
  expectError(limited, 429, 'RATE_LIMITED');
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  const tasks = expectOk(await api(ctx.url, 'GET', `/projects/${p.id}/tasks?limit=100`, { token: a.accessToken }));
  assert.equal(tasks.length, 6, 'the refused write did nothing');
  await createWorkspace(ctx.url, b.accessToken); // another user writes on
});

serverEndChecks(ctx);
