/**
 * engine.io-parser's `encodePacket` and `decodePacket` (Engine.IO protocol 4) for text packets only. In the
 * bundle they stand in for engine.io-parser's browser versions (build/stand-ins.ts), whose binary support
 * (Blob and ArrayBuffer messages, base64 over long-polling, with a FileReader and a base64 table) is 0.55 KB
 * gzip the widget never uses: Socket.IO sends binary frames only for binary attachments, and the widget's
 * packet parser (socket-io-text-parser.ts) makes none and refuses them.
 *
 * The wire format is engine.io-parser's, character for character: the packet type's digit, then the data.
 * A packet that is not text, or of no known type, decodes to engine.io-parser's error packet, on which
 * engine.io-client closes the transport as for any malformed packet.
 */

/** Engine.IO packet types, by their digit on the wire. */
const TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
type PacketType = (typeof TYPES)[number];

interface Packet {
  type: PacketType | 'error';
  data?: string;
}

/** engine.io-parser's `encodePacket(packet, supportsBinary, callback)`: the packet as one string. */
export const encodePacket = ({ type, data }: Packet, _supportsBinary: boolean, callback: (encoded: string) => void): void =>
  callback(TYPES.indexOf(type as PacketType) + (data || ''));

/** engine.io-parser's `decodePacket(encoded, binaryType)`, for text. */
export const decodePacket = (encoded: unknown): Packet => {
  const type = typeof encoded === 'string' && /^[0-6]/.test(encoded) ? TYPES[Number(encoded[0])] : undefined;
  if (!type) return { type: 'error', data: 'parser error' };
  return (encoded as string).length > 1 ? { type, data: (encoded as string).slice(1) } : { type };
};

/** Used only by WebTransport, which the bundle leaves out; here so engine.io-parser's index still links. */
export const encodePacketToBinary = (): never => {
  throw new Error('binary Engine.IO packets are not supported');
};
