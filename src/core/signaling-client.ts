/**
 * The widget's side of the signaling protocol over Socket.IO: connect, join, send with acknowledgement, and
 * receive only messages that pass the shared schemas.
 */
import { Manager, type Socket } from 'socket.io-client';
import {
  ErrorCode,
  JoinResult,
  PROTOCOL_VERSION,
  ServerMessages,
  parse,
  type Ack,
  type ProtocolError,
  type RelayedEvent,
  type RelayedPayload,
  type ServerEvent,
  type ServerMessage,
} from '../protocol/protocol.js';
import { canPoll, fallBackToPolling } from '../transport/polling-on-demand.js';

/** How long to wait for the server before telling the visitor it cannot be reached. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** An ack that never comes means the server is gone or overloaded; this bounds every request. */
export const ACK_TIMEOUT_MS = 8_000;
/** Repeats come from a resume, so they are recent: this many `seq`s per sender cover several call set-ups. */
const SEEN_PER_SENDER = 1000;

/** Inferred from the protocol's schemas (protocol.ts); exported here too for the modules that import them from here. */
export type { ServerEventMap, ServerMessage } from '../protocol/protocol.js';

export class SignalingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

export interface SignalingClientOptions {
  url: string;
  token?: string;
  onMessage(message: ServerMessage): void;
  /** A message that failed validation: logged and dropped, never acted on. */
  onInvalid(event: string, error: ProtocolError): void;
  /** The link dropped without us asking; Socket.IO is already trying to reconnect. */
  onDisconnect(reason: string): void;
  /** The link came back after a drop. */
  onReconnect(): void;
}

