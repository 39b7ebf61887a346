import { expect } from '@open-wc/testing';
import { resolveWidgetConfig } from '../../src/core/widget-config.js';

const base = 'https://shop.example/page';
const valid = { signalingUrl: 'https://signal.example', room: 'r1' };

describe('widget attributes', () => {
  it('fills in defaults', () => {
    const result = resolveWidgetConfig(valid, base);
    expect(result).to.deep.equal({
      ok: true,
      config: {
        signalingUrl: 'https://signal.example/',
        room: 'r1',
        iceServersUrl: undefined,
        iceServers: [],
        iceTransportPolicy: 'all',
        token: undefined,
        displayName: undefined,
        media: 'video',
        autoAnswer: false,
        ringTimeoutMs: 30_000,
        connectTimeoutMs: 30_000,
        reconnectWindowMs: 30_000,
        preconnect: true,
      },
    });
  });

  it('resolves relative URLs against the page', () => {
    const result = resolveWidgetConfig({ ...valid, signalingUrl: '/', iceServersUrl: '/ice-servers' }, base);
    expect(result.ok && [result.config.signalingUrl, result.config.iceServersUrl]).to.deep.equal([
      'https://shop.example/',
      'https://shop.example/ice-servers',
    ]);
  });

  it('parses every optional attribute', () => {
    const result = resolveWidgetConfig(
      {
        ...valid,
        iceServers: '[{"urls":"stun:stun.example.com"}]',
        iceTransportPolicy: 'relay',
        token: 't',
        displayName: '  Ada  ',
        media: 'audio',
        autoAnswer: true,
        ringTimeout: '12.5',
        preconnect: 'off',
      },
      base,
    );
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.config.iceServers).to.deep.equal([{ urls: 'stun:stun.example.com' }]);
    expect(result.config.iceTransportPolicy).to.equal('relay');
    expect(result.config.displayName).to.equal('Ada');
    expect(result.config.media).to.equal('audio');
    expect(result.config.ringTimeoutMs).to.equal(12_500);
    expect(result.config.preconnect).to.equal(false);
  });

  const wrong: Array<[object, string]> = [
    [{ room: 'r' }, 'signaling-url'],
    [{ signalingUrl: 'javascript:alert(1)', room: 'r' }, 'signaling-url'],
    [{ signalingUrl: 'https://s' }, 'room'],
    [{ ...valid, room: 'x'.repeat(129) }, 'room'],
    [{ ...valid, iceServersUrl: 'ftp://x' }, 'ice-servers-url'],
    [{ ...valid, iceServers: '{}' }, 'ice-servers'],
    [{ ...valid, iceTransportPolicy: 'public' }, 'ice-transport-policy'],
    [{ ...valid, media: 'screen' }, 'media'],
    [{ ...valid, ringTimeout: 'soon' }, 'ring-timeout'],
    [{ ...valid, ringTimeout: '0' }, 'ring-timeout'],
    // Under a second cannot go on the wire (the protocol's ring timeout is 1 s to 10 min).
    [{ ...valid, ringTimeout: '0.5' }, 'ring-timeout'],
    [{ ...valid, connectTimeout: '601' }, 'connect-timeout'],
    [{ ...valid, reconnectWindow: 'x' }, 'reconnect-window'],
    [{ ...valid, preconnect: 'yes' }, 'preconnect'],
    [{ ...valid, displayName: 'x'.repeat(65) }, 'display-name'],
    [{ ...valid, token: 'x'.repeat(5000) }, 'token'],
  ];
  for (const [attrs, attribute] of wrong) {
    it(`refuses ${JSON.stringify(attrs).slice(0, 70)} naming ${attribute}`, () => {
      const result = resolveWidgetConfig(attrs, base);
      expect(result.ok).to.equal(false);
      if (result.ok) return;
      expect(result.attribute).to.equal(attribute);
      expect(result.message).to.contain(attribute);
    });
  }
});
