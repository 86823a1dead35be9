// Browser tests: start the real tollgate binary on a free port with a fresh SQLite
// database, then click through the pages in Debian's headless chromium, as a person would.
// Every page a scenario visits is audited with axe-core (see `a11y`): a serious or critical
// violation fails the scenario.
// Prints "N passed, N failed" and exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { scenarios } from './scenarios.mjs';
import { Auditor, axeSource } from './a11y.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = process.env.TOLLGATE_BIN || join(root, 'target', 'debug', 'tollgate');
const shots = join(root, 'target', 'browser-screens');
mkdirSync(shots, { recursive: true });

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

async function startApp() {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-browser-'));
  const port = await freePort();
  const child = spawn(binary, [], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: join(dir, 'tollgate.db'),
      SESSION_KEY: randomBytes(48).toString('hex'),
      CATALOG_PATH: join(root, 'catalog.toml'),
      ADMIN_EMAILS: 'operator-desktop@browser.example,operator-phone@browser.example',
      RUST_LOG: process.env.RUST_LOG || 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`tollgate exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return { base, stop: () => { child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('tollgate did not answer /healthz within 10 s');
}

const app = await startApp();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
let passed = 0;
let failed = 0;
for (const [name, scenario] of Object.entries(scenarios)) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript({ content: axeSource });
  const page = await context.newPage();
  const auditor = new Auditor(page);
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Forms answer 401/422 on purpose (wrong password, invalid input); the browser logs those
  // as failed loads. Anything else on the console is a problem.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  try {
    const shot = async (file) => {
      await auditor.auditNow();
      await page.screenshot({ path: join(shots, `${file}.png`), fullPage: true });
    };
    await scenario({ page, context, base: app.base, shot });
    problems.push(...(await auditor.finish(context)));
    if (problems.length) throw new Error(problems.join('\n'));
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
    await page.screenshot({ path: join(shots, `FAILED-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  }
  await context.close();
}
await browser.close();
app.stop();
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
