import { parseCaseDelta } from '../clinical/case-reader.js';

/**
 * Auxiliary requests chat front-ends send through the same completions endpoint (Open WebUI's
 * title, tags and follow-up generation, search-query and emoji tasks): they ask for a few words or
 * a small JSON object about the chat, not for a drug answer. Running the agent on them would
 * answer "Generate a concise title…" with a recommendation (and cost a whole turn), so they are
 * recognised and answered briefly from the chat's own words.
 */
export type AuxTask = 'title' | 'tags' | 'follow_ups' | 'queries' | 'emoji' | 'autocomplete' | 'other';

/** Open WebUI's task names (body.metadata.task) → ours. */
const TASK_NAMES: Record<string, AuxTask> = {
  title_generation: 'title',
  tags_generation: 'tags',
  follow_up_generation: 'follow_ups',
  query_generation: 'queries',
  emoji_generation: 'emoji',
  autocomplete_generation: 'autocomplete',
};

/** The task a request is, when it is one: by its declared task, else by the task template's own words. */
export function auxTaskOf(lastUserText: string, metadataTask?: unknown): AuxTask | undefined {
  if (typeof metadataTask === 'string' && metadataTask) return TASK_NAMES[metadataTask] ?? 'other';
  const head = lastUserText.slice(0, 600);
  if (!/^\s*#{2,3}\s*Task:/i.test(head) || !/<chat_history>|<type>|<text>/i.test(lastUserText)) return undefined;
  if (/\btitle\b/i.test(head)) return 'title';
  if (/\btags?\b/i.test(head)) return 'tags';
  if (/follow-?up/i.test(head)) return 'follow_ups';
  if (/search quer|\bqueries\b/i.test(head)) return 'queries';
  if (/\bemoji\b/i.test(head)) return 'emoji';
  if (/autocomplet|continue the text/i.test(head)) return 'autocomplete';
  return 'other';
}

/** The user's lines of the chat history a task template carries. */
function userLines(text: string): string {
  const history = /<chat_history>([\s\S]*?)<\/chat_history>/i.exec(text)?.[1] ?? '';
  return history
    .split('\n')
    .filter((l) => /^\s*USER:/i.test(l))
    .map((l) => l.replace(/^\s*USER:\s*/i, ''))
    .join('\n');
}

const titleCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A brief answer in the shape the task template asks for (JSON for title, tags, follow-ups, queries). */
export function answerAuxTask(task: AuxTask, lastUserText: string): string {
  const said = userLines(lastUserText);
  const conditions = said ? parseCaseDelta(said).add.conditions.slice(0, 3) : [];
  switch (task) {
    case 'title':
      // The conditions read, else the first words the user wrote (the case reader needs the KB for bare names).
      return JSON.stringify({
        title: conditions.length
          ? `${conditions.map(titleCase).join(', ')}: drug options`.slice(0, 60)
          : said.trim()
            ? titleCase(said.trim().split('\n')[0].split(/\s+/).slice(0, 6).join(' ')).slice(0, 60)
            : 'Drug recommendation case',
      });
    case 'tags':
      return JSON.stringify({ tags: ['Medicine', 'Pharmacotherapy', ...conditions.map(titleCase).slice(0, 2)] });
    case 'follow_ups':
      return JSON.stringify({ follow_ups: ['Why is the first drug ranked first for this patient?', 'Which drugs were left out, and why?', 'What should be monitored after starting it?'] });
    case 'queries':
      return JSON.stringify({ queries: [] });
    case 'emoji':
      return '💊';
    default:
      return JSON.stringify({ text: '' });
  }
}
