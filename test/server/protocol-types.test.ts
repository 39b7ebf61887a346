/**
 * The protocol's types are inferred from its schemas: a field added to a schema reaches every type that
 * names the message, on both ends. Checked by `npm run typecheck` (the `@ts-expect-error` lines fail it if a
 * type goes loose) and, for the runtime tables, here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RELAYED_EVENTS,
  RelayedRequests,
  ServerMessages,
  parse,
  type Relayed,
  type RelayedRequest,
  type ServerEvent,
  type ServerEventMap,
  type ServerMessage,
} from '../../src/protocol/protocol.js';

// Compile-time only: each line says what a type must accept or refuse.
const hangup: ServerEventMap['hangup'] = { callId: 'c', from: 'p', reason: 'media-failed', seq: 3 };
// @ts-expect-error a reason the schema does not have
const badHangup: ServerEventMap['hangup'] = { callId: 'c', from: 'p', reason: 'bored' };
// @ts-expect-error a relayed message names its sender
const anonymous: Relayed<'invite'> = { callId: 'c', media: 'audio' };
const invite: Relayed<'invite'> = { callId: 'c', media: 'audio', ringTimeout: 30_000, from: 'p' };
const accept: RelayedRequest<'accept'> = { callId: 'c', media: 'audio', seq: 1 };
// @ts-expect-error `n` is the signaling client's, not the payload's
const numbered: ServerEventMap['peer-left'] = { peerId: 'p', reason: 'left', n: 4 };
const left: ServerMessage = { event: 'peer-left', payload: { peerId: 'p', reason: 'disconnected' } };
// @ts-expect-error an event and another event's payload
const mismatched: ServerMessage = { event: 'peer-left', payload: { peerId: 'p', replaced: true } };
// @ts-expect-error not a server event
const unknownEvent: ServerEvent = 'join';
void [hangup, badHangup, anonymous, invite, accept, numbered, left, mismatched, unknownEvent];

describe('protocol tables', () => {
  it('has a server schema for every relayed event and the four of the server, and a request schema per relayed event', () => {
    assert.deepEqual(Object.keys(ServerMessages).sort(), [...RELAYED_EVENTS, 'peer-joined', 'peer-left', 'peer-resumed', 'protocol-error'].sort());
    assert.deepEqual(Object.keys(RelayedRequests), RELAYED_EVENTS);
  });

  it('adds from, seq and n to what the receiver gets, and seq to what the sender sends', () => {
    assert.equal(parse(ServerMessages.invite, { callId: 'c', media: 'video', from: 'p', seq: 2, n: 9 }).ok, true);
    assert.equal(parse(ServerMessages.invite, { callId: 'c', media: 'video' }).ok, false, 'no from');
    assert.deepEqual(parse(RelayedRequests.accept, { callId: 'c', media: 'audio', seq: 1, from: 'forged' }), {
      ok: true,
      value: { callId: 'c', media: 'audio', seq: 1 },
    });
  });
});
