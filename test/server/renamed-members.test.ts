/**
 * The bundle renames our members that never leave it (internalMembersRenamed in build/member-names.ts) and keeps the
 * names of everything that crosses its edge: what the server sends and reads, the browser's statistics reports,
 * the element's API, its events and its context. Read off dist, as built.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';

let bundle = '';
before(() => {
  assert.ok(existsSync('dist/call-widget.js'), 'dist/call-widget.js is missing: run `npm run build` first');
  bundle = readFileSync('dist/call-widget.js', 'utf8');
});

/** `name` as a member in minified code: `.name`, or a key `name:` of an object literal or class. */
const member = (name: string) => new RegExp(`\\.${name}\\b|[{,]${name}:|[;{}]${name}\\(`);

describe('members of ours in the bundle', () => {
  it('are renamed where they never leave it', () => {
    for (const name of ['keepIceServersFresh', 'fillSenders', 'heldCandidates', 'sendMediaState', 'watchPeerLevel', 'onJoinFailed']) {
      assert.doesNotMatch(bundle, member(name), name);
    }
  });

  it("are renamed together with socket.io-client's own (PACKAGE_INTERNAL), whose wire names stay", () => {
    for (const name of ['emitReserved', 'maybeReconnectOnOpen', 'notifyOutgoingListeners', 'onHandshake', 'setTimeoutFn', 'doWrite', 'supportsBinary']) {
      assert.doesNotMatch(bundle, member(name), name);
    }
    // The handshake's and the packets' fields, and the options the widget passes that engine.io reads by name.
    for (const name of ['pingInterval', 'pingTimeout', 'sid', 'nsp', 'tryAllTransports']) assert.match(bundle, member(name), name);
  });

  it('keep their names where something outside reads or writes them', () => {
    const crossing = {
      'the wire protocol': ['callId', 'resumeToken', 'resumed', 'generation', 'ringTimeout'],
      'statistics reports': ['candidateType', 'selectedCandidatePairId', 'packetsReceived', 'framesDecoded'],
      "the element's API, its events and context": ['startPreview', 'selectDevice', 'cameraOff', 'fatal', 'diagnostics', 'remoteMedia'],
      'what localStorage keeps': ['deviceId', 'label'],
    };
    for (const [where, names] of Object.entries(crossing)) {
      for (const name of names) assert.match(bundle, member(name), `${name} (${where})`);
    }
  });
});
