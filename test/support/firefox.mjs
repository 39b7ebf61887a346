// Where the tests find Firefox, and the preferences it needs here (see README, "Supported browsers").
// Firefox is driven by puppeteer-core over WebDriver BiDi: stock Firefox, no patched build. Puppeteer starts
// each launch on a fresh temporary profile and adds its own automation defaults; these come on top.
import { existsSync } from 'node:fs';

export function firefoxPath() {
  const path = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
  if (!existsSync(path)) {
    throw new Error(`Firefox not found at ${path}. Install Debian's firefox-esr package or set FIREFOX_PATH.`);
  }
  return path;
}

/**
 * Preferences for headless Firefox on a machine with no network but loopback and a test address: fake camera
 * and microphone with no permission prompt, ICE that works between two browsers on one host, media that plays
 * without a click, and no background traffic to the outside.
 */
export const FIREFOX_PREFS = {
  // Media capture: a generated camera picture and tone instead of real devices (Chromium's
  // --use-fake-device-for-media-stream).
  'media.navigator.streams.fake': true,
  // No permission prompt for getUserMedia: the tests click nothing (Chromium's --use-fake-ui-for-media-stream).
  'media.navigator.permission.disabled': true,
  // A sound card: Firefox's own mock audio backend (cubeb's, made for its tests). These machines have none (no
  // /dev/snd, no PulseAudio), and without an output device Firefox never starts an AudioContext: it stays
  // `suspended` and resume() never settles, so the microphone level meter would read nothing. Chromium's
  // headless mode has a fake audio output of its own.
  'media.cubeb.force_mock_context': true,

  // ICE: Firefox leaves out loopback candidates by default; on a loopback-only machine they are the only path.
  'media.peerconnection.ice.loopback': true,
  // Real host addresses, not mDNS `.local` names: nothing on these machines answers mDNS, so Chromium could
  // not resolve Firefox's names (and Firefox not Chromium's).
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Host candidates at all (the default, stated because a relay-only profile would break every direct test).
  'media.peerconnection.ice.no_host': false,
  // Every interface's address, not only the one of the default route.
  'media.peerconnection.ice.default_address_only': false,

  // Autoplay: remote <video> and <audio> play without a user gesture (Chromium's --autoplay-policy).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Not muted by the autoplay policy either (a muted video still plays, but audio checks want sound).
  'media.autoplay.block-webaudio': false,

  // No OpenH264 download from Cisco (no internet here): the calls use VP8, as Chromium's here do.
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-gmpopenh264.autoupdate': false,

  // The online/offline state stays ours: the widget's recovery listens to `online`/`offline`, and Firefox
  // would otherwise flip them on its own network-link guesses.
  'network.manage-offline-status': false,
  // No captive-portal probe (detectportal.firefox.com) and no connectivity checks at start-up.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  // No speculative connections, DNS prefetches or link prefetches to hosts the tests never asked for.
  'network.http.speculative-parallel-limit': 0,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,

  // No updates of the browser, its add-ons or its search engines.
  'app.update.disabledForTesting': true,
  'app.update.auto': false,
  'extensions.update.enabled': false,
  'browser.search.update': false,
  // No remote settings, block lists or studies (Normandy) fetched from Mozilla.
  'services.settings.server': 'data:,#remote-settings-disabled/v1',
  'extensions.blocklist.enabled': false,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  // No telemetry or health reports.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  // No Safe Browsing list downloads or lookups.
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  // No new-tab page content (Pocket, top sites) fetched in the background.
  'browser.newtabpage.enabled': false,
  'browser.newtabpage.activity-stream.feeds.system.topstories': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  // No first-run or what's-new pages.
  'browser.startup.homepage_override.mstone': 'ignore',
  'startup.homepage_welcome_url': 'about:blank',
  'browser.aboutwelcome.enabled': false,
  'trailhead.firstrun.didSeeAboutWelcome': true,

  // Timers of a page that is not in front run at full rate: a call must not slow down because its tab is
  // hidden behind another (tests with several pages in one browser).
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
};

/** Launch options for puppeteer-core: stock Firefox over WebDriver BiDi, headless, these preferences. */
export function firefoxLaunchOptions() {
  return {
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
  };
}
