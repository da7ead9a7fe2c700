// A server's error as the summary shows it: once, and short enough to read.
// Servers nest one multierror per mount (`2 errors occurred: * … * …`), and a
// plugin that cannot start puts the same long go-plugin message in each.

/** Longest error the summary quotes; the step's log keeps the whole text. */
export const ERROR_TEXT_LIMIT = 1000;

const ITEM = /\s+\*\s+/;
const REPEAT = '(the same again)';

/** Each `* item` that repeats an earlier one word for word is written as a short mark. */
export function withoutRepeats(message: string): string {
  const [lead = '', ...items] = message.split(ITEM);
  const seen = new Set<string>();
  const kept = items.map((item) => {
    if (seen.has(item)) return REPEAT;
    seen.add(item);
    return item;
  });
  return [lead, ...kept].join(' * ');
}

/** The message without repeats, cut at a word near the limit, saying where the whole is. */
export function briefError(message: string, limit = ERROR_TEXT_LIMIT): string {
  const text = withoutRepeats(message);
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit);
  const end = cut.lastIndexOf(' ');
  const head = end > limit / 2 ? cut.slice(0, end) : cut;
  return `${head} … (cut short; the whole message is in the step's log)`;
}
