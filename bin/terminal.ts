import { stripVTControlCharacters } from 'node:util';
import { Chalk } from 'chalk';
import { Marked, type MarkedExtension } from 'marked';
import { markedTerminal } from 'marked-terminal';
import type { Config } from '../config.js';

/**
 * Markdown for a terminal, rendered by marked-terminal: bold, lists and links as a terminal
 * shows them ("label (url)"), never raw `**` or `[…](…)`. Colour only on a TTY, and never with
 * NO_COLOR set; piped output is the same layout in plain text.
 */
export function renderForTerminal(markdown: string, opts: { color: boolean; width?: number }): string {
  // Styles from a chalk of our own level: the caller decides colour (TTY, NO_COLOR), not chalk's
  // guess about the process's stdout.
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const styles = {
    strong: c.bold,
    em: c.italic,
    codespan: c.yellow,
    del: c.dim.strikethrough,
    link: c.blue,
    href: c.blue.underline,
    heading: c.bold,
    firstHeading: c.bold,
    paragraph: c.reset,
    listitem: c.reset,
    blockquote: c.gray.italic,
    hr: c.reset,
  };
  // @types/marked-terminal (6.x) types markedTerminal() as a Renderer; marked-terminal 7 returns a
  // Marked extension ({ renderer, useNewRenderer }), which is what marked.use() takes.
  const extension: unknown = markedTerminal({ ...styles, reflowText: !!opts.width, width: opts.width ?? 100, showSectionPrefix: false, tab: 3, emoji: false });
  if (!isMarkedExtension(extension)) throw new Error('marked-terminal did not return a Marked extension (an object with a renderer): check its version');
  const marked = new Marked();
  marked.use(extension);
  const out = (marked.parse(markdown) as string).replace(/\n{3,}/g, '\n\n').trimEnd();
  return opts.color ? out : stripVTControlCharacters(out);
}

/** What marked.use() reads from marked-terminal's result: an object with the renderer functions. */
function isMarkedExtension(x: unknown): x is MarkedExtension {
  return typeof x === 'object' && x !== null && 'renderer' in x && typeof x.renderer === 'object' && x.renderer !== null;
}

/** Whether a stream gets colour: a TTY, and the user did not opt out (NO_COLOR, https://no-color.org). */
export const wantsColor = (stream: { isTTY?: boolean }, env: Pick<Config, 'NO_COLOR' | 'TERM'>) => !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
