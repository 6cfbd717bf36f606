import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeDeviceId,
  type DeviceCommandPage,
  type DeviceCommandRecord,
  type DeviceRegistration,
} from '@citywatch/protocol';
import type { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { buildDistrictEstate, districtRegistry } from '../../edge-agent/src/simulator/district-estate';
import { createSimulatedDistrict } from '../../edge-agent/src/simulator/simulated-district-agent';
import { launchBrowser, saveScreenshot, signInThroughForm, type BrowserSession } from '../support/browser';
import { TEST_ADMIN, adminHeaders, registerEstate, startHub, type HubProcess } from '../support/hub';

const estate = buildDistrictEstate();
const registry = districtRegistry(estate);
const firstOf = (predicate: (d: (typeof estate.devices)[number]) => boolean, skip = 0) =>
  estate.devices.filter(predicate)[skip]!.registration;
/** Street camera with a real agent behind it: snapshot and reboot only. */
const street = firstOf((d) => d.kind === 'hd_camera');
/** Long-range camera with a loudspeaker and a real agent: PTZ and loudspeaker too. */
const eagle = firstOf((d) => d.kind === 'long_range' && d.hasLoudspeaker);
/** Registered, never connected. */
const offline = firstOf((d) => d.kind === 'hd_camera', 1);
/** Long-range camera without a loudspeaker (never connected): PTZ but no loudspeaker. */
const mute = firstOf((d) => d.kind === 'long_range' && !d.hasLoudspeaker);
/** A street camera with a loudspeaker (never connected): loudspeaker but no PTZ. */
const announcer: DeviceRegistration = {
  id: makeDeviceId({ kind: 'hd_camera', serial: 990_001 }),
  name: '友协大街广场 喊话球机',
  kind: 'hd_camera',
  lat: 45.6063,
  lon: 126.6355,
  place: '友协大街广场',
  area: '友协街道',
  hasLoudspeaker: true,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Commands to devices from the administration's Devices tab, against the built hub (a child process, devices
 * signing in with their own secrets) and a real simulated edge agent for two of the devices: a snapshot and
 * its picture, reboot behind a confirmation, PTZ and loudspeaker only where the device has them, a command to
 * an offline device left pending until it expires, the last five commands, both languages.
 */
describe('console device commands', () => {
  let hub: HubProcess;
  let agent: EdgeAgent;
  let agentDir: string;
  let browser: BrowserSession;
  let page: Page;

  async function commands(deviceId: string): Promise<DeviceCommandRecord[]> {
    const response = await fetch(`${hub.httpUrl}/api/devices/${deviceId}/commands?limit=50`, {
      headers: await adminHeaders(hub.httpUrl),
    });
    if (!response.ok) throw new Error(`list commands of ${deviceId}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as DeviceCommandPage).items;
  }

  const row = (deviceId: string): Locator =>
    page.getByRole('row').filter({ has: page.getByText(deviceId, { exact: true }) });
  const panel = (device: { name: string }): Locator => page.getByRole('region', { name: `${device.name} 的指令` });
  const outcome = (device: { name: string }): Locator => panel(device).getByTestId('command-outcome');
  const recentNames = (device: { name: string }): Promise<string[]> =>
    panel(device).getByTestId('recent-commands').locator('tbody tr td:nth-child(2)').allTextContents();

  async function openCommands(device: { id: string; name: string }): Promise<Locator> {
    const toggle = row(device.id).getByRole('button', { name: '指令', exact: true });
    await toggle.click();
    await panel(device).waitFor();
    expect(await row(device.id).getByRole('button', { name: '收起指令' }).getAttribute('aria-expanded')).toBe('true');
    return panel(device);
  }

  beforeAll(async () => {
    // Every device signs in with its own secret, as in production.
    hub = await startHub({ env: { DEVICE_AUTH: 'required' } });
    const ids = [street.id, eagle.id, offline.id, mute.id];
    await registerEstate(hub.httpUrl, {
      tollgates: [],
      devices: [...registry.devices.filter((device) => ids.includes(device.id)), announcer],
    });
    agentDir = mkdtempSync(join(tmpdir(), 'citywatch-console-cmd-agent-'));
    ({ agent } = await createSimulatedDistrict({
      broker: { url: hub.mqttUrl, reconnectPeriodMs: 200 },
      topicRoot: hub.topicRoot,
      dataDir: agentDir,
      deviceIds: [street.id, eagle.id],
      rateMultiplier: 0.01,
      timeCompression: 100,
      faults: false,
      faces: 'off',
    }));
    await agent.start();
    await agent.waitAllOnline();

    browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
    page = await browser.newPage();
    await page.goto(`${hub.httpUrl}/#/admin`);
    await signInThroughForm(page, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByRole('tab', { name: '设备' }).click();
    await row(announcer.id).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await hub?.stop();
    if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  });

  it('takes a snapshot on a connected device and shows the picture the agent saved', async () => {
    const commandsPanel = await openCommands(street);
    await commandsPanel.getByText('尚未发送过指令').waitFor();
    // A street camera has neither PTZ nor a loudspeaker.
    expect(await commandsPanel.getByRole('button', { name: '转到预置位' }).count()).toBe(0);
    expect(await commandsPanel.getByRole('button', { name: '喊话', exact: true }).count()).toBe(0);

    await commandsPanel.getByRole('button', { name: '抓拍' }).click();
    await outcome(street).and(page.locator('[data-status="replied"]')).waitFor({ timeout: 20_000 });
    expect(await outcome(street).locator('p').first().textContent()).toBe('抓拍 · 已回复 · 已完成');

    const [stored] = await commands(street.id);
    expect(stored).toMatchObject({ name: 'snapshot', status: 'replied', ok: true, issuedBy: { username: 'admin' } });
    const imageRef = stored!.result!.imageRef!;
    expect(existsSync(fileURLToPath(imageRef))).toBe(true);
    expect(await outcome(street).locator('code').textContent()).toBe(imageRef);
    expect(await outcome(street).textContent()).toContain('图片');
    // Nothing left to check on a replied command.
    expect(await outcome(street).getByRole('button', { name: '再次查询' }).count()).toBe(0);

    await expect.poll(() => recentNames(street)).toEqual(['抓拍']);
    const recent = await commandsPanel.getByTestId('recent-commands').locator('tbody tr').first().textContent();
    expect(recent).toContain('已回复');
    expect(recent).toContain('admin');
    await saveScreenshot(page, 'device-commands-snapshot-zh-CN');
  });

  it('asks before a reboot: cancelling sends nothing, confirming sends it', async () => {
    const commandsPanel = panel(street);
    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await commandsPanel.getByRole('button', { name: '重启' }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toBe(`重启 ${street.name}（${street.id}）？设备将离线一段时间。`);
    // Give a wrongly sent command the time to arrive, then look: the hub has only the snapshot.
    await sleep(1_500);
    expect((await commands(street.id)).map((command) => command.name)).toEqual(['snapshot']);
    expect(await commandsPanel.getByText('正在发送，等待设备回复…').count()).toBe(0);
    expect(await outcome(street).getAttribute('data-status')).toBe('replied');
    expect(await recentNames(street)).toEqual(['抓拍']);

    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await commandsPanel.getByRole('button', { name: '重启' }).click();
    await expect
      .poll(() => outcome(street).locator('p').first().textContent(), { timeout: 20_000 })
      .toBe('重启 · 已回复 · rebooting in 0 s');
    expect(dialogs).toHaveLength(2);
    // Exactly one reboot: the cancelled one was never sent.
    const stored = await commands(street.id);
    expect(stored.map((command) => command.name)).toEqual(['reboot', 'snapshot']);
    expect(stored[0]).toMatchObject({ params: {}, status: 'replied', ok: true });
    await expect.poll(() => recentNames(street)).toEqual(['重启', '抓拍']);
  });

  it('offers PTZ only on long-range cameras and the loudspeaker only where there is one', async () => {
    // One panel at a time: opening another device's commands closes the street camera's.
    const commandsPanel = await openCommands(eagle);
    await panel(street).waitFor({ state: 'detached' });
    expect(await row(street.id).getByRole('button', { name: '指令', exact: true }).getAttribute('aria-expanded')).toBe(
      'false',
    );
    expect(await commandsPanel.getByRole('button', { name: '转到预置位' }).count()).toBe(1);
    expect(await commandsPanel.getByRole('button', { name: '喊话', exact: true }).count()).toBe(1);

    // The console's own check: nothing goes to the hub.
    await commandsPanel.getByLabel('预置位').fill('0');
    await commandsPanel.getByRole('button', { name: '转到预置位' }).click();
    await commandsPanel.getByRole('alert').getByText('预置位须为 1 到 255 的整数').waitFor();
    expect(await commands(eagle.id)).toEqual([]);

    await commandsPanel.getByLabel('预置位').fill('7');
    await commandsPanel.getByRole('button', { name: '转到预置位' }).click();
    await expect
      .poll(() => outcome(eagle).locator('p').first().textContent(), { timeout: 20_000 })
      .toMatch(/^云台预置位 · 已回复 · moved from preset \d+ to preset 7$/);
    // A command that went through clears the earlier complaint.
    expect(await commandsPanel.getByRole('alert').count()).toBe(0);

    await commandsPanel.getByLabel('喊话内容').fill('请勿在消防通道停车');
    await commandsPanel.getByLabel('次数').selectOption('2');
    await commandsPanel.getByRole('button', { name: '喊话', exact: true }).click();
    await expect
      .poll(() => outcome(eagle).locator('p').first().textContent(), { timeout: 20_000 })
      .toBe('喊话 · 已回复 · played "请勿在消防通道停车" 2 times on the loudspeaker');
    expect((await commands(eagle.id)).map(({ name, params }) => ({ name, params }))).toEqual([
      { name: 'loudspeaker', params: { message: '请勿在消防通道停车', repeat: 2 } },
      { name: 'ptz_preset', params: { preset: 7 } },
    ]);

    // Only the last five commands are listed, newest first.
    for (let n = 0; n < 4; n++) {
      const snapshot = commandsPanel.getByRole('button', { name: '抓拍' });
      await snapshot.click();
      await expect.poll(() => commands(eagle.id).then((items) => items.length), { timeout: 20_000 }).toBe(3 + n);
      await expect.poll(() => snapshot.isEnabled(), { timeout: 20_000 }).toBe(true);
    }
    await expect.poll(() => recentNames(eagle)).toEqual(['抓拍', '抓拍', '抓拍', '抓拍', '喊话']);
    await saveScreenshot(page, 'device-commands-long-range-zh-CN');

    const mutePanel = await openCommands(mute);
    await mutePanel.getByText('尚未发送过指令').waitFor();
    expect(await mutePanel.getByRole('button', { name: '转到预置位' }).count()).toBe(1);
    expect(await mutePanel.getByRole('button', { name: '喊话', exact: true }).count()).toBe(0);
    expect(await mutePanel.getByLabel('喊话内容').count()).toBe(0);

    const announcerPanel = await openCommands(announcer);
    await announcerPanel.getByText('尚未发送过指令').waitFor();
    expect(await announcerPanel.getByRole('button', { name: '转到预置位' }).count()).toBe(0);
    expect(await announcerPanel.getByLabel('预置位').count()).toBe(0);
    expect(await announcerPanel.getByRole('button', { name: '喊话', exact: true }).count()).toBe(1);
    // Every device gets snapshot and reboot.
    expect(await announcerPanel.getByRole('button', { name: '抓拍' }).count()).toBe(1);
    expect(await announcerPanel.getByRole('button', { name: '重启' }).count()).toBe(1);
  });

  it('leaves a command to an offline device pending and shows it expired after "Check again"', async () => {
    // The console waits the hub's default 10 s and lets the command live 60 s; the test shortens both
    // on the way (2 s, 10 s) and keeps what the console asked for.
    const asked: unknown[] = [];
    const path = `/api/devices/${offline.id}/commands`;
    const shorten = async (route: Route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const body = route.request().postDataJSON() as Record<string, unknown>;
      asked.push(body);
      await route.continue({ postData: JSON.stringify({ ...body, timeoutS: 2, expiresInS: 10 }) });
    };
    const matches = (url: URL) => url.pathname === path;
    await page.route(matches, shorten);
    try {
      const commandsPanel = await openCommands(offline);
      await commandsPanel.getByText('尚未发送过指令').waitFor();
      const snapshot = commandsPanel.getByRole('button', { name: '抓拍' });
      await snapshot.click();
      // While the hub waits for the reply, the console says so and sends nothing else.
      await commandsPanel.getByText('正在发送，等待设备回复…').waitFor();
      expect(await snapshot.isDisabled()).toBe(true);
      expect(await commandsPanel.getByRole('button', { name: '重启' }).isDisabled()).toBe(true);

      await outcome(offline).and(page.locator('[data-status="pending"]')).waitFor({ timeout: 20_000 });
      expect(asked).toEqual([{ name: 'snapshot' }]);
      expect(await outcome(offline).locator('p').first().textContent()).toBe('抓拍 · 等待回复');
      expect(await snapshot.isEnabled()).toBe(true);
      const [stored] = await commands(offline.id);
      expect(stored).toMatchObject({ name: 'snapshot', status: 'pending', ok: null });
      await expect.poll(() => recentNames(offline)).toEqual(['抓拍']);
      expect(await commandsPanel.getByTestId('recent-commands').locator('tbody tr').first().textContent()).toContain(
        '等待回复',
      );
      await saveScreenshot(page, 'device-commands-pending-zh-CN');

      // A check that does not reach the hub says so and keeps the command as it was.
      const one = `${path}/${stored!.requestId}`;
      const unreachable = (url: URL) => url.pathname === one;
      await page.route(unreachable, (route) => route.abort('connectionrefused'));
      await outcome(offline).getByRole('button', { name: '再次查询' }).click();
      await commandsPanel.getByRole('alert').getByText('无法连接中心，请稍后再试').waitFor();
      expect(await outcome(offline).getAttribute('data-status')).toBe('pending');
      await page.unroute(unreachable);

      // Past its expiry (the hub marks it expired when it is read), "Check again" shows that, and the
      // complaint of the failed check goes.
      await sleep(Math.max(0, Date.parse(stored!.expiresAt) - Date.now()) + 500);
      await outcome(offline).getByRole('button', { name: '再次查询' }).click();
      await outcome(offline).and(page.locator('[data-status="expired"]')).waitFor({ timeout: 10_000 });
      expect(await commandsPanel.getByRole('alert').count()).toBe(0);
      expect(await outcome(offline).locator('p').first().textContent()).toBe('抓拍 · 已过期（无回复）');
      expect(await outcome(offline).getByRole('button', { name: '再次查询' }).count()).toBe(0);
      await expect
        .poll(() => commandsPanel.getByTestId('recent-commands').locator('tbody tr').first().textContent())
        .toContain('已过期（无回复）');
      expect(await commandsPanel.getByTestId('recent-commands').locator('tbody tr').count()).toBe(1);
      expect((await commands(offline.id)).map((command) => command.status)).toEqual(['expired']);
      expect(asked).toHaveLength(1);
    } finally {
      await page.unroute(matches, shorten);
    }
  });

  it('speaks English in the commands too', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    const commandsPanel = page.getByRole('region', { name: `Commands to ${offline.name}` });
    await commandsPanel.waitFor();
    expect(await row(offline.id).getByRole('button', { name: 'Hide commands' }).count()).toBe(1);
    expect(await commandsPanel.getByTestId('command-outcome').locator('p').first().textContent()).toBe(
      'Snapshot · Expired without a reply',
    );
    expect(await commandsPanel.getByRole('button', { name: 'Take snapshot' }).count()).toBe(1);
    expect(await commandsPanel.getByRole('button', { name: 'Reboot' }).count()).toBe(1);
    await commandsPanel.getByText('Recent commands').waitFor();
    await saveScreenshot(page, 'device-commands-en');
    await page.getByRole('button', { name: '中文' }).click();
    await panel(offline).waitFor();
  });
});
