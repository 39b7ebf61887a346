/**
 * Firefox for the end-to-end tests: stock firefox-esr driven by puppeteer-core over WebDriver BiDi (Playwright's
 * Firefox would need its own patched build), headless, on a fresh profile with the prefs of test/support/firefox.mjs
 * (fake camera and microphone, ICE on this machine, autoplay, no background traffic).
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { firefoxLaunchOptions } from '../support/firefox.mjs';

export type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';

export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch(firefoxLaunchOptions() as Parameters<typeof puppeteer.launch>[0]);
}
