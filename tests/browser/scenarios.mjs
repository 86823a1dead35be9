// The flows a person goes through, one function each. Each gets a fresh browser context.
import assert from 'node:assert/strict';

const PASSWORD = 'correct horse battery';
let counter = 0;
const email = (who) => `${who}-${Date.now()}-${++counter}@example.com`;

async function signUp(page, base, who) {
  const address = email(who);
  await page.goto(`${base}/signup`);
  await page.fill('input[name=email]', address);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/w\/\d+\/billing$/);
  return address;
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

// One clock: a renewal fails on the sandbox's test clock, the workspace is past due, and eight
// more days on the clock end the grace period: the billing page shows Free.
async function graceJourney({ page, base, shot }, width) {
  if (width === 'phone') await page.setViewportSize({ width: 375, height: 740 });
  await signUp(page, base, `grace-${width}`);
  await page.goto(`${base}/pricing`);
  await page.locator('article[data-plan=starter] form button').click();
  await page.waitForURL(/\/sandbox\/checkout\/cs_/);
  await page.fill('input[name=card]', '4000 0000 0000 0341');
  await page.click('[data-testid=pay]');
  await page.waitForURL(/\/w\/\d+\/billing$/);
  assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Starter');
  const billing = page.url();

  await page.click('[data-testid=test-clock-link]');
  await page.waitForURL(/\/billing\/clock$/);
  assert.ok((await overflow(page)) <= 0, 'the clock page fits the screen');
  await shot(`test-clock-${width}`);
  await page.click('[data-testid=advance-next_renewal]');
  await page.waitForSelector('.notice-success');
  await page.goto(billing);
  assert.equal(await page.locator('[data-testid=plan-status]').innerText(), 'Past due');
  assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Starter');
  assert.match(await page.locator('.banner').innerText(), /Update your payment method by/);
  assert.ok((await overflow(page)) <= 0, 'the past-due billing page fits the screen');
  await shot(`billing-past-due-${width}`);

  await page.click('[data-testid=test-clock-link]');
  await page.fill('input[name=days]', '8');
  await page.click('[data-testid=advance-days]');
  await page.waitForSelector('.notice-success');
  assert.match(await page.locator('.notice-success').innerText(), /The test clock now reads/);
  await shot(`test-clock-advanced-${width}`);
  await page.goto(billing);
  assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Free');
  await shot(`billing-after-grace-${width}`);
}

// The admin console as an operator reads it, at desktop and phone widths: every page loads,
// fits the screen (wide tables scroll inside their own region) and passes the audit.
async function adminTour({ page, base, shot }, width) {
  if (width === 'phone') await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(`${base}/signup`);
  await page.fill('input[name=email]', `operator-${width}@browser.example`);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/w\/\d+\/billing$/);
  const ws = page.url().match(/\/w\/(\d+)\//)[1];
  const pages = [
    ['admin-overview', '/admin', 'Administration'],
    ['admin-workspaces', '/admin/workspaces', 'Workspaces'],
    ['admin-workspace', `/admin/workspaces/${ws}`, 'Subscription'],
    ['admin-events', '/admin/events', 'Webhook events'],
    ['admin-catalog', '/admin/catalog', 'Catalog'],
    ['admin-plan-form', '/admin/catalog/plans/new', 'plan'],
    ['admin-jobs', '/admin/jobs', 'Jobs'],
    ['admin-capacity', '/admin/capacity', 'Capacity'],
  ];
  for (const [name, path, text] of pages) {
    const res = await page.goto(`${base}${path}`);
    assert.equal(res.status(), 200, `${path} answers`);
    assert.ok((await page.locator('main').innerText()).includes(text), `${path} shows ${text}`);
    assert.ok((await overflow(page)) <= 0, `${path} fits the screen at ${width} width`);
    await shot(`${name}-${width}`);
  }
}

