/**
 * The jobs page and GraphiQL in a real browser (Debian's chromium via playwright-core), with
 * every request beyond loopback refused: both must work offline. One browser for the file;
 * a screenshot of each page goes to test-artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, offlinePage, screenshot } from '../helpers/browser.js';
import { bearer, postGraphQL } from '../helpers/http-graphql.js';
import {
  serverTempDir,
  setSourceDelay,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

const READER = 'reader-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';

let browser: Browser;
let server: TestServer;
let guarded: TestServer;

beforeAll(async () => {
  // Batches of 10 IDs: a 60-ID warm runs 6 batches, slow enough upstream to watch.
  server = await startTestServer({ config: await testConfig(await serverTempDir(), { maxSize: 10 }) });
  const config = await testConfig(await serverTempDir());
  guarded = await startTestServer({
    config: {
      ...config,
      auth: {
        tokens: [
          { token: READER, role: 'reader' },
          { token: OPERATOR, role: 'operator' },
        ],
      },
    },
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  setSourceDelay(0);
  await browser?.close();
  await server?.stop();
  await guarded?.stop();
});

/** The id of the job the warm form just started, from its confirmation line. */
async function startedJob(page: Page, ids: number): Promise<string> {
  const line = new RegExp(`^Started job (\\S+) \\(${ids} IDs\\)`);
  await expect.poll(() => page.locator('#warm-result').textContent()).toMatch(line);
  return line.exec((await page.locator('#warm-result').textContent()) ?? '')![1]!;
}

describe('the jobs page', () => {
  it('warms IDs from its form and shows the bar advance to SUCCEEDED', async () => {
    const { page, blocked } = await offlinePage(browser);
    await page.goto(`${server.origin}/jobs`);
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.locator('#warm').waitFor({ state: 'visible' });
    expect(await page.locator('#warm-table option').allTextContents()).toEqual(['movies', 'people']);

    // Every value the progress cell shows, in order, recorded in the page as it changes.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const rows = document.getElementById('job-rows')!;
      new MutationObserver(() => {
        const text = rows.querySelector('td[data-field="progress"] span')?.textContent ?? '';
        if (text !== '' && seen.at(-1) !== text) seen.push(text);
      }).observe(rows, { subtree: true, childList: true, characterData: true });
    });

    setSourceDelay(150);
    const ids = Array.from({ length: 60 }, (_, i) => String(1001 + i));
    await page.locator('#warm-table').selectOption('movies');
    await page.locator('#warm-ids').fill(ids.join('\n'));
    await page.locator('#warm-form button[type="submit"]').click();
    const started = await startedJob(page, 60);
    const row = page.locator(`#job-rows tr[data-job-id="${started}"]`);
    await row.locator('td[data-field="status"]', { hasText: 'RUNNING' }).waitFor();
    await screenshot(page, 'jobs-page-running');
    await row.locator('td[data-field="status"]', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
    setSourceDelay(0);

    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const percents = seen.map((s) => Number.parseInt(s, 10));
    // The bar moved through intermediate values, never backwards, and ended full.
    expect(percents.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(await row.locator('progress').evaluate((e) => (e as HTMLProgressElement).value)).toBe(1);
    expect(await row.locator('td[data-field="rows"]').textContent()).toBe('60 / 60');
    expect(await row.locator('td[data-field="batches"]').textContent()).toBe('6 / 6');
    expect(await row.locator('td[data-field="failed"]').textContent()).toBe('0');
    expect(await row.locator('td[data-field="notFound"]').textContent()).toBe('0');
    expect(await row.locator('td[data-field="rate"]').textContent()).toMatch(/rows\/s$/);
    await screenshot(page, 'jobs-page');
    expect(blocked).toEqual([]);
    await page.context().close();
  });
});

describe('the jobs page with auth', () => {
  it('asks for a token, offers a reader only to follow a job, and an operator the list and the form', async () => {
    const { page, blocked } = await offlinePage(browser);
    await page.goto(`${guarded.origin}/jobs`);
    await expect.poll(() => page.locator('#auth-message').textContent()).toMatch(/needs a token/);
    await page.locator('#token').fill('not-a-token-of-this-server');
    await page.locator('#token-form button').click();
    await expect.poll(() => page.locator('#auth-message').textContent()).toMatch(/token was refused/);

    await page.locator('#token').fill(READER);
    await page.locator('#token-form button').click();
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.locator('#reader').waitFor({ state: 'visible' });
    expect(await page.locator('#warm').isHidden()).toBe(true);
    // A reader follows a job by its id (say one it started through an operator's tooling).
    const warm = await postGraphQL(
      guarded.url,
      'mutation { warm(table: "people", ids: ["7", "8", "9"]) { id } }',
      bearer(OPERATOR),
    );
    const jobId = (warm.body.data as { warm: { id: string } }).warm.id;
    await page.locator('#follow-id').fill(jobId);
    await page.locator('#follow-form button').click();
    const followed = page.locator(`#job-rows tr[data-job-id="${jobId}"]`);
    await followed.locator('td[data-field="status"]', { hasText: 'SUCCEEDED' }).waitFor();
    expect(await followed.locator('td[data-field="rows"]').textContent()).toBe('3 / 3');

    // The token is kept for this tab: a reload signs in again, here as the operator.
    await page.evaluate((token) => sessionStorage.setItem('cachegate.token', token), OPERATOR);
    await page.reload();
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.locator('#warm').waitFor({ state: 'visible' });
    expect(await page.locator('#auth').isHidden()).toBe(true);
    expect(await page.locator('#reader').isHidden()).toBe(true);
    // The operator warms IDs from a file; one of them the upstream does not have.
    await page.locator('#warm-table').selectOption('people');
    await page.locator('#warm-file').setInputFiles({
      name: 'ids.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('id\n21\n22\n23\n999999\n'),
    });
    await expect.poll(() => page.locator('#warm-result').textContent()).toBe('4 IDs read from ids.csv.');
    await page.locator('#warm-form button[type="submit"]').click();
    const started = await startedJob(page, 4);
    const row = page.locator(`#job-rows tr[data-job-id="${started}"]`);
    await row.locator('td[data-field="status"]', { hasText: 'SUCCEEDED' }).waitFor();
    expect(await row.locator('td[data-field="rows"]').textContent()).toBe('3 / 4');
    expect(await row.locator('td[data-field="notFound"]').textContent()).toBe('1');
    await screenshot(page, 'jobs-page-operator');
    expect(blocked).toEqual([]);
    await page.context().close();
  });
});

describe('GraphiQL', () => {
  it('renders offline and runs its default query over the configured tables', async () => {
    const { page, blocked } = await offlinePage(browser);
    await page.goto(server.url);
    // Monaco renders spaces as no-break spaces.
    const text = async (selector: string) =>
      (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
    await expect
      .poll(() => text('.graphiql-query-editor'), { timeout: 30_000 })
      .toMatch(/movies\(ids: \["1", "2", "3"\]\)/);
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => text('.graphiql-response'), { timeout: 30_000 }).toMatch(/"title": "Movie 1"/);
    expect(await text('.graphiql-response')).toMatch(/"data"/);
    await screenshot(page, 'graphiql');
    expect(blocked).toEqual([]);
    await page.context().close();
  });
});
