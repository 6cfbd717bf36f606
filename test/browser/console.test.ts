import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, encodeMessage, type IncidentEventPayload, type PassageEventPayload } from '@citywatch/protocol';
import { launchBrowser, saveScreenshot, signInThroughForm, type BrowserSession } from '../support/browser';
import { passage, smallEstate } from '../support/fixtures';
import { TEST_ADMIN, adminHeaders, registerEstate, startHub, type HubProcess } from '../support/hub';
import { enrolmentPhoto } from '../integration/faces-support';

const OPERATOR = { username: 'wang.operator', password: 'operator-password-1', displayName: '王值班' };
const SEARCH_PLATE = '黑A5X209';
const SEARCH_PASSAGES = 45;

/**
 * The console against a real hub (embedded broker and database): two operators on two browser contexts,
 * alerts raised over MQTT, the claim-assign-resolve workflow seen live on the other screen, the checkpoint
 * search paging through seeded passages, enrolment of a watchlist person from a photo, both languages.
 * One hub and one browser for the whole file; every wait is for something on screen.
 */
describe('console', () => {
  const estate = smallEstate(11);
  const [laneOne, laneTwo] = estate.laneDevices as [string, string];
  let hub: HubProcess;
  let topics: TopicScheme;
  let device: MqttClient;
  let browser: BrowserSession;
  let operatorContext: BrowserContext;
  let operator: Page;
  let admin: Page;
  let alertId: string;

  async function api(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(await adminHeaders(hub.httpUrl)) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  }

  async function publishPassages(events: PassageEventPayload[]): Promise<void> {
    await Promise.all(
      events.map((event) =>
        device.publishAsync(topics.event(event.deviceId, 'passage'), encodeMessage('passage', event), { qos: 1 }),
      ),
    );
  }

  const card = (page: Page, id: string): Locator => page.locator(`.alert-card[data-alert-id="${id}"]`);

  beforeAll(async () => {
    hub = await startHub();
    topics = new TopicScheme(hub.topicRoot);
    await registerEstate(hub.httpUrl, estate);
    await api('PUT', '/api/departments/urban-management', { id: 'urban-management', name: '城管局', active: true });
    await api('PUT', '/api/departments/traffic-division', { id: 'traffic-division', name: '交警大队', active: true });
    await api('POST', '/api/users', { ...OPERATOR, role: 'operator', departmentId: null });
    device = await mqtt.connectAsync(hub.mqttUrl, { clientId: `console-test-${laneOne}`, clean: true });

    // Passages of one plate across both lanes over the last hours, for the search and the trajectory.
    const start = Date.now() - 6 * 3600_000;
    await publishPassages(
      Array.from({ length: SEARCH_PASSAGES }, (_, i) =>
        passage(i % 2 === 0 ? laneOne : laneTwo, {
          plateNo: SEARCH_PLATE,
          laneNo: i % 2 === 0 ? 1 : 2,
          direction: i % 2 === 0 ? 'N' : 'S',
          passTime: new Date(start + i * 7 * 60_000).toISOString(),
          speedKmh: 40 + (i % 30),
        }),
      ),
    );
    // Stored in batches: wait until the search sees them all (expect.poll is for tests, not hooks).
    for (let waited = 0; ; waited += 200) {
      const page = (await api(
        'GET',
        `/api/checkpoints/passages?plate=${encodeURIComponent(SEARCH_PLATE)}&limit=1`,
      )) as {
        total: { value: number } | null;
      };
      if (page.total?.value === SEARCH_PASSAGES) break;
      if (waited > 30_000) throw new Error(`only ${page.total?.value} of ${SEARCH_PASSAGES} passages stored`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    browser = await launchBrowser({ viewport: { width: 1600, height: 900 } });
    operatorContext = await browser.newContext();
    operator = await operatorContext.newPage();
    admin = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await device?.endAsync();
    await hub?.stop();
  });

  it('signs in, shows the hub refusal for a wrong password and shapes the navigation by role', async () => {
    await operator.goto(hub.httpUrl);
    await expect.poll(() => operator.locator('html').getAttribute('lang')).toBe('zh-CN');
    await saveScreenshot(operator, 'sign-in-zh-CN');
    await operator.locator('input[name="username"]').fill(OPERATOR.username);
    await operator.locator('input[name="password"]').fill('not-the-password');
    await operator.locator('form button[type="submit"]').click();
    await operator.getByRole('alert').waitFor();
    expect((await operator.getByRole('alert').textContent())?.length).toBeGreaterThan(3);

    await signInThroughForm(operator, OPERATOR.username, OPERATOR.password);
    expect(await operator.getByTestId('current-user').textContent()).toContain('王值班');
    const nav = await operator.getByRole('navigation').getByRole('link').allTextContents();
    expect(nav).toEqual(['实时告警', '实时过车', '设备', '统计看板', '布控']);
    await operator.locator('.connection-indicator[data-state="connected"]').waitFor();

    await admin.goto(hub.httpUrl);
    await signInThroughForm(admin, TEST_ADMIN.username, TEST_ADMIN.password);
    expect(await admin.getByRole('navigation').getByRole('link').allTextContents()).toContain('系统管理');
    await admin.locator('.connection-indicator[data-state="connected"]').waitFor();
  });

  it('puts an alert raised over MQTT on both walls, critical first, with the alarm', async () => {
    await operator.getByText('暂无告警').waitFor();
    const incident: IncidentEventPayload = {
      v: 1,
      eventId: randomUUID(),
      deviceId: laneOne,
      at: new Date().toISOString(),
      kind: 'fire_smoke',
      confidence: 0.93,
      description: '友协大街加油站旁冒烟',
    };
    await device.publishAsync(topics.event(laneOne, 'incident'), encodeMessage('incident', incident), { qos: 1 });

    const operatorCard = operator.locator('.alert-card').first();
    await operatorCard.waitFor({ timeout: 15_000 });
    alertId = (await operatorCard.getAttribute('data-alert-id'))!;
    expect(await operatorCard.getAttribute('data-severity')).toBe('critical');
    expect(await operatorCard.textContent()).toContain('友协大街加油站旁冒烟');
    expect(await card(operator, alertId).locator('.state-badge').textContent()).toBe('待认领');
    await card(admin, alertId).waitFor({ timeout: 15_000 });
    await expect.poll(() => operator.getByTestId('alert-sound').getAttribute('data-played')).toBe('1');
    await saveScreenshot(operator, 'alerts-wall-zh-CN');
  });

  it('claims, assigns and resolves on one screen while the other follows the state and the trail', async () => {
    // The admin watches the detail of the alert on their own screen.
    await card(admin, alertId).getByRole('button', { name: '详情' }).click();
    const adminDetail = admin.locator(`.alert-detail[data-alert-id="${alertId}"]`);
    await adminDetail.waitFor();
    await expect.poll(() => adminDetail.getByTestId('detail-state').textContent()).toBe('待认领');

    await card(operator, alertId).getByRole('button', { name: '当场认领' }).click();
    await expect
      .poll(() => card(admin, alertId).locator('.state-badge').textContent(), { timeout: 10_000 })
      .toBe('已认领');
    await expect.poll(() => adminDetail.getByTestId('detail-state').textContent()).toBe('已认领');
    await expect.poll(() => adminDetail.getByTestId('alert-trail').textContent()).toContain('认领');
    expect(await card(admin, alertId).textContent()).toContain('王值班');

    await card(operator, alertId).getByRole('button', { name: '详情' }).click();
    const detail = operator.locator(`.alert-detail[data-alert-id="${alertId}"]`);
    await detail.getByRole('button', { name: '派发部门' }).click();
    await detail.locator('select').selectOption('urban-management');
    await detail.locator('textarea').fill('城管与消防当场联动，30 分钟内到场');
    await detail.locator('form').getByRole('button', { name: '派发部门' }).click();
    await expect.poll(() => adminDetail.getByTestId('detail-state').textContent(), { timeout: 10_000 }).toBe('已派发');
    await expect.poll(() => adminDetail.getByTestId('alert-trail').textContent()).toContain('城管与消防当场联动');
    expect(await card(admin, alertId).textContent()).toContain('urban-management');

    await detail.getByRole('button', { name: '办结' }).click();
    await detail.locator('textarea').fill('明火已扑灭，现场清理完毕');
    await detail.locator('form').getByRole('button', { name: '办结' }).click();
    await expect.poll(() => adminDetail.getByTestId('detail-state').textContent(), { timeout: 10_000 }).toBe('已办结');
    // The trail is read again after each change: wait for it, not only for the state.
    await expect
      .poll(() => adminDetail.getByTestId('alert-trail').locator('.trail__kind').allTextContents())
      .toEqual(['产生', '认领', '派发', '办结']);
    await saveScreenshot(admin, 'alert-detail-zh-CN');
    // Closed alerts leave the default (open) wall.
    await card(operator, alertId).waitFor({ state: 'detached' });
  });

  it('finds the seeded passages, pages through them and shows a passage with its trajectory', async () => {
    await admin.goto(`${hub.httpUrl}/#/checkpoints`);
    await admin.locator('input[name="plate"]').fill(SEARCH_PLATE);
    await admin.locator('select[name="limit"]').selectOption('20');
    await admin.getByRole('button', { name: '查询', exact: true }).click();
    const rows = admin.getByTestId('passage-results').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(20);
    expect(await admin.getByTestId('result-summary').textContent()).toContain(`共 ${SEARCH_PASSAGES} 条`);
    const firstPage = await rows.first().getAttribute('data-event-id');

    await admin.getByRole('button', { name: '下一页' }).click();
    await expect.poll(() => admin.getByTestId('result-summary').textContent()).toContain('第 2 页');
    expect(await rows.first().getAttribute('data-event-id')).not.toBe(firstPage);
    await admin.getByRole('button', { name: '下一页' }).click();
    await expect.poll(() => admin.getByTestId('result-summary').textContent()).toContain('第 3 页');
    expect(await rows.count()).toBe(SEARCH_PASSAGES - 40);
    expect(await admin.getByRole('button', { name: '下一页' }).isDisabled()).toBe(true);
    await admin.getByRole('button', { name: '上一页' }).click();
    await expect.poll(() => admin.getByTestId('result-summary').textContent()).toContain('第 2 页');

    await rows.first().click();
    await admin.getByRole('button', { name: `${SEARCH_PLATE} 的轨迹` }).click();
    await expect.poll(() => admin.getByTestId('trajectory').locator('.timeline li').count()).toBe(SEARCH_PASSAGES);
    await saveScreenshot(admin, 'checkpoint-search-zh-CN');
  });

  it('draws the devices, the dashboards and the administration', async () => {
    await admin.goto(`${hub.httpUrl}/#/devices`);
    await admin.locator(`tr[data-device-id="${laneOne}"]`).waitFor();
    expect(await admin.locator('.plan__point').count()).toBe(2);
    await saveScreenshot(admin, 'devices-zh-CN');

    // A device's page: its status history, its alert and its latest passages with the last hour's count.
    const at = new Date().toISOString();
    const status = encodeMessage('status', { v: 1, deviceId: laneOne, state: 'online', at, reason: 'startup' });
    await device.publishAsync(topics.status(laneOne), status, { qos: 1 });
    await admin.locator(`tr[data-device-id="${laneOne}"] a`).click();
    await expect.poll(() => admin.getByTestId('status-history').textContent(), { timeout: 10_000 }).toContain('启动');
    expect(await admin.getByTestId('device-state').textContent()).toBe('上线');
    await expect.poll(() => admin.getByTestId('device-events').textContent()).toContain(SEARCH_PLATE);
    expect(await admin.getByTestId('device-activity').textContent()).toMatch(/过车 [1-9]/);
    expect(await admin.getByTestId('device-alerts').textContent()).toContain('友协大街加油站旁冒烟');
    await saveScreenshot(admin, 'device-detail-zh-CN');

    await admin.goto(`${hub.httpUrl}/#/dashboards`);
    await admin.getByTestId('chart-vehicles').locator('.recharts-line').first().waitFor({ timeout: 15_000 });
    await admin
      .getByTestId('chart-alert-severity')
      .locator('.recharts-bar-rectangle')
      .first()
      .waitFor({ timeout: 15_000 });
    await admin
      .getByTestId('chart-alerts-hourly')
      .locator('.recharts-bar-rectangle')
      .first()
      .waitFor({ timeout: 15_000 });
    await saveScreenshot(admin, 'dashboards-zh-CN');

    await admin.goto(`${hub.httpUrl}/#/admin`);
    await admin.getByTestId('users').getByText(OPERATOR.username).waitFor();
    await saveScreenshot(admin, 'admin-zh-CN');
  });

  it('enrols a watchlist person from a photo and explains a refused photo', async () => {
    await admin.goto(`${hub.httpUrl}/#/watchlists`);
    await admin.getByRole('button', { name: '登记人员' }).click();
    const form = admin.getByRole('form', { name: '登记人员' });
    await form.locator('input[name="name"]').fill('测试人员甲');
    await form.locator('input[name="reason"]').fill('走失老人，家属报案');
    await form.locator('select[name="category"]').selectOption('missing');

    await form.locator('input[name="photo"]').setInputFiles({
      name: 'not-a-photo.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from('plain text, not an image'),
    });
    await form.getByRole('button', { name: '登记人员' }).click();
    await form.getByTestId('enrol-error').waitFor({ timeout: 20_000 });

    await form
      .locator('input[name="photo"]')
      .setInputFiles({ name: 'person.jpg', mimeType: 'image/jpeg', buffer: await enrolmentPhoto() });
    await form.getByRole('button', { name: '登记人员' }).click();
    const person = admin.getByTestId('people').locator('.person-card', { hasText: '测试人员甲' });
    await person.waitFor({ timeout: 30_000 });
    expect(await person.getByTestId('photo-quality').first().textContent()).toMatch(/人脸 \d+ px/);
    await person.locator('img').first().waitFor();
    await saveScreenshot(admin, 'watchlist-people-zh-CN');
  });

  it('switches to English and back', async () => {
    await operator.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => operator.getByRole('heading', { level: 1 }).first().textContent()).toBe('Live alerts');
    expect(await operator.getByRole('navigation').getByRole('link').allTextContents()).toEqual([
      'Alerts',
      'Live passages',
      'Devices',
      'Dashboards',
      'Watchlists',
    ]);
    await operator.locator('select').first().selectOption('all');
    await card(operator, alertId).waitFor();
    expect(await card(operator, alertId).locator('.state-badge').textContent()).toBe('Resolved');
    await saveScreenshot(operator, 'alerts-wall-en');
    await operator.getByRole('button', { name: '中文' }).click();
    await expect.poll(() => operator.getByRole('heading', { level: 1 }).first().textContent()).toBe('实时告警');
  });
});
