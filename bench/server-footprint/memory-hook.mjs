// Preloaded into a server under measurement (NODE_OPTIONS=--import=<this file>) by bench/server-footprint.ts.
// On SIGUSR2 it collects garbage fully and prints the process's memory figures on one line, so the bench can
// read memory after GC from outside without the server being changed or started with --expose-gc.
// Plain JavaScript: NODE_OPTIONS imports load before tsx is registered.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A context created after the flag is set gets `gc`; the flag does not reach contexts that already exist. */
const gc = runInNewContext('gc');

process.on('SIGUSR2', () => {
  // Twice: the first pass may only queue finalizers (weak references, FinalizationRegistry) for the second.
  gc();
  gc();
  process.stdout.write(`[bench-memory] ${JSON.stringify(process.memoryUsage())}\n`);
});
