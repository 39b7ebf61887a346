/**
 * The widget's bundle validates with src/protocol/valibot-subset.ts where the server uses valibot (build/stand-ins.ts
 * swaps the module). Both must say the same of every message: protocol.ts is bundled twice, once with each, and
 * every schema it exports gets the same inputs through `parse()`: a valid example, that example with each
 * field (at every depth) missing, replaced by each of a set of hostile values, or joined by an unknown key, and
 * hostile values in place of the whole. The two `parse()` results must be equal: success, output (unknown keys
 * stripped) and the first issue's message and path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

type Parse = (schema: unknown, input: unknown) => unknown;
type Protocol = Record<string, unknown> & { parse: Parse };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SUBSET = join(ROOT, 'src/protocol/valibot-subset.ts');

/** protocol.ts as one ES module, with valibot or with the subset in its place. */
async function bundle(dir: string, withSubset: boolean): Promise<Protocol> {
  const result = await build({
    entryPoints: [join(ROOT, 'src/protocol/protocol.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    alias: withSubset ? { valibot: SUBSET } : {},
    mainFields: ['module', 'main'],
  });
  const file = join(dir, withSubset ? 'subset.mjs' : 'valibot.mjs');
  writeFileSync(file, result.outputFiles![0]!.text);
  return (await import(pathToFileURL(file).href)) as Protocol;
}

const token = 'a'.repeat(40);
const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' };
const description = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const turn = { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], username: '1700000000:u', credential: 'secret' };

/** A valid example of each relayed message's payload (as its sender sends it, without `seq` or `from`). */
const RELAYED: Record<string, Record<string, unknown>> = {
  invite: { callId: 'c1', media: 'video', ringTimeout: 30_000 },
  accept: { callId: 'c1', media: 'audio' },
  decline: { callId: 'c1', reason: 'busy' },
  cancel: { callId: 'c1', reason: 'no-answer' },
  hangup: { callId: 'c1', reason: 'ice-failed' },
  'media-state': { callId: 'c1', muted: true, cameraOff: false },
  quality: { callId: 'c1', level: 3, mos: 3.71, audio: 3.71, video: null, reasons: ['loss'], limitation: 'bandwidth', pixels: 640 * 360, fps: 24 },
  description: { callId: 'c1', generation: 2, description },
  candidate: { callId: 'c1', generation: 0, candidate },
};

/** A valid example for each exported schema, by export name. */
const EXAMPLES: Record<string, unknown> = {
  RoomName: 'team.standup~2026:room-1',
  ParticipantId: 'p_1-x',
  CallId: 'call-1',
  DisplayName: 'Ada Lovelace',
  RingTimeout: 45_000,
  MediaKind: 'video',
  SessionDescription: description,
  IceCandidate: candidate,
  Generation: 3,
  ResumeToken: token,
  LeaveBeacon: token,
  JoinRequest: { v: 1, room: 'room-1', displayName: 'Ada', resume: token, peerId: 'p1', received: 4 },
  JoinResult: { id: 'p1', peer: { id: 'p2', displayName: 'Bo' }, polite: true, resumeToken: token, resumed: false },
  LeaveRequest: {},
  PeerJoined: { peer: { id: 'p2', displayName: 'Bo' }, resumeToken: token },
  PeerLeft: { peerId: 'p2', reason: 'disconnected' },
  PeerResumed: { peerId: 'p2', replaced: true },
  ProtocolErrorEvent: { code: 'rate-limited', message: 'Slow down.', event: 'candidate' },
  DeliveryNumber: 12,
  IceServer: turn,
  IceServerList: [{ urls: 'stun:stun.example.com:3478' }, turn],
  IceServersResponse: { iceServers: [{ urls: 'stun:stun.example.com' }, turn], ttl: 3600 },
};

/** What a stranger's client or a broken server might send in place of any value. */
const HOSTILE: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  1e300,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  'x'.repeat(70_000),
  'turn:relay.example.com',
  'stun:a b',
  true,
  false,
  [],
  ['stun:stun.example.com'],
  [5],
  ['turn:x', 'http://x'],
  {},
  { nested: { deep: 1 } },
  Object.create(null),
  new Date(0),
  Symbol('s'),
  () => 1,
  10n,
];

