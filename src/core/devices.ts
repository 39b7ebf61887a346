import { systemClock, type Clock, type TimerHandle } from './clock.js';

/**
 * The visitor's cameras, microphones and speakers: the lists `enumerateDevices` gives (again on every
 * `devicechange`, and once permission is granted, when the labels appear), and the choice the visitor made,
 * remembered per site. No DOM beyond the `MediaDevices` and `Storage` handed in, so tests can fake both.
 */

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

export interface DeviceInfo {
  kind: DeviceKind;
  deviceId: string;
  /** Empty until the page may use a device of that kind (browsers hide labels before permission). */
  label: string;
  groupId: string;
}

export type DeviceLists = Record<DeviceKind, DeviceInfo[]>;

/** A remembered choice: ids change (cleared cookies, another browser profile), so the label is kept to match. */
export interface DeviceChoice {
  deviceId: string;
  label: string;
}

export type DevicesPort = Pick<MediaDevices, 'enumerateDevices' | 'addEventListener' | 'removeEventListener'>;

/** Where the choice is kept: `localStorage` in a page; any `getItem`/`setItem` in a test. */
export type ChoiceStore = Pick<Storage, 'getItem' | 'setItem'>;

export const KINDS: DeviceKind[] = ['audioinput', 'videoinput', 'audiooutput'];
const STORAGE_KEY = 'call-widget:devices';
/** Plugging in a headset fires `devicechange` several times in a row (one per kind, per OS layer). */
const DEVICECHANGE_DEBOUNCE_MS = 250;

const emptyLists = (): DeviceLists => ({ audioinput: [], videoinput: [], audiooutput: [] });

export class Devices {
  lists: DeviceLists = emptyLists();
  readonly #port: DevicesPort | undefined;
  readonly #store: ChoiceStore | undefined;
  readonly #onChange: (previous: DeviceLists) => void;
  #chosen: Partial<Record<DeviceKind, DeviceChoice>>;
  #debounce: TimerHandle | undefined;
  readonly #clock: Clock;
  readonly #abort = new AbortController();

  /** `onChange`: the lists changed (a device came or went, labels appeared); `previous` is what they were. */
  constructor(options: { port?: DevicesPort; store?: ChoiceStore; clock?: Clock; onChange: (previous: DeviceLists) => void }) {
    this.#port = options.port;
    this.#store = options.store;
    this.#onChange = options.onChange;
    this.#clock = options.clock ?? systemClock;
    this.#chosen = readChoices(options.store);
    options.port?.addEventListener(
      'devicechange',
      () => {
        if (this.#debounce) this.#clock.clearTimeout(this.#debounce);
        this.#debounce = this.#clock.setTimeout(() => void this.refresh(), DEVICECHANGE_DEBOUNCE_MS);
      },
      { signal: this.#abort.signal },
    );
  }

  /** Lists the devices again; `onChange` if anything differs. */
  async refresh(): Promise<void> {
    const found = await this.#port?.enumerateDevices().catch(() => null);
    if (!found || this.#abort.signal.aborted) return;
    const lists = emptyLists();
    for (const { kind, deviceId, label, groupId } of found) if (lists[kind]) lists[kind].push({ kind, deviceId, label, groupId });
    const previous = this.lists;
    if (JSON.stringify(previous) === JSON.stringify(lists)) return;
    this.lists = lists;
    this.#onChange(previous);
  }

  /** The visitor's choice for `kind`, if any: remembered from an earlier visit or made now. */
  chosen(kind: DeviceKind): DeviceChoice | undefined {
    return this.#chosen[kind];
  }

  /**
   * The listed device the choice for `kind` names: by id, else by label (the id changed). Undefined when the
   * chosen device is not here, or nothing was chosen.
   */
  find(kind: DeviceKind, choice = this.#chosen[kind]): DeviceInfo | undefined {
    if (!choice) return undefined;
    const list = this.lists[kind];
    return list.find((d) => d.deviceId && d.deviceId === choice.deviceId) ?? list.find((d) => d.label && d.label === choice.label);
  }

  /**
   * What to ask `getUserMedia` for: the chosen device `{exact}` when it is listed (a missing one fails, and
   * the caller falls back to the default); `{ideal}` when the browser lists no ids yet (before permission),
   * so the remembered id is tried without failing; nothing when nothing was chosen.
   */
  constraint(kind: 'audioinput' | 'videoinput'): MediaTrackConstraints | undefined {
    const choice = this.#chosen[kind];
    if (!choice) return undefined;
    const device = this.find(kind);
    if (device) return { deviceId: { exact: device.deviceId } };
    return this.lists[kind].some((d) => d.deviceId) ? undefined : { deviceId: { ideal: choice.deviceId } };
  }

  /** The visitor picked `deviceId`: kept for this site, so the next visit opens it again. */
  choose(kind: DeviceKind, deviceId: string): DeviceInfo | undefined {
    const device = this.lists[kind].find((d) => d.deviceId === deviceId);
    this.#chosen[kind] = { deviceId, label: device?.label ?? this.#chosen[kind]?.label ?? '' };
    try {
      this.#store?.setItem(STORAGE_KEY, JSON.stringify(this.#chosen));
    } catch {
      // Storage full or blocked (private mode, a sandboxed frame): the choice holds for this page only.
    }
    return device;
  }

  close(): void {
    if (this.#debounce) this.#clock.clearTimeout(this.#debounce);
    this.#abort.abort();
  }
}

/** The remembered choices, with anything malformed (another version, a hand-edited value) left out. */
function readChoices(store: ChoiceStore | undefined): Partial<Record<DeviceKind, DeviceChoice>> {
  const chosen: Partial<Record<DeviceKind, DeviceChoice>> = {};
  try {
    const saved = JSON.parse(store?.getItem(STORAGE_KEY) ?? '{}') as Record<string, Partial<DeviceChoice>>;
    for (const kind of KINDS) {
      const { deviceId, label } = saved?.[kind] ?? {};
      if (typeof deviceId === 'string' && typeof label === 'string' && deviceId.length < 512 && label.length < 512) chosen[kind] = { deviceId, label };
    }
  } catch {
    // Unreadable: as if nothing was chosen.
  }
  return chosen;
}
