/**
 * The bundle's stand-in for engine.io-client's URI parser gives engine.io-client the same host, protocol,
 * port and query as the original, for the URLs a widget can be given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as reference } from 'engine.io-client';
import { parse } from '../../src/transport/engine-io-uri.js';

const URIS = [
  'http://localhost:3000/',
  'https://calls.example.com/socket.io/?EIO=4',
  'https://calls.example.com:8443/',
  'wss://calls.example.com/',
  'ws://127.0.0.1:9/',
  'http://[::1]:3000/',
  'https://[2001:db8::1]/',
  'https://calls.example.com/path/?token=a%20b&room=r1',
  'localhost:3000',
];

describe('engine.io URI parse', () => {
  for (const uri of URIS) {
    it(`reads ${uri} as engine.io-client's own parser does`, () => {
      const { host, protocol, port, query } = reference(uri);
      assert.deepEqual(parse(uri), { host, protocol: protocol || 'http', port, query });
    });
  }
});
