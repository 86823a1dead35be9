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

export const scenarios = {
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
    await page.click('button:text("Sign out")');
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
