/**
 * Who is asking, for per-client rate limits: the peer address of the connection or, behind trusted reverse
 * proxies, the address the nearest of them saw.
 */
import type { IncomingMessage } from 'node:http';
import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * The client's address. Each proxy appends the address it received the request from to
 * `X-Forwarded-For`, so with `trustedProxies` of them in front the client is that many entries from the
 * right; anything further left was written by the client itself and proves nothing.
 *
 * The entry is a rate-limit key, so it must be an IP address: a proxy that writes `unknown`, a hostname or
 * some other text (or a client that reaches the server around the proxies) gets the peer's address, one key
 * for all of it, rather than letting every made-up string open a fresh bucket.
 */
export function clientAddress(request: IncomingMessage, trustedProxies: number): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (trustedProxies === 0) return peer;
  const forwarded = (request.headers['x-forwarded-for'] ?? '')
    .toString()
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // Fewer entries than proxies: a proxy was bypassed or does not append; the leftmost is the best there is.
  const entry = forwarded[Math.max(0, forwarded.length - trustedProxies)];
  return (entry !== undefined && withoutPort(entry)) || peer;
}

/**
 * The address in an entry, or null when it holds none. Some proxies (Azure's, for one) append the client's
 * port: `198.51.100.7:4711`, `[2001:db8::1]:443`.
 */
function withoutPort(entry: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return isIPv6(bracketed[1]) ? bracketed[1] : null;
  const v4WithPort = /^([\d.]+):\d{1,5}$/.exec(entry);
  if (v4WithPort) return isIPv4(v4WithPort[1]) ? v4WithPort[1] : null;
  return isIP(entry) ? entry : null;
}

/**
 * The key a client is limited by. An IPv4 address is one household or one NAT; an IPv6 household usually
 * holds a whole /64 and can pick a new address in it for every request, so the /64 is what counts there.
 */
export function rateLimitKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(plain)) return plain;
  const [head, tail] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
