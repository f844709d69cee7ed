// Drives a council node's local web view (`msp-node serve`) in a real headless Chromium (Debian's),
// as council staff would: an officer and two approvers each sign in through the form by keyboard and
// open every page; the officer previews the quarter and makes the release (the confirmation ticked
// with Space); the officer is offered no approval; an approver who did not make the release approves
// it and submits it; the submissions page shows the coordinator's receipt and the release's place in
// the network's log. On every page: status 200, the site's title, one h1, nothing fetched from
// elsewhere, no console error, a visible keyboard focus, and no serious or critical axe-core
// violation. Prints one JSON report on stdout; exits non-zero on any failure.
//
// Environment: MSP_BASE (https://localhost:PORT), MSP_QUARTER (an ended quarter with data, not yet
// released), MSP_OFFICER_TOKEN, MSP_APPROVER_TOKEN, MSP_SECOND_APPROVER_TOKEN (the accounts' tokens),
// MSP_CHROMIUM (the browser, default /usr/bin/chromium), MSP_SHOTS (a directory for full-page
// screenshots, optional). The node's certificate comes from its own development CA, so certificate
// errors are ignored here; TLS itself is tested by the Rust suites.
//
// Not done here, because the Rust suites do it exactly (node/tests/web.rs): approving from a page
// opened before a revision, four eyes refusing the maker, and POSTs without the form token or from
// another origin.

import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.MSP_BASE;
const quarter = process.env.MSP_QUARTER;
const shots = process.env.MSP_SHOTS;
const people = {
  officer: { name: 'Sam Officer', role: 'officer', key: 'sam', token: process.env.MSP_OFFICER_TOKEN },
  approver: { name: 'Priya Shah', role: 'approver', key: 'priya', token: process.env.MSP_APPROVER_TOKEN },
  second: { name: 'Alex Lead', role: 'approver', key: 'alex', token: process.env.MSP_SECOND_APPROVER_TOKEN },
};
if (!base || !quarter || Object.values(people).some((p) => !p.token)) {
  console.error('set MSP_BASE, MSP_QUARTER, MSP_OFFICER_TOKEN, MSP_APPROVER_TOKEN and MSP_SECOND_APPROVER_TOKEN');
  process.exit(2);
}
if (shots) mkdirSync(shots, { recursive: true });

const Q = quarter;
const failures = [];
const pages = [];
const fail = (who, path, what) => failures.push(`${who} ${path}: ${what}`);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const COOKIE = 'msp_node_session';

const browser = await chromium.launch({
  executablePath: process.env.MSP_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

/// A browser of one's own (cookies and all) for `person` (null: someone not signed in).
async function visitor(person) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const v = { person, context, page, who: person ? person.name : '(signed out)', outside: [], consoleErrors: [] };
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) v.outside.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') v.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => v.consoleErrors.push(String(e)));
  return v;
}

