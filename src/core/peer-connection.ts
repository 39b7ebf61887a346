/**
 * One peer connection of a call: one generation (0, then one more for each rebuild). It owns the
 * `RTCPeerConnection`, its transceivers and senders, the remote stream, and the negotiation on it; the
 * session decides when to make one, what goes into its senders, and what its states mean for the call.
 */
import type { MediaKind } from '../protocol/protocol.js';
import { IceDiagnostics } from './ice-diagnostics.js';
import { Negotiator, type NegotiationSignal } from './negotiator.js';

export type PeerConnectionFactory = (configuration: RTCConfiguration) => RTCPeerConnection;

export interface CallConnectionOptions {
  generation: number;
  /** This side offers (it placed the call, or it rebuilds); the other answers on the m-lines offered. */
  initiator: boolean;
  polite: boolean;
  media: MediaKind;
  /** Whose id the far side files our tracks under. */
  outgoing: MediaStream;
  configuration: RTCConfiguration;
  createPeerConnection?: PeerConnectionFactory;
  send(signal: NegotiationSignal): void;
  onRemoteStream(stream: MediaStream): void;
  onConnectionState(state: RTCPeerConnectionState): void;
  /** Our answer is out: the senders it set up may take tracks now. */
  onAnswerSent(): void;
  onError(error: Error): void;
}

/** Starts or stops a sender's encodings (`active`), where that changes anything. */
async function setActive(sender: RTCRtpSender, active: boolean): Promise<void> {
  const parameters = sender.getParameters();
  if (!parameters.encodings?.length || parameters.encodings.every((e) => e.active !== false) === active) return;
  for (const encoding of parameters.encodings) encoding.active = active;
  await sender.setParameters(parameters);
}

const kindsOf = (media: MediaKind): Array<'audio' | 'video'> => (media === 'video' ? ['audio', 'video'] : ['audio']);

export class CallConnection {
  readonly pc: RTCPeerConnection;
  readonly generation: number;
  readonly negotiator: Negotiator;
  readonly diagnostics: IceDiagnostics;
  readonly #options: CallConnectionOptions;
  #media: MediaKind;
  #remote: MediaStream | null = null;
  readonly #abort = new AbortController();

  constructor(options: CallConnectionOptions) {
    this.#options = options;
    this.generation = options.generation;
    this.#media = options.media;
    const pc = (options.createPeerConnection ?? ((c) => new RTCPeerConnection(c)))(options.configuration);
    this.pc = pc;
    this.diagnostics = new IceDiagnostics(pc);
    const signal = this.#abort.signal;
    pc.addEventListener('track', (event) => this.#onTrack(event), { signal });
    pc.addEventListener('connectionstatechange', () => options.onConnectionState(pc.connectionState), { signal });
    this.negotiator = new Negotiator({
      polite: options.polite,
      initiator: options.initiator,
      send: (negotiation) => {
        options.send(negotiation);
        if ('description' in negotiation && negotiation.description.type === 'answer') options.onAnswerSent();
      },
      prepareAnswer: () => this.#prepareAnswer(),
      onError: (error) => options.onError(error),
      onWarning: (message) => console.debug(`[call-widget] ${message}`),
    });
    if (options.initiator) {
      for (const kind of kindsOf(this.#media)) pc.addTransceiver(kind, { direction: 'sendrecv', streams: [options.outgoing] });
    }
    this.negotiator.attach(pc);
  }

  get media(): MediaKind {
    return this.#media;
  }

  get remoteStream(): MediaStream | null {
    return this.#remote;
  }

  handle(signal: NegotiationSignal): Promise<void> {
    return this.negotiator.handle(signal);
  }

  /**
   * Makes each sending slot carry `stream`'s track of its kind, or nothing (a camera turned off): filled on
   * accept, and replaced in place when the visitor switches device (`replaceTrack`: no renegotiation). Waiting
   * tracks in inactive senders instead was measured slower: re-activating an encoding took ~140 ms to the far
   * side's first frame, `replaceTrack` ~100 ms.
   */
  fillSenders(stream: MediaStream): Promise<unknown> {
    if (this.#abort.signal.aborted) return Promise.resolve();
    return Promise.all(
      this.pc.getTransceivers().map(async ({ sender, direction, receiver }) => {
        const track = stream.getTracks().find((t) => t.kind === receiver.track.kind) ?? null;
        if (direction !== 'sendrecv' || sender.track === track) return;
        // A sender whose track went away (camera off) is also made inactive: Firefox otherwise goes on sending
        // frames of its own for a null track. No renegotiation either way.
        if (!track && sender.track) await setActive(sender, false);
        await sender.replaceTrack(track);
        if (track) await setActive(sender, true);
      }),
    );
  }

  /**
   * No video either way from now on: the call became audio-only (the callee's choice, or a camera that failed).
   * An `inactive` direction renegotiates the m-line, so the far side stops sending and decoding it too.
   */
  dropVideo(): void {
    if (this.#media === 'audio') return;
    this.#media = 'audio';
    for (const transceiver of this.pc.getTransceivers()) {
      if (transceiver.receiver.track.kind !== 'video' || transceiver.direction === 'stopped') continue;
      void transceiver.sender.replaceTrack(null).catch(() => {});
      transceiver.direction = 'inactive';
    }
  }

  restartIce(): void {
    this.pc.restartIce();
  }

  close(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.negotiator.close();
    this.pc.close();
  }

  /**
   * The far side's offer made its m-lines' transceivers (receive-only): we send on the first of each kind this
   * call has, so the answer needs no second round and no camera yet; a kind the call does not carry is
   * answered `inactive` (not `recvonly`: an audio-only side must not receive and decode video either).
   */
  #prepareAnswer(): void {
    const wanted = new Set<string>(kindsOf(this.#media));
    const transceivers = this.pc.getTransceivers();
    for (const t of transceivers) if (t.direction === 'sendrecv') wanted.delete(t.receiver.track.kind);
    for (const t of transceivers) {
      const kind = t.receiver.track.kind;
      if (t.direction === 'recvonly' && wanted.delete(kind)) {
        t.direction = 'sendrecv';
        t.sender.setStreams?.(this.#options.outgoing);
      } else if (!kindsOf(this.#media).includes(kind as 'audio' | 'video') && t.direction !== 'stopped') {
        t.direction = 'inactive';
      }
    }
  }

  /**
   * The far side's stream as it announced it (both tracks in it from the first event), so the <video> gets its
   * whole source at once; adding the video track to a stream the element already plays costs it a reload. A
   * far side that sent no stream id gets one made up.
   */
  #onTrack({ track, streams }: RTCTrackEvent): void {
    if (streams[0] && this.#remote !== streams[0]) this.#remote = streams[0];
    else if (!streams[0]) (this.#remote ??= new MediaStream()).addTrack(track);
    this.#options.onRemoteStream(this.#remote!);
  }
}
