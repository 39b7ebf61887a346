/**
 * Perfect negotiation on real RTCPeerConnections in this page, with the signaling channel held in the
 * test's hands so that messages can be delayed, reordered or crossed on purpose.
 */
import { expect } from '@open-wc/testing';
import { Negotiator, type NegotiationSignal } from '../../src/core/negotiator.js';

interface Side {
  name: string;
  negotiator: Negotiator;
  pc: RTCPeerConnection | null;
  outbox: NegotiationSignal[];
  errors: Error[];
}

function side(name: string, options: { polite: boolean; initiator: boolean }): Side {
  const s: Side = { name, pc: null, outbox: [], errors: [], negotiator: null! };
  s.negotiator = new Negotiator({
    ...options,
    send: (signal) => s.outbox.push(signal),
    onError: (error) => s.errors.push(error),
  });
  return s;
}

async function attachWithMedia(s: Side): Promise<RTCPeerConnection> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  s.pc = pc;
  s.negotiator.attach(pc);
  return pc;
}

/** Delivers everything either side has sent so far, in order, until both are quiet. */
function pump(a: Side, b: Side): () => void {
  const timer = setInterval(() => {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const signal of from.outbox.splice(0)) void to.negotiator.handle(signal);
    }
  }, 10);
  return () => clearInterval(timer);
}

const until = async (what: string, check: () => boolean, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const connected = (pc: RTCPeerConnection | null) => pc?.connectionState === 'connected';

async function remoteCandidateTypes(pc: RTCPeerConnection): Promise<string[]> {
  const types: string[] = [];
  (await pc.getStats()).forEach((r) => r.type === 'remote-candidate' && types.push(r.candidateType));
  return types;
}

function close(...sides: Side[]) {
  for (const s of sides) {
    s.negotiator.close();
    s.pc?.getSenders().forEach((sender) => sender.track?.stop());
    s.pc?.close();
  }
}

describe('perfect negotiation', () => {
  it('holds candidates that arrive before the connection exists and before the offer, and applies them', async () => {
    const caller = side('caller', { polite: false, initiator: true });
    const callee = side('callee', { polite: true, initiator: false });
    const callerPc = await attachWithMedia(caller);
    await until('the caller to finish gathering', () => callerPc.iceGatheringState === 'complete');
    // Reverse what the caller sent: every candidate first, the offer last.
    const sent = caller.outbox.splice(0);
    const candidates = sent.filter((s) => 'candidate' in s);
    const offer = sent.find((s) => 'description' in s)!;
    expect(candidates.length).to.be.greaterThan(0);
    for (const c of candidates) void callee.negotiator.handle(c);
    void callee.negotiator.handle(offer);
    // Only now does the callee have a connection.
    await attachWithMedia(callee);
    const stop = pump(caller, callee);
    try {
      await until('both sides to connect', () => connected(caller.pc) && connected(callee.pc));
      // The held candidates go in one by one after the answer, and the first pair may connect before the last
      // is in: all of them, soon.
      await until('the held candidates to be applied', () => callee.negotiator.heldCandidates === 0);
      // Candidates the callee learned from signaling are "host"; had they been dropped, it would know the
      // caller only as a peer-reflexive address discovered from incoming checks.
      expect(await remoteCandidateTypes(callee.pc!)).to.include('host');
      expect([...caller.errors, ...callee.errors]).to.deep.equal([]);
    } finally {
      stop();
      close(caller, callee);
    }
  });

  it('resolves offers that cross (both sides negotiate at once) into one working session', async () => {
    const impolite = side('impolite', { polite: false, initiator: true });
    const polite = side('polite', { polite: true, initiator: true });
    await Promise.all([attachWithMedia(impolite), attachWithMedia(polite)]);
    // Both have sent an offer before either is delivered.
    await until('both offers', () => [impolite, polite].every((s) => s.outbox.some((m) => 'description' in m)));
    const stop = pump(impolite, polite);
    try {
      await until('both sides to connect', () => connected(impolite.pc) && connected(polite.pc));
      for (const s of [impolite, polite]) {
        const kinds = s.pc!.getReceivers().filter((r) => r.track.readyState === 'live').map((r) => r.track.kind).sort();
        expect(kinds, s.name).to.deep.equal(['audio', 'video']);
        const directions = s.pc!.getTransceivers().map((t) => t.currentDirection);
        expect(directions, s.name).to.deep.equal(['sendrecv', 'sendrecv']);
      }
      expect([...impolite.errors, ...polite.errors]).to.deep.equal([]);
    } finally {
      stop();
      close(impolite, polite);
    }
  });

  it('renegotiates an ICE restart from either side after the call is up', async () => {
    const a = side('a', { polite: false, initiator: true });
    const b = side('b', { polite: true, initiator: false });
    await Promise.all([attachWithMedia(a), attachWithMedia(b)]);
    const stop = pump(a, b);
    try {
      await until('connected', () => connected(a.pc) && connected(b.pc));
      for (const s of [b, a]) {
        const ufrag = () => a.pc!.remoteDescription!.sdp.match(/a=ice-ufrag:(\S+)/)![1] + b.pc!.remoteDescription!.sdp.match(/a=ice-ufrag:(\S+)/)![1];
        const before = ufrag();
        s.pc!.restartIce();
        await until(`${s.name}'s restart to complete`, () => ufrag() !== before && a.pc!.signalingState === 'stable' && b.pc!.signalingState === 'stable');
        await until('connected again', () => connected(a.pc) && connected(b.pc));
      }
      expect([...a.errors, ...b.errors]).to.deep.equal([]);
    } finally {
      stop();
      close(a, b);
    }
  });
});