/// Checks the page `v` is on (after opening `path`, unless `response` says it is there already):
/// status, title, one h1, axe, `checks`, a screenshot, then the keyboard's first stop.
async function audit(v, path, name, { checks, status: expected = 200, response } = {}) {
  const { page, who } = v;
  v.outside.length = 0;
  v.consoleErrors.length = 0;
  if (!response) response = await page.goto(base + path);
  const status = response ? response.status() : 0;
  if (status !== expected) fail(who, path, `status ${status}, expected ${expected}`);
  const title = await page.title();
  if (!title.includes('MSP node')) fail(who, path, `title "${title}"`);
  const h1s = await page.locator('h1').count();
  if (h1s !== 1) fail(who, path, `${h1s} h1 elements, not exactly one`);
  // Through the DevTools protocol, so the page's own CSP (no scripts at all) stays in force.
  await page.evaluate(axeSource);
  const axe = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return {
      passes: r.passes.length,
      violations: r.violations.map((x) => ({
        id: x.id, impact: x.impact, nodes: x.nodes.length, help: x.help, targets: x.nodes.map((n) => n.target.join(' ')),
      })),
    };
  }, AXE_TAGS);
  // An audit that checked nothing would pass everything.
  if (axe.passes < 10) fail(who, path, `axe checked only ${axe.passes} rules`);
  for (const x of axe.violations) {
    if (x.impact !== 'serious' && x.impact !== 'critical') continue;
    fail(who, path, `axe ${x.impact} ${x.id}: ${x.help} (${x.nodes} elements: ${x.targets.join(', ')})`);
  }
  if (checks) await checks(page, path);
  if (shots) await page.screenshot({ path: `${shots}/node-${name}${v.person ? `-${v.person.key}` : ''}.png`, fullPage: true });
  // The keyboard's first stop (the skip link) is a link or button, and its focus can be seen.
  await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.keyboard.press('Tab');
  const focus = await page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    return { tag: e.tagName, text: e.textContent.trim().slice(0, 40), outline: `${s.outlineStyle} ${s.outlineWidth}`, shadow: s.boxShadow };
  });
  if (!focus) fail(who, path, 'Tab reaches nothing');
  else if (focus.tag !== 'A' && focus.tag !== 'BUTTON') fail(who, path, `Tab reaches a ${focus.tag} first, not a link or button`);
  else if (focus.outline.startsWith('none') && focus.shadow === 'none') fail(who, path, `no visible focus on "${focus.text}"`);
  await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); });
  if (v.consoleErrors.length) fail(who, path, `console errors: ${v.consoleErrors.join('; ')}`);
  if (v.outside.length) fail(who, path, `requests outside the node: ${v.outside.join(', ')}`);
  pages.push({ path, role: v.person ? v.person.role : 'none', person: v.person ? v.person.name : null, status, title, axe });
}

/// Presses Tab until the focused element satisfies `is` (evaluated in the page); whether it did.
async function tabTo(page, is, most = 40) {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(is)) return true;
  }
  return false;
}

/// Presses Enter on the focused element and waits for the page the browser is sent to at `path`.
async function enterAndLand(page, path) {
  // The page may be sent back to its own address (an approval), so wait for the new document itself.
  const committed = page.waitForEvent('framenavigated', (f) => f === page.mainFrame());
  const [landed] = await Promise.all([
    page.waitForResponse((r) => r.url() === base + path && r.request().method() === 'GET' && r.request().isNavigationRequest()),
    page.keyboard.press('Enter'),
  ]);
  await committed;
  await page.waitForLoadState('load');
  return landed;
}

/// Signs `v` in with the keyboard only: Tab to the token field, type, Enter.
async function signIn(v) {
  const { page, who, person } = v;
  await page.goto(base + '/sign-in');
  const reached = await tabTo(page, () => document.activeElement && document.activeElement.getAttribute('name') === 'token', 10);
  if (!reached) { fail(who, '/sign-in', 'the token field cannot be reached with Tab'); return false; }
  const focus = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return `${s.outlineStyle} ${s.boxShadow}`;
  });
  if (focus === 'none none') fail(who, '/sign-in', 'no visible focus on the token field');
  await page.keyboard.type(person.token);
  await enterAndLand(page, '/');
  if (new URL(page.url()).pathname !== '/') { fail(who, '/sign-in', `not signed in (at ${page.url()})`); return false; }
  const session = (await v.context.cookies()).find((c) => c.name === COOKIE);
  if (!session || !session.httpOnly || !session.secure || session.sameSite !== 'Strict') {
    fail(who, '/sign-in', `session cookie not Secure, HttpOnly and SameSite=Strict: ${JSON.stringify(session)}`);
  }
  if (session && session.value.includes(person.token)) fail(who, '/sign-in', 'the session cookie holds the token');
  const header = await page.locator('header').innerText();
  if (!header.includes(person.name)) fail(who, '/', `the header does not say who is signed in: ${header}`);
  return true;
}

const text = (page) => page.locator('main').innerText();
const has = (page, path, who, wanted) => async () => {
  const t = await text(page);
  if (!t.includes(wanted)) fail(who, path, `does not say "${wanted}"`);
};

