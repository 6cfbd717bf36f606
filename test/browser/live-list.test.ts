import mqtt, { type MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, encodeMessage, type PassageEventPayload } from '@citywatch/protocol';
import { launchBrowser, saveScreenshot, signInThroughForm, type BrowserSession } from '../support/browser';
import { passage, smallEstate } from '../support/fixtures';
import { TEST_ADMIN, registerEstate, startHub, type HubProcess } from '../support/hub';

/** The live list against a real hub: MQTT in at one end, the built console in Chromium at the other. */
describe('console live list', () => {
  const estate = smallEstate();
  const [laneOne, laneTwo] = estate.laneDevices as [string, string];
  let hub: HubProcess;
  let topics: TopicScheme;
  let device: MqttClient;
  let browser: BrowserSession;
  let page: Page;

  const rowOf = (event: PassageEventPayload) => page.locator(`[role="row"][data-event-id="${event.eventId}"]`);

  async function publish(...events: PassageEventPayload[]): Promise<void> {
    for (const event of events) {
      await device.publishAsync(topics.event(event.deviceId, 'passage'), encodeMessage('passage', event), { qos: 1 });
    }
  }

  beforeAll(async () => {
    hub = await startHub();
    topics = new TopicScheme(hub.topicRoot);
    await registerEstate(hub.httpUrl, estate);
    device = await mqtt.connectAsync(hub.mqttUrl, { clientId: `browser-test-${laneOne}`, clean: true });
    browser = await launchBrowser({ viewport: { width: 1600, height: 900 } });
    page = await browser.newPage();
    await page.goto(`${hub.httpUrl}/#/live`);
    await signInThroughForm(page, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.locator('.connection-indicator[data-state="connected"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await device?.endAsync();
    await hub?.stop();
  });

  it('opens in Simplified Chinese, connected, waiting for passages', async () => {
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('.connection-indicator').textContent()).toContain('已连接');
    await page.getByText('等待过车事件…').waitFor();
    expect(await page.getByTestId('passage-count').textContent()).toBe('已接收 0 条');
  });

  it('shows a passage published over MQTT with its plate, tollgate, lane, direction, class and speed', async () => {
    const event = passage(laneOne, { plateNo: '黑A8B88D', plateColor: 'blue', speedKmh: 48.5 });
    await publish(event);

    const row = rowOf(event);
    await row.waitFor({ timeout: 15_000 });
    const cells = await row.getByRole('gridcell').allTextContents();
    expect(cells.slice(1)).toEqual(['黑A·8B88D', 'TG-YX-01', '1 道', '北向', '轿车', '49 km/h']);
    expect(cells[0]).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(await row.locator('.plate').getAttribute('class')).toContain('plate--blue');
    expect(await page.getByTestId('passage-count').textContent()).toBe('已接收 1 条');
  });

  it('keeps the newest passage first, draws each plate in its colour and lists device status changes', async () => {
    const plates: Partial<PassageEventPayload>[] = [
      { plateNo: '黑AD12345', plateColor: 'green', vehicleClass: 'suv', speedKmh: 62 },
      { plateNo: '黑L88Q21', plateColor: 'yellow', vehicleClass: 'truck', speedKmh: 41 },
      { plateNo: '黑A0019警', plateColor: 'white', vehicleClass: 'car', speedKmh: 55 },
      { plateNo: '无牌', plateColor: 'other', vehicleClass: 'tricycle', speedKmh: 23 },
      { plateNo: '黑B3C4D5', plateColor: 'black', vehicleClass: 'mpv', speedKmh: 37 },
      { plateNo: '黑AF56789', plateColor: 'yellow_green', vehicleClass: 'bus', speedKmh: 44 },
    ];
    const events = plates.map((fields, i) =>
      i % 2 === 0 ? passage(laneOne, fields) : passage(laneTwo, { ...fields, laneNo: 2, direction: 'S' }),
    );
    await publish(...events);

    const newest = events.at(-1)!;
    await rowOf(newest).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[role="row"][data-event-id]').count()).toBe(7);
    const shownOrder = await page.locator('[role="row"][data-event-id]').evaluateAll((rows) =>
      rows
        .map((row) => ({ id: row.getAttribute('data-event-id'), top: row.getBoundingClientRect().top }))
        .sort((a, b) => a.top - b.top)
        .map((row) => row.id),
    );
    expect(shownOrder.slice(0, events.length)).toEqual(events.map((event) => event.eventId).reverse());
    expect(await rowOf(events[3]!).locator('.plate').textContent()).toBe('无牌');
    expect(await rowOf(events[5]!).locator('.plate').getAttribute('class')).toContain('plate--yellow_green');
    expect(await page.getByTestId('passage-count').textContent()).toBe('已接收 7 条');

    const status = { v: 1 as const, deviceId: laneTwo, state: 'online' as const, at: new Date().toISOString() };
    await device.publishAsync(topics.status(laneTwo), encodeMessage('status', { ...status, reason: 'startup' }), {
      qos: 1,
      retain: true,
    });
    const deviceStatus = page.locator('.device-status', { hasText: laneTwo });
    await deviceStatus.waitFor({ timeout: 15_000 });
    expect(await deviceStatus.locator('.device-status__state').textContent()).toBe('上线');

    const screenshot = await saveScreenshot(page, 'live-list-zh-CN');
    expect(screenshot).toMatch(/live-list-zh-CN\.png$/);
  });

  it('moves the highlighted row with the keyboard', async () => {
    await page.getByRole('grid').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const selected = page.locator('[role="row"][aria-selected="true"]');
    await expect.poll(() => selected.count()).toBe(1);
    const activeId = await page.getByRole('grid').getAttribute('aria-activedescendant');
    expect(activeId).toBe(await selected.getAttribute('id'));
    await page.keyboard.press('End');
    expect(await page.locator('[role="row"][aria-selected="true"]').getAttribute('aria-rowindex')).toBe('8');
  });

  it('switches to English from the header and remembers the choice across a reload', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Live passages');
    expect(await page.getByTestId('passage-count').textContent()).toBe('7 received');

    await page.reload();
    await page.locator('.connection-indicator[data-state="connected"]').waitFor();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Live passages');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByText('Waiting for passages…').waitFor();

    const event = passage(laneTwo, { laneNo: 2, direction: 'S', plateNo: '黑A7K3M2', vehicleClass: 'van' });
    await publish(event);
    await rowOf(event).waitFor({ timeout: 15_000 });
    const cells = await rowOf(event).getByRole('gridcell').allTextContents();
    expect(cells.slice(2, 5)).toEqual(['TG-YX-01', 'Lane 2', 'South']);
    await saveScreenshot(page, 'live-list-en');

    await page.getByRole('button', { name: '中文' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('实时过车');
  });
});
