/**
 * The media controls of `<call-widget>` as templates: mute, camera, the device menu, the meter, full screen
 * and picture-in-picture. The element decides when they show and what they do; these only render.
 */
import { html, nothing } from 'lit';
import type { DeviceKind, DeviceLists } from './core/devices.js';
import type { LevelReading } from './core/level-meter.js';
import type { CaptureState } from './core/local-media.js';

export interface ControlsView {
  local: CaptureState;
  /** The call carries video (a camera can be turned on). */
  video: boolean;
  menuOpen: boolean;
  /** Full screen and picture-in-picture: offered in a call only, where the browser has them. */
  fullscreen?: boolean | undefined;
  pip?: boolean | undefined;
  onMute: () => void;
  onCamera: () => void;
  onMenu: () => void;
  onFullscreen: () => void;
  onPip: () => void;
}

const toggle = (part: string, label: string, pressed: boolean, onClick: () => void) =>
  html`<button part=${part} aria-pressed=${pressed ? 'true' : 'false'} @click=${onClick}>${label}</button>`;

export function mediaButtons(view: ControlsView) {
  return html`
    ${toggle('mute-button', 'Mute', view.local.muted, view.onMute)}
    ${view.video ? toggle('camera-button', 'Camera off', view.local.cameraOff, view.onCamera) : nothing}
    <button part="devices-button" aria-expanded=${view.menuOpen ? 'true' : 'false'} aria-controls="device-menu" @click=${view.onMenu}>
      Devices
    </button>
    ${view.fullscreen === undefined ? nothing : toggle('fullscreen-button', 'Full screen', view.fullscreen, view.onFullscreen)}
    ${view.pip === undefined ? nothing : toggle('pip-button', 'Picture in picture', view.pip, view.onPip)}
  `;
}

export interface MenuView {
  lists: DeviceLists;
  active: (kind: DeviceKind) => string;
  video: boolean;
  /** `setSinkId` works here; where it does not, the speaker is the system's and says so. */
  speaker: boolean;
  onSelect: (kind: DeviceKind, deviceId: string) => void;
  onClose: () => void;
}

const NAMES: Record<DeviceKind, [part: string, label: string]> = {
  videoinput: ['camera-select', 'Camera'],
  audioinput: ['microphone-select', 'Microphone'],
  audiooutput: ['speaker-select', 'Speaker'],
};

function picker(view: MenuView, kind: DeviceKind) {
  const [part, label] = NAMES[kind];
  const active = view.active(kind) || 'default';
  const list = view.lists[kind];
  const chosen = list.some((d) => d.deviceId === active) ? active : list[0]?.deviceId;
  return html`<label part="device-label"
    >${label}
    <select part=${part} @change=${(e: Event) => view.onSelect(kind, (e.target as HTMLSelectElement).value)}>
      ${list.map((d, i) => html`<option value=${d.deviceId} ?selected=${d.deviceId === chosen}>${d.label || `${label} ${i + 1}`}</option>`)}
    </select></label
  >`;
}

export function deviceMenu(view: MenuView) {
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && view.onClose();
  return html`<div part="device-menu" id="device-menu" role="group" aria-label="Devices" @keydown=${onKey}>
    ${view.video ? picker(view, 'videoinput') : nothing} ${picker(view, 'audioinput')}
    ${view.speaker
      ? picker(view, 'audiooutput')
      : html`<span part="device-label">Speaker <span part="speaker-default">System default</span></span>`}
  </div>`;
}

/** ARIA 1.2's `meter`; lit-analyzer's list of roles predates it. */
const METER = 'meter' as 'progressbar';

/** The microphone's level, and what to do when it hears nothing or too much. */
export function meter(reading: LevelReading, muted: boolean) {
  const percent = Math.round(reading.level * 100);
  const hint = muted
    ? reading.speaking
      ? 'You are muted. Unmute to be heard.'
      : ''
    : reading.noInput
      ? 'No sound from your microphone. Check that it is on, or choose another one.'
      : reading.clipping
        ? 'Your microphone is very loud. Move it away a little.'
        : '';
  return html`<div part="meter" role=${METER} aria-label="Microphone level" aria-valuenow=${percent}>
      <div part="meter-bar"></div>
    </div>
    ${hint ? html`<p part=${muted ? 'muted-hint' : 'meter-hint'} role="status">${hint}</p>` : nothing}`;
}

/** mm:ss (h:mm:ss past an hour) since `since`. */
export function elapsed(since: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(seconds / 3600);
  return `${hours ? `${hours}:${two(Math.floor(seconds / 60) % 60)}` : Math.floor(seconds / 60)}:${two(seconds % 60)}`;
}
