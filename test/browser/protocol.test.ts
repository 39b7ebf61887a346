import { expect } from '@open-wc/testing';
import { IceServerList, RelayedMessages, ServerMessages, parse } from '../../src/protocol/protocol.js';

describe('protocol validation (shared by widget and server)', () => {
  it('accepts well-formed messages and drops unknown fields', () => {
    const parsed = parse(RelayedMessages.candidate, {
      callId: 'abc',
      candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0, extra: 1 },
      injected: '<script>',
    });
    expect(parsed.ok).to.equal(true);
    expect(parsed.ok && parsed.value).to.deep.equal({
      callId: 'abc',
      candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 },
    });
  });

  it('names the field and the problem when a message is wrong', () => {
    const parsed = parse(RelayedMessages.description, { callId: 'abc', description: { type: 'offer', sdp: 5 } });
    expect(parsed.ok).to.equal(false);
    expect(!parsed.ok && parsed.error).to.deep.equal({ code: 'invalid-payload', message: 'description.sdp: description.sdp must be a string' });
  });

  it('requires the sender on relayed messages the widget receives', () => {
    expect(parse(ServerMessages.hangup, { callId: 'abc' }).ok).to.equal(false);
    expect(parse(ServerMessages.hangup, { callId: 'abc', from: 'p1' }).ok).to.equal(true);
  });

  it('validates ICE servers as browsers would', () => {
    expect(parse(IceServerList, [{ urls: ['stun:a', 'turn:b'], username: 'u', credential: 'c' }]).ok).to.equal(true);
    const missing = parse(IceServerList, [{ urls: 'turns:b:443' }]);
    expect(!missing.ok && missing.error.message).to.equal('[0]: a turn: or turns: server needs a username and a credential');
    expect(parse(IceServerList, [{ urls: [] }]).ok).to.equal(false);
  });
});
