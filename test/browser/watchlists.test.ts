import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeviceId, type HotlistEntry, type RegistryImport, type WatchlistPerson } from '@citywatch/protocol';
import { launchBrowser, saveScreenshot, signInThroughForm, type BrowserSession } from '../support/browser';
import { smallEstate } from '../support/fixtures';
import { TEST_ADMIN, adminHeaders, registerEstate, startHub, type HubProcess } from '../support/hub';
import { enrolmentPhoto } from '../integration/faces-support';

/** The place of a datetime-local value typed in the browser (Asia/Shanghai, as launchBrowser sets it). */
const shanghai = (local: string) => new Date(`${local}:00+08:00`).toISOString();

/**
 * Editing every field of a watchlist person and of a hotlist entry in the console, against a real hub: the
 * form's own checks, the hub's refusal shown as sent, Enter to save and Escape to cancel, and the result
 * after a reload and in the API.
 */
describe('console watchlists', () => {
  const small = smallEstate(31);
  const faceCheckpoints = [1, 2].map((i) => makeDeviceId({ kind: 'face_checkpoint', serial: 310 + i }));
  const estate: RegistryImport = {
    tollgates: [
      ...small.tollgates,
      {
        id: 'TG-XJ-02',
        name: 'Xinjiang Ave checkpoint',
        lat: 45.6102,
        lon: 126.6411,
        place: 'Xinjiang Ave / Hanan 3rd Rd',
        lanes: [{ laneNo: 1, direction: 'E', speedLimitKmh: 60 }],
      },
    ],
    devices: [
      ...small.devices,
      ...faceCheckpoints.map((id, i) => ({
        id,
        name: `Youxie St face checkpoint ${i + 1}`,
        kind: 'face_checkpoint' as const,
        lat: 45.6063 + i * 0.001,
        lon: 126.6355,
        place: 'Youxie St pedestrian gate',
        area: 'Youxie street office',
      })),
    ],
  };
  let hub: HubProcess;
  let browser: BrowserSession;
  let page: Page;
  let person: WatchlistPerson;
  let entry: HotlistEntry;

  async function api<Answer>(method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: {
        ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }),
        ...(await adminHeaders(hub.httpUrl)),
      },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Answer;
  }

  beforeAll(async () => {
    hub = await startHub();
    await registerEstate(hub.httpUrl, estate);
    const form = new FormData();
    form.append('name', '测试人员乙');
    form.append('category', 'wanted');
    form.append('priority', '1');
    form.append('reason', '网上追逃');
    form.append('photo', new Blob([new Uint8Array(await enrolmentPhoto())], { type: 'image/jpeg' }), 'person.jpg');
    person = await api<WatchlistPerson>('POST', '/api/faces/watchlist/people', form);
    entry = await api<HotlistEntry>('POST', '/api/checkpoints/hotlist', {
      plate: '黑A12345',
      category: 'stolen',
      priority: 1,
      reason: '被盗车辆',
    });

    browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
    page = await browser.newPage();
    await page.goto(`${hub.httpUrl}/#/watchlists`);
    await signInThroughForm(page, TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  const personCard = () => page.locator(`.person-card[data-person-id="${person.id}"]`);
  const entryRow = () => page.locator(`tr[data-entry-id="${entry.id}"]`);
  const focusedName = () => page.evaluate('document.activeElement?.getAttribute("name") ?? null');

  it('edits every field of a watchlist person, checked in the browser, saved with Enter', async () => {
    await personCard().getByRole('button', { name: '编辑' }).click();
    const form = page.getByRole('form', { name: '编辑 测试人员乙' });
    await form.waitFor();
    // The form opens on its first field.
    await expect.poll(focusedName).toBe('name');

    // The form's own checks: each wrong field says why, and focus goes to the first.
    await form.locator('input[name="name"]').fill('');
    await form.locator('input[name="validFrom"]').fill('2026-12-01T08:00');
    await form.locator('input[name="validUntil"]').fill('2026-11-01T08:00');
    await form.getByRole('radio', { name: '指定人脸卡口' }).check();
    await form.getByRole('button', { name: '保存' }).click();
    await form.getByText('请填写姓名').waitFor();
    await form.getByText('失效时间须晚于生效时间').waitFor();
    await form.getByText('请至少选择一个人脸卡口').waitFor();
    expect(await form.locator('input[name="name"]').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(focusedName).toBe('name');

    await form.locator('input[name="name"]').fill('测试人员丙');
    await form.locator('input[name="idNumber"]').fill('23010819900101123X');
    await form.locator('select[name="category"]').selectOption('at_risk');
    await form.locator('select[name="priority"]').selectOption('2');
    await form.locator('input[name="validUntil"]').fill('2027-06-30T18:00');
    await form.getByRole('button', { name: 'Youxie St face checkpoint 2', exact: false }).click();
    await form.locator('input[name="enabled"]').uncheck();
    await form.locator('input[name="reason"]').fill('重点关怀对象，社区报备');
    await saveScreenshot(page, 'watchlist-person-edit-zh-CN');
    await form.locator('input[name="reason"]').press('Enter');
    await form.waitFor({ state: 'detached', timeout: 15_000 });

    const check = async () => {
      await personCard().getByTestId('person-name').waitFor();
      expect(await personCard().getByTestId('person-name').textContent()).toBe('测试人员丙');
      const summary = await personCard().getByTestId('person-summary').textContent();
      expect(summary).toContain('重点关怀');
      expect(summary).toContain('优先级 2');
      expect(summary).toContain('重点关怀对象，社区报备');
      expect(summary).toContain('23010819900101123X');
      const validity = await personCard().getByTestId('person-validity').textContent();
      expect(validity).toContain('已停用');
      expect(validity).toContain('1 个人脸卡口');
    };
    await check();
    // Focus is back on the Edit button of the person.
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('编辑');
    await page.reload();
    await check();

    const stored = await api<WatchlistPerson>('GET', `/api/faces/watchlist/people/${person.id}`);
    expect(stored).toMatchObject({
      name: '测试人员丙',
      idNumber: '23010819900101123X',
      category: 'at_risk',
      priority: 2,
      reason: '重点关怀对象，社区报备',
      validFrom: shanghai('2026-12-01T08:00'),
      validUntil: shanghai('2027-06-30T18:00'),
      deviceIds: [faceCheckpoints[1]],
      enabled: false,
    });
  });

  it('makes a person open-ended, everywhere and enabled again, and cancels with Escape', async () => {
    await personCard().getByRole('button', { name: '编辑' }).click();
    const form = page.getByRole('form', { name: '编辑 测试人员丙' });
    await form.locator('input[name="validUntil"]').fill('');
    await form.locator('input[name="idNumber"]').fill('');
    await form.getByRole('radio', { name: '全部人脸卡口' }).check();
    await form.locator('input[name="enabled"]').check();
    await form.getByRole('button', { name: '保存' }).click();
    await form.waitFor({ state: 'detached', timeout: 15_000 });
    await expect
      .poll(() => api<WatchlistPerson>('GET', `/api/faces/watchlist/people/${person.id}`))
      .toMatchObject({ idNumber: null, validUntil: null, deviceIds: [], enabled: true, name: '测试人员丙' });
    expect(await personCard().getByTestId('person-validity').textContent()).toContain('全部人脸卡口');

    await personCard().getByRole('button', { name: '编辑' }).click();
    await form.locator('input[name="name"]').fill('不会保存');
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
    expect(await personCard().getByTestId('person-name').textContent()).toBe('测试人员丙');
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('编辑');
  });

  it('edits every field of a hotlist entry and shows the hub refusal as sent', async () => {
    await page.getByRole('tab', { name: '车辆布控' }).click();
    await entryRow().getByRole('button', { name: '编辑' }).click();
    const form = page.getByRole('form', { name: '编辑 黑A12345 的布控' });
    await expect.poll(focusedName).toBe('plate');

    // A plate the browser lets through and the hub refuses: its message is shown as sent.
    await form.locator('input[name="plate"]').fill('黑A#12');
    await form.locator('input[name="plate"]').press('Enter');
    await form.getByTestId('form-error').waitFor();
    expect(await form.getByTestId('form-error').textContent()).toContain('#');
    // And one the browser refuses itself.
    await form.locator('input[name="plate"]').fill('黑??*');
    await form.getByRole('button', { name: '保存' }).click();
    await form.getByText('号牌模式至少含 2 个确定字符').waitFor();

    await form.locator('input[name="plate"]').fill('黑A?23*');
    await form.locator('select[name="category"]').selectOption('suspect');
    await form.locator('select[name="priority"]').selectOption('3');
    await form.locator('input[name="reason"]').fill('套牌嫌疑，交警大队协查');
    await form.locator('input[name="validFrom"]').fill('2026-12-01T08:00');
    await form.locator('input[name="validUntil"]').fill('2027-01-31T20:00');
    await form.getByRole('radio', { name: '指定卡口' }).check();
    await form.getByRole('button', { name: 'Xinjiang Ave checkpoint' }).click();
    await form.locator('input[name="fuzzy"]').uncheck();
    await saveScreenshot(page, 'watchlist-hotlist-edit-zh-CN');
    await form.locator('input[name="reason"]').press('Enter');
    await form.waitFor({ state: 'detached', timeout: 15_000 });

    const check = async () => {
      await entryRow().waitFor();
      const cells = await entryRow().locator('td').allTextContents();
      expect(cells[0]).toContain('黑A?23*');
      expect(cells[0]).toContain('模式');
      expect(cells[1]).toBe('嫌疑');
      expect(cells[2]).toBe('3');
      expect(cells[3]).toBe('套牌嫌疑，交警大队协查');
      expect(cells[4]).toContain('未生效');
      expect(cells[5]).toBe('TG-XJ-02');
    };
    await check();
    await page.reload();
    await page.getByRole('tab', { name: '车辆布控' }).click();
    await check();
    expect(await api<HotlistEntry>('GET', `/api/checkpoints/hotlist/${entry.id}`)).toMatchObject({
      plate: '黑A?23*',
      kind: 'pattern',
      category: 'suspect',
      priority: 3,
      reason: '套牌嫌疑，交警大队协查',
      validFrom: shanghai('2026-12-01T08:00'),
      validUntil: shanghai('2027-01-31T20:00'),
      tollgateIds: ['TG-XJ-02'],
      fuzzy: false,
    });
  });

  it('speaks English in the edit forms too', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('tab', { name: 'Vehicle hotlist' }).click();
    await entryRow().getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit the entry for 黑A?23*' });
    await form.locator('input[name="reason"]').fill('');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('Give a reason').waitFor();
    await saveScreenshot(page, 'watchlist-hotlist-edit-en');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: '中文' }).click();
  });
});
