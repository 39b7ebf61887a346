import { expect } from '@open-wc/testing';
import { CALL_STATES, CallMachine, type CallInput, type CallTransition } from '../../src/core/call-machine.js';

function machineAt(...inputs: CallInput[]) {
  const machine = new CallMachine();
  for (const input of inputs) expect(machine.send(input), `${input} from ${machine.state}`).to.equal(true);
  return machine;
}

describe('call state machine', () => {
  it('walks a whole call: join, wait, peer, call, connect, end', () => {
    const machine = new CallMachine();
    const seen: CallTransition[] = [];
    machine.subscribe((t) => seen.push(t));
    for (const input of ['join', 'joined-alone', 'peer-joined', 'call', 'accepted', 'media-connected'] as CallInput[]) {
      machine.send(input);
    }
    machine.send('end', 'hangup');
    expect(seen.map((t) => t.state)).to.deep.equal(['joining', 'waiting', 'ready', 'calling', 'connecting', 'connected', 'ended']);
    expect(seen.at(-1)).to.deep.equal({ state: 'ended', previous: 'connected', input: 'end', reason: 'hangup' });
    expect(machine.reason).to.equal('hangup');
  });

  it('ignores inputs a state does not accept, without notifying', () => {
    const machine = machineAt('join', 'joined-alone');
    let notified = 0;
    machine.subscribe(() => (notified += 1));
    expect(machine.send('call')).to.equal(false); // nobody to call while waiting
    expect(machine.send('accept')).to.equal(false);
    expect(machine.send('media-connected')).to.equal(false);
    expect(machine.state).to.equal('waiting');
    expect(notified).to.equal(0);
  });

  it('a call whose peer left, in any phase, is over with nobody to call: waiting, reason peer-left', () => {
    for (const path of [['call'], ['invited'], ['call', 'accepted'], ['call', 'accepted', 'media-connected'], ['call', 'accepted', 'media-connected', 'media-lost']] as CallInput[][]) {
      const machine = machineAt('join', 'joined-with-peer', ...path);
      machine.send('peer-left', 'peer-left');
      expect([machine.state, machine.reason]).to.deep.equal(['waiting', 'peer-left']);
    }
  });

  it('after a failed call, the peer leaving or coming back is still told (failed is not a dead end)', () => {
    const left = machineAt('join', 'joined-with-peer', 'call', 'accepted', 'media-connected', 'media-lost');
    left.send('fail', 'network');
    expect(left.send('peer-left', 'peer-left')).to.equal(true);
    expect([left.state, left.reason]).to.deep.equal(['waiting', 'peer-left']);
    const back = machineAt('join', 'joined-with-peer', 'call', 'accepted', 'media-connected', 'media-lost');
    back.send('fail', 'network');
    expect(back.send('peer-joined')).to.equal(true);
    expect(back.state).to.equal('ready');
    // Nor is the peer told `busy` when it calls again after a failed call.
    const again = machineAt('join', 'joined-with-peer', 'call', 'accepted', 'media-connected', 'media-lost');
    again.send('fail', 'network');
    expect(again.can('invited')).to.equal(true);
    expect(again.can('call')).to.equal(true);
  });

  it('offers no call while the signaling link is down: back to joining, reason signaling; a call in progress goes on', () => {
    for (const path of [[], ['peer-left'], ['call', 'end']] as CallInput[][]) {
      const machine = machineAt('join', 'joined-with-peer', ...path);
      expect(machine.send('signaling-lost', 'signaling')).to.equal(true);
      expect([machine.state, machine.reason]).to.deep.equal(['joining', 'signaling']);
      expect(machine.can('call')).to.equal(false);
      machine.send('joined-with-peer');
      expect(machine.state).to.equal('ready');
    }
    for (const path of [['call'], ['invited'], ['call', 'accepted', 'media-connected']] as CallInput[][]) {
      const machine = machineAt('join', 'joined-with-peer', ...path);
      expect(machine.send('signaling-lost', 'signaling')).to.equal(false);
    }
  });

  it('goes reconnecting when media is lost mid-call, and back to connected when it flows again', () => {
    const machine = machineAt('join', 'joined-with-peer', 'call', 'accepted', 'media-connected');
    expect(machine.send('media-lost', 'network')).to.equal(true);
    expect([machine.state, machine.reason]).to.deep.equal(['reconnecting', 'network']);
    expect(machine.send('media-connected')).to.equal(true);
    expect(machine.state).to.equal('connected');
    machine.send('media-lost', 'network');
    machine.send('fail', 'network');
    expect([machine.state, machine.reason]).to.deep.equal(['failed', 'network']);
    // Not before media ever flowed: a call that never connected fails with ice-failed instead.
    expect(machineAt('join', 'joined-with-peer', 'call', 'accepted').can('media-lost')).to.equal(false);
  });

  it('allows a new call after one ended, and an incoming one', () => {
    expect(machineAt('join', 'joined-with-peer', 'call', 'end').can('call')).to.equal(true);
    expect(machineAt('join', 'joined-with-peer', 'call', 'end').can('invited')).to.equal(true);
  });

  it('lets the polite side accept the other call while its own is ringing (glare)', () => {
    expect(machineAt('join', 'joined-with-peer', 'call', 'accept').state).to.equal('connecting');
  });

  it('can fail from every state but failed, and rejoin from failed', () => {
    for (const state of CALL_STATES.filter((s) => s !== 'failed')) {
      const machine = new CallMachine();
      // Reach `state` by the shortest path.
      const paths: Record<string, CallInput[]> = {
        idle: [], joining: ['join'], waiting: ['join', 'joined-alone'], ready: ['join', 'joined-with-peer'],
        calling: ['join', 'joined-with-peer', 'call'], ringing: ['join', 'joined-with-peer', 'invited'],
        connecting: ['join', 'joined-with-peer', 'call', 'accepted'],
        connected: ['join', 'joined-with-peer', 'call', 'accepted', 'media-connected'],
        reconnecting: ['join', 'joined-with-peer', 'call', 'accepted', 'media-connected', 'media-lost'],
        ended: ['join', 'joined-with-peer', 'call', 'end'],
      };
      for (const input of paths[state]) machine.send(input);
      expect(machine.state).to.equal(state);
      expect(machine.send('fail', 'signaling'), state).to.equal(true);
    }
    const failed = machineAt('fail');
    expect(failed.send('join')).to.equal(true);
    expect(failed.state).to.equal('joining');
  });

  it('returns to idle on leave from every state but idle', () => {
    for (const [inputs, expected] of [[['join'], true], [['join', 'joined-alone'], true], [['fail'], true], [[], false]] as Array<[CallInput[], boolean]>) {
      expect(machineAt(...inputs).send('leave')).to.equal(expected);
    }
  });
});
