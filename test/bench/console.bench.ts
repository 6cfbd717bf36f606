/**
 * How fast the built console opens on localhost, and how much JavaScript its first page costs.
 *
 *   npm run build && npm run bench:console      (tsx test/bench/console.bench.ts)
 *   BENCH_QUICK=1 npm run bench:console         fewer loads (3 instead of 10)
 *
 * Starts the built hub (embedded broker and database) serving console/dist, then in Debian's Chromium:
 * - cold loads of the sign-in page (new context each time, so nothing cached): navigation start to the form
 *   being usable, and to the load event;
 * - cold loads with a signed-in session (the token pair in sessionStorage, as after a sign-in): navigation
 *   start to the alert wall drawn and connected;
 * - every script the browser fetched for the signed-in first page, gzipped (level 9) and summed.
 * Targets: first page usable under 1,500 ms, its JavaScript under 500 KB gzipped. Prints one JSON line at the end.
 */
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { TokenPair } from '@citywatch/protocol';
import { CHROMIUM_PATH } from '../support/browser';
import { TEST_ADMIN, signIn, startHub } from '../support/hub';

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 3 : 10;
const LOAD_TARGET_MS = 1_500;
const JS_TARGET_BYTES = 500 * 1024;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number) => Math.round(value);

async function main(): Promise<void> {
  const hub = await startHub();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const pair: TokenPair = await signIn(hub.httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const signInMs: number[] = [];
    const signInLoadMs: number[] = [];
    const wallMs: number[] = [];
    let scripts: { url: string; bytes: number; gzipBytes: number }[] = [];

    for (let run = 0; run < RUNS + 1; run += 1) {
      // Run 0 warms the hub (first static reads, first queries) and is not counted.
      const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
      const page = await context.newPage();
      await page.goto(hub.httpUrl);
      await page.locator('input[name="username"]').waitFor();
      // Evaluated in the page (the test project has no DOM types): ms since navigation start, and the load event.
      const signInTimes = (await page.evaluate(
        '({ usable: performance.now(), load: performance.getEntriesByType("navigation")[0].loadEventEnd })',
      )) as { usable: number; load: number };
      await context.close();

      const signedIn = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
      // As after a sign-in in this tab (the console keeps the session in sessionStorage).
      await signedIn.addInitScript(
        `sessionStorage.setItem('citywatch.session', ${JSON.stringify(JSON.stringify(pair))})`,
      );
      const wallPage = await signedIn.newPage();
      const fetched: Promise<{ url: string; bytes: number; gzipBytes: number }>[] = [];
      wallPage.on('response', (response) => {
        if (response.request().resourceType() !== 'script') return;
        fetched.push(
          response.body().then((body) => ({
            url: new URL(response.url()).pathname,
            bytes: body.length,
            gzipBytes: gzipSync(body, { level: 9 }).length,
          })),
        );
      });
      await wallPage.goto(hub.httpUrl);
      await wallPage.locator('.connection-indicator[data-state="connected"]').waitFor();
      await wallPage.locator('.alerts-page').waitFor();
      await wallPage.getByText('暂无告警').waitFor();
      const wall = (await wallPage.evaluate('performance.now()')) as number;
      scripts = await Promise.all(fetched);
      await signedIn.close();

      if (run === 0) continue;
      signInMs.push(signInTimes.usable);
      signInLoadMs.push(signInTimes.load);
      wallMs.push(wall);
    }

    const jsBytes = scripts.reduce((sum, s) => sum + s.bytes, 0);
    const jsGzipBytes = scripts.reduce((sum, s) => sum + s.gzipBytes, 0);
    console.log(`console load on ${hub.httpUrl}, ${RUNS} cold loads each (Chromium ${browser.version()})`);
    console.log(
      `  sign-in form usable   median ${round(median(signInMs))} ms, max ${round(Math.max(...signInMs))} ms (load event median ${round(median(signInLoadMs))} ms)`,
    );
    console.log(
      `  signed-in alert wall  median ${round(median(wallMs))} ms, max ${round(Math.max(...wallMs))} ms (drawn, socket connected, alerts caught up)`,
    );
    console.log(
      `  first-page JavaScript ${scripts.length} files, ${(jsBytes / 1024).toFixed(1)} KB, ${(jsGzipBytes / 1024).toFixed(1)} KB gzipped`,
    );
    for (const script of scripts.sort((a, b) => b.gzipBytes - a.gzipBytes)) {
      console.log(`    ${script.url.padEnd(48)} ${(script.gzipBytes / 1024).toFixed(1).padStart(7)} KB gz`);
    }
    const result = {
      bench: 'console',
      quick: QUICK,
      runs: RUNS,
      signInUsableMedianMs: round(median(signInMs)),
      signInUsableMaxMs: round(Math.max(...signInMs)),
      wallReadyMedianMs: round(median(wallMs)),
      wallReadyMaxMs: round(Math.max(...wallMs)),
      firstPageJsFiles: scripts.length,
      firstPageJsBytes: jsBytes,
      firstPageJsGzipBytes: jsGzipBytes,
      loadTargetMs: LOAD_TARGET_MS,
      jsTargetGzipBytes: JS_TARGET_BYTES,
      withinTargets: median(wallMs) < LOAD_TARGET_MS && jsGzipBytes < JS_TARGET_BYTES,
    };
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await hub.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
