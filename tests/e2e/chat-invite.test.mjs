// A user invited into a workspace while connected to the chat: nothing
// happens until they accept; then, without a reconnect, the workspace's
// members see them come online, and the live workspace stats count them.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, expectOk, registerUser, createWorkspace, invite } from './lib/api.mjs';
import {
  TRANSPORTS, connect, closeAll, seen, received, summary, emitAck,
} from './lib/chat.mjs';

const ctx = serverSuite();
afterEach(() => closeAll());

for (const tr of TRANSPORTS) {
  test(`[${tr.name}] an invited user who is already connected comes online in the new workspace`, { timeout: 60000 }, async () => {
    const admin = await registerUser(ctx.url, { firstName: 'Ada', lastName: 'Admin' });
    const newcomer = await registerUser(ctx.url, { firstName: 'Nia', lastName: 'New' });
    const ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Invite WS' });
    const a = await connect(ctx.url, admin.accessToken, { transports: tr.transports });
    const n = await connect(ctx.url, newcomer.accessToken, { transports: tr.transports });

    const inv = await invite(ctx.url, admin.accessToken, ws.id, newcomer.email, 'member');
    // A pending invitation joins nothing: an ack on the admin's socket after
    // it comes behind anything the invite would have sent there.
    await emitAck(a, 'channel:leave', { channelId: '00000000000000000000' });
    assert.equal(received(a, 'presence:online', (d) => d && d.userId === newcomer.user.id).length, 0,
      `no presence before the invitation is accepted: ${summary(a)}`);

    expectOk(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: newcomer.accessToken }));
    const online = await seen(a, 'presence:online', (d) => d && d.userId === newcomer.user.id);
    assert.equal(online.userName, 'Nia New', `presence:online carries the name: ${summary(a)}`);

    const stats = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/members`, { token: admin.accessToken }));
    assert.ok(stats.some((m) => m.userId === newcomer.user.id), 'the newcomer is a member');

    // The newcomer's socket now hears the workspace: the admin going offline reaches it.
    a.disconnect();
    await seen(n, 'presence:offline', (d) => d && d.userId === admin.user.id);
  });
}

serverEndChecks(ctx);
