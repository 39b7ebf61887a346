/**
 * `CallSession` as a whole: two (or three) sessions in one page, an in-memory signaling hub between them
 * (test/browser/fake-signaling.ts), real RTCPeerConnections with the fake camera and microphone, and a fake
 * clock per session for the session's own timers (ring, connect, the recovery ladder). WebRTC runs on real
 * time: where a case needs real connection progress, the clocks follow real time while it waits (`until`).
 */
import { expect } from '@open-wc/testing';
import { ErrorCode } from '../../src/protocol/protocol.js';
import type { CallState } from '../../src/core/call-machine.js';
import { CallSession, type CallErrorInfo, type CallSessionConfig, type CallSessionDeps } from '../../src/core/call-session.js';
import { LocalMediaHolder, MediaAccessError, openLocalMedia } from '../../src/core/local-media.js';
import type { RecoveryMethod } from '../../src/core/call-recovery.js';
import { FakeClock } from './fake-clock.js';
import { FakeRoomHub, type FakeLink } from './fake-signaling.js';

interface Side {
  name: string;
  session: CallSession;
  clock: FakeClock;
  /** Every state entered, as `state(reason)`. */
  states: string[];
  errors: CallErrorInfo[];
  attempts: Array<{ attempt: number; method: RecoveryMethod }>;
  localStreams: Array<MediaStream | null>;
  /** How many times the session reported who the peer is (once per join and peer change). */
  peerReports: number;
  readonly state: CallState;
  readonly reason: string | undefined;
  readonly link: FakeLink;
}

const ROOM = 'session-room';
const BASE: Omit<CallSessionConfig, 'displayName'> = {
  signalingUrl: 'https://signaling.invalid/',
  room: ROOM,
  media: 'video',
  autoAnswer: false,
  ringTimeoutMs: 30_000,
  connectTimeoutMs: 30_000,
  reconnectWindowMs: 30_000,
  preconnect: true,
  iceServers: [],
  iceTransportPolicy: 'all',
};

let hub: FakeRoomHub;
let sides: Side[] = [];

function side(name: string, config: Partial<CallSessionConfig> = {}, deps: CallSessionDeps = {}): Side {
  const clock = new FakeClock();
  const states: string[] = [];
  const errors: CallErrorInfo[] = [];
  const attempts: Side['attempts'] = [];
  const localStreams: Side['localStreams'] = [];
  const s: Side = {
    name,
    clock,
    states,
    errors,
    attempts,
    localStreams,
    peerReports: 0,
    session: null!,
    get state() {
      return this.session.machine.state;
    },
    get reason() {
      return this.session.machine.reason;
    },
    get link() {
      return hub.link(name);
    },
  };
  s.session = new CallSession(
    { ...BASE, displayName: name, ...config },
    {
      onError: (error) => errors.push(error),
      onLocalStream: (stream) => localStreams.push(stream),
      onRemoteStream: () => {},
      onPeer: () => void s.peerReports++,
      onReconnectAttempt: (attempt) => attempts.push(attempt),
    },
    undefined,
    { createSignaling: hub.connector(name), clock, ...deps },
  );
  s.session.machine.subscribe((t) => states.push(t.reason ? `${t.state}(${t.reason})` : t.state));
  sides.push(s);
  return s;
}

const realDelay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (bounded, in real time) until `condition` holds. `follow`: clocks that move on with real time
 * meanwhile, so the sessions' media polls see real packet counts grow.
 */
async function until(what: string, condition: () => boolean, { follow = [] as FakeClock[], timeoutMs = 15_000 } = {}): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = performance.now();
  while (!condition()) {
    if (performance.now() > deadline) {
      const went = sides.map((s) => `${s.name}: ${s.states.join(' → ')}${s.errors.length ? ` [${s.errors.map((e) => e.code).join(', ')}]` : ''}`);
      const connections = await Promise.all(sides.map((s) => describeConnection(s)));
      const relayed = hub.relayed.map((r) => `${r.sender}:${r.event}${r.lost ? '(lost)' : ''}`).join(' ');
      throw new Error(`timed out waiting for ${what}; ${went.join('; ')}; ${connections.join('; ')}; relayed: ${relayed}`);
    }
    await realDelay(10);
    const now = performance.now();
    for (const clock of follow) await clock.tick(Math.round(now - last));
    last = now;
  }
}

