/**
 * The bundle's Engine.IO packet codec writes and reads text packets exactly as engine.io-parser does, and
 * turns what it does not handle into engine.io-parser's error packet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as reference from 'engine.io-parser';
import { decodePacket, encodePacket, encodePacketToBinary } from '../../src/transport/engine-io-text-packets.js';

type Packet = Parameters<typeof reference.encodePacket>[0];

const PACKETS: Packet[] = [
  { type: 'open', data: '{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' },
  { type: 'close' },
  { type: 'ping' },
  { type: 'ping', data: 'probe' },
  { type: 'pong', data: 'probe' },
  { type: 'message', data: '2["invite",{"callId":"c1","media":"video"}]' },
  { type: 'message', data: '0' },
  { type: 'message', data: 'unicode ✓ 🎥 \u001e' },
  { type: 'upgrade' },
  { type: 'noop' },
];

const encodeWith = (encode: typeof reference.encodePacket, packet: Packet, supportsBinary: boolean) => {
  let encoded: unknown;
  encode(packet, supportsBinary, (value) => (encoded = value));
  return encoded;
};

describe('engine-io-text-packets', () => {
  it('encodes every text packet as engine.io-parser does, over WebSocket and long-polling alike', () => {
    for (const packet of PACKETS) {
      for (const supportsBinary of [true, false]) {
        assert.equal(encodeWith(encodePacket as never, packet, supportsBinary), encodeWith(reference.encodePacket, packet, supportsBinary));
      }
    }
  });

  it('decodes what engine.io-parser encodes to what engine.io-parser decodes', () => {
    for (const packet of PACKETS) {
      const encoded = encodeWith(reference.encodePacket, packet, true) as string;
      assert.deepEqual(decodePacket(encoded), reference.decodePacket(encoded, 'arraybuffer'));
      assert.deepEqual(decodePacket(encoded), packet);
    }
  });

  it('decodes unknown types and binary to the error packet', () => {
    for (const encoded of ['', '7', 'x', '9data']) {
      assert.deepEqual(decodePacket(encoded), reference.decodePacket(encoded, 'arraybuffer'), JSON.stringify(encoded));
    }
    // engine.io-parser reads these as binary messages; the widget has no use for them.
    for (const encoded of ['bAQI=', new Uint8Array([1, 2]).buffer]) assert.deepEqual(decodePacket(encoded), { type: 'error', data: 'parser error' });
    assert.throws(() => encodePacketToBinary(), /not supported/);
  });
});
