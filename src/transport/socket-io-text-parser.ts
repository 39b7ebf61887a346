/**
 * Socket.IO's packet encoding (socket.io-parser, protocol 5) for text packets only: what the widget needs,
 * since every message of the protocol is JSON. The wire format is socket.io-parser's own, byte for byte, so
 * the reference server and any other Socket.IO server keep their default parser:
 *
 *     <type>[<namespace>,][<ack id>][<JSON data>]      e.g. `2["invite",{"callId":"c1"}]`, `315[{"ok":true}]`
 *
 * socket.io-parser also splits binary payloads (ArrayBuffer, Blob) into attachments; that part is 1.2 KB gzip
 * of the bundle the widget never uses. Decoding checks what socket.io-parser checks (packet type, ack id,
 * payload shape, no reserved event names) and throws on anything else, which makes socket.io-client drop
 * the connection as a parse error, as it would with the default parser. A binary packet is such an error.
 *
 * socket.io-client takes it as its `parser` option (src/core/signaling-client.ts), and the build points its
 * own `socket.io-parser` import here (build/stand-ins.ts) so the default parser is not bundled.
 */
import { Emitter } from '@socket.io/component-emitter';

/** socket.io-parser's `protocol`: the Socket.IO protocol revision these packets belong to. */
export const protocol = 5;

/** socket.io-parser's `PacketType`; the binary types are never sent by this encoder and refused by this decoder. */
export const PacketType = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4, BINARY_EVENT: 5, BINARY_ACK: 6 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export interface Packet {
  type: PacketType;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** Event names socket.io-parser refuses to decode: they have a meaning of their own on one side or the other. */
const RESERVED_EVENTS = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

const isObject = (value: unknown): boolean => Object.prototype.toString.call(value) === '[object Object]';

export class Encoder {
  /** One string per packet: `JSON.stringify` turns binary values into `{}`, so the protocol sends none. */
  encode(packet: Packet): string[] {
    let text = `${packet.type}`;
    if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
    if (packet.id != null) text += packet.id;
    if (packet.data != null) text += JSON.stringify(packet.data);
    return [text];
  }
}

/** `type`, then a namespace (from `/` to a comma or the end), then an ack id, then the JSON data. */
const PACKET = /^([0-4])(?:(\/[^,]*),?)?(\d*)([^]*)$/;

export class Decoder extends Emitter<Record<never, never>, Record<never, never>, { decoded: (packet: Packet) => void }> {
  add(encoded: unknown): void {
    const match = typeof encoded === 'string' ? PACKET.exec(encoded) : null;
    if (!match) throw new Error(typeof encoded === 'string' ? `unsupported packet type ${encoded.charAt(0)}` : 'binary packets are not supported');
    const packet: Packet = { type: Number(match[1]) as PacketType, nsp: match[2] ?? '/' };
    if (match[3]) packet.id = Number(match[3]);
    if (match[4]) {
      let data: unknown;
      try {
        data = JSON.parse(match[4]);
      } catch {
        throw new Error('invalid payload');
      }
      if (!isPayloadValid(packet.type, data)) throw new Error('invalid payload');
      packet.data = data;
    }
    this.emitReserved('decoded', packet);
  }

  destroy(): void {}
}

/** socket.io-parser's `Decoder.isPayloadValid`, for the text packet types. */
function isPayloadValid(type: PacketType, data: unknown): boolean {
  switch (type) {
    case PacketType.CONNECT:
      return isObject(data);
    case PacketType.CONNECT_ERROR:
      return typeof data === 'string' || isObject(data);
    case PacketType.EVENT:
      return Array.isArray(data) && (typeof data[0] === 'number' || (typeof data[0] === 'string' && !RESERVED_EVENTS.includes(data[0])));
    case PacketType.ACK:
      return Array.isArray(data);
    default:
      // DISCONNECT carries no data.
      return false;
  }
}
