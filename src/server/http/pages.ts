/** The one page rendered by the server itself: login (a plain form, no script; its own small stylesheet). */

export function loginPage(options: { next: string; error?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice — log in</title>
<link rel="stylesheet" href="/login.css">
</head>
<body>
<main>
  <h1>Sluice</h1>
  <p>Paste an API token. The first start of <code>sluice server</code> printed one; make more with
  <code>sluice server token create</code>.</p>
  ${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ""}
  <form method="post" action="/login">
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="off" required autofocus placeholder="sluice_…">
    <input type="hidden" name="next" value="${escapeHtml(options.next)}">
    <button type="submit">Log in</button>
  </form>
</main>
</body>
</html>`;
}

export const LOGIN_CSS = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; }
main { width: min(26rem, calc(100vw - 2rem)); padding: 2rem; border: 1px solid #8884; border-radius: 12px; }
h1 { margin: 0 0 .5rem; font-size: 1.6rem; }
p { line-height: 1.45; }
code { font-size: .9em; }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem; font: inherit; border-radius: 8px; border: 1px solid #8888; }
button { margin-top: 1rem; padding: .6rem 1.2rem; font: inherit; border: 0; border-radius: 8px; background: #2563eb; color: white; cursor: pointer; }
.error { color: #dc2626; font-weight: 600; }
`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