/** Where a side's connection got to, and what arrived on it: for a test that timed out. */
async function describeConnection(s: Side): Promise<string> {
  const pc = s.session.peerConnection;
  if (!pc) return `${s.name}: no connection`;
  const inbound: string[] = [];
  (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number; framesDecoded?: number }) => {
    if (r.type === 'inbound-rtp') inbound.push(`${r.kind} ${r.packetsReceived ?? 0} packets${r.kind === 'video' ? ` ${r.framesDecoded ?? 0} frames` : ''}`);
  });
  const directions = pc.getTransceivers().map((t) => `${t.receiver.track.kind}:${t.direction}/${t.currentDirection}`);
  return `${s.name}: ${pc.connectionState}/${pc.iceConnectionState}/${pc.signalingState}, ${directions.join(' ')}, in: ${inbound.join(', ') || 'nothing'}`;
}

const inState = (s: Side, state: CallState, reason?: string) => () => s.state === state && (reason === undefined || s.reason === reason);

/** Alice joins first (impolite), then Bob (polite): both `ready`. */
async function pair(configs: { alice?: Partial<CallSessionConfig>; bob?: Partial<CallSessionConfig> } = {}, deps: { alice?: CallSessionDeps; bob?: CallSessionDeps } = {}) {
  const alice = side('alice', configs.alice, deps.alice);
  const bob = side('bob', configs.bob, deps.bob);
  await alice.session.start();
  await until('alice waiting', inState(alice, 'waiting'));
  await bob.session.start();
  await until('both ready', () => alice.state === 'ready' && bob.state === 'ready');
  return { alice, bob };
}

/** Alice calls, Bob accepts, and both are `connected` with media flowing. */
async function connectedPair(...args: Parameters<typeof pair>) {
  const { alice, bob } = await pair(...args);
  void alice.session.call();
  await until('bob ringing', inState(bob, 'ringing'));
  void bob.session.accept();
  await until('both connected', () => alice.state === 'connected' && bob.state === 'connected', { follow: [alice.clock, bob.clock] });
  return { alice, bob };
}

beforeEach(() => {
  hub = new FakeRoomHub();
  sides = [];
});

afterEach(() => {
  for (const s of sides) s.session.stop();
});

/**
 * Firefox: now and then (about one run of this file in four) one of these tests finds the callee's connection
 * never applying the caller's offer (it stays `stable`, with no transceivers), while the fake relay delivers
 * within a task or two of the connection's creation. Never seen with the real server, in the browser suite's
 * calls or end to end, nor in a loop of bare connections; not understood yet, so these run in Chromium, where
 * they are steady, and the calls themselves are proven in Firefox by the real-stack suites.
 */
const inChromium = navigator.userAgent.includes('Firefox') ? describe.skip : describe;

