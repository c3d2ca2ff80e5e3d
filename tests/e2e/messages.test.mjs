// Channel messages over REST: post (joining a public channel), list with
// before/after cursors (newest first, meta {limit, hasMore}), cursor paging
// while messages keep arriving, sender-only edit/delete, soft delete,
// validation and unknown ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createChannel, postMessage, addMember, fmtRes, UNKNOWN_ID, assertNoLeak,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let bob; let carol; let outsider;
let ws; let general;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function list(cid, qs = '', token = bob.accessToken) {
  const res = await api(ctx.url, 'GET', `/channels/${cid}/messages${qs ? `?${qs}` : ''}`, { token });
  const data = expectOk(res);
  assert.ok(Array.isArray(data), fmtRes(res));
  return { data, meta: res.json.meta, res };
}

/** Asserts ids strictly decreasing (newest first, no duplicates). */
function assertNewestFirst(msgs, what) {
  for (let i = 1; i < msgs.length; i++) {
    assert.ok(msgs[i - 1].id > msgs[i].id, `${what}: ids must decrease: ${msgs[i - 1].id} then ${msgs[i].id}`);
    assert.ok(msgs[i - 1].createdAt >= msgs[i].createdAt, `${what}: createdAt must not increase`);
  }
}

/** Runs fn over items with at most n in flight; resolves to the results in order. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

test('setup: admin, two members, an outsider; a public channel of the admin', async () => {
  admin = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Sender' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Reader' });
  outsider = await registerUser(ctx.url);
  await createWorkspace(ctx.url, outsider.accessToken, { name: 'Elsewhere' });
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Messages WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, bob, 'member');
  await addMember(ctx.url, admin.accessToken, ws.id, carol, 'member');
  general = await createChannel(ctx.url, admin.accessToken, ws.id, { name: 'general' });
});

test('POST /channels/:id/messages: 201 with the message shape; posting to a public channel joins it', async () => {
  assert.equal(expectOk(await api(ctx.url, 'GET', `/channels/${general.id}`, { token: bob.accessToken })).isMember, false);
  const res = await api(ctx.url, 'POST', `/channels/${general.id}/messages`, { token: bob.accessToken, body: { content: '  hello world \n' } });
  const m = expectOk(res, 201);
  assert.equal(typeof m.id, 'string');
  assert.equal(m.channelId, general.id);
  assert.equal(m.senderId, bob.user.id);
  assert.equal(m.senderName, 'Bob Sender');
  assert.equal(m.content, 'hello world', 'surrounding whitespace is trimmed');
  assert.match(m.createdAt, ISO);
  assert.equal(m.deletedAt, null);
  assert.equal(m.editedAt, null);
  assert.ok(!res.text.includes(bob.email), 'no email in a message');
  const ch = expectOk(await api(ctx.url, 'GET', `/channels/${general.id}`, { token: bob.accessToken }));
  assert.equal(ch.isMember, true, 'bob joined the channel by posting');
  assert.equal(ch.memberCount, 2);
  assert.ok(ch.members.some((x) => x.userId === bob.user.id));
  const { data } = await list(general.id, '', carol.accessToken);
  assert.equal(data[0].id, m.id);
  assert.equal(data[0].content, 'hello world');
});

test('content validation: 422 naming content; 10000 characters are fine', async () => {
  const post = (body) => api(ctx.url, 'POST', `/channels/${general.id}/messages`, { token: bob.accessToken, body });
  const before = (await list(general.id)).data.length;
  expectFieldError(await post({}), 'content');
  expectFieldError(await post({ content: '' }), 'content');
  expectFieldError(await post({ content: '   \n\t ' }), 'content');
  expectFieldError(await post({ content: 5 }), 'content');
  expectFieldError(await post({ content: 'x'.repeat(10001) }), 'content');
  assert.equal((await list(general.id)).data.length, before, 'refused posts store nothing');
  const big = expectOk(await post({ content: 'ü'.repeat(10000) }), 201);
  assert.equal([...big.content].length, 10000);
  expectError(await api(ctx.url, 'POST', `/channels/${general.id}/messages`, { token: bob.accessToken, raw: '{"content":' }), 400);
});

test('GET list: newest first, meta exactly {limit, hasMore}, default limit 50, limit range 1..100', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'list-room' });
  const empty = await list(ch.id);
  assert.deepEqual(empty.data, []);
  assert.deepEqual(empty.meta, { limit: 50, hasMore: false });
  const posted = [];
  for (let i = 0; i < 5; i++) posted.push(await postMessage(ctx.url, bob.accessToken, ch.id, `m${i}`));
  const all = await list(ch.id);
  assert.deepEqual(all.data.map((m) => m.content), ['m4', 'm3', 'm2', 'm1', 'm0']);
  assert.deepEqual(all.meta, { limit: 50, hasMore: false });
  const two = await list(ch.id, 'limit=2');
  assert.deepEqual(two.data.map((m) => m.id), [posted[4].id, posted[3].id]);
  assert.deepEqual(two.meta, { limit: 2, hasMore: true });
  const five = await list(ch.id, 'limit=5');
  assert.deepEqual(five.meta, { limit: 5, hasMore: false }, 'exactly limit left: no more');
  const raw = (qs) => api(ctx.url, 'GET', `/channels/${ch.id}/messages?${qs}`, { token: bob.accessToken });
  expectFieldError(await raw('limit=0'), 'limit');
  expectFieldError(await raw('limit=101'), 'limit');
  expectFieldError(await raw('limit=abc'), 'limit');
  expectFieldError(await raw('before=not-an-id'), 'before');
  expectFieldError(await raw('after=xyz'), 'after');
  assert.deepEqual((await list(ch.id, 'limit=100')).meta, { limit: 100, hasMore: false });
});

test('cursor paging over 250 messages with before= while new ones keep arriving: no duplicates, no gaps, newest first', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'busy-room', memberIds: [carol.user.id] });
  const contents = Array.from({ length: 250 }, (_, i) => `busy ${String(i).padStart(3, '0')}`);
  const posted = await pool(contents, 8, (c, i) => postMessage(ctx.url, i % 2 ? bob.accessToken : carol.accessToken, ch.id, c));
  const base = new Set(posted.map((m) => m.id));
  assert.equal(base.size, 250, '250 distinct ids');
  const baseSorted = [...base].sort().reverse();

  // a writer that keeps posting until the reader is done
  let stop = false;
  let wrote = 0;
  const waiters = [];
  const writer = (async () => {
    while (!stop) {
      await postMessage(ctx.url, carol.accessToken, ch.id, `late ${wrote}`);
      wrote++;
      while (waiters.length) waiters.shift()();
    }
  })();
  const nextWrite = () => new Promise((r) => waiters.push(r));

  const seen = [];
  let before = null;
  let pages = 0;
  try {
    for (;;) {
      // at least one new message lands between two page requests
      await nextWrite();
      const qs = `limit=50${before ? `&before=${before}` : ''}`;
      const page = await list(ch.id, qs);
      pages++;
      assert.equal(page.meta.limit, 50);
      assert.ok(page.data.length <= 50);
      assertNewestFirst(page.data, `page ${pages}`);
      if (before) assert.ok(page.data.every((m) => m.id < before), `page ${pages} is strictly before the cursor`);
      seen.push(...page.data);
      if (!page.meta.hasMore) break;
      assert.equal(page.data.length, 50, 'a page with more behind it is full');
      before = page.data[page.data.length - 1].id;
      assert.ok(pages < 50, 'paging terminates');
    }
  } finally {
    stop = true;
    await writer;
  }
  assert.ok(wrote >= pages, `messages were posted during paging (${wrote} during ${pages} pages)`);
  const ids = seen.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates across pages');
  assertNewestFirst(seen, 'all pages');
  const fromBase = ids.filter((id) => base.has(id));
  assert.deepEqual(fromBase, baseSorted, 'every one of the 250 exactly once, newest first');
  // the only other messages seen are late ones, all newer than the 250
  const extra = seen.filter((m) => !base.has(m.id));
  assert.ok(extra.every((m) => m.content.startsWith('late ')), 'only late messages besides the 250');
  assert.ok(extra.every((m) => m.id > baseSorted[0]), 'late messages are newer than all 250');
});

test('after= semantics: newer than the cursor, still newest first; before+after: strictly between', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'after-room' });
  const posted = [];
  for (let i = 0; i < 30; i++) posted.push(await postMessage(ctx.url, bob.accessToken, ch.id, `a${i}`));
  const ids = posted.map((m) => m.id);
  const newer = await list(ch.id, `after=${ids[24]}`);
  assert.deepEqual(newer.data.map((m) => m.id), ids.slice(25).reverse());
  assert.deepEqual(newer.meta, { limit: 50, hasMore: false });
  const newerLimited = await list(ch.id, `after=${ids[9]}&limit=5`);
  assert.deepEqual(newerLimited.data.map((m) => m.id), ids.slice(25).reverse(), 'the newest 5 of the window');
  assert.deepEqual(newerLimited.meta, { limit: 5, hasMore: true }, 'older ones remain in the window');
  const between = await list(ch.id, `after=${ids[10]}&before=${ids[20]}`);
  assert.deepEqual(between.data.map((m) => m.id), ids.slice(11, 20).reverse());
  assert.equal(between.meta.hasMore, false);
  const betweenLimited = await list(ch.id, `after=${ids[10]}&before=${ids[20]}&limit=4`);
  assert.deepEqual(betweenLimited.data.map((m) => m.id), ids.slice(16, 20).reverse());
  assert.equal(betweenLimited.meta.hasMore, true);
  assert.deepEqual((await list(ch.id, `after=${ids[29]}`)).data, [], 'nothing after the newest');
  assert.deepEqual((await list(ch.id, `before=${ids[0]}`)).data, [], 'nothing before the oldest');
  assert.deepEqual((await list(ch.id, `after=${ids[15]}&before=${ids[15]}`)).data, []);
  const tail = await list(ch.id, `before=${ids[3]}`);
  assert.deepEqual(tail.data.map((m) => m.id), ids.slice(0, 3).reverse());
  // cursors from another channel or unknown ids are just bounds
  assert.equal((await list(ch.id, `before=${UNKNOWN_ID}`)).data.length, 0);
});

test('PATCH /messages/:id: the sender edits; another member and the admin 403; outsider 404', async () => {
  const m = await postMessage(ctx.url, bob.accessToken, general.id, 'first draft');
  expectError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: carol.accessToken, body: { content: 'carol edit' } }), 403, 'FORBIDDEN');
  expectError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: admin.accessToken, body: { content: 'admin edit' } }), 403, 'FORBIDDEN');
  const out = await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: outsider.accessToken, body: { content: 'outsider edit' } });
  expectError(out, 404);
  assertNoLeak(out, ['first draft', general.id, bob.user.id], 'outsider PATCH');
  const e = expectOk(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: bob.accessToken, body: { content: ' final ' } }));
  assert.equal(e.id, m.id);
  assert.equal(e.content, 'final');
  assert.match(e.editedAt, ISO);
  assert.equal(e.createdAt, m.createdAt);
  const { data } = await list(general.id, '', carol.accessToken);
  assert.equal(data.find((x) => x.id === m.id).content, 'final');
  expectFieldError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: bob.accessToken, body: { content: '' } }), 'content');
  expectFieldError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: bob.accessToken, body: {} }), 'content');
  expectFieldError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: bob.accessToken, body: { content: 'z'.repeat(10001) } }), 'content');
  expectError(await api(ctx.url, 'PATCH', `/messages/${UNKNOWN_ID}`, { token: bob.accessToken, body: { content: 'x' } }), 404);
  expectError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { body: { content: 'x' } }), 401);
});

test('DELETE /messages/:id: soft delete by the sender; gone from the list; PATCH/DELETE afterwards 404', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'delete-room', memberIds: [carol.user.id] });
  const keep1 = await postMessage(ctx.url, bob.accessToken, ch.id, 'keep 1');
  const doomed = await postMessage(ctx.url, bob.accessToken, ch.id, 'doomed words 5e1d');
  const keep2 = await postMessage(ctx.url, carol.accessToken, ch.id, 'keep 2');
  expectError(await api(ctx.url, 'DELETE', `/messages/${doomed.id}`, { token: carol.accessToken }), 403, 'FORBIDDEN');
  expectError(await api(ctx.url, 'DELETE', `/messages/${doomed.id}`, { token: admin.accessToken }), 403, 'FORBIDDEN');
  expectError(await api(ctx.url, 'DELETE', `/messages/${doomed.id}`, { token: outsider.accessToken }), 404);
  expectError(await api(ctx.url, 'DELETE', `/messages/${doomed.id}`), 401);
  assert.ok((await list(ch.id)).data.some((x) => x.id === doomed.id), 'refused deletes change nothing');
  expectNoContent(await api(ctx.url, 'DELETE', `/messages/${doomed.id}`, { token: bob.accessToken }));
  const after = await list(ch.id, '', carol.accessToken);
  assert.deepEqual(after.data.map((x) => x.id), [keep2.id, keep1.id]);
  assert.ok(!after.res.text.includes('doomed words 5e1d'), 'the deleted content is never served');
  // cursors around the deleted message still work
  assert.deepEqual((await list(ch.id, `before=${keep2.id}`)).data.map((x) => x.id), [keep1.id]);
  assert.deepEqual((await list(ch.id, `after=${keep1.id}`)).data.map((x) => x.id), [keep2.id]);
  expectError(await api(ctx.url, 'PATCH', `/messages/${doomed.id}`, { token: bob.accessToken, body: { content: 'undo' } }), 404);
  expectError(await api(ctx.url, 'DELETE', `/messages/${doomed.id}`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'DELETE', `/messages/${UNKNOWN_ID}`, { token: bob.accessToken }), 404);
});

test('unknown, deleted, private and outside channels: 404; no token 401', async () => {
  expectError(await api(ctx.url, 'GET', `/channels/${UNKNOWN_ID}/messages`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'POST', `/channels/${UNKNOWN_ID}/messages`, { token: bob.accessToken, body: { content: 'x' } }), 404);
  const priv = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'priv-msgs', type: 'private' });
  const pm = await postMessage(ctx.url, bob.accessToken, priv.id, 'private words 9a0b');
  for (const u of [carol, admin, outsider]) {
    for (const [m, p, body] of [
      ['GET', `/channels/${priv.id}/messages`],
      ['POST', `/channels/${priv.id}/messages`, { content: 'let me in' }],
      ['PATCH', `/messages/${pm.id}`, { content: 'x' }],
      ['DELETE', `/messages/${pm.id}`],
    ]) {
      const res = await api(ctx.url, m, p, { token: u.accessToken, body });
      expectError(res, 404);
      assertNoLeak(res, ['private words 9a0b', 'priv-msgs'], `${m} ${p}`);
    }
  }
  assert.equal(expectOk(await api(ctx.url, 'GET', `/channels/${priv.id}`, { token: bob.accessToken })).memberCount, 1, 'nobody joined the private channel');
  for (const [m, p] of [['GET', `/channels/${general.id}/messages`], ['POST', `/channels/${general.id}/messages`]]) {
    const res = await api(ctx.url, m, p, { token: outsider.accessToken, body: m === 'POST' ? { content: 'x' } : undefined });
    expectError(res, 404);
    expectError(await api(ctx.url, m, p, { body: m === 'POST' ? { content: 'x' } : undefined }), 401);
  }
  // a message of a deleted channel is gone with it
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'short-lived' });
  const m = await postMessage(ctx.url, bob.accessToken, ch.id, 'soon unreachable');
  expectNoContent(await api(ctx.url, 'DELETE', `/channels/${ch.id}`, { token: bob.accessToken }));
  expectError(await api(ctx.url, 'GET', `/channels/${ch.id}/messages`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: bob.accessToken, body: { content: 'x' } }), 404);
  expectError(await api(ctx.url, 'DELETE', `/messages/${m.id}`, { token: bob.accessToken }), 404);
});

serverEndChecks(ctx);