/// The pages that read, for `v`, with what each should show.
async function readingPages(v, { before, after }) {
  const { page, who } = v;
  await audit(v, '/', 'quarters', {
    checks: async (p, path) => {
      if (!(await text(p)).includes(Q)) fail(who, path, `does not list ${Q}`);
      if ((await p.locator(`a[href="/quarters/${Q}"], a[href^="/quarters/${Q}/"]`).count()) === 0) fail(who, path, `no link to ${Q}`);
    },
  });
  await audit(v, '/imports', 'imports', {
    checks: async (p, path) => { if ((await p.locator('table tbody tr').count()) === 0) fail(who, path, 'no import listed'); },
  });
  await audit(v, `/quarters/${Q}`, 'quarter', {
    checks: async (p, path) => {
      const tables = await p.locator('table').count();
      if (tables < 2) fail(who, path, `${tables} tables: the trend and the report's tables are missing`);
      if ((await p.locator('table tbody tr').count()) === 0) fail(who, path, 'tables have no rows');
    },
  });
  if (before) await before();
  await audit(v, '/budget', 'budget');
  await audit(v, '/submissions', 'submissions', { checks: after });
  await audit(v, '/compare', 'compare');
  await audit(v, '/audit', 'audit', {
    checks: async (p, path) => { if ((await p.locator('table tbody tr').count()) === 0) fail(who, path, 'the audit log is empty'); },
  });
  void page;
}