inChromium('call session: placing a call', () => {
  it('connects over real peer connections: calling/ringing → connecting → connected on both sides', async () => {
    const { alice, bob } = await connectedPair();
    expect(hub.members(ROOM).map((m) => m.polite)).to.deep.equal([false, true]);
    expect(alice.states).to.deep.equal(['joining', 'waiting', 'ready', 'calling', 'connecting', 'connected']);
    expect(bob.states).to.deep.equal(['joining', 'ready', 'ringing', 'connecting', 'connected']);
    expect(alice.session.peerConnection!.connectionState).to.equal('connected');
    const [invite] = hub.sent('invite', 'alice');
    expect(hub.sent('accept', 'bob')).to.have.length(1);
    expect(hub.sent('accept', 'bob')[0].callId).to.equal(invite.callId);
    expect(alice.errors.concat(bob.errors).filter((e) => e.fatal)).to.deep.equal([]);
  });

  it('glare: both call in the same tick, the polite side drops its own call and accepts the other: one call', async () => {
    const { alice, bob } = await pair();
    void alice.session.call();
    void bob.session.call();
    await until('both connected', () => alice.state === 'connected' && bob.state === 'connected', { follow: [alice.clock, bob.clock] });
    const invites = hub.relayed.filter((r) => r.event === 'invite');
    expect(invites.map((r) => r.sender)).to.deep.equal(['alice', 'bob']);
    const aliceCall = invites[0].payload.callId;
    // Bob (polite) accepted Alice's call and called his own off (Alice, calling herself, drops that cancel);
    // nobody accepted Bob's call, and the one call was not ended.
    expect(hub.relayed.filter((r) => r.event === 'accept').map((r) => [r.sender, r.payload.callId])).to.deep.equal([['bob', aliceCall]]);
    const ended = hub.relayed.filter((r) => ['cancel', 'decline', 'hangup'].includes(r.event));
    expect(ended.map((r) => [r.event, r.sender, r.payload.callId, r.payload.reason])).to.deep.equal([['cancel', 'bob', invites[1].payload.callId, 'canceled']]);
    expect(alice.states.slice(2)).to.deep.equal(['ready', 'calling', 'connecting', 'connected']);
    expect(bob.states.slice(1)).to.deep.equal(['ready', 'calling', 'connecting', 'connected']);
  });

  it('glare with an audio-only polite side: the call it accepts instead of its own is audio-only too', async () => {
    const { alice, bob } = await pair({ bob: { media: 'audio' } });
    void alice.session.call();
    void bob.session.call();
    await until('both connected', () => alice.state === 'connected' && bob.state === 'connected', { follow: [alice.clock, bob.clock] });
    expect(hub.sent('invite').map((p) => p.media)).to.deep.equal(['video', 'audio']);
    // Bob's accept says what he takes part with, as it does outside glare: Alice stops offering video.
    expect(hub.sent('accept', 'bob').map((p) => p.media)).to.deep.equal(['audio']);
    const pc = bob.session.peerConnection!;
    await until('negotiation settled', () => pc.signalingState === 'stable' && alice.session.peerConnection!.signalingState === 'stable');
    // Bob neither receives nor decodes video.
    for (const t of pc.getTransceivers().filter((t) => t.receiver.track.kind === 'video')) expect(['inactive', 'stopped', null]).to.include(t.currentDirection);
  });
});

inChromium('call session: ring timeout', () => {
  it("ends the caller's call at ringTimeoutMs (no-answer); the callee hears cancel no-answer and has missed it", async () => {
    const { alice, bob } = await pair({ alice: { ringTimeoutMs: 20_000 }, bob: { ringTimeoutMs: 60_000 } });
    void alice.session.call();
    await until('bob ringing', inState(bob, 'ringing'));
    expect(hub.sent('invite', 'alice')[0].ringTimeout).to.equal(20_000);
    await alice.clock.tick(19_999);
    expect(alice.state).to.equal('calling');
    await alice.clock.tick(1);
    expect(alice.states.at(-1)).to.equal('ended(no-answer)');
    expect(hub.sent('cancel', 'alice').map((p) => p.reason)).to.deep.equal(['no-answer']);
    await until('bob ended', inState(bob, 'ended'));
    expect(bob.states.at(-1)).to.equal('ended(missed)');
  });

  it('a cancel that crosses the callee\'s accept still ends the call there (no 30 s in connecting)', async () => {
    const { alice, bob } = await pair({ alice: { ringTimeoutMs: 20_000 } });
    void alice.session.call();
    await until('bob ringing', inState(bob, 'ringing'));
    // Bob accepts as Alice's ring timeout passes: his accept is still on its way (here: never arrives) when
    // her cancel reaches him, already `connecting`.
    hub.lose = (r) => r.event === 'accept';
    void bob.session.accept();
    expect(bob.state).to.equal('connecting');
    await alice.clock.tick(20_000);
    await until('bob ended', inState(bob, 'ended'));
    expect(bob.states.at(-1)).to.equal('ended(missed)');
    expect(alice.states.at(-1)).to.equal('ended(no-answer)');
  });

  it("the callee's own bound: with the cancel lost, it stops at the invite's ringTimeout + 5 s and says decline no-answer", async () => {
    const { alice, bob } = await pair({ alice: { ringTimeoutMs: 20_000 }, bob: { ringTimeoutMs: 60_000 } });
    hub.lose = (r) => r.event === 'cancel';
    void alice.session.call();
    await until('bob ringing', inState(bob, 'ringing'));
    await alice.clock.tick(20_000);
    expect(alice.states.at(-1)).to.equal('ended(no-answer)');
    // Bob's bound comes from Alice's invite (20 s), not from his own ringTimeoutMs (60 s).
    await bob.clock.tick(24_999);
    expect(bob.state).to.equal('ringing');
    await bob.clock.tick(1);
    expect(bob.states.at(-1)).to.equal('ended(missed)');
    expect(hub.sent('decline', 'bob').map((p) => p.reason)).to.deep.equal(['no-answer']);
    // Alice's call is over already: the late decline changes nothing there.
    await until('the decline delivered', () => alice.link.got('decline').length === 1);
    expect(alice.states.at(-1)).to.equal('ended(no-answer)');
  });
});