export const scenarios = {
  'admin console at desktop width': (ctx) => adminTour(ctx, 'desktop'),
  'admin console at phone width': (ctx) => adminTour(ctx, 'phone'),
  'pricing → sign up → billing shows Free, pricing shows the current plan': async ({ page, base, shot }) => {
    await page.goto(`${base}/pricing`);
    await shot('pricing-anonymous');
    assert.deepEqual(await page.locator('article[data-plan] h2').allTextContents(), ['Free', 'Starter', 'Pro', 'Enterprise']);
    await page.click('a[href="/pricing?interval=year"]');
    assert.match(await page.locator('article[data-plan=pro] .price').innerText(), /\$500\s*\/\s*year/);

    await page.locator('article[data-plan=pro] a', { hasText: 'Sign up' }).click();
    await page.waitForURL(/\/signup\?next=/);
    await page.fill('input[name=email]', email('ada'));
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/pricing$/); // `next` brings the new user back to pricing
    assert.equal(await page.locator('article[data-plan=free] .badge').innerText(), 'Current plan');
    assert.equal((await page.locator('article[data-plan=pro] form button').innerText()).trim(), 'Start free trial');
    await shot('pricing-signed-in');

    await page.locator('article[data-plan=free] a', { hasText: 'Manage billing' }).click();
    await page.waitForURL(/\/w\/\d+\/billing$/);
    assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Free');
    assert.match(await page.locator('.meter').first().innerText(), /100 of 100 credits/);
    await shot('billing-free');
  },

  'settings: rename the workspace, sign out, sign back in': async ({ page, base, shot }) => {
    const address = await signUp(page, base, 'grace');
    await page.click('nav a:text("Settings")');
    await page.fill('input[name=name]', 'Acme Corp');
    await page.click('button:text("Rename")');
    await page.waitForSelector('.notice-success');
    assert.match(await page.locator('h1').innerText(), /^Acme Corp/);
    await shot('settings');

    await page.click('details.menu summary');
    await page.click('details.menu button:text("Sign out")');
    await page.waitForURL(/\/pricing$/);
    await page.goto(`${base}/login`);
    await page.fill('input[name=email]', address);
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    assert.equal(await page.locator('.notice-error').innerText(), 'Email or password is incorrect.');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/w\/\d+\/billing$/);
    assert.match(await page.locator('h1').innerText(), /^Acme Corp/);
  },

  'upgrade → sandbox checkout → declined, then paid → Starter → cancel in portal → test clock → Free': async ({ page, base, shot }) => {
    await signUp(page, base, 'buyer');
    await page.goto(`${base}/pricing`);
    await page.locator('article[data-plan=starter] form button').click();
    await page.waitForURL(/\/sandbox\/checkout\/cs_/);
    assert.match(await page.locator('body').innerText(), /Starter/);
    await shot('sandbox-checkout');

    await page.fill('input[name=card]', '4000 0000 0000 0002');
    await page.click('[data-testid=pay]');
    assert.match(await page.locator('[data-testid=error]').innerText(), /declined/i);

    await page.fill('input[name=card]', '4242 4242 4242 4242');
    await page.click('[data-testid=pay]');
    await page.waitForURL(/\/w\/\d+\/billing$/);
    assert.equal(await page.locator('.notice-success').innerText(), 'Welcome to Starter! Your workspace has been upgraded.');
    assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Starter');
    assert.equal(await page.locator('[data-testid=plan-status]').innerText(), 'Active');
    assert.match(await page.locator('.meter').first().innerText(), /2,000 of 2,000 credits/);
    await shot('billing-starter');

    await page.click('button:text("Manage billing")');
    await page.waitForURL(/\/sandbox\/portal\//);
    await shot('sandbox-portal');
    await page.click('[data-testid=cancel]');
    await page.waitForSelector('[data-testid=resume]');
    await page.click('[data-testid=return]');
    await page.waitForURL(/\/w\/\d+\/billing$/);
    assert.match(await page.locator('.notice-info').innerText(), /Your subscription ends on .*Starter stays available until then/);
    assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Starter');
    const billing = page.url();

    await page.click('[data-testid=test-clock-link]');
    await page.waitForURL(/\/billing\/clock$/);
    await shot('test-clock');
    await page.click('[data-testid=advance-next_renewal]');
    await page.waitForSelector('.notice-success');
    await page.goto(billing);
    assert.equal(await page.locator('[data-testid=current-plan]').innerText(), 'Free');
    await shot('billing-after-cancel');
  },

  'analytics: locked on Free with the plan that unlocks it, charts on a Pro trial': async ({ page, base, shot }) => {
    await signUp(page, base, 'analyst');
    assert.equal(await page.locator('[data-testid=plan-badge]').innerText(), 'Free');
    assert.match(await page.locator('[data-testid=nav-analytics]').innerText(), /upgrade/);
    await page.click('[data-testid=nav-analytics]');
    await page.waitForURL(/\/w\/\d+\/billing\?upgrade=analytics$/);
    assert.match(await page.locator('[data-testid=upgrade-notice]').innerText(), /Analytics is not included in Free\..*upgrade to Pro/);
    await shot('analytics-locked');

    await page.goto(`${base}/pricing`);
    await page.locator('article[data-plan=pro] form button').click();
    await page.waitForURL(/\/sandbox\/checkout\/cs_/);
    await page.fill('input[name=card]', '4242 4242 4242 4242');
    await page.click('[data-testid=pay]');
    await page.waitForURL(/\/w\/\d+\/billing$/);
    assert.equal(await page.locator('[data-testid=plan-badge]').innerText(), 'Pro · trial');

    await page.click('[data-testid=nav-analytics]');
    await page.waitForURL(/\/w\/\d+\/analytics$/);
    const chart = page.locator('svg[data-testid=chart-credits]');
    assert.equal(await chart.getAttribute('role'), 'img');
    assert.match(await chart.locator('desc').textContent(), /Credits spent per day/);
    assert.ok(await chart.locator('rect').count() > 0, 'a bar per day');
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 300 && box.height > 50, `the chart is drawn: ${JSON.stringify(box)}`);
    assert.ok(await page.locator('svg[data-testid=chart-quotas] rect.bar-current').count() >= 2, 'limits and seats');
    assert.match(await page.locator('[data-testid=table-quotas]').innerText(), /projects/);
    await shot('analytics-pro');
  },
  'one clock: failed renewal → 8 days on the test clock → Free (desktop)': (ctx) => graceJourney(ctx, 'desktop'),
  'one clock: failed renewal → 8 days on the test clock → Free (phone)': (ctx) => graceJourney(ctx, 'phone'),

  'error pages, sign-in and sign-up as a visitor sees them': async ({ page, base, shot }) => {
    const res = await page.goto(`${base}/no-such-page`);
    assert.equal(res.status(), 404);
    assert.equal(await page.locator('.error-code').innerText(), '404');
    await shot('error-404');
    await page.goto(`${base}/login`);
    await shot('login');
    await page.goto(`${base}/signup`);
    await shot('signup');
  },

  'pages fit a phone screen': async ({ page, base, shot }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${base}/pricing`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `pricing is ${overflow}px wider than the phone`);
    await shot('pricing-phone');
    await signUp(page, base, 'phone');
    const billingOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(billingOverflow <= 0, `billing is ${billingOverflow}px wider than the phone`);
    await shot('billing-phone');
  },
};
