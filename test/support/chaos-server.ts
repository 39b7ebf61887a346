/**
 * The reference server with a hostile relay, for the test that candidates survive delay and reordering:
 * every description is held back 400 ms, every candidate by a random 0-150 ms, so candidates routinely
 * overtake the description they belong to and each other.
 */
import { startCallServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';

const loaded = loadConfig({ ...process.env, ALLOWED_ORIGINS: '*' });
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));

const server = await startCallServer(loaded.config, {
  relay: (event, _payload, deliver) => {
    if (event === 'description') setTimeout(deliver, 400);
    else if (event === 'candidate') setTimeout(deliver, Math.random() * 150);
    else deliver();
  },
});
console.log(`listening on ${server.url}`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