inChromium('call session: connect timeout', () => {
  it('fails with ice-failed and diagnostics when no path is found, and tells the peer (hangup ice-failed)', async () => {
    // Every candidate is lost on the way, so the connections never connect: Chromium waits in `checking` for
    // good, Firefox gives up after its own 5 s (long after the fake clock below has run).
    hub.lose = (r) => r.event === 'candidate';
    const { alice, bob } = await pair({ alice: { connectTimeoutMs: 10_000 }, bob: { connectTimeoutMs: 60_000 } });
    void alice.session.call();
    await until('bob ringing', inState(bob, 'ringing'));
    void bob.session.accept();
    await until('both connecting', () => alice.state === 'connecting' && bob.state === 'connecting');
    await alice.clock.tick(9_999);
    expect(alice.state).to.equal('connecting');
    await alice.clock.tick(1);
    await until('alice failed', inState(alice, 'failed'));
    expect(alice.states.at(-1)).to.equal('failed(ice-failed)');
    const error = alice.errors.find((e) => e.fatal)!;
    expect(error.code).to.equal(ErrorCode.IceFailed);
    expect(error.message).to.contain('10 s');
    expect(error.diagnostics, 'diagnostics').to.include.keys('localCandidates', 'remoteCandidates', 'pairs', 'iceConnectionState', 'connectionState');
    // Alice had candidates of her own; none of Bob's ever reached her.
    expect(error.diagnostics!.remoteCandidates.host).to.equal(0);
    expect(hub.sent('hangup', 'alice').map((p) => p.reason)).to.deep.equal(['ice-failed']);
    // Bob's own timeout is far off: he fails because Alice told him.
    await until('bob failed', inState(bob, 'failed'));
    expect(bob.states.at(-1)).to.equal('failed(ice-failed)');
    expect(bob.errors.find((e) => e.fatal)!.code).to.equal(ErrorCode.IceFailed);
  });
});

inChromium('call session: the signaling link', () => {
  it('a call survives a dropped link that resumes: still connected, nothing rings again', async () => {
    const { alice, bob } = await connectedPair();
    const before = { alice: alice.states.length, bob: bob.states.length, relayed: hub.relayed.length };
    alice.link.drop();
    expect(alice.state).to.equal('connected');
    expect(alice.errors.at(-1)).to.include({ code: ErrorCode.SignalingLost, fatal: false });
    const reports = alice.peerReports;
    await alice.link.restore({ resumed: true });
    await until('alice rejoined', () => alice.peerReports > reports);
    await until('bob told alice resumed', () => bob.link.got('peer-resumed').length === 1);
    expect(alice.states.slice(before.alice)).to.deep.equal([]);
    expect(bob.states.slice(before.bob)).to.deep.equal([]);
    expect(hub.relayed.slice(before.relayed).filter((r) => r.event !== 'candidate')).to.deep.equal([]);
    expect(hub.sent('invite')).to.have.length(1);
  });

  it('a rejoin as a newcomer ends the call with reason signaling, not peer-left; the peer saw a leave and a join', async () => {
    const { alice, bob } = await connectedPair();
    alice.link.drop();
    await alice.link.restore({ resumed: false });
    await until('bob ready again', () => bob.states.at(-1) === 'ready' && bob.states.includes('waiting(peer-left)'));
    await until('alice ended', inState(alice, 'ended'));
    expect(alice.states.at(-1)).to.equal('ended(signaling)');
    expect(alice.states.some((s) => s.includes('peer-left'))).to.equal(false);
    expect(alice.session.peer).to.deep.include({ displayName: 'bob' });
    expect(hub.sent('invite')).to.have.length(1);
  });

  it('a rejoin as a newcomer to an empty room: waiting, reason signaling', async () => {
    const { alice, bob } = await connectedPair();
    alice.link.drop();
    // Bob leaves while Alice is away; what he said is lost with her place.
    bob.session.stop();
    await alice.link.restore({ resumed: false });
    await until('alice waiting', inState(alice, 'waiting'));
    expect(alice.states.slice(-2)).to.deep.equal(['ended(signaling)', 'waiting(signaling)']);
    expect(alice.states.some((s) => s.includes('peer-left'))).to.equal(false);
  });

  it('outside a call: joining (signaling) while the link is down, call() does nothing, ready once back', async () => {
    const { alice, bob } = await pair();
    alice.link.drop();
    expect(alice.states.at(-1)).to.equal('joining(signaling)');
    await alice.session.call();
    expect(alice.state).to.equal('joining');
    await alice.link.restore({ resumed: true });
    await until('alice ready', inState(alice, 'ready'));
    expect(hub.sent('invite')).to.deep.equal([]);
    expect(bob.states.at(-1)).to.equal('ready');
  });

  it('a call placed as the link drops: its queued invite is discarded at the ring timeout, the peer never rings', async () => {
    const { alice, bob } = await pair({ alice: { ringTimeoutMs: 15_000 } });
    // The link goes the moment the call is placed, before its invite is sent.
    const unsubscribe = alice.session.machine.subscribe((t) => t.state === 'calling' && alice.link.drop());
    void alice.session.call();
    unsubscribe();
    expect(alice.state).to.equal('calling');
    await alice.clock.tick(15_000);
    expect(alice.states.slice(-2)).to.deep.equal(['ended(no-answer)', 'joining(signaling)']);
    await alice.link.restore({ resumed: true });
    await until('alice ready', inState(alice, 'ready'));
    // Nothing of the call went out: no invite, no offer, no cancel for a call Bob never heard of.
    expect(hub.relayed).to.deep.equal([]);
    expect(bob.link.got('invite')).to.deep.equal([]);
    expect(bob.states.at(-1)).to.equal('ready');
  });
});

