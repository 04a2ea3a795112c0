/**
 * The web UI in a real headless Chromium (Debian's package, driven by
 * playwright-core): log in with the token, create a connection to the Go
 * example connector through the form generated from its schema, run it and
 * watch the progress bar reach done, find a record through search, and read
 * a failing connector's error and stderr tail. SLUICE_SCREENSHOTS=docs saves
 * the pages into docs/img for the README.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { root, tempDir } from "./helpers.js";
import { installGenerator, type RunningServer, startServer } from "./server-helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

test("in a browser: log in, create a connection through the generated form, run it to done, search, see a failure", async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: scripts/test.sh installs Debian's chromium`);
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installGenerator(home);
  const server = await startServer(t, { db: join(dir, "app.db"), home });
  const shots = process.env.SLUICE_SCREENSHOTS === "docs" ? join(root, "docs/img") : join(dir, "shots");
  mkdirSync(shots, { recursive: true });
  // A fresh profile each run (Playwright passes it as --user-data-dir).
  const browser: BrowserContext = await chromium.launchPersistentContext(join(dir, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  try {
    await walkThrough(browser.pages()[0] ?? (await browser.newPage()), server, shots);
  } finally {
    await browser.close();
  }
});

async function walkThrough(page: Page, server: RunningServer, shots: string): Promise<void> {
  page.setDefaultTimeout(60_000);
  const shot = (name: string, fullPage = false) =>
    page.screenshot({ path: join(shots, `server-${name}.png`), fullPage });

  // Any page without a session leads to the login page; the token gets in.
  await page.goto(`${server.url}/connections`);
  assert.match(page.url(), /\/login\?next=/);
  await page.fill("#token", "sluice_000000000000_wrong");
  await page.click("button[type=submit]");
  await page.getByText("That token is not valid").waitFor();
  await page.fill("#token", server.token!);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/connections$/);
  await page.getByText("No connections yet").waitFor();

  // The form is generated from the Go connector's own option schema.
  await page.click("text=New connection");
  await page.fill("#name", "users");
  await page.selectOption("#connector", "generator");
  await page.locator("#opt-count").waitFor();
  for (const field of ["page_size", "start_id", "fail_after_pages", "sleep_ms_per_page"])
    assert.ok(await page.locator(`#opt-${field}`).isVisible(), `a field for option ${field}`);
  assert.match(
    (await page.locator("label[for=opt-count] + input + small, #opt-count ~ small").first().textContent()) ?? "",
    /records in the data set/,
  );
  await page.fill("#opt-count", "3000");
  await page.fill("#opt-page_size", "100");
  await page.fill("#opt-sleep_ms_per_page", "40");
  await page.click("text=Test connection");
  await page.getByText("the connector accepts these options").waitFor();
  await page.click("text=Discover streams");
  await page.locator("[data-stream=users]").waitFor();
  await page.selectOption("#schedule-kind", "every");
  await page.fill("#schedule-every", "6");
  await page.selectOption("#schedule-unit", "h");
  await shot("connection-form", true);
  await page.click("button:has-text('Create connection')");
  await page.waitForURL(/\/connections\/\d+$/);
  await page.getByText("every 6 h").waitFor();

  // Run it and watch the bar: live, then done.
  await page.click("button:has-text('Run now')");
  await page.waitForURL(/\/runs\/\d+$/);
  await page.locator(".progress[data-status=running]").waitFor();
  await page.waitForFunction(
    () => Number(document.querySelector("[data-count=records]")?.textContent?.replace(/\D/g, "")) > 0,
  );
  await shot("run-live");
  await page.locator(".progress[data-status=succeeded]").waitFor({ timeout: 120_000 });
  assert.equal(await page.locator(".progress-label").textContent(), "done");
  assert.equal(await page.locator("[data-count=records]").textContent(), (3000).toLocaleString("en-US"));
  await shot("run-done");

  // The data, and a record found through search.
  await page.click("a:has-text('users')");
  await page.click("text=Data");
  await page.getByText("rows 1–50 of 3,000").waitFor();
  await shot("data");
  await page.click("nav >> text=Search");
  await page.fill("#search", "user2718@example.com");
  await page.click("button:has-text('Search')");
  await page.locator(".hit").first().waitFor();
  assert.equal(await page.locator(".hit").count(), 1);
  assert.match((await page.locator(".hit").textContent()) ?? "", /users › users.*id=2718/);
  await shot("search");

  // A failing connector: its error and the last lines of its stderr.
  await page.goto(`${server.url}/connections/new`);
  await page.fill("#name", "broken");
  await page.selectOption("#connector", "generator");
  await page.fill("#opt-count", "1000");
  await page.fill("#opt-page_size", "100");
  await page.fill("#opt-fail_after_pages", "2");
  await page.click("button:has-text('Create connection')");
  await page.waitForURL(/\/connections\/\d+$/);
  await page.click("button:has-text('Run now')");
  await page.locator(".progress[data-status=failed]").waitFor({ timeout: 120_000 });
  assert.match(
    (await page.locator(".error-text").textContent()) ?? "",
    /"broken" failed: connector "generator": crashed/,
  );
  assert.match((await page.locator(".stderr-tail").textContent()) ?? "", /failing on purpose after 2 pages/);
  await shot("run-failed");

  await page.goto(`${server.url}/connections`);
  await page.locator("table.list").waitFor();
  await shot("connections");
  await page.goto(`${server.url}/connectors`);
  await page.getByText("synthetic users").waitFor();
  await shot("connectors");

  // A narrow window (a phone): the same pages, nothing cut off.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/connections`);
  await page.locator("table.list").waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than a narrow window`);
  await shot("connections-narrow");
  await assertNoConsoleErrors(page);
}

async function assertNoConsoleErrors(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await page.reload();
  await page.locator("table.list").waitFor();
  assert.deepEqual(errors, []);
}
