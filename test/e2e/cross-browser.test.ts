/**
 * Chromium and Firefox calling each other: a plain page on the site's own origin loads only `dist/call-widget.js`
 * from the call server as `npm start` runs it, in real Chromium (Playwright) and real Firefox (puppeteer-core
 * over WebDriver BiDi), with fake cameras and microphones. Every case is a real call through the real server.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import { startServer } from '../support/servers.mjs';
import { launchFirefox, type FirefoxBrowser } from './firefox.js';
import { remoteVideoScript, type RemoteVideo } from './remote-video.js';

type Kind = 'chromium' | 'firefox';

/** One visitor's page, whichever browser drives it. */
interface Visitor {
  name: string;
  kind: Kind;
  /** Evaluates a JavaScript expression in the page; a promise is awaited. */
  run<T = unknown>(expression: string): Promise<T>;
  close(): Promise<void>;
  /** The page's console: printed when a test fails. */
  logs: string[];
}

let site: Server;
let siteOrigin: string;
let callServer: Awaited<ReturnType<typeof startServer>>;
let chromiumBrowser: Browser;
let firefoxBrowser: FirefoxBrowser;
const open: Visitor[] = [];

/**
 * The site owner's page: the script tag and the element, and a recorder of the widget's events that the tests
 * read (`calls`), with `until(test, ms, what)`: a bounded wait in the page that says what happened on timeout.
 */
const page = (signalingUrl: string, room: string, name: string, media: string) => `<!doctype html>
<meta charset="utf-8"><title>${name}</title>
<script>
  window.calls = { history: [], errors: [], reconnects: [] };
  document.addEventListener('call-state-change', (e) =>
    calls.history.push(e.detail.reason ? e.detail.state + '(' + e.detail.reason + ')' : e.detail.state));
  document.addEventListener('call-error', (e) => calls.errors.push(e.detail));
  document.addEventListener('call-reconnect', (e) => calls.reconnects.push({ ...e.detail, at: calls.history.length }));
  window.widget = () => document.querySelector('call-widget');
  window.until = (test, ms, what) => new Promise((resolve, reject) => {
    let tick;
    const fail = (why) => {
      clearTimeout(timer);
      clearInterval(tick);
      reject(new Error(document.title + ': no ' + what + ' ' + why + '; went ' + calls.history.join(' → ') +
        '; errors ' + JSON.stringify(calls.errors) + '; reconnects ' + JSON.stringify(calls.reconnects)));
    };
    const timer = setTimeout(() => fail('within ' + ms + ' ms'), ms);
    tick = setInterval(async () => {
      let value;
      try {
        value = await test();
      } catch (error) {
        return fail('(' + error.message + ')');
      }
      if (!value) return;
      clearTimeout(timer);
      clearInterval(tick);
      resolve(value);
    }, 50);
  });
</script>
<script type="module" src="${signalingUrl}/call-widget.js"></script>
<call-widget signaling-url="${signalingUrl}" room="${room}" ice-servers-url="${signalingUrl}/ice-servers" display-name="${name}" media="${media}"></call-widget>`;

before(async () => {
  assert.ok(existsSync('dist/call-widget.js'), 'dist/call-widget.js is missing: run `npm run build` first');
  site = createServer((request, response) => {
    const url = new URL(request.url!, 'http://x');
    const q = (key: string) => url.searchParams.get(key)!;
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(page(q('server'), q('room'), q('name'), q('media')));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  callServer = await startServer({ name: 'npm-start', env: { ALLOWED_ORIGINS: siteOrigin } });
  [chromiumBrowser, firefoxBrowser] = await Promise.all([
    chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS }),
    launchFirefox(),
  ]);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close().catch(() => {})));
});

after(async () => {
  await Promise.all([chromiumBrowser?.close(), firefoxBrowser?.close()].map((p) => p?.catch(() => {})));
  await callServer?.stop();
  site?.close();
});