try {
  // Signed out: the sign-in page is itself accessible, and a wrong token is refused with a message.
  const stranger = await visitor(null);
  await audit(stranger, '/sign-in', 'sign-in');
  await stranger.page.goto(base + '/');
  if (!stranger.page.url().includes('/sign-in')) fail(stranger.who, '/', `not sent to sign in (at ${stranger.page.url()})`);
  await stranger.page.goto(base + '/sign-in');
  await stranger.page.fill('input[name="token"]', 'msp_wrong-token-wrong-token-wrong-token-wrong-to');
  const [refused] = await Promise.all([
    stranger.page.waitForResponse((r) => r.url() === `${base}/sign-in` && r.request().method() === 'POST'),
    stranger.page.press('input[name="token"]', 'Enter'),
  ]);
  await stranger.page.waitForLoadState('load');
  await audit(stranger, '/sign-in', 'sign-in-refused', {
    status: 401,
    response: refused,
    checks: async (p, path) => {
      if ((await p.locator('.error-summary[role="alert"]').count()) !== 1) fail(stranger.who, path, 'a wrong token gets no error summary');
      if ((await stranger.context.cookies()).some((c) => c.name === COOKIE)) fail(stranger.who, path, 'a wrong token got a session');
    },
  });
  await stranger.context.close();

  // The officer previews the quarter and makes the release, but cannot approve it.
  const sam = await visitor(people.officer);
  if (await signIn(sam)) {
    const { page, who } = sam;
    await readingPages(sam, {
      before: async () => {
        await audit(sam, `/quarters/${Q}/preview`, 'preview', {
          checks: async (p, path) => {
            if ((await p.locator(`form[action="/quarters/${Q}/release"]`).count()) !== 1) fail(who, path, 'no form to make the release');
            if ((await p.locator('table tbody tr').count()) === 0) fail(who, path, 'the preview table has no rows');
          },
        });
        // Tick the confirmation with the keyboard, then press the button.
        const ticked = await tabTo(page, () => document.activeElement && document.activeElement.id === 'confirm');
        if (!ticked) fail(who, `/quarters/${Q}/preview`, 'the confirmation box cannot be reached with Tab');
        await page.keyboard.press('Space');
        if (!(await page.locator('#confirm').isChecked())) fail(who, `/quarters/${Q}/preview`, 'Space does not tick the confirmation');
        await page.keyboard.press('Tab');
        const button = await page.evaluate(() => document.activeElement && document.activeElement.textContent.trim());
        if (button !== 'Make the release') fail(who, `/quarters/${Q}/preview`, `Tab after the box reaches "${button}", not the button`);
        const made = await enterAndLand(page, `/quarters/${Q}/release`);
        await audit(sam, `/quarters/${Q}/release`, 'release-made', {
          response: made,
          checks: async (p, path) => {
            const t = await text(p);
            if (!t.includes('revision 1')) fail(who, path, 'does not show revision 1');
            if (!t.includes(`by ${people.officer.name}`)) fail(who, path, `does not say it was made by ${people.officer.name}`);
            if (!t.includes("Your account is an officer's")) fail(who, path, "does not say the account is an officer's");
            if ((await p.locator(`form[action="/quarters/${Q}/approve"]`).count()) !== 0) fail(who, path, 'an officer is offered the approval');
            if ((await p.locator(`form[action="/quarters/${Q}/submit"]`).count()) !== 0) fail(who, path, 'submit is offered before approval');
          },
        });
      },
    });
  }
  await sam.context.close();

  // An approver who did not make the release approves exactly what is shown, then submits it.
  const priya = await visitor(people.approver);
  if (await signIn(priya)) {
    const { page, who } = priya;
    const release = `/quarters/${Q}/release`;
    await readingPages(priya, {
      before: async () => {
        await audit(priya, `/quarters/${Q}/preview`, 'preview', { checks: has(page, `/quarters/${Q}/preview`, who, 'was released already') });
        await audit(priya, release, 'release', {
          checks: async (p, path) => {
            if (!(await text(p)).includes('Not approved yet')) fail(who, path, 'does not say it is not approved yet');
            if ((await p.locator(`form[action="/quarters/${Q}/approve"] button`).count()) !== 1) fail(who, path, 'no approve button');
          },
        });
        const reached = await tabTo(page, () => document.activeElement && document.activeElement.textContent.trim() === 'Approve this release', 60);
        if (!reached) fail(who, release, 'the approve button cannot be reached with Tab');
        const approved = await enterAndLand(page, release);
        await audit(priya, release, 'release-approved', {
          response: approved,
          checks: async (p, path) => {
            if (!(await text(p)).includes(`Approved by ${people.approver.name}`)) fail(who, path, `does not say "Approved by ${people.approver.name}"`);
            if ((await p.locator(`form[action="/quarters/${Q}/submit"] button`).count()) !== 1) fail(who, path, 'no submit button after approval');
          },
        });
        const sent = await tabTo(page, () => document.activeElement && document.activeElement.textContent.trim() === 'Submit to the network', 60);
        if (!sent) fail(who, release, 'the submit button cannot be reached with Tab');
        const landed = await enterAndLand(page, '/submissions');
        if (landed.status() !== 200) fail(who, release, `submitting led to status ${landed.status()}: ${await text(page)}`);
      },
      after: async (p, path) => {
        const row = p.locator('table tbody tr').first();
        if ((await p.locator('table tbody tr').count()) !== 1) { fail(who, path, 'not exactly one submission listed'); return; }
        const t = await row.innerText();
        if (!t.includes('Receipted')) fail(who, path, `the submission is not receipted: ${t}`);
        if (!t.includes(people.approver.name)) fail(who, path, `does not say ${people.approver.name} approved it`);
        const position = (await row.locator('td.num').first().innerText()).trim();
        if (!/^\d+$/.test(position)) fail(who, path, `no log position ("${position}")`);
      },
    });
  }
  await priya.context.close();

  // The second approver sees the release approved and receipted, with nothing left to do.
  const alex = await visitor(people.second);
  if (await signIn(alex)) {
    const { page, who } = alex;
    const release = `/quarters/${Q}/release`;
    await readingPages(alex, {
      before: async () => {
        await audit(alex, `/quarters/${Q}/preview`, 'preview', { checks: has(page, `/quarters/${Q}/preview`, who, 'was released already') });
        await audit(alex, release, 'release', {
          checks: async (p, path) => {
            const t = await text(p);
            if (!t.includes(`Approved by ${people.approver.name}`)) fail(who, path, `does not say "Approved by ${people.approver.name}"`);
            if (!t.includes('Receipted')) fail(who, path, 'does not say it was receipted');
            if ((await p.locator('main form').count()) !== 0) fail(who, path, 'offers an action on a receipted release');
          },
        });
      },
      after: async (p, path) => {
        if (!(await p.locator('table tbody tr').first().innerText()).includes('Receipted')) fail(who, path, 'the submission is not receipted');
      },
    });
  }
  await alex.context.close();
} catch (e) {
  failures.push(`the browser run stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

console.log(JSON.stringify({ pages, failures }, null, 2));
process.exit(failures.length ? 1 : 0);