inChromium('call session: the peer leaves', () => {
  it('peer-left during a call: waiting, reason peer-left', async () => {
    const { alice, bob } = await connectedPair();
    bob.link.drop();
    hub.expire(bob.link);
    await until('alice waiting', inState(alice, 'waiting'));
    expect(alice.states.at(-1)).to.equal('waiting(peer-left)');
    expect(alice.session.peerConnection).to.equal(null);
  });
});

inChromium('call session: media', () => {
  it('a callee with media="audio" accepts with media audio; the caller sends no video', async () => {
    const { alice, bob } = await connectedPair({ bob: { media: 'audio' } });
    expect(hub.sent('accept', 'bob').map((p) => p.media)).to.deep.equal(['audio']);
    const pc = alice.session.peerConnection!;
    await until('negotiation settled', () => pc.signalingState === 'stable');
    const video = pc.getTransceivers().filter((t) => t.receiver.track.kind === 'video');
    for (const t of video) {
      expect(['inactive', 'stopped', null]).to.include(t.currentDirection);
      expect(t.sender.track).to.equal(null);
    }
    // Alice's camera is off too, and Bob never opened one.
    expect(alice.session.peerConnection!.getSenders().some((s) => s.track?.kind === 'video')).to.equal(false);
    const bobStream = bob.localStreams.find((s) => s)!;
    expect(bobStream.getVideoTracks()).to.have.length(0);
  });

  it("an audio-only accept that comes before the caller's camera opened: the camera stops once it opens", async () => {
    // Alice's camera takes its time (a slow device, a permission prompt): it opens only after Bob accepted.
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    const slowCamera: CallSessionDeps = { openMedia: (media) => held.then(() => openLocalMedia(media)) };
    const { alice, bob } = await pair({ bob: { media: 'audio', autoAnswer: true } }, { alice: slowCamera });
    void alice.session.call();
    await until('alice connecting', inState(alice, 'connecting'));
    expect(hub.sent('accept', 'bob').map((p) => p.media)).to.deep.equal(['audio']);
    open();
    await until('both connected', () => alice.state === 'connected' && bob.state === 'connected', { follow: [alice.clock, bob.clock] });
    const stream = alice.localStreams.at(-1)!;
    expect(stream.getVideoTracks(), 'camera tracks left running').to.have.length(0);
    expect(stream.getAudioTracks()).to.have.length(1);
  });

  it("a callee whose microphone fails while it rings fails at once (media); the caller ends with peer-media-failed", async () => {
    const denied = () => Promise.reject(new MediaAccessError(ErrorCode.PermissionDenied, 'Access to the microphone was blocked.'));
    const { alice, bob } = await pair({}, { bob: { openMedia: denied } });
    void alice.session.call();
    await until('bob failed', inState(bob, 'failed'));
    expect(bob.states.slice(-2)).to.deep.equal(['ringing', 'failed(media)']);
    expect(bob.errors.find((e) => e.fatal)!.code).to.equal(ErrorCode.PermissionDenied);
    expect(hub.sent('decline', 'bob').map((p) => p.reason)).to.deep.equal(['media-failed']);
    await until('alice ended', inState(alice, 'ended'));
    expect(alice.states.at(-1)).to.equal('ended(peer-media-failed)');
  });
});

