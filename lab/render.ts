// Turns a job summary into a picture the way GitHub shows it: GitHub-flavoured
// markdown to HTML, mermaid blocks drawn by the mermaid package from
// node_modules, in headless Chromium. Nothing is loaded from the network.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Marked, type Tokens } from 'marked';
import { chromium } from 'playwright-core';
import { ROOT } from './paths.ts';

export const CHROMIUM = '/usr/bin/chromium';
const MERMAID = join(ROOT, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');

export interface Rendered {
  /** Diagrams mermaid drew as SVG, and the ones it refused. */
  diagrams: number;
  diagramErrors: string[];
  tableRows: number;
  width: number;
  height: number;
}

const ALERTS: Record<string, string> = {
  NOTE: 'note',
  TIP: 'tip',
  IMPORTANT: 'important',
  WARNING: 'warning',
  CAUTION: 'caution',
};

function toHtml(markdown: string): string {
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      code(token: Tokens.Code): string | false {
        if (token.lang !== 'mermaid') return false;
        return `<pre class="mermaid">${escapeHtml(token.text)}</pre>`;
      },
      blockquote(token: Tokens.Blockquote): string | false {
        const alert = /^\[!(\w+)\]\s*/.exec(token.text);
        const kind = alert?.[1] ? ALERTS[alert[1]] : undefined;
        if (!alert || !kind) return false;
        const body = this.parser.parse(marked.lexer(token.text.slice(alert[0].length)));
        return `<div class="alert ${kind}"><p class="alert-title">${alert[1]?.toLowerCase() ?? ''}</p>${body}</div>`;
      },
    },
  });
  return marked.parse(markdown, { async: false });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

const STYLE = `
  body { margin: 0; background: #fff; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
  .frame { width: 980px; margin: 16px; border: 1px solid #d1d9e0; border-radius: 6px; }
  .bar { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0; font-weight: 600; border-radius: 6px 6px 0 0; }
  .body { padding: 16px 24px 8px; }
  h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0b3; padding-bottom: .3em; margin: 0 0 16px; }
  h3 { font-size: 1.25em; margin: 24px 0 12px; }
  p, ul, ol, table, pre, details, .alert { margin: 0 0 16px; }
  ul, ol { padding-left: 2em; }
  code { font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #818b981f; padding: .2em .4em; border-radius: 6px; }
  pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
  pre code { background: none; padding: 0; }
  pre.mermaid { background: #fff; text-align: center; }
  table { border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow: auto; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
  th { font-weight: 600; }
  tr:nth-child(2n) { background: #f6f8fa; }
  a { color: #0969da; text-decoration: none; }
  summary { cursor: pointer; }
  .alert { padding: 8px 16px; border-left: .25em solid; }
  .alert-title { font-weight: 600; text-transform: capitalize; margin: 0 0 4px; }
  .alert.caution { border-color: #cf222e; } .alert.caution .alert-title { color: #d1242f; }
  .alert.warning { border-color: #9a6700; } .alert.note { border-color: #0969da; }
`;

// Runs in the page, so it is kept as page script rather than Node code.
const DRAW_DIAGRAMS = `(async () => {
  mermaid.initialize({ startOnLoad: false, theme: 'default', flowchart: { htmlLabels: true } });
  const errors = [];
  try {
    await mermaid.run();
  } catch (error) {
    errors.push(String(error));
  }
  for (const block of document.querySelectorAll('pre.mermaid')) {
    if (!block.querySelector('svg') || /Syntax error/i.test(block.textContent)) {
      errors.push(block.textContent.slice(0, 200));
    }
  }
  return {
    diagrams: document.querySelectorAll('pre.mermaid svg').length,
    errors,
    tableRows: document.querySelectorAll('table tbody tr').length,
  };
})()`;

/** Renders `markdown` as a job summary card and writes a PNG of it to `pngPath`. */
export async function renderSummaryPng(
  markdown: string,
  title: string,
  pngPath: string,
): Promise<Rendered> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing; install it with: apt-get install -y chromium`);
  }
  const work = await mkdtemp(join(tmpdir(), 'summary-render-'));
  const page = join(work, 'summary.html');
  await writeFile(
    page,
    `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style>
<script src="${pathToFileURL(MERMAID).href}"></script></head>
<body><div class="frame"><div class="bar">${escapeHtml(title)}</div><div class="body">${toHtml(markdown)}</div></div></body></html>`,
  );
  const browser = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    viewport: { width: 1014, height: 600 },
    deviceScaleFactor: 1,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const outcome = await tab.evaluate<{ diagrams: number; errors: string[]; tableRows: number }>(
      DRAW_DIAGRAMS,
    );
    const frame = tab.locator('.frame');
    await frame.screenshot({ path: pngPath });
    const box = await frame.boundingBox();
    return {
      diagrams: outcome.diagrams,
      diagramErrors: outcome.errors,
      tableRows: outcome.tableRows,
      width: Math.round(box?.width ?? 0),
      height: Math.round(box?.height ?? 0),
    };
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  }
}
