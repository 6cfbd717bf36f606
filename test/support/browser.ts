import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); browser tests never download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet, offline, sandbox-free Chromium: no GPU, no QUIC, no background calls home. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOT_DIR = resolve(__dirname, '../artifacts/screenshots');

export interface BrowserSession {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /**
   * Another context in the same browser: its own cookies and storage, as a second operator on another
   * workstation would have (one browser process, so it is cheap on a small machine).
   */
  newContext(): Promise<BrowserContext>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  /** The browser's language (navigator.language); the console itself starts in zh-CN regardless. */
  locale?: string;
  timezoneId?: string;
}

/** Starts Chromium with a fresh, in-memory profile, so no state leaks from one test file to the next. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<BrowserSession> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const contextOptions = {
    viewport: options.viewport ?? { width: 1600, height: 900 },
    locale: options.locale ?? 'zh-CN',
    timezoneId: options.timezoneId ?? 'Asia/Shanghai',
  };
  try {
    const context = await browser.newContext(contextOptions);
    return {
      context,
      newPage: () => context.newPage(),
      newContext: () => browser.newContext(contextOptions),
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Signs in through the console's own form and waits for the signed-in header. */
export async function signInThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('form button[type="submit"]').click();
  await page.getByTestId('current-user').waitFor();
}

/** Saves a full-page PNG under test/artifacts/screenshots/ and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
