import { codeSpans, sectionsHeaded, tablesIn } from './docs.ts';

/**
 * The messages the documentation quotes as what a user will see: the first
 * column of the Troubleshooting table ("The action says", an error line) and
 * the summary column of the failure-mode table ("What the summary says").
 */
export interface DocumentedMessage {
  quote: string;
  /** Where a real run shows it: an error annotation, or the job summary. */
  shownIn: 'error' | 'summary';
  /** e.g. `README.md:1187 (Troubleshooting)` */
  where: string;
}

const QUOTED_COLUMNS = [
  { heading: 'Troubleshooting', column: 'The action says', shownIn: 'error' },
  { heading: 'Failure modes', column: 'What the summary says', shownIn: 'summary' },
] as const;

export function documentedMessages(): DocumentedMessage[] {
  const found = new Map<string, DocumentedMessage>();
  for (const { heading, column, shownIn } of QUOTED_COLUMNS) {
    const tables = sectionsHeaded(heading)
      .flatMap(tablesIn)
      .filter((t) => t.header.includes(column));
    if (tables.length === 0)
      throw new Error(`no table with a column "${column}" under "${heading}"`);
    for (const table of tables) {
      const at = table.header.indexOf(column);
      for (const row of table.rows) {
        for (const quote of codeSpans(row[at] ?? '')) {
          const where = `${table.file}:${table.line} (${heading})`;
          if (!found.has(quote)) found.set(quote, { quote, shownIn, where });
        }
      }
    }
  }
  return [...found.values()];
}

const VERSION = /v?\d+\.\d+\.\d+/y;
const PLACEHOLDER = /<[a-z][a-z-]*>/y;
/** `…` with the spaces around it: `Failed … Nothing` also stands for `Failed: x. Nothing`. */
const ELLIPSIS = /\s*…\s*/y;

/**
 * A quote as a pattern over the real text. The documentation writes `…` for
 * whatever a run fills in, `<name>` for a value named by its kind (`<input>`,
 * `<path>`), and example versions (`v1.4.0`) that stand for the run's own;
 * the rest must appear as written. A quote not starting with `…` is how the
 * error line starts.
 */
export function quotePattern(quote: string, anchored: boolean): RegExp {
  let source = anchored ? '^' : '';
  for (let at = 0; at < quote.length;) {
    VERSION.lastIndex = at;
    PLACEHOLDER.lastIndex = at;
    ELLIPSIS.lastIndex = at;
    const version = VERSION.exec(quote);
    const placeholder = PLACEHOLDER.exec(quote);
    const ellipsis = ELLIPSIS.exec(quote);
    if (ellipsis) {
      source += '[\\s\\S]*?';
      at += ellipsis[0].length;
    } else if (version && /\D|^$/.test(quote[at - 1] ?? '')) {
      source += version[0].startsWith('v') ? 'v\\d+\\.\\d+\\.\\d+' : '\\d+\\.\\d+\\.\\d+';
      at += version[0].length;
    } else if (placeholder) {
      source += '[\\s\\S]+?';
      at += placeholder[0].length;
    } else {
      source += (quote[at] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      at += 1;
    }
  }
  return new RegExp(source);
}

/** The job summary as a reader sees it rendered: entities decoded, code marks gone. */
export function summaryText(markdown: string): string {
  return markdown
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/`/g, '');
}

/** Whether a run showed the documented message where the documentation says it shows. */
export function shows(
  message: DocumentedMessage,
  run: { errors: string[]; summary: string },
): boolean {
  if (message.shownIn === 'summary') {
    return quotePattern(message.quote, false).test(summaryText(run.summary));
  }
  const pattern = quotePattern(message.quote, true);
  return run.errors.some((line) => pattern.test(line));
}
