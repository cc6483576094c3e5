/**
 * Debian's Chromium, headless, driven by playwright-core: never a browser Playwright downloads.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Without these Chromium keeps trying connections of its own (updates, sync, field trials,
 * QUIC probes), which a closed network refuses, many at a time.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Beyond the flags above: no crash reports (Debian's wrapper keeps them outside the profile),
  // and no host name but localhost resolves, so Chromium itself cannot reach anything else.
  '--disable-breakpad',
  '--disable-crash-reporter',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'e2e');

const isLocal = (url: string) =>
  /^(?:https?|wss?):\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?\//.test(url);

export interface Browser {
  readonly page: Page;
  /** Requests the page made beyond this machine; each was blocked before it left. */
  readonly blocked: string[];
  /** What the page wrote to its console as errors, for the report when a step fails. */
  readonly consoleErrors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export function chromiumPath(): string {
  const executable = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executable)) {
    throw new Error(
      `Chromium is not at ${executable}. Install Debian's package (sudo apt-get install chromium) ` +
        'or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  return executable;
}

export async function openBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'hwc-e2e-chromium-'));
  // Also when mocha is interrupted: Playwright ends Chromium then, and the profile goes with it.
  const removeProfile = () => rmSync(userDataDir, { recursive: true, force: true });
  process.once('exit', removeProfile);
  let context: BrowserContext;
  try {
    // A persistent context is how Playwright takes a --user-data-dir: a fresh one per run.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 1000 },
      locale: 'nl-NL',
    });
  } catch (error) {
    process.off('exit', removeProfile);
    removeProfile();
    throw error;
  }
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  // The Playground's page loads its fonts from a Microsoft CDN: refused here, so nothing leaves.
  await context.route(
    (url) => !isLocal(url.href),
    (route) => {
      blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  let shots = 0;
  return {
    page,
    blocked,
    consoleErrors,
    async screenshot(name) {
      shots += 1;
      const slug = name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 70);
      const file = path.join(SCREENSHOT_DIR, `${String(shots).padStart(2, '0')}-${slug}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      process.off('exit', removeProfile);
      removeProfile();
    },
  };
}