interface Queued {
  event: RelayedEvent;
  payload: object & { seq: number };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class SignalingClient {
  readonly #options: SignalingClientOptions;
  readonly #socket: Socket;
  #everConnected = false;
  /** Joined on the current connection: relayed messages can go out. */
  #inRoom = false;
  /**
   * Relayed messages sent while the link was down. Socket.IO would send its own buffer the moment it
   * reconnects, before the rejoin, and the server would refuse them; these wait for the resume instead.
   */
  #outbox: Queued[] = [];
  /** The `n` of the last server message handled; a resume asks for those after it. */
  #received = 0;
  /** The `seq` of the last relayed message; it keeps counting across resumes (the server dedupes by it). */
  #seq = 0;
  /**
   * The `seq`s relayed to us from each sender (the latest, bounded). A server that restarted relays again
   * what the sender resends after its resume, not knowing it got through before; a repeated answer or invite
   * would derail the call, so repeats stop here. A set, not a high-water mark: a relay may reorder.
   */
  readonly #seen = new Map<string, Set<number>>();

  constructor(options: SignalingClientOptions) {
    this.#options = options;
    const socketOptions = {
      autoConnect: false,
      auth: options.token ? { token: options.token } : {},
      // WebSocket first: one round trip less than polling-then-upgrade; polling stays as the fallback, in the
      // bundle loaded once a WebSocket failed (see below).
      transports: canPoll() ? ['websocket', 'polling'] : ['websocket'],
      tryAllTransports: true,
      // Polling only where WebSocket failed, so there is nothing to upgrade to (and the bundle leaves the
      // upgrade probe out: build/left-out.ts).
      upgrade: false,
      // The parser is socket.io-client's own: in the bundle, Socket.IO's wire format without the binary
      // attachments the protocol never uses (src/transport/socket-io-text-parser.ts, build/stand-ins.ts).
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    };
    // `io(url)` without its cache of Managers: every client gets a connection of its own, as a join belongs to
    // one (`io` shares a Manager only between namespaces, and the widget has one). The URL's path names the
    // namespace, as with `io`, and a relative URL resolves against the page's (Node has no `location`).
    // Without `io`, its URL parser and cache are left out of the bundle too (build/stand-ins.ts): 0.3 KB gzip.
    const url = new URL(options.url, (globalThis as { location?: { href: string } }).location?.href);
    this.#socket = new Manager(url.href, socketOptions).socket(url.pathname, socketOptions);
    for (const event of Object.keys(ServerMessages)) {
      this.#socket.on(event, (payload: unknown) => {
        const parsed = parse(ServerMessages[event as ServerEvent], payload);
        if (!parsed.ok) return options.onInvalid(event, parsed.error);
        const { n, ...message } = parsed.value as { n?: number; from?: string; seq?: number };
        if (n !== undefined) {
          // Sent again after a resume, and had arrived the first time.
          if (n <= this.#received) return;
          this.#received = n;
        }
        if (message.from !== undefined && message.seq !== undefined) {
          const seen = this.#seen.get(message.from) ?? new Set<number>();
          if (seen.has(message.seq)) return;
          seen.add(message.seq);
          if (seen.size > SEEN_PER_SENDER) seen.delete(seen.values().next().value!);
          this.#seen.set(message.from, seen);
        }
        options.onMessage({ event, payload: message } as ServerMessage);
      });
    }
    this.#socket.on('disconnect', (reason) => {
      this.#inRoom = false;
      if (reason !== 'io client disconnect') options.onDisconnect(reason);
    });
    this.#socket.on('connect', () => {
      if (this.#everConnected) options.onReconnect();
      this.#everConnected = true;
    });
    // The Manager opens each attempt with these same options, so the next one falls back to polling.
    this.#socket.on('connect_error', () => void fallBackToPolling(socketOptions.transports));
  }

  /** The room token for the next connection's handshake (a renewed one; the current connection keeps its own). */
  setToken(token: string | undefined): void {
    this.#socket.auth = token ? { token } : {};
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  /** Resolves once connected; rejects with `signaling-unreachable` after the timeout or a refusal. */
  connect(timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
    if (this.#socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let lastError = '';
      const done = (error?: SignalingError) => {
        clearTimeout(timer);
        this.#socket.off('connect', onConnect);
        this.#socket.off('connect_error', onError);
        if (error) {
          this.#socket.disconnect();
          reject(error);
        } else resolve();
      };
      const onConnect = () => done();
      const onError = (error: Error) => {
        lastError = error.message;
        // A refusal by the server's middleware is final: Socket.IO does not retry it, so neither do we.
        if (!this.#socket.active) done(new SignalingError(ErrorCode.SignalingUnreachable, `The call server refused the connection: ${error.message}`));
      };
      const timer = setTimeout(
        () => done(new SignalingError(ErrorCode.SignalingUnreachable, `The call server at ${this.#options.url} could not be reached${lastError ? ` (${lastError})` : ''}.`)),
        timeoutMs,
      );
      this.#socket.on('connect', onConnect);
      this.#socket.on('connect_error', onError);
      this.#socket.connect();
    });
  }

  /**
   * Joins the room; with `resume` (the newest resume token), as that same participant if the server still
   * holds its place. Messages queued while the link was down go out once resumed, and are refused (the peer
   * has been told we left) when not.
   */
  async join(room: string, displayName?: string, resume?: string): Promise<JoinResult> {
    const result = await this.#request('join', {
      v: PROTOCOL_VERSION,
      room,
      ...(displayName && { displayName }),
      ...(resume && { resume, received: this.#received }),
    });
    const parsed = parse(JoinResult, result);
    if (!parsed.ok) throw new SignalingError(ErrorCode.Protocol, `Unexpected join answer: ${parsed.error.message}`);
    // A new participant: the server numbers its messages from 1 again.
    if (!parsed.value.resumed) this.#received = 0;
    this.#inRoom = true;
    const queued = this.#outbox.splice(0);
    for (const item of queued) {
      if (parsed.value.resumed) this.#deliver(item);
      else item.reject(new SignalingError(ErrorCode.NotInRoom, 'The call server forgot this participant while the link was down.'));
    }
    return parsed.value;
  }

  leave(): Promise<unknown> {
    this.#inRoom = false;
    return this.#request('leave', {});
  }

  /**
   * Relays a message to the peer. Delivered at least once and in order while we stay the same participant:
   * held while the link is down, and sent again after the resume when the link dropped before its ack
   * (the server drops the copy if the first one did arrive).
   */
  send<E extends RelayedEvent>(event: E, payload: RelayedPayload<E>): Promise<unknown> {
    return new Promise((resolve, reject) => this.#deliver({ event, payload: { ...payload, seq: ++this.#seq }, resolve, reject }));
  }

  #deliver(item: Queued): void {
    if (!this.#inRoom || !this.#socket.connected) return this.#hold(item);
    this.#request(item.event, item.payload).then((value) => item.resolve(value), (error) => {
      // The link died with the message in flight: whether it arrived is unknown, so it goes again.
      if (!this.#socket.connected && this.#socket.active) this.#hold(item);
      else item.reject(error);
    });
  }

  /** Into the outbox, in `seq` order: a message whose ack was lost goes before those sent after it. */
  #hold(item: Queued): void {
    const at = this.#outbox.findIndex((queued) => queued.payload.seq > item.payload.seq);
    this.#outbox.splice(at < 0 ? this.#outbox.length : at, 0, item);
  }

  /**
   * Drops what is still waiting for the link of call `callId`, when the call ended before the link came back.
   * True when its `invite` was among them: the peer never heard of the call, so it needs no ending either.
   */
  discard(callId: string): boolean {
    let invite = false;
    this.#outbox = this.#outbox.filter((item) => {
      if ((item.payload as { callId?: string }).callId !== callId) return true;
      invite ||= item.event === 'invite';
      item.reject(new SignalingError(ErrorCode.SignalingLost, 'The call ended before the link came back.'));
      return false;
    });
    return invite;
  }

  /** Says goodbye without waiting for an answer: for a page that is going away. */
  leaveNow(): void {
    if (this.#socket.connected) this.#socket.emit('leave', {});
    this.close();
  }

  close(): void {
    this.#inRoom = false;
    for (const item of this.#outbox.splice(0)) item.reject(new SignalingError(ErrorCode.SignalingLost, 'Signaling closed.'));
    this.#socket.removeAllListeners();
    this.#socket.disconnect();
  }

  async #request(event: string, payload: object): Promise<unknown> {
    let response: Ack<Record<string, unknown>>;
    try {
      response = (await this.#socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<Record<string, unknown>>;
    } catch {
      throw new SignalingError(ErrorCode.SignalingLost, `The call server did not answer ${event} in time.`);
    }
    if (typeof response !== 'object' || response === null || typeof response.ok !== 'boolean') {
      throw new SignalingError(ErrorCode.Protocol, `Malformed answer to ${event}.`);
    }
    if (!response.ok) {
      const code = (Object.values(ErrorCode) as string[]).includes(response.error?.code) ? response.error.code : ErrorCode.Protocol;
      throw new SignalingError(code, String(response.error?.message ?? 'Unknown error'));
    }
    return response;
  }
}
