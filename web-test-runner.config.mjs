// Browser tests: real Chromium with fake camera and microphone, against real reference servers started here.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { CHROMIUM_ARGS, chromiumPath } from './test/support/chromium.mjs';
import { startServer } from './test/support/servers.mjs';

const servers = {};

export default {
  files: ['test/browser/**/*.test.ts'],
  // socket.io-client's default export is for Node (it pulls in `ws`); the browser build is what pages get.
  nodeResolve: { browser: true, exportConditions: ['browser', 'production'] },
  // One file at a time: WebRTC tests share the machine's two cores and their timing matters.
  concurrency: 1,
  testFramework: { config: { timeout: 40_000 } },
  testsFinishTimeout: 20 * 60_000,
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    }),
  ],
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
    {
      name: 'call-widget-servers',
      async serverStart() {
        servers.signaling = await startServer({ name: 'signaling' });
        servers.chaos = await startServer({ entry: 'test/support/chaos-server.ts', name: 'chaos' });
      },
      async serverStop() {
        await Promise.all(Object.values(servers).map((server) => server.stop()));
      },
      serve(context) {
        if (context.path === '/test-config.json') {
          return {
            type: 'json',
            body: JSON.stringify({ signalingUrl: servers.signaling.url, chaosUrl: servers.chaos.url }),
          };
        }
      },
    },
  ],
};
