// Accessibility: axe-core audits every page a scenario visits, in the state the scenario left
// it, and reports each serious or critical violation (rule, impact, the elements concerned).
//
// Pages are audited when they finish loading and before every screenshot. A scenario often
// moves on before an audit of a page it only passes through has finished; such a page (if the
// browser reached it with a GET) is opened again at the end of the scenario, in the same
// browser context, and audited then — so no visited page goes unaudited.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const FAILING = new Set(['serious', 'critical']);

// Runs axe in the page; the violations as lines, or null when the page went away meanwhile.
async function audit(page) {
  const url = page.url();
  try {
    const found = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
      }));
    });
    if (page.url() !== url) return null;
    return found
      .filter((v) => FAILING.has(v.impact))
      .map((v) => `accessibility (${v.impact}) on ${url}: ${v.id} — ${v.help} [${v.nodes.join(', ')}]`);
  } catch (e) {
    if (/context was destroyed|navigat|Target .*closed|has been closed/i.test(String(e.message))) return null;
    throw e;
  }
}

export class Auditor {
  constructor(page) {
    this.page = page;
    this.problems = [];
    this.audited = new Set(); // URLs audited at least once
    this.visited = new Map(); // URL → whether the browser got it with a GET
    this.queue = Promise.resolve();
    this.lastMethod = 'GET';
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) this.lastMethod = r.method();
    });
    page.on('load', () => {
      const url = page.url();
      if (!url.startsWith('http')) return;
      if (!this.visited.has(url) || this.lastMethod === 'GET') this.visited.set(url, this.lastMethod === 'GET');
      this.queue = this.queue.then(() => this.record(page)).catch((e) => this.problems.push(`axe failed: ${e.message}`));
    });
  }

  async record(page) {
    const url = page.url();
    const found = await audit(page);
    if (found === null) return;
    this.audited.add(url);
    for (const line of found) if (!this.problems.includes(line)) this.problems.push(line);
  }

  // Audits the page as it is now (before a screenshot).
  async auditNow() {
    await this.queue;
    await this.record(this.page);
  }

  // Audits what was passed through too quickly; returns every problem found.
  async finish(context) {
    await this.queue;
    const missed = [...this.visited].filter(([url, byGet]) => byGet && !this.audited.has(url)).map(([url]) => url);
    // Pages for visitors (sign-up, sign-in) redirect a signed-in browser: those are opened in a
    // fresh context as well, as the visitor saw them.
    const fresh = await context.browser().newContext({ viewport: this.page.viewportSize() ?? undefined });
    await fresh.addInitScript({ content: axeSource });
    for (const url of missed) {
      let found = null;
      for (const where of [context, fresh]) {
        const page = await where.newPage();
        const res = await page.goto(url);
        if (res && res.status() < 400 && page.url() === url) found = await audit(page);
        await page.close();
        if (found !== null) break;
      }
      if (found === null) this.problems.push(`accessibility: ${url} was visited but could not be audited`);
      else found.forEach((line) => this.problems.includes(line) || this.problems.push(line));
    }
    await fresh.close();
    return this.problems;
  }
}
