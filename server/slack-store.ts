import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Durable Slack event queue. Each event is written before Slack gets its acknowledgement, then
 * answered from the store; an event id already stored is never answered again, across restarts.
 * A process killed between the ack and the reply leaves the event `pending`, and the next process
 * answers it on start. The rendered reply is stored as soon as the agent has produced it, so a
 * failed post is retried by posting that text again: the agent turn runs once per event.
 */
export interface SlackEventStore {
  /** Stores the event; false when its id was seen before (a Slack retry or a replay). */
  insertIfNew(id: string, payload: unknown): boolean;
  /**
   * Events not yet answered whose next attempt is due at `now` (oldest first), including ones a
   * killed process left behind; `reply` is the stored reply of an event whose post failed.
   */
  pending(limit?: number, now?: number): { id: string; payload: unknown; attempts: number; reply?: unknown }[];
  /** Keeps the reply the agent produced for the event, to be posted (again) without a new turn. */
  saveReply(id: string, reply: unknown): void;
  markDone(id: string): void;
  /**
   * Records a failed attempt: the event is due again at `retryAt` (epoch ms; default now); after
   * `maxAttempts` it is given up (kept, marked failed).
   */
  markFailed(id: string, error: string, opts?: { maxAttempts?: number; retryAt?: number }): void;
  /** When the earliest pending event is due (epoch ms), or undefined when none is pending. */
  nextDueAt(): number | undefined;
  /** Drops answered events older than `olderThanMs` (ids younger than Slack's retry window are kept). */
  prune(olderThanMs: number): number;
  close(): void;
}

export function createSlackEventStore(file: string): SlackEventStore {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new Error(`the Slack event store ${file} cannot be opened (${(err as Error).message}); set KEDREC_SLACK_EVENTS_PATH to a writable file`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS slack_events (
    id TEXT PRIMARY KEY, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0, error TEXT, received_at INTEGER NOT NULL, done_at INTEGER)`);
  // Files written before replies and retry times were kept get the columns; their pending events are due now.
  const columns = new Set((db.prepare('PRAGMA table_info(slack_events)').all() as { name: string }[]).map((c) => c.name));
  if (!columns.has('reply')) db.exec('ALTER TABLE slack_events ADD COLUMN reply TEXT');
  if (!columns.has('next_attempt_at')) db.exec('ALTER TABLE slack_events ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0');
  const ins = db.prepare('INSERT OR IGNORE INTO slack_events (id, payload, received_at) VALUES (?, ?, ?)');
  const pend = db.prepare("SELECT id, payload, attempts, reply FROM slack_events WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY received_at, rowid LIMIT ?");
  const saveReply = db.prepare("UPDATE slack_events SET reply = ? WHERE id = ? AND status = 'pending'");
  // Answered: the patient text (event and reply) is not kept, only the id that de-duplicates retries.
  const done = db.prepare("UPDATE slack_events SET status = 'done', done_at = ?, payload = '{}', reply = NULL WHERE id = ?");
  const fail = db.prepare("UPDATE slack_events SET attempts = attempts + 1, error = ?, next_attempt_at = ?, status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE id = ?");
  const due = db.prepare("SELECT MIN(next_attempt_at) FROM slack_events WHERE status = 'pending'").pluck();
  const prune = db.prepare("DELETE FROM slack_events WHERE status != 'pending' AND received_at < ?");
  return {
    insertIfNew: (id, payload) => ins.run(id, JSON.stringify(payload), Date.now()).changes === 1,
    pending: (limit = 50, now = Date.now()) =>
      (pend.all(now, limit) as { id: string; payload: string; attempts: number; reply: string | null }[]).map((r) => ({
        id: r.id,
        payload: JSON.parse(r.payload),
        attempts: r.attempts,
        ...(r.reply !== null ? { reply: JSON.parse(r.reply) } : {}),
      })),
    saveReply: (id, reply) => void saveReply.run(JSON.stringify(reply), id),
    markDone: (id) => void done.run(Date.now(), id),
    markFailed: (id, error, opts = {}) => void fail.run(error.slice(0, 500), opts.retryAt ?? Date.now(), opts.maxAttempts ?? 3, id),
    nextDueAt: () => (due.get() as number | null) ?? undefined,
    prune: (olderThanMs) => prune.run(Date.now() - olderThanMs).changes,
    close: () => db.close(),
  };
}
