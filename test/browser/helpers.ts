/** Shared by the browser tests: servers' addresses, widgets in the page, and waiting on real events. */
import { fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import type { CallWidget } from '../../src/call-widget.js';
import type { CallState } from '../../src/core/call-machine.js';

export interface TestConfig {
  signalingUrl: string;
  chaosUrl: string;
  /** A server with ROOM_TOKEN_SECRET: every join needs a token (`roomToken`). */
  authUrl: string;
}

/** A room token for the `auth` server, made by `npm run token` (see web-test-runner.config.mjs). */
export async function roomToken(room: string, sub: string, name?: string): Promise<string> {
  const query = new URLSearchParams({ room, sub, ...(name !== undefined && { name }) });
  const response = await fetch(`/test-token?${query}`);
  if (!response.ok) throw new Error(`no token: ${response.status} ${await response.text()}`);
  return response.text();
}

let config: Promise<TestConfig> | undefined;
export const testConfig = (): Promise<TestConfig> => (config ??= fetch('/test-config.json').then((r) => r.json()));

export const uniqueRoom = (prefix = 'room') => `${prefix}-${crypto.randomUUID().slice(0, 12)}`;

/** Records every state a widget passes through, so a failed wait can say what happened instead. */
export function recordStates(el: CallWidget): string[] {
  const seen: string[] = [el.state];
  el.addEventListener('call-state-change', (e) => seen.push(e.detail.reason ? `${e.detail.state}(${e.detail.reason})` : e.detail.state));
  el.addEventListener('call-error', (e) => seen.push(`error:${e.detail.code}:${e.detail.message}`));
  return seen;
}

export async function widget(attrs: Record<string, string | boolean>): Promise<CallWidget> {
  const el = document.createElement('call-widget');
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  (el as CallWidget & { history?: string[] }).history = recordStates(el);
  const container = await fixture(html`<div></div>`);
  container.append(el);
  await el.updateComplete;
  return el;
}

export function historyOf(el: CallWidget): string {
  return ((el as CallWidget & { history?: string[] }).history ?? []).join(' → ');
}

/** Resolves once `el.state` is `state`; rejects after `timeoutMs` with the states it went through. */
export function waitForState(el: CallWidget, state: CallState, timeoutMs = 20_000): Promise<void> {
  if (el.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      el.removeEventListener('call-state-change', onChange);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${state}"; went ${historyOf(el)}`));
    }, timeoutMs);
    const onChange = () => {
      if (el.state !== state) return;
      clearTimeout(timer);
      el.removeEventListener('call-state-change', onChange);
      resolve();
    };
    el.addEventListener('call-state-change', onChange);
  });
}

/** Resolves with the number of video frames the widget's remote <video> presented within `ms`. */
export async function framesPresented(el: CallWidget, ms = 1500): Promise<number> {
  const video = el.shadowRoot!.querySelector<HTMLVideoElement>('[part="remote-video"]')!;
  let frames = 0;
  let stop = false;
  const onFrame = () => {
    frames += 1;
    if (!stop) video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  return frames;
}

/** `framesDecoded` of the inbound video stream, from the peer connection's own statistics. */
export async function framesDecoded(el: CallWidget): Promise<number> {
  const stats = await el.peerConnection?.getStats();
  let decoded = 0;
  stats?.forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') decoded = report.framesDecoded ?? 0;
  });
  return decoded;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export /** `navigator.mediaDevices.getUserMedia` replaced by `replacement` (given the original) until `restore()`. */
function patchGetUserMedia(replacement: (original: MediaDevices['getUserMedia'], constraints?: MediaStreamConstraints) => Promise<MediaStream>) {
  const mediaDevices = navigator.mediaDevices;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; called with `.call`
  const original = mediaDevices.getUserMedia;
  const bound = (constraints?: MediaStreamConstraints) => original.call(mediaDevices, constraints);
  mediaDevices.getUserMedia = (constraints) => replacement(bound, constraints);
  return { restore: () => (mediaDevices.getUserMedia = original) };
}