describe('openLocalMedia', () => {
  const stream = () => new MediaStream();

  it('goes audio-only when the camera fails but the microphone opens, and says why', async () => {
    const asked: string[] = [];
    const media = await openLocalMedia('video', async (kind) => {
      asked.push(kind);
      if (kind === 'video') throw new MediaAccessError(ErrorCode.NoDevices, 'No camera and microphone was found.');
      return stream();
    });
    expect(asked).to.deep.equal(['video', 'audio']);
    expect(media.media).to.equal('audio');
    expect(media.cameraProblem).to.be.instanceOf(MediaAccessError);
    expect(media.cameraProblem!.code).to.equal(ErrorCode.NoDevices);
    expect(media.cameraProblem!.message).to.contain('audio only');
  });

  it('fails with the first error when the microphone fails too, and never retries an audio call', async () => {
    const first = new MediaAccessError(ErrorCode.DeviceInUse, 'camera busy');
    const failing = (kind: string) => Promise.reject(kind === 'video' ? first : new MediaAccessError(ErrorCode.NoDevices, 'no mic'));
    let error: unknown;
    await openLocalMedia('video', failing).catch((e) => (error = e));
    expect(error).to.equal(first);
    const asked: string[] = [];
    await openLocalMedia('audio', (kind) => (asked.push(kind), failing(kind))).catch(() => {});
    expect(asked).to.deep.equal(['audio']);
  });
});

inChromium('call session: recovery', () => {
  it('media stopping mid-call: reconnecting, an ICE restart first, connected again when media returns', async () => {
    const { alice, bob } = await connectedPair();
    // Bob stops sending: Alice's audio and video counters stop growing.
    const senders = bob.session.peerConnection!.getSenders();
    const tracks = senders.map((s) => s.track);
    await Promise.all(senders.map((s) => s.replaceTrack(null)));
    await until('alice reconnecting', inState(alice, 'reconnecting'), { follow: [alice.clock, bob.clock] });
    expect(alice.states.at(-1)).to.equal('reconnecting(network)');
    await until('a first attempt', () => alice.attempts.length > 0, { follow: [alice.clock, bob.clock] });
    expect(alice.attempts[0]).to.deep.equal({ attempt: 1, method: 'ice-restart' });
    await Promise.all(senders.map((s, i) => s.replaceTrack(tracks[i])));
    await until('alice connected', inState(alice, 'connected'), { follow: [alice.clock, bob.clock] });
    expect(bob.state).to.equal('connected');
  });

  it('gives up after reconnectWindowMs: failed(network), hangup network to the peer, which fails too; then peer-left → waiting', async () => {
    // Alice's statistics go blank on demand (every connection she makes), as if no media arrived.
    let blank = false;
    const blanking: CallSessionDeps = {
      createPeerConnection: (configuration) => {
        const pc = new RTCPeerConnection(configuration);
        const getStats = pc.getStats.bind(pc);
        pc.getStats = ((selector?: MediaStreamTrack | null) => (blank ? Promise.resolve(new Map()) : getStats(selector))) as typeof pc.getStats;
        return pc;
      },
    };
    const { alice, bob } = await connectedPair({ alice: { reconnectWindowMs: 20_000 } }, { alice: blanking });
    blank = true;
    // Noticed within 2 s (a 1.5 s stall, polled every 0.5 s); the first rung runs at once, up to 0.3 s jitter.
    await alice.clock.tick(2_500);
    expect(alice.states.at(-1)).to.equal('reconnecting(network)');
    expect(alice.attempts[0]).to.deep.equal({ attempt: 1, method: 'ice-restart' });
    await alice.clock.tick(20_000);
    expect(alice.states.at(-1)).to.equal('failed(network)');
    expect(alice.errors.find((e) => e.fatal)!.code).to.equal(ErrorCode.NetworkLost);
    expect(alice.attempts.map((a) => a.method)).to.include('rebuild');
    expect(hub.sent('hangup', 'alice').map((p) => p.reason)).to.deep.equal(['network']);
    await until('bob failed', inState(bob, 'failed'));
    expect(bob.states.at(-1)).to.equal('failed(network)');
    // Alice leaves: Bob, failed, is now alone.
    alice.session.stop();
    await until('bob waiting', inState(bob, 'waiting'));
    expect(bob.states.at(-1)).to.equal('waiting(peer-left)');
  });
});

