// Drives the dashboard in a real headless Chromium (Debian's), as a person would: signs in through
// the form, opens every page, checks that charts and their tables render, that the keyboard reaches
// the controls with a visible focus, and that axe-core finds no serious or critical accessibility
// violation. Prints one JSON report on stdout; exits non-zero on any failure.
//
// Environment: MSP_BASE (https://localhost:PORT), MSP_TOKEN (a national token), MSP_COUNCIL (a council
// with data), MSP_CHROMIUM (the browser, default /usr/bin/chromium), MSP_SHOTS (a directory for
// screenshots, optional). The coordinator's certificate comes from a development CA made for the test,
// so certificate errors are ignored here; TLS itself is tested by the Rust suites.

import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.MSP_BASE;
const token = process.env.MSP_TOKEN;
const council = process.env.MSP_COUNCIL;
const shots = process.env.MSP_SHOTS;
if (!base || !token || !council) {
  console.error('set MSP_BASE, MSP_TOKEN and MSP_COUNCIL');
  process.exit(2);
}
if (shots) mkdirSync(shots, { recursive: true });

const failures = [];
const pages = [];
const fail = (page, what) => failures.push(`${page}: ${what}`);

const browser = await chromium.launch({
  executablePath: process.env.MSP_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const outside = [];
  const consoleErrors = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  async function audit(path, name, checks) {
    consoleErrors.length = 0;
    const response = await page.goto(base + path);
    const status = response ? response.status() : 0;
    if (status !== 200) fail(path, `status ${status}`);
    const title = await page.title();
    if (!title.includes('MSP Outcomes Network')) fail(path, `title "${title}"`);
    if ((await page.locator('h1').count()) !== 1) fail(path, 'not exactly one h1');
    // Through the DevTools protocol, so the page's own CSP (no scripts at all) stays in force.
    await page.evaluate(axeSource);
    const axe = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
      return {
        passes: r.passes.length,
        violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })),
      };
    });
    // An audit that checked nothing would pass everything.
    if (axe.passes < 10) fail(path, `axe checked only ${axe.passes} rules`);
    for (const v of axe.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') fail(path, `axe ${v.impact} ${v.id}: ${v.help} (${v.nodes} elements)`);
    }
    if (checks) await checks(path);
    if (consoleErrors.length) fail(path, `console errors: ${consoleErrors.join('; ')}`);
    if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    pages.push({ path, status, title, axe });
  }

  async function chartsAndTables(path, minCharts) {
    const charts = await page.locator('svg.chart[role="img"]').count();
    if (charts < minCharts) fail(path, `${charts} charts, expected at least ${minCharts}`);
    for (let i = 0; i < charts; i++) {
      const svg = page.locator('svg.chart').nth(i);
      const box = await svg.boundingBox();
      if (!box || box.width < 300 || box.height < 50) fail(path, `chart ${i} not drawn (${JSON.stringify(box)})`);
      const label = await svg.getAttribute('aria-labelledby');
      if (!label) fail(path, `chart ${i} has no accessible name`);
    }
    const tables = await page.locator('table').count();
    if (tables < Math.max(1, minCharts)) fail(path, `${tables} tables: every chart needs its table`);
    const rows = await page.locator('table tbody tr').count();
    if (rows === 0) fail(path, 'tables have no rows');
  }

  // Signed out: the dashboard sends you to the sign-in page, which is itself accessible.
  await audit('/dashboard', 'sign-in', async (path) => {
    if (!page.url().includes('/sign-in')) fail(path, `not sent to sign in (at ${page.url()})`);
  });
  // A wrong token is refused with a message, and no session.
  await page.fill('input[name="token"]', 'msp_wrong-token-wrong-token-wrong-token-wrong-to');
  await page.click('button[type="submit"]');
  if (!page.url().includes('/sign-in')) fail('/sign-in', 'a wrong token was let in');
  if ((await page.locator('.error-summary, [role="alert"]').count()) === 0) fail('/sign-in', 'a wrong token gets no error message');

  // Sign in with the keyboard only: tab to the field, type, tab to the button, Enter.
  await page.goto(base + '/sign-in');
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('name') === 'token');
  }
  if (!reached) fail('/sign-in', 'the token field cannot be reached with Tab');
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return `${s.outlineStyle} ${s.outlineWidth} ${s.boxShadow}`;
  });
  if (outline.startsWith('none') && outline.endsWith('none')) fail('/sign-in', `no visible focus (${outline})`);
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.waitForURL('**/dashboard');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'msp_session');
  if (!session || !session.httpOnly || !session.secure || session.sameSite !== 'Strict') {
    fail('/sign-in', `session cookie not Secure, HttpOnly and SameSite=Strict: ${JSON.stringify(session)}`);
  }
  // The cookie holds a session id, never the token.
  if (session && (session.value.includes(token) || session.value.includes(token.slice(4)))) {
    fail('/sign-in', 'the session cookie holds the token');
  }

  await audit('/dashboard', 'overview', (p) => chartsAndTables(p, 2));
  await audit('/dashboard/groups', 'groups', (p) => chartsAndTables(p, 2));
  await audit('/dashboard/models', 'models', (p) => chartsAndTables(p, 2));
  await audit('/dashboard/breakdowns', 'breakdowns', (p) => chartsAndTables(p, 7));
  await audit('/dashboard/council', 'council-picker');
  // Choose a council with the picker, as a person would.
  await page.selectOption('select[name="code"]', council);
  await Promise.all([page.waitForURL(`**/dashboard/council/${council}`), page.click('form[action="/dashboard/council/go"] button')]);
  await audit(`/dashboard/council/${council}`, 'council', (p) => chartsAndTables(p, 1));
  await audit('/dashboard/councils', 'councils', (p) => chartsAndTables(p, 1));
  await audit('/dashboard/councils?group=england&sort=estimate&measure=repeat', 'councils-england', async (p) => {
    await chartsAndTables(p, 1);
    // Sorted by estimate: the table's estimates never rise down the page.
    const values = await page.locator('table tbody tr td:nth-of-type(4)').allInnerTexts();
    const numbers = values.map((v) => parseFloat(v)).filter((v) => !Number.isNaN(v));
    if (numbers.length < 10) fail(p, `only ${numbers.length} councils' estimates`);
    for (let i = 1; i < numbers.length; i++) if (numbers[i] > numbers[i - 1]) fail(p, 'not sorted by estimate');
    // The chart has England's line, and says when its axis does not start at zero.
    if ((await page.locator('svg.chart line.reference').count()) !== 1) fail(p, 'no England line');
    // Repeat enquiries: less is better, so a higher council is marked worse, never better.
    if ((await page.locator('.tag--better', { hasText: 'higher' }).count()) > 0) fail(p, 'a higher repeat rate is called better');
  });
  // The councils page's pickers are reached with the keyboard.
  await page.goto(base + '/dashboard/councils');
  let picker = false;
  for (let i = 0; i < 40 && !picker; i++) {
    await page.keyboard.press('Tab');
    picker = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('name') === 'sort');
  }
  if (!picker) fail('/dashboard/councils', 'the order picker cannot be reached with Tab');
  await audit('/dashboard/trend?group=region:north_east&measure=mean_days', 'trend', (p) => chartsAndTables(p, 1));
  await audit('/dashboard/status', 'status', (p) => chartsAndTables(p, 0));
  await audit('/dashboard/methodology', 'methodology');

  // Downloads work from the page's own links.
  await page.goto(base + '/dashboard/groups');
  const csv = page.locator('a', { hasText: 'CSV' }).first();
  const href = await csv.getAttribute('href');
  const download = await page.request.get(base + href);
  if (download.status() !== 200 || !(download.headers()['content-type'] || '').startsWith('text/csv')) {
    fail(href, `CSV download: ${download.status()} ${download.headers()['content-type']}`);
  }

  // Signing out ends the session, on the server: the old cookie, put back, is worth nothing.
  await page.goto(base + '/dashboard');
  await page.click('form[action="/sign-out"] button');
  await page.goto(base + '/dashboard');
  if (!page.url().includes('/sign-in')) fail('/sign-out', 'still signed in after signing out');
  if (session) {
    await context.addCookies([session]);
    await page.goto(base + '/dashboard');
    if (!page.url().includes('/sign-in')) fail('/sign-out', 'the old session cookie still signs in');
  }

  // A form on another page (here one with no origin at all) cannot sign anyone in.
  const forged = await context.newPage();
  await forged.setContent(
    `<form method="post" action="${base}/sign-in"><input name="token" value="${token}"><button>Go</button></form>`,
  );
  const [refusal] = await Promise.all([
    forged.waitForResponse((r) => r.url() === `${base}/sign-in` && r.request().method() === 'POST', { timeout: 15000 }),
    forged.click('button'),
  ]);
  if (refusal.status() !== 403) fail('/sign-in', `a form from elsewhere got ${refusal.status()}, not 403`);
  if ((await refusal.headerValue('set-cookie')) !== null) fail('/sign-in', 'a form from elsewhere got a session');
  await forged.waitForLoadState();
  if (!(await forged.locator('h1').innerText()).includes('another site')) fail('/sign-in', 'the refusal does not say why');
  await forged.close();

  // The open-data pages need no sign-in (this network's quarters are published).
  await audit('/open', 'open');
  if ((await page.locator('a', { hasText: 'every council' }).count()) === 0) fail('/open', 'no published quarter listed');
  await audit('/open/groups', 'open-groups', (p) => chartsAndTables(p, 2));
  await audit('/open/councils', 'open-councils', (p) => chartsAndTables(p, 1));
  await audit('/open/trend', 'open-trend', (p) => chartsAndTables(p, 1));
  if ((await page.locator('form[action="/sign-out"]').count()) > 0) fail('/open', 'shows a sign-out button signed out');

  if (outside.length) fail('*', `requests outside the server: ${outside.join(', ')}`);
} catch (e) {
  failures.push(`the browser run stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

console.log(JSON.stringify({ pages, failures }, null, 2));
process.exit(failures.length ? 1 : 0);
