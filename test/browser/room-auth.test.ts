/**
 * Rooms that need the site's tokens, in real Chromium and Firefox against a real server with ROOM_TOKEN_SECRET:
 * tokens from `npm run token`, a real call between the two holders, and a stranger refused.
 */
import { expect } from '@open-wc/testing';
import type { CallErrorDetail } from '../../src/events.js';
import { framesPresented, roomToken, testConfig, uniqueRoom, waitForState, widget } from './helpers.js';

describe('a room that needs a token', () => {
  it('connects two widgets whose tokens name the room, under the names the tokens give', async () => {
    const { authUrl } = await testConfig();
    const room = uniqueRoom('auth');
    const alice = await widget({ 'signaling-url': authUrl, room, token: await roomToken(room, 'alice', 'Alice (from the site)'), 'display-name': 'Mallory' });
    await waitForState(alice, 'waiting');
    const bob = await widget({ 'signaling-url': authUrl, room, token: await roomToken(room, 'bob', 'Bob') });
    await waitForState(bob, 'ready');
    await waitForState(alice, 'ready');
    // The site's name, not the attribute's.
    expect(bob.shadowRoot!.querySelector('[part~="status"]')!.textContent).to.contain('Alice (from the site) is here');
    void alice.call();
    await waitForState(bob, 'ringing');
    void bob.accept();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    expect(await framesPresented(bob)).to.be.greaterThan(5);
    // The site renews Alice's token mid-call, as it would before the old one expires: the call goes on.
    const states: string[] = [];
    alice.addEventListener('call-state-change', (e) => states.push(e.detail.state));
    alice.token = await roomToken(room, 'alice', 'Alice (from the site)');
    await alice.updateComplete;
    expect(await framesPresented(alice)).to.be.greaterThan(5);
    expect(states).to.deep.equal([]);
    expect(alice.state).to.equal('connected');
    alice.remove();
    bob.remove();
  });

  it('refuses a widget whose token is for another room with unauthorized, and joins once the page sets a good one', async () => {
    const { authUrl } = await testConfig();
    const room = uniqueRoom('auth');
    const errors: CallErrorDetail[] = [];
    const stranger = await widget({ 'signaling-url': authUrl, room, token: await roomToken(uniqueRoom('elsewhere'), 'mallory') });
    stranger.addEventListener('call-error', (e) => errors.push(e.detail));
    await waitForState(stranger, 'failed');
    expect(stranger.reason).to.equal('unauthorized');
    expect(errors.map((e) => e.code)).to.include('unauthorized');
    expect(errors.find((e) => e.code === 'unauthorized')!.message).to.match(/another room/);
    // The page answers the error with a fresh token: the widget tries again with it.
    stranger.token = await roomToken(room, 'mallory-now-invited');
    await waitForState(stranger, 'waiting');
    stranger.remove();
  });

  it('refuses a widget without a token', async () => {
    const { authUrl } = await testConfig();
    const el = await widget({ 'signaling-url': authUrl, room: uniqueRoom('auth') });
    await waitForState(el, 'failed');
    expect(el.reason).to.equal('unauthorized');
    el.remove();
  });
});