inChromium('call session: the room', () => {
  it('a third participant gets room-full', async () => {
    await pair();
    const carol = side('carol');
    await carol.session.start();
    await until('carol failed', inState(carol, 'failed'));
    expect(carol.states.at(-1)).to.equal('failed(room-full)');
    expect(carol.errors.at(-1)!.code).to.equal(ErrorCode.RoomFull);
  });
});

/**
 * A device that goes away is simulated by the `ended` event the browser would fire (Firefox delivers no
 * dispatched `ended` to a track's listeners, and its fake devices cannot be unplugged).
 */
inChromium('call session: devices that stop mid-call', () => {
  /** A holder whose `getUserMedia` works until `fail` is set, then fails as an unplugged-and-gone device does. */
  function failingHolder() {
    const control = { fail: false, asked: [] as MediaStreamConstraints[] };
    const media = new LocalMediaHolder({
      capture: (constraints) => {
        control.asked.push(constraints);
        return control.fail ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError')) : navigator.mediaDevices.getUserMedia(constraints);
      },
    });
    return { control, media };
  }

  const senderTrack = (s: Side, kind: string) => s.session.peerConnection!.getSenders().find((x) => x.track?.kind === kind)?.track ?? null;

  it('a microphone that stops by itself is replaced by the default one, in the sender, and the call goes on', async () => {
    const { alice, bob } = await connectedPair();
    const microphone = senderTrack(alice, 'audio')!;
    // What the browser does when the device goes away (unplugged, revoked): the track ends by itself.
    microphone.dispatchEvent(new Event('ended'));
    await until('a new microphone in the sender', () => !!senderTrack(alice, 'audio') && senderTrack(alice, 'audio') !== microphone, { timeoutMs: 2000 });
    expect(microphone.readyState).to.equal('ended');
    expect(senderTrack(alice, 'audio')!.readyState).to.equal('live');
    expect([alice.state, bob.state]).to.deep.equal(['connected', 'connected']);
  });

  it('a microphone that stops with no other to open fails the call (media), and the peer reads peer-media-failed', async () => {
    const { control, media } = failingHolder();
    const { alice, bob } = await connectedPair({}, { alice: { media } });
    control.fail = true;
    senderTrack(alice, 'audio')!.dispatchEvent(new Event('ended'));
    await until('alice failed', inState(alice, 'failed'));
    expect(alice.states.at(-1)).to.equal('failed(media)');
    expect(alice.errors.find((e) => e.fatal)!.code).to.equal(ErrorCode.DeviceInUse);
    expect(hub.sent('hangup', 'alice').map((p) => p.reason)).to.deep.equal(['media-failed']);
    await until('bob ended', inState(bob, 'ended'));
    expect(bob.states.at(-1)).to.equal('ended(peer-media-failed)');
  });

  it('a camera that stops by itself is replaced by the default one; with none to open, the camera is off and the peer is told', async () => {
    const { control, media } = failingHolder();
    const { alice, bob } = await connectedPair({}, { alice: { media } });
    const camera = senderTrack(alice, 'video')!;
    camera.dispatchEvent(new Event('ended'));
    await until('a new camera in the sender', () => !!senderTrack(alice, 'video') && senderTrack(alice, 'video') !== camera, { timeoutMs: 2000 });
    control.fail = true;
    senderTrack(alice, 'video')!.dispatchEvent(new Event('ended'));
    await until('alice camera off', () => media.state.cameraOff && !senderTrack(alice, 'video'));
    await until('bob told', () => hub.sent('media-state', 'alice').some((p) => p.cameraOff));
    // No video expected from a camera that is off: the call stays connected on both sides, no reconnecting.
    await until('a while', () => false, { follow: [alice.clock, bob.clock], timeoutMs: 4000 }).catch(() => {});
    expect([alice.state, bob.state]).to.deep.equal(['connected', 'connected']);
    expect(bob.states).not.to.include('reconnecting(network)');
  });
});
