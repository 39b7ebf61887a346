/**
 * `npm run token -- --room R --sub S [--name N] [--ttl 600]`: prints a room token signed with
 * ROOM_TOKEN_SECRET, for trying a server with room auth on. A site's backend signs its own (docs/DEPLOYMENT.md).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';
import { MAX_TOKEN_LIFETIME_SECONDS, signRoomToken } from '../server/room-auth.js';
import { RoomName, parse } from '../src/protocol/protocol.js';

const usage = 'usage: npm run token -- --room <room> --sub <participant> [--name <display name>] [--ttl <seconds, default 600>]';

function fail(message: string): never {
  console.error(`token: ${message}\n${usage}`);
  process.exit(2);
}

let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    options: { room: { type: 'string' }, sub: { type: 'string' }, name: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
const { room, sub, name, ttl = '600' } = values;
if (!room || !parse(RoomName, room).ok) fail('--room: 1-128 characters of A-Z a-z 0-9 . _ ~ : -');
if (!sub || sub.length > 256) fail('--sub: the participant, 1-256 characters');
if (name !== undefined && name.length > 64) fail('--name: at most 64 characters');
if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > MAX_TOKEN_LIFETIME_SECONDS) fail(`--ttl: 1 to ${MAX_TOKEN_LIFETIME_SECONDS} seconds`);

// The same reading of ROOM_TOKEN_SECRET as the server's, so a secret the server would refuse is refused here.
const loaded = loadConfig({ ROOM_TOKEN_SECRET: process.env.ROOM_TOKEN_SECRET });
const secret = loaded.ok ? loaded.config.roomAuth?.secret : null;
if (!secret) fail(loaded.ok ? 'set ROOM_TOKEN_SECRET (the same as the server\'s)' : loaded.errors.join('; '));
console.log(await signRoomToken(secret, { room, sub, name, ttlSeconds: Number(ttl) }));
