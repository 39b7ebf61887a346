/**
 * What every browser bench does around its runs: the servers and one headless Chromium started, both stopped
 * at the end, on an error and on Ctrl-C, and the widget's build hashed before and after (the reference server
 * reads dist/call-widget.js on every page load, so a rebuild during the run would mix two builds).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/support/chromium.mjs';

const BUNDLE = fileURLToPath(new URL('../dist/call-widget.js', import.meta.url));
const bundleHash = () => createHash('sha256').update(readFileSync(BUNDLE)).digest('hex').slice(0, 16);

export interface BrowserRun<S> {
  browser: Browser;
  servers: S;
  /** Date, CPU model and Chromium version, for the report. */
  machine: string;
  cores: number;
}

/** Runs `body` with the servers `start` gives and Chromium; `bundle` says whether the build changed meanwhile. */
export async function withBrowser<S extends { stop(): Promise<unknown> }, T>(
  start: () => Promise<S>,
  body: (run: BrowserRun<S>) => Promise<T>,
): Promise<{ result: T; bundle: { before: string; after: string } }> {
  if (!existsSync(BUNDLE)) throw new Error('dist/call-widget.js is missing: run `npm run build` first');
  let servers: S | undefined;
  let browser: Browser | undefined;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await servers?.stop();
  };
  // Interrupted: still stop the server processes and Chromium, then exit as interrupted.
  const onSignal = (signal: NodeJS.Signals) => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const before = bundleHash();
    servers = await start();
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const cpus = os.cpus();
    const machine = `${new Date().toISOString().slice(0, 10)}, ${cpus[0]?.model ?? 'unknown CPU'}, Chromium ${browser.version()}`;
    const result = await body({ browser, servers, machine, cores: cpus.length });
    return { result, bundle: { before, after: bundleHash() } };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}
