/**
 * The widget's packet parser speaks socket.io-parser's wire format: every packet one encodes, the other
 * decodes to the same thing, both ways; and it refuses what socket.io-parser refuses. (The end-to-end tests
 * run it, inside the bundle, against the real server on top of this.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as reference from 'socket.io-parser';
import { Decoder, Encoder, PacketType, protocol, type Packet } from '../../src/transport/socket-io-text-parser.js';

/** Packets as Socket.IO sends them in this protocol: handshake, events with and without ack, acks, errors. */
const PACKETS: Packet[] = [
  { type: PacketType.CONNECT, nsp: '/' },
  { type: PacketType.CONNECT, nsp: '/', data: { token: 'secret' } },
  { type: PacketType.CONNECT, nsp: '/', data: { sid: 'abc', pid: 'def' } },
  { type: PacketType.CONNECT, nsp: '/admin', data: { sid: 'abc' } },
  { type: PacketType.DISCONNECT, nsp: '/' },
  { type: PacketType.DISCONNECT, nsp: '/admin' },
  { type: PacketType.EVENT, nsp: '/', data: ['peer-left', { peerId: 'p1', reason: 'left', n: 3 }] },
  { type: PacketType.EVENT, nsp: '/', id: 0, data: ['join', { v: 1, room: 'a-room', displayName: 'Dr. "Ada", 5,6' }] },
  { type: PacketType.EVENT, nsp: '/', id: 1234, data: ['description', { callId: 'c1', description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } }] },
  { type: PacketType.EVENT, nsp: '/admin', id: 7, data: ['candidate', { candidate: { candidate: '', sdpMid: null } }] },
  { type: PacketType.EVENT, nsp: '/', data: [42, 'numeric event name'] },
  { type: PacketType.EVENT, nsp: '/', data: ['unicode ✓ 🎥 \u2028', null, [1, [2]]] },
  { type: PacketType.ACK, nsp: '/', id: 0, data: [{ ok: true }] },
  { type: PacketType.ACK, nsp: '/', id: 99, data: [{ ok: false, error: { code: 'room-full', message: 'This room already has two participants.' } }] },
  { type: PacketType.ACK, nsp: '/', id: 5, data: [] },
  { type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'origin-not-allowed: http://x may not use this server' } },
  { type: PacketType.CONNECT_ERROR, nsp: '/', data: 'Invalid namespace' },
];

function decodeWith(decoder: { add(data: unknown): void; on(event: 'decoded', fn: (packet: Packet) => void): unknown }, encoded: unknown): Packet {
  let decoded: Packet | undefined;
  decoder.on('decoded', (packet) => (decoded = packet));
  decoder.add(encoded);
  assert.ok(decoded, 'nothing decoded');
  return decoded;
}

describe('socket-io-text-parser', () => {
  it('is the same protocol revision as socket.io-parser', () => {
    assert.equal(protocol, reference.protocol);
    for (const [name, value] of Object.entries(PacketType)) assert.equal(value, reference.PacketType[name as keyof typeof reference.PacketType], name);
  });

  it('encodes every packet exactly as socket.io-parser does', () => {
    for (const packet of PACKETS) assert.deepEqual(new Encoder().encode(packet), new reference.Encoder().encode(packet), JSON.stringify(packet));
  });

  it('decodes what socket.io-parser encodes, and socket.io-parser decodes what it encodes', () => {
    for (const packet of PACKETS) {
      const [theirs] = new reference.Encoder().encode(packet);
      assert.deepEqual(decodeWith(new Decoder(), theirs), decodeWith(new reference.Decoder() as never, theirs), theirs);
      const [ours] = new Encoder().encode(packet);
      assert.deepEqual(decodeWith(new reference.Decoder() as never, ours), packet, ours);
    }
  });

  it('refuses what socket.io-parser refuses: unknown types, bad JSON, bad payload shapes, reserved event names', () => {
    const invalid = [
      '7', 'x', '2{"a":1}', '2[]', '2[{}]', '2[null]', '2["disconnect"]', '2["connect_error",{}]', '2["newListener"]',
      '3{"ok":true}', '0[]', '0"text"', '1{}', '4[]', '2["event",', '2/admin,["disconnecting"]',
    ];
    for (const text of invalid) {
      assert.throws(() => new reference.Decoder().add(text), `socket.io-parser accepts ${JSON.stringify(text)}`);
      assert.throws(() => new Decoder().add(text), `accepts ${JSON.stringify(text)}`);
    }
    // Stricter on one malformed packet no server sends: socket.io-parser reads an empty one as a CONNECT.
    assert.throws(() => new Decoder().add(''), /unsupported packet type/);
  });

  it('refuses binary packets: the protocol has none', () => {
    const [header] = new reference.Encoder().encode({ type: PacketType.EVENT, nsp: '/', data: ['blob', new Uint8Array([1, 2])] });
    assert.match(header, /^51-/);
    assert.throws(() => new Decoder().add(header), /unsupported packet type 5/);
    assert.throws(() => new Decoder().add(new Uint8Array([1, 2])), /binary packets are not supported/);
  });
});
