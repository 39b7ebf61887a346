/**
 * The device lists and the remembered choice (`src/core/devices.ts`), through its seams: a fake
 * `enumerateDevices` with `devicechange`, a fake storage and the fake clock. Switching real tracks is in
 * call-controls.test.ts.
 */
import { expect } from '@open-wc/testing';
import { Devices, type DeviceInfo, type DevicesPort } from '../../src/core/devices.js';
import { FakeClock } from './fake-clock.js';

class FakeMediaDevices extends EventTarget implements DevicesPort {
  list: Array<Omit<DeviceInfo, 'groupId'> & { groupId?: string }> = [];
  calls = 0;
  enumerateDevices(): Promise<MediaDeviceInfo[]> {
    this.calls++;
    return Promise.resolve(this.list.map((d) => ({ groupId: '', ...d, toJSON: () => d }) as MediaDeviceInfo));
  }
}

class FakeStore {
  values = new Map<string, string>();
  getItem(key: string) {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.values.set(key, value);
  }
}

const cam = (deviceId: string, label: string) => ({ kind: 'videoinput' as const, deviceId, label });
const mic = (deviceId: string, label: string) => ({ kind: 'audioinput' as const, deviceId, label });
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Devices', () => {
  let port: FakeMediaDevices;
  let store: FakeStore;
  let clock: FakeClock;
  let changes: number;
  let devices: Devices;
  const make = () => (devices = new Devices({ port, store, clock, onChange: () => void changes++ }));

  beforeEach(() => {
    port = new FakeMediaDevices();
    store = new FakeStore();
    clock = new FakeClock();
    changes = 0;
  });
  afterEach(() => devices?.close());

  it('lists by kind, and reports a change only when something differs (labels appearing after permission count)', async () => {
    port.list = [cam('', ''), mic('', '')];
    make();
    await devices.refresh();
    expect(devices.lists.videoinput.map((d) => d.deviceId)).to.deep.equal(['']);
    expect(changes).to.equal(1);
    await devices.refresh();
    expect(changes).to.equal(1);
    port.list = [cam('c1', 'Front camera'), mic('m1', 'Headset')];
    await devices.refresh();
    expect(changes).to.equal(2);
    expect(devices.lists.audioinput[0]!.label).to.equal('Headset');
  });

  it('debounces devicechange: a burst of events lists once, 250 ms after the last', async () => {
    make();
    const before = port.calls;
    for (let i = 0; i < 5; i++) {
      port.dispatchEvent(new Event('devicechange'));
      await clock.tick(100);
    }
    expect(port.calls).to.equal(before);
    await clock.tick(250);
    await flush();
    expect(port.calls).to.equal(before + 1);
  });

  it('remembers the choice per site, and finds it again by label when the id changed', async () => {
    port.list = [cam('c1', 'Front camera'), cam('c2', 'USB camera')];
    make();
    await devices.refresh();
    devices.choose('videoinput', 'c2');
    devices.close();
    // Another visit: the browser gave the same camera another id.
    port.list = [cam('x1', 'Front camera'), cam('x2', 'USB camera')];
    make();
    await devices.refresh();
    expect(devices.find('videoinput')?.deviceId).to.equal('x2');
    expect(devices.constraint('videoinput')).to.deep.equal({ deviceId: { exact: 'x2' } });
  });

  it('asks {exact} only for a listed device: {ideal} while ids are hidden, nothing once it is gone', async () => {
    store.setItem('call-widget:devices', JSON.stringify({ audioinput: { deviceId: 'm9', label: 'Old headset' } }));
    port.list = [mic('', '')];
    make();
    await devices.refresh();
    expect(devices.constraint('audioinput')).to.deep.equal({ deviceId: { ideal: 'm9' } });
    port.list = [mic('m1', 'Built-in')];
    await devices.refresh();
    expect(devices.constraint('audioinput')).to.equal(undefined);
    expect(devices.constraint('videoinput')).to.equal(undefined);
  });

  it('ignores a malformed remembered value, and survives a storage that throws', async () => {
    store.setItem('call-widget:devices', '{"videoinput":{"deviceId":42},"audioinput":"x"');
    make();
    expect(devices.chosen('videoinput')).to.equal(undefined);
    expect(devices.chosen('audioinput')).to.equal(undefined);
    devices.close();
    const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    devices = new Devices({ port, store: throwing, clock, onChange: () => {} });
    port.list = [cam('c1', 'Front camera')];
    await devices.refresh();
    devices.choose('videoinput', 'c1');
    expect(devices.chosen('videoinput')).to.deep.equal({ deviceId: 'c1', label: 'Front camera' });
  });
});
