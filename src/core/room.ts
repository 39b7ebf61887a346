/**
 * Membership of one room on one signaling server: connecting, joining, resuming as the same participant after
 * the link drops, who else is there, and leaving (also from a page that is going away). Calls are not its
 * business: relayed messages go straight to the session.
 */
import { ErrorCode, LEAVE_PATH, type Peer } from '../protocol/protocol.js';
import type { Clock, TimerHandle } from './clock.js';
import type { CallSessionConfig, CallSessionDeps, SignalingPort } from './session-options.js';
import { SignalingError, type ServerMessage } from './signaling-client.js';

export type RelayedMessage = Exclude<ServerMessage, { event: 'peer-joined' | 'peer-left' | 'peer-resumed' | 'protocol-error' }>;

export interface RoomEvents {
  /** Joined, for the first time (`rejoined` false) or again after the link dropped. */
  onJoined(peer: Peer | null, rejoin: { resumed: boolean } | null): void;
  /** A join or a resume was refused, or the server could not be reached. */
  onJoinFailed(code: ErrorCode, message: string): void;
  /** The link dropped; Socket.IO is reconnecting, and the room is resumed once it is back. */
  onLinkLost(): void;
  onPeerJoined(peer: Peer): void;
  onPeerLeft(): void;
  onMessage(message: RelayedMessage): void;
  onWarning(code: ErrorCode, message: string): void;
}

type RoomConfig = Pick<CallSessionConfig, 'signalingUrl' | 'room' | 'displayName' | 'token'>;

/**
 * A resume the server could not answer for now (an ack lost as the network flapped, resumes rate-limited) is
 * tried again after these delays; the call's media never depended on it. Past them, the room is given up.
 */
const RESUME_RETRY_MS = [1000, 2000, 4000, 8000, 8000];
const RETRYABLE: readonly string[] = [ErrorCode.SignalingLost, ErrorCode.RateLimited, ErrorCode.Internal];

export class Room {
  readonly signaling: SignalingPort;
  readonly #config: RoomConfig;
  readonly #events: RoomEvents;
  #self: { id: string; polite: boolean; resumeToken: string } | null = null;
  #peer: Peer | null = null;
  #closed = false;
  readonly #clock: Clock;
  #retry: TimerHandle | null = null;

  constructor(config: RoomConfig, deps: Pick<Required<CallSessionDeps>, 'createSignaling' | 'clock'>, events: RoomEvents) {
    this.#config = config;
    this.#events = events;
    this.#clock = deps.clock;
    const createSignaling = deps.createSignaling;
    this.signaling = createSignaling({
      url: config.signalingUrl,
      token: config.token,
      onMessage: (message) => this.#onMessage(message),
      onInvalid: (event, error) => events.onWarning(ErrorCode.Protocol, `Ignored an invalid ${event} message: ${error.message}`),
      onDisconnect: () => {
        events.onWarning(ErrorCode.SignalingLost, 'The connection to the call server dropped; reconnecting. A call in progress goes on.');
        events.onLinkLost();
      },
      onReconnect: () => void this.#join(true, 0),
    });
  }

  get peer(): Peer | null {
    return this.#peer;
  }

  /** Perfect negotiation's role: the polite side yields when both offer at once. */
  get polite(): boolean {
    return this.#self?.polite ?? false;
  }

  async join(): Promise<void> {
    try {
      await this.signaling.connect();
    } catch (error) {
      if (!this.#closed) this.#events.onJoinFailed((error as SignalingError).code ?? ErrorCode.SignalingUnreachable, (error as Error).message);
      return;
    }
    return this.#join(false, 0);
  }

  /**
   * Joins; after a drop, as the same participant (the newest resume token). The call's media never depended
   * on the link, and what was sent meanwhile goes out now. A server that gave our place away told the peer we
   * left: we are a newcomer.
   */
  async #join(again: boolean, retries: number): Promise<void> {
    if (this.#retry) this.#clock.clearTimeout(this.#retry);
    this.#retry = null;
    const resume = again ? this.#self?.resumeToken : undefined;
    try {
      const joined = await this.signaling.join(this.#config.room, this.#config.displayName, resume);
      if (this.#closed) return;
      this.#self = { id: joined.id, polite: joined.polite, resumeToken: joined.resumeToken };
      // After a server restart the peer's place is held under the id we sent, until it returns or the grace
      // period ends (then the server says `peer-left`).
      if (!joined.resumed || joined.peer) this.#peer = joined.peer;
      this.#events.onJoined(this.#peer, resume ? { resumed: joined.resumed } : null);
    } catch (error) {
      if (this.#closed) return;
      const code = error instanceof SignalingError ? error.code : ErrorCode.SignalingLost;
      if (resume && RETRYABLE.includes(code) && retries < RESUME_RETRY_MS.length) {
        // A dropped link retries by itself when it is back (`onReconnect`); a live one is asked again here.
        if (this.signaling.connected) this.#retry = this.#clock.setTimeout(() => void this.#join(true, retries + 1), RESUME_RETRY_MS[retries]!);
        return;
      }
      this.#events.onJoinFailed(code, (error as Error).message);
    }
  }

  /** The room token for the next join (a renewed one; the current connection keeps its own). */
  setToken(token: string | undefined): void {
    this.signaling.setToken(token);
  }

  /**
   * The page is going away: leave at once so the peer hears `peer-left` now, not after the server's grace
   * period. Firefox has closed the page's WebSocket by now, so a beacon to the server carries it too.
   */
  leaveNow(sendBeacon?: (url: string, body: string) => boolean): void {
    if (this.#self && sendBeacon) {
      const base = new URL(this.#config.signalingUrl, (globalThis as { location?: { href: string } }).location?.href);
      // A ws(s): signaling URL names the same server; a beacon only goes over http(s).
      base.protocol = base.protocol.replace(/^ws/, 'http');
      sendBeacon(new URL(LEAVE_PATH, base).href, this.#self.resumeToken);
    }
    this.signaling.leaveNow();
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry) this.#clock.clearTimeout(this.#retry);
    this.signaling.close();
  }

  #onMessage(message: ServerMessage): void {
    switch (message.event) {
      case 'peer-joined':
        // The newest resume token names the newcomer, so that a restarted server can hold its place.
        if (message.payload.resumeToken && this.#self) this.#self.resumeToken = message.payload.resumeToken;
        this.#peer = message.payload.peer;
        return this.#events.onPeerJoined(message.payload.peer);
      case 'peer-left':
        if (this.#peer?.id !== message.payload.peerId) return;
        this.#peer = null;
        return this.#events.onPeerLeft();
      case 'peer-resumed':
        // Normally the peer's network moved. A displaced connection that was still open may also mean its
        // resume token is in other hands: worth a line for whoever reads the console, not a state.
        if (message.payload.replaced) console.info(`[call-widget] the other participant reconnected on a new connection`);
        return;
      case 'protocol-error':
        return this.#events.onWarning(ErrorCode.Protocol, `The server refused ${message.payload.event ?? 'a message'}: ${message.payload.message}`);
      default:
        return this.#events.onMessage(message);
    }
  }
}
