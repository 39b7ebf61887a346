/**
 * `npm start`: the reference signaling server with its embedded default (in-memory rooms), configured by
 * environment variables (see README). Exits with status 2 and one line per bad variable.
 */
import { startCallServer } from './app.js';
import { CONFIG_VARIABLES, loadConfig } from './config.js';
import { loadStateSecret } from './state-file.js';

const log = (message: string) => console.log(`[call-widget] ${message}`);

if (process.argv.includes('--help')) {
  console.log(`Usage: npm start\nEnvironment variables: ${CONFIG_VARIABLES.join(', ')} (see README.md)`);
  process.exit(0);
}

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  console.error('[call-widget] invalid configuration:');
  for (const error of loaded.errors) console.error(`  - ${error}`);
  process.exit(2);
}
for (const warning of loaded.warnings) log(`warning: ${warning}`);

// Which key signs resume tokens, and so whether calls outlive a restart; the path, never the secret.
if (loaded.config.stateFile === null) log('resume tokens: signed with RESUME_SECRET');
else {
  const state = await loadStateSecret(loaded.config.stateFile);
  loaded.config.resumeSecret = state.secret;
  if (state.source === 'file') {
    log(`resume tokens: signed with the secret ${state.created ? 'generated into' : 'kept in'} ${state.path} (set RESUME_SECRET on several nodes)`);
  } else {
    log(`warning: state file ${state.path} ${state.why}: resume tokens are signed with a secret of this process only, and a restart ends calls in progress. Fix the file or set STATE_FILE or RESUME_SECRET.`);
  }
}

try {
  const server = await startCallServer(loaded.config, { log });
  log(`listening on ${server.url} (demo: ${server.url}/, widget: ${server.url}/call-widget.js)`);
  const stop = (signal: string) => {
    log(`${signal}: shutting down`);
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  const { code } = error as NodeJS.ErrnoException;
  const { host, port } = loaded.config;
  if (code === 'EADDRINUSE') console.error(`[call-widget] port ${port} on ${host} is in use; set PORT to another port`);
  else if (code === 'EADDRNOTAVAIL') console.error(`[call-widget] HOST=${host} is not an address of this machine`);
  else console.error(`[call-widget] could not start: ${(error as Error).message}`);
  process.exit(1);
}
