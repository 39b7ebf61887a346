/**
 * `normalizeIceServersResponse`, for the package's users: an ICE-server endpoint's answer, in any of the
 * shapes src/core/ice-server-shapes.ts accepts, as validated `RTCIceServer[]` and a lifetime. (The widget
 * itself loads the shapes only for an answer not in its own shape: src/core/ice-servers.ts.)
 */
import { ownShape } from './ice-server-shapes.js';
import { validIceServers, type NormalizedIceServers } from './ice-servers.js';

export function normalizeIceServersResponse(body: unknown): NormalizedIceServers {
  return validIceServers(ownShape(body));
}
