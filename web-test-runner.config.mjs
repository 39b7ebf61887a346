// Browser tests: real Chromium and real Firefox with fake camera and microphone, against real reference servers
// started here. Chromium through Playwright; Firefox through puppeteer-core over WebDriver BiDi (stock Firefox:
// Playwright's Firefox would need its own patched build).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { CHROMIUM_ARGS, chromiumPath } from './test/support/chromium.mjs';
import { firefoxLaunchOptions } from './test/support/firefox.mjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer } from './test/support/servers.mjs';

const servers = {};
/** The room-token secret of the `auth` server; pages get tokens for it from /test-token, made by `npm run token`. */
const ROOM_TOKEN_SECRET = 'browser-tests-room-token-secret-0123456789';
const run = promisify(execFile);
/** `BROWSERS=firefox npm run test:browser` runs one of them; both by default. */
const only = (process.env.BROWSERS || 'chromium,firefox').split(',');

export default {
  files: ['test/browser/**/*.test.ts'],
  // socket.io-client's default export is for Node (it pulls in `ws`); the browser build is what pages get.
  nodeResolve: { browser: true, exportConditions: ['browser', 'production'] },
  // One file at a time: WebRTC tests share the machine's two cores and their timing matters.
  concurrency: 1,
  // And one browser at a time: all files in Chromium, then all in Firefox.
  concurrentBrowsers: 1,
  testFramework: { config: { timeout: 40_000 } },
  testsFinishTimeout: 20 * 60_000,
  browsers: [
    only.includes('chromium') &&
      playwrightLauncher({
        product: 'chromium',
        launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
      }),
    only.includes('firefox') && puppeteerLauncher({ launchOptions: firefoxLaunchOptions() }),
  ].filter(Boolean),
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
    {
      name: 'call-widget-servers',
      async serverStart() {
        servers.signaling = await startServer({ name: 'signaling' });
        servers.chaos = await startServer({ entry: 'test/support/chaos-server.ts', name: 'chaos' });
        servers.auth = await startServer({ name: 'auth', env: { ROOM_TOKEN_SECRET } });
      },
      async serverStop() {
        await Promise.all(Object.values(servers).map((server) => server.stop()));
      },
      serve(context) {
        if (context.path === '/test-config.json') {
          return {
            type: 'json',
            body: JSON.stringify({ signalingUrl: servers.signaling.url, chaosUrl: servers.chaos.url, authUrl: servers.auth.url }),
          };
        }
        if (context.path === '/test-token') {
          // As a site owner would try it: the token comes from `npm run token`, with the server's secret.
          const query = new URLSearchParams(context.querystring);
          const args = ['run', '-s', 'token', '--', '--room', query.get('room') ?? '', '--sub', query.get('sub') ?? ''];
          if (query.has('name')) args.push('--name', query.get('name'));
          return run('npm', args, { env: { ...process.env, ROOM_TOKEN_SECRET } }).then(({ stdout }) => ({ type: 'txt', body: stdout.trim() }));
        }
      },
    },
  ],
};