/** A visitor in its own browser context (own cookies and storage), on the site's page for `room`. */
async function visitor(kind: Kind, name: string, room: string, media = 'video'): Promise<Visitor> {
  const url = `${siteOrigin}/?${new URLSearchParams({ server: callServer.url, room, name, media }).toString()}`;
  let v: Visitor;
  if (kind === 'chromium') {
    const context = await chromiumBrowser.newContext();
    const p = await context.newPage();
    v = { name, kind, run: (expression) => p.evaluate(expression), close: () => context.close(), logs: [] };
    p.on('console', (message) => v.logs.push(`${message.type()}: ${message.text()}`));
    open.push(v);
    await p.goto(url);
  } else {
    const context = await firefoxBrowser.createBrowserContext();
    // A window of its own, not a tab: a tab behind another may be hidden, and a hidden page presents no video
    // frames (the visibility is checked below).
    const p = await context.newPage({ type: 'window' });
    v = { name, kind, run: (expression) => p.evaluate(expression) as Promise<never>, close: () => context.close(), logs: [] };
    p.on('console', (message) => v.logs.push(`${message.type()}: ${message.text()}`));
    open.push(v);
    await p.goto(url);
  }
  assert.equal(await v.run('document.visibilityState'), 'visible', `${name}'s page is not visible`);
  return v;
}

/** Runs a test; when it fails, prints the console of every page it opened. */
const withLogs = (fn: () => Promise<void>) => async () => {
  try {
    await fn();
  } catch (error) {
    for (const v of open) if (v.logs.length) console.log(`--- ${v.name} (${v.kind}) console:\n${v.logs.join('\n')}`);
    throw error;
  }
};

