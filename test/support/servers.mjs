// Starts the real reference server as a child process, the way `npm start` runs it, and stops it again.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const GENEROUS_LIMITS = {
  MAX_CONNECTIONS_PER_ADDRESS: '100000',
  HANDSHAKE_RATE: '100000',
  HANDSHAKE_BURST: '100000',
  ADDRESS_SIGNAL_RATE: '1000000',
  ADDRESS_SIGNAL_BURST: '1000000',
};

/**
 * `entry` is a TypeScript file run with tsx; it must print "listening on <url>" once ready. With `netns`,
 * it runs inside that network namespace. Resolves with the server's URL and a stop function; rejects if it
 * has not started within 20 s.
 * @param {{ entry?: string, env?: Record<string, string>, name?: string, netns?: string }} [options]
 */
export function startServer({ entry = 'server/main.ts', env = {}, name = 'server', netns } = {}) {
  const command = [process.execPath, '--import', 'tsx', entry];
  const [file, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...command] : command;
  const child = spawn(file, args, {
    cwd: ROOT,
    // Tests and benchmarks connect from one address (loopback) many times over: the per-address limits are
    // raised out of the way unless the caller sets them (the fuzz test runs on the production defaults).
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...GENEROUS_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      // Keep draining so a chatty server never blocks on a full pipe.
      child.stdout.on('data', (line) => process.env.SERVER_LOGS && process.stdout.write(`[${name}] ${line}`));
      resolve({
        url: match[1],
        process: child,
        output: () => output,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`));
    });
  });
}
