/** The recovery ladder against a stand-in connection whose received bytes the test controls. */
import { expect } from '@open-wc/testing';
import { CallRecovery, type RecoveryMethod } from '../../src/core/call-recovery.js';

function fakeConnection() {
  const fake = {
    bytes: 0,
    flowing: true,
    connectionState: 'connected' as RTCPeerConnectionState,
    signalingState: 'stable' as RTCSignalingState,
    async getStats() {
      if (fake.flowing) fake.bytes += 1000;
      return new Map([['T', { type: 'transport', bytesReceived: fake.bytes }]]);
    },
  };
  return fake;
}

function recovery(windowMs = 1500) {
  const pc = fakeConnection();
  const events: string[] = [];
  const r = new CallRecovery(
    {
      peerConnection: () => pc as unknown as RTCPeerConnection,
      onTrouble: () => events.push('trouble'),
      onRecovered: () => events.push('recovered'),
      attempt: (method: RecoveryMethod, n: number) => events.push(`${method}#${n}`),
      onGiveUp: () => events.push('give-up'),
    },
    { windowMs, pollMs: 50, stallMs: 200, random: () => 0 },
  );
  return { pc, events, r };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('call recovery', () => {
  it('stays quiet while bytes arrive', async () => {
    const { events, r } = recovery();
    r.start();
    await sleep(500);
    r.stop();
    expect(events).to.deep.equal([]);
  });

  it('notices a stall, restarts ICE at once, and recovers when bytes flow again', async () => {
    const { pc, events, r } = recovery();
    r.start();
    await sleep(150);
    pc.flowing = false;
    await sleep(400);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1']);
    pc.flowing = true;
    await sleep(200);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1', 'recovered']);
    expect(r.recovering).to.equal(false);
    r.stop();
  });

  it('counts media, not connectivity checks: recovers only when RTP arrives again', async () => {
    let rtp = 0;
    let transport = 0;
    let media = true;
    const pc = {
      connectionState: 'connected' as RTCPeerConnectionState,
      signalingState: 'stable' as RTCSignalingState,
      async getStats() {
        // STUN checks keep the transport's count rising all along; RTP stops while `media` is off.
        transport += 100;
        if (media) rtp += 1000;
        return new Map<string, object>([
          ['T', { type: 'transport', bytesReceived: transport + rtp }],
          ['V', { type: 'inbound-rtp', kind: 'video', bytesReceived: rtp }],
        ]);
      },
    };
    const events: string[] = [];
    const r = new CallRecovery(
      {
        peerConnection: () => pc as unknown as RTCPeerConnection,
        onTrouble: () => events.push('trouble'),
        onRecovered: () => events.push('recovered'),
        attempt: (method: RecoveryMethod, n: number) => events.push(`${method}#${n}`),
        onGiveUp: () => events.push('give-up'),
      },
      { windowMs: 5000, pollMs: 50, stallMs: 200, random: () => 0 },
    );
    r.start();
    await sleep(150);
    media = false;
    await sleep(500);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1']);
    media = true;
    await sleep(200);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1', 'recovered']);
    r.stop();
  });

  it('gives up when the window closes', async () => {
    const { pc, events, r } = recovery(600);
    r.start();
    pc.flowing = false;
    await sleep(1200);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1', 'give-up']);
  });

  it('treats connectionState failed as trouble without waiting for a stall', async () => {
    const { events, r } = recovery();
    r.start();
    r.connectionStateChanged('failed');
    await sleep(30);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1']);
    r.stop();
  });

  it('restarts ICE at once on a network change, even mid-recovery', async () => {
    const { pc, events, r } = recovery(5000);
    r.start();
    r.networkChanged('change');
    await sleep(30);
    pc.flowing = false;
    r.networkChanged('online');
    await sleep(30);
    expect(events).to.deep.equal(['trouble', 'ice-restart#1', 'ice-restart#2']);
    r.stop();
  });

  it('does nothing after stop', async () => {
    const { pc, events, r } = recovery();
    r.start();
    r.stop();
    pc.flowing = false;
    await sleep(400);
    expect(events).to.deep.equal([]);
  });
});