/** The example, then each field of it at every depth removed, replaced by each hostile value, or an unknown key added. */
function* variants(example: unknown): Generator<unknown> {
  yield example;
  yield* HOSTILE;
  if (!example || typeof example !== 'object') return;
  if (Array.isArray(example)) {
    yield [...example, ...example];
    for (let i = 0; i < example.length; i++) for (const value of variants(example[i])) yield example.map((item, j) => (i === j ? value : item));
    return;
  }
  const record = example as Record<string, unknown>;
  yield { ...record, unknown: 'dropped', __proto__: { inherited: 1 } };
  for (const key of Object.keys(record)) {
    const { [key]: _removed, ...without } = record;
    yield without;
    yield { ...without, [key]: undefined };
    for (const value of variants(record[key])) yield { ...record, [key]: value };
  }
}

/** Inputs as text for a failure message (symbols, bigints and huge strings included). */
const show = (input: unknown) => {
  const text = String(JSON.stringify(input, (_key, value: unknown) => (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' ? String(value) : value)));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

describe('valibot-subset', () => {
  let dir: string;
  let reference: Protocol;
  let subset: Protocol;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'valibot-subset-'));
    [reference, subset] = await Promise.all([bundle(dir, false), bundle(dir, true)]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Compares the two on every variant of `example` for the schema at `path` (an export, maybe an entry of a map). */
  function compare(path: string[], example: unknown): number {
    const pick = (protocol: Protocol) => path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], protocol);
    const [theirs, ours] = [pick(reference), pick(subset)];
    assert.ok(theirs && ours, `${path.join('.')} is exported by both`);
    let count = 0;
    for (const input of variants(example)) {
      assert.deepEqual(subset.parse(ours, input), reference.parse(theirs, input), `${path.join('.')} of ${show(input)}`);
      count++;
    }
    return count;
  }

  it('accepts the valid examples, as valibot does', () => {
    for (const [name, example] of Object.entries(EXAMPLES)) assert.deepEqual(subset.parse(subset[name], example), { ok: true, value: example }, name);
  });

  it('says the same as valibot of every schema the protocol exports, on valid, mutated and hostile inputs', () => {
    let count = 0;
    for (const [name, example] of Object.entries(EXAMPLES)) count += compare([name], example);
    for (const [event, payload] of Object.entries(RELAYED)) {
      count += compare(['RelayedMessages', event], payload);
      count += compare(['RelayedRequests', event], { ...payload, seq: 7 });
      count += compare(['ServerMessages', event], { ...payload, from: 'p2', seq: 7, n: 9 });
    }
    for (const event of ['peer-joined', 'peer-left', 'peer-resumed'] as const) {
      const name = { 'peer-joined': 'PeerJoined', 'peer-left': 'PeerLeft', 'peer-resumed': 'PeerResumed' }[event];
      count += compare(['ServerMessages', event], { ...(EXAMPLES[name] as object), n: 3 });
    }
    count += compare(['ServerMessages', 'protocol-error'], EXAMPLES.ProtocolErrorEvent);
    assert.ok(count > 5000, `only ${count} inputs compared`);
  });

  it('covers every schema protocol.ts exports', () => {
    const schemas = (protocol: Protocol) =>
      Object.entries(protocol)
        .filter(([, value]) => value && typeof value === 'object' && ('~run' in value || 'run' in value))
        .map(([name]) => name)
        .sort();
    assert.deepEqual(schemas(subset), schemas(reference));
    assert.deepEqual(schemas(reference), Object.keys(EXAMPLES).sort());
    assert.deepEqual(Object.keys(subset.ServerMessages as object).sort(), [...Object.keys(RELAYED), 'peer-joined', 'peer-left', 'peer-resumed', 'protocol-error'].sort());
  });
});
