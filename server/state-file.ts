/**
 * The server's own state on disk: one small JSON file holding the secret that signs resume tokens when the
 * operator has not set `RESUME_SECRET`. A secret made up per process would end every call at a restart (no
 * token of the earlier process would verify); kept in this file, the embedded default survives a restart of
 * itself the way a configured secret does.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Where the state file lives unless `STATE_FILE` says otherwise, under the working directory. */
export const DEFAULT_STATE_FILE = '.call-widget/state.json';

/** The same strength as the HMAC-SHA256 it keys. */
const SECRET_BYTES = 32;
/** The file holds one short secret; anything much larger is not ours, and is not read whole. */
const MAX_STATE_BYTES = 4096;

export type StateSecret =
  | { source: 'file'; path: string; secret: Buffer; created: boolean }
  | { source: 'memory'; path: string; secret: Buffer; why: string };

/**
 * The resume secret from the state file at `path` (relative to the working directory), creating the file
 * when there is none. When it cannot be read or written, a secret for this process only, and why: the
 * server runs either way, and the caller warns. `why` never holds the secret, nor the file's contents.
 */
export async function loadStateSecret(path: string): Promise<StateSecret> {
  const file = resolve(path);
  const memory = (why: string): StateSecret => ({ source: 'memory', path: file, secret: randomBytes(SECRET_BYTES), why });
  try {
    const existing = await readSecret(file);
    if (existing) return { source: 'file', path: file, secret: existing, created: false };
  } catch (error) {
    return memory(describe(error, 'could not be read'));
  }
  try {
    const created = await createSecret(file);
    return { source: 'file', path: file, ...created };
  } catch (error) {
    return memory(describe(error, 'could not be written'));
  }
}

/** The secret in the file; null when there is no file. Throws on a file that is there but not ours. */
async function readSecret(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    // Not through a symbolic link, and only a file of this user that nobody else may read or write: another
    // local user who planted it first would know the secret and could forge resume tokens.
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new StateError('is not a regular file');
      if (process.getuid && stat.uid !== process.getuid()) throw new StateError('belongs to another user');
      if (stat.mode & 0o077) throw new StateError('may be read or written by other users (it must be mode 0600)');
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(MAX_STATE_BYTES + 1), 0, MAX_STATE_BYTES + 1, 0);
      if (bytesRead > MAX_STATE_BYTES) throw new StateError('is larger than a state file can be');
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which may be the secret.
    throw new StateError('is not valid JSON');
  }
  const encoded = (state as { resumeSecret?: unknown } | null)?.resumeSecret;
  const secret = typeof encoded === 'string' && /^[A-Za-z0-9_-]{43}$/.test(encoded) ? Buffer.from(encoded, 'base64url') : null;
  if (secret?.length !== SECRET_BYTES) throw new StateError(`has no resumeSecret of ${SECRET_BYTES} bytes (base64url)`);
  return secret;
}

/**
 * Writes a new secret atomically: the whole file goes to a temporary name (mode 0600 from the start, so the
 * secret is never readable by others, not even for a moment) and is then linked into place. A link, unlike
 * a rename, fails when the file exists: of two servers starting at once in the same directory, both end up
 * with the one secret that got there first.
 */
async function createSecret(file: string): Promise<{ secret: Buffer; created: boolean }> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(SECRET_BYTES);
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(`${JSON.stringify({ resumeSecret: secret.toString('base64url') })}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file);
    return { secret, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readSecret(file);
    if (!theirs) throw error;
    return { secret: theirs, created: false };
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

class StateError extends Error {}

/** A reason for the log: our own words or the system's error code, never the file's contents. */
function describe(error: unknown, what: string): string {
  if (error instanceof StateError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return `${what}${typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''}`;
}