const room = (what: string) => `xb-${what}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

function waitForState(v: Visitor, state: string, timeout = 20_000): Promise<void> {
  return v.run(`until(() => widget().state === ${JSON.stringify(state)}, ${timeout}, 'state ${state}')`);
}

const history = (v: Visitor) => v.run<string[]>('calls.history');
const fatalErrors = (v: Visitor) => v.run<{ code: string; message: string }[]>('calls.errors.filter((e) => e.fatal)');

/** Two visitors in one room, both `ready`. */
async function pair(a: [Kind, string, string?], b: [Kind, string, string?], what: string) {
  const r = room(what);
  const first = await visitor(a[0], a[1], r, a[2]);
  await waitForState(first, 'waiting');
  const second = await visitor(b[0], b[1], r, b[2]);
  await Promise.all([waitForState(first, 'ready'), waitForState(second, 'ready')]);
  return [first, second] as const;
}

/** `caller` calls, `callee` accepts once it rings; both reach `connected`. */
async function connect(caller: Visitor, callee: Visitor) {
  await caller.run('void widget().call()');
  await waitForState(callee, 'ringing');
  await callee.run('void widget().accept()');
  await Promise.all([waitForState(caller, 'connected'), waitForState(callee, 'connected')]);
}

const REMOTE_VIDEO = remoteVideoScript('widget()');

/** Each visitor's remote video presents more than 5 frames in one second, within `seconds` one-second windows. */
async function expectRemoteVideo(...visitors: Visitor[]) {
  return expectRemoteVideoWithin(1, ...visitors);
}

async function expectRemoteVideoWithin(seconds: number, ...visitors: Visitor[]) {
  for (const v of visitors) {
    const windows: number[] = [];
    let video = { frames: 0, width: 0, height: 0 };
    while (windows.length < seconds && video.frames <= 5) {
      video = await v.run<RemoteVideo>(REMOTE_VIDEO);
      windows.push(video.frames);
    }
    assert.ok(video.frames > 5, `${v.name} (${v.kind}) saw ${windows.join(', ')} remote frames in ${windows.length} one-second windows`);
    assert.ok(video.width > 0 && video.height > 0, `${v.name} (${v.kind}) remote video is ${video.width}x${video.height}`);
  }
}

async function expectNoFatalErrors(...visitors: Visitor[]) {
  for (const v of visitors) assert.deepEqual(await fatalErrors(v), [], `${v.name} (${v.kind}) had fatal call-errors`);
}

/** RTP bytes of the widget's connection, by direction and kind, and what its transceivers negotiated. */
const RTP = `(async () => {
  const pc = widget().peerConnection;
  const bytes = { audioIn: 0, audioOut: 0, videoIn: 0, videoOut: 0 };
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp') bytes[r.kind + 'In'] += r.bytesReceived ?? 0;
    if (r.type === 'outbound-rtp') bytes[r.kind + 'Out'] += r.bytesSent ?? 0;
  });
  const transceivers = pc.getTransceivers().map((t) =>
    (t.receiver.track && t.receiver.track.kind) + ':' + t.direction + '/' + t.currentDirection + (t.stopped ? '/stopped' : ''));
  return { ...bytes, transceivers };
})()`;
type Rtp = { audioIn: number; audioOut: number; videoIn: number; videoOut: number; transceivers: string[] };
const rtp = (v: Visitor) => v.run<Rtp>(RTP);

/** The ICE username fragments of both descriptions: they change with every ICE restart (and every new connection). */
const ICE_UFRAGS = `(() => {
  const pc = widget().peerConnection;
  const ufrag = (d) => d && (d.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1];
  return ufrag(pc.localDescription) + '/' + ufrag(pc.remoteDescription);
})()`;

/** The SDP session id (o= line) of one side's local and remote description: one call pairs A's local with B's remote. */
const SESSION_IDS = `(() => {
  const pc = widget().peerConnection;
  const id = (d) => (d.sdp.match(/^o=\\S+ (\\d+)/m) || [])[1];
  return { local: id(pc.localDescription), remote: id(pc.remoteDescription), state: pc.connectionState };
})()`;

describe('calls between Chromium and Firefox', { timeout: 180_000 }, () => {
  for (const [callerKind, calleeKind, label] of [['chromium', 'firefox', 'Chromium calls Firefox'], ['firefox', 'chromium', 'Firefox calls Chromium']] as [Kind, Kind, string][]) {
    it(`${label}: video both ways, then hang up`, { timeout: 60_000 }, withLogs(async () => {
      const [alice, bob] = await pair([callerKind, 'Alice'], [calleeKind, 'Bob'], `${callerKind}-${calleeKind}`);
      await connect(alice, bob);
      await expectRemoteVideo(alice, bob);
      await alice.run('widget().hangUp()');
      await Promise.all([waitForState(alice, 'ended'), waitForState(bob, 'ended')]);
      assert.ok((await history(bob)).includes('ended(peer-hangup)'), `Bob went ${(await history(bob)).join(' → ')}`);
      await expectNoFatalErrors(alice, bob);
    }));
  }

  it('Firefox calls Firefox: video both ways', { timeout: 60_000 }, withLogs(async () => {
    const [alice, bob] = await pair(['firefox', 'Alice'], ['firefox', 'Bob'], 'f2f');
    await connect(alice, bob);
    await expectRemoteVideo(alice, bob);
    await expectNoFatalErrors(alice, bob);
  }));

  it('both call at the same moment (glare): exactly one call, connected on both', { timeout: 60_000 }, withLogs(async () => {
    // The same wall-clock moment in both pages (one machine, one clock), before either invite can arrive. A
    // page whose timer fires late finds the other's invite ringing first: not glare, so that round is closed
    // and another one tried, three at most.
    let chromiumSide!: Visitor;
    let firefoxSide!: Visitor;
    for (let round = 1; ; round++) {
      [chromiumSide, firefoxSide] = await pair(['chromium', 'Alice'], ['firefox', 'Bob'], 'glare');
      const at = Date.now() + 500;
      await Promise.all([chromiumSide, firefoxSide].map((v) => v.run(`void setTimeout(() => widget().call(), ${at} - Date.now())`)));
      const both = [chromiumSide, firefoxSide].map((v) => v.run(`until(() => calls.history.includes('calling') || widget().state === 'ringing', 5000, 'calling or ringing')`));
      await Promise.all(both);
      const rang = await Promise.all([chromiumSide, firefoxSide].map((v) => v.run<boolean>(`widget().state === 'ringing'`)));
      if (!rang.includes(true)) break;
      assert.ok(round < 3, 'three rounds, and never did both calls cross');
      await Promise.all([chromiumSide, firefoxSide].map((v) => v.close()));
    }
    await Promise.all([waitForState(chromiumSide, 'connected'), waitForState(firefoxSide, 'connected')]);
    for (const v of [chromiumSide, firefoxSide]) {
      const went = await history(v);
      assert.ok(!went.some((s) => s.startsWith('ringing')), `${v.name} (${v.kind}) rang instead of glare: ${went.join(' → ')}`);
      assert.equal(went.filter((s) => s === 'connected').length, 1, `${v.name} (${v.kind}) went ${went.join(' → ')}`);
    }
    const c = await chromiumSide.run<{ local: string; remote: string; state: string }>(SESSION_IDS);
    const f = await firefoxSide.run<{ local: string; remote: string; state: string }>(SESSION_IDS);
    assert.deepEqual([c.state, f.state], ['connected', 'connected']);
    assert.equal(c.remote, f.local, 'Chromium\'s remote description is not Firefox\'s local one: two calls?');
    assert.equal(f.remote, c.local, 'Firefox\'s remote description is not Chromium\'s local one: two calls?');
    await expectRemoteVideo(chromiumSide, firefoxSide);
    await expectNoFatalErrors(chromiumSide, firefoxSide);
  }));

  for (const [callerKind, calleeKind] of [['chromium', 'firefox'], ['firefox', 'chromium']] as const) {
    it(`${callerKind} calls an audio-only ${calleeKind} (media="audio"): audio both ways, no video either way`, { timeout: 60_000 }, withLogs(async () => {
      const [caller, callee] = await pair([callerKind, 'Alice'], [calleeKind, 'Bob', 'audio'], 'audio');
      await connect(caller, callee);
      // Audio flows both ways: bytes in and out keep rising over a second on each side.
      const before = await Promise.all([rtp(caller), rtp(callee)]);
      await Promise.all(
        [caller, callee].map((v, i) =>
          v.run(`until(async () => {
            const now = await ${RTP};
            const was = ${JSON.stringify(before[i])};
            return now.audioIn > was.audioIn && now.audioOut > was.audioOut && Date.now() - ${Date.now()} > 1000;
          }, 10000, 'rising audio bytes both ways')`),
        ),
      );
      // Both sides first, then the verdict, so a failure shows what each side sent and received.
      const seen = await Promise.all([caller, callee].map(async (v) => ({ v, now: await rtp(v) })));
      const report = seen.map(({ v, now }) => `${v.name} (${v.kind}${v === callee ? ', media="audio"' : ''}): ${JSON.stringify(now)}`).join('; ');
      for (const { now } of seen) {
        assert.ok(now.audioIn > 0 && now.audioOut > 0, `audio missing: ${report}`);
        assert.ok(now.videoIn === 0 && now.videoOut === 0, `video bytes on an audio-only call: ${report}`);
      }
      await expectNoFatalErrors(caller, callee);
    }));
  }

  // Each side restarts, in calls placed from each side: which side offers first fixes the DTLS roles the restart
  // must keep.
  const restarts = [['chromium', 'chromium'], ['chromium', 'firefox'], ['firefox', 'chromium'], ['firefox', 'firefox']] as const;
  for (const [callerKind, restarting] of restarts) {
    const calleeKind = callerKind === 'chromium' ? 'firefox' : 'chromium';
    it(`${callerKind} calls ${calleeKind}, ${restarting} restarts ICE (the browser says it is back online): the call recovers`, { timeout: 90_000 }, withLogs(async () => {
      const [alice, bob] = await pair([callerKind, 'Alice'], [calleeKind, 'Bob'], `restart-${callerKind}-${restarting}`);
      await connect(alice, bob);
      await expectRemoteVideo(alice, bob);
      const [trigger, other] = restarting === alice.kind ? [alice, bob] : [bob, alice];
      const ufrags = await Promise.all([trigger.run<string>(ICE_UFRAGS), other.run<string>(ICE_UFRAGS)]);

      // The widget's own recovery: coming back online restarts ICE at once.
      await trigger.run(`window.dispatchEvent(new Event('online'))`);
      await trigger.run(`until(() => calls.reconnects.length > 0, 5000, 'call-reconnect event')`);
      // Connected again within the reconnect window (30 s by default); an end or a failure stops the wait.
      const settled = (v: Visitor) =>
        v.run(`until(() => {
          if (/^(ended|failed)/.test(calls.history.at(-1))) throw new Error('the call ended');
          return widget().state === 'connected' && widget().peerConnection?.connectionState === 'connected';
        }, 30000, 'connected again')`);
      await Promise.all([settled(trigger), settled(other)]);

      const after = await Promise.all([trigger.run<string>(ICE_UFRAGS), other.run<string>(ICE_UFRAGS)]);
      assert.notEqual(after[0], ufrags[0], `${trigger.name} (${trigger.kind}): ICE credentials did not change`);
      assert.notEqual(after[1], ufrags[1], `${other.name} (${other.kind}): ICE credentials did not change`);
      await expectNoFatalErrors(alice, bob);
      // Video may pause for a moment after the restart (until the next key frame), but not for long.
      await expectRemoteVideoWithin(5, alice, bob);
      for (const v of [alice, bob]) {
        const went = await history(v);
        assert.ok(!went.some((s) => s.startsWith('ended') || s.startsWith('failed')), `${v.name} (${v.kind}) went ${went.join(' → ')}`);
      }
    }));
  }

  for (const [aKind, bKind] of [['chromium', 'chromium'], ['chromium', 'firefox']] as [Kind, Kind][]) {
    it(`${aKind} and ${bKind} both restart ICE at the same moment: both recover, with video presented and a path`, { timeout: 90_000 }, withLogs(async () => {
      const [alice, bob] = await pair([aKind, 'Alice'], [bKind, 'Bob'], `both-restart-${bKind}`);
      await connect(alice, bob);
      await expectRemoteVideo(alice, bob);
      // Both networks change at one wall-clock moment; the polite side's restart waits its turn.
      const at = Date.now() + 300;
      await Promise.all([alice, bob].map((v) => v.run(`void setTimeout(() => window.dispatchEvent(new Event('online')), ${at} - Date.now())`)));
      await Promise.all([alice, bob].map((v) => v.run(`until(() => calls.history.includes('reconnecting(network)'), 5000, 'reconnecting')`)));
      await Promise.all(
        [alice, bob].map((v) =>
          v.run(`until(() => {
            if (/^(ended|failed)/.test(calls.history.at(-1))) throw new Error('the call ended');
            return calls.history.at(-1) === 'connected' && widget().path;
          }, 30000, 'connected again with a path')`),
        ),
      );
      // Judged on frames presented: each side shows the other's video again, not a frozen picture.
      await expectRemoteVideoWithin(5, alice, bob);
      await expectNoFatalErrors(alice, bob);
    }));
  }

  it('Firefox navigates away mid-call: Chromium sees peer-left within 5 s', { timeout: 60_000 }, withLogs(async () => {
    const [alice, bob] = await pair(['chromium', 'Alice'], ['firefox', 'Bob'], 'leave');
    await connect(alice, bob);
    await expectRemoteVideo(alice, bob);
    const leftAt = Date.now();
    // Navigated by the page itself, after this evaluation has returned.
    await bob.run(`void setTimeout(() => { location.href = 'about:blank'; })`);
    // Mid-call, peer-left ends the call and there is nobody to call: straight to `waiting`, not `ended`.
    await alice.run(`until(() => calls.history.includes('waiting(peer-left)'), 5000, 'peer-left')`);
    assert.ok(!(await history(alice)).some((s) => s.startsWith('ended')), `Alice went ${(await history(alice)).join(' → ')}`);
    assert.ok(Date.now() - leftAt < 5000, `peer-left after ${Date.now() - leftAt} ms`);
    await expectNoFatalErrors(alice);
  }));
});
