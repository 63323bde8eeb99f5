import { redactUrl } from '../agent/conversation-store.js';
import { windowCounter } from './limits.js';
import type { Logger } from '../lib/log.js';
import { withSchemaLock } from '../lib/postgres-schema-lock.js';

/**
 * State that several app instances behind one load balancer must share, on the Postgres the
 * deployment already has for its conversations (KEDREC_CHECKPOINT_URL): the per-client rate
 * limit (a client spreading requests over instances gets the limit once, not N times) and the
 * ids of Slack events already taken (a retry Slack sends to another instance is dropped). Without
 * Postgres, both stay per process. If the database stops answering, both fall back to the
 * process's own count and say so in the log: a rate limiter must not take the API down with it.
 */
export interface RateCounter {
  /** Counts `n` events for `key` in the current minute; the window's count and seconds to its reset. */
  hit(key: string, n: number): Promise<{ count: number; reset: number }>;
}

export interface SharedState {
  rate: RateCounter;
  /** True the first time `key` is seen by any instance (kept a day: Slack retries within minutes). */
  firstSighting(key: string): Promise<boolean>;
  close(): Promise<void>;
}

const WINDOW_MS = 60_000;
const SIGHTING_TTL_MS = 86_400_000;

/** Shared state in Postgres; the tables are created on open. */
export async function postgresSharedState(url: string, log: Logger, opts: { now?: () => number } = {}): Promise<SharedState> {
  const { default: pg } = await import('pg');
  const now = opts.now ?? Date.now;
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  try {
    await withSchemaLock(url, () =>
      pool.query(`CREATE TABLE IF NOT EXISTS kedrec_rate (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS kedrec_seen (key TEXT PRIMARY KEY, seen_at BIGINT NOT NULL);`),
    );
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`KEDREC_CHECKPOINT_URL=${redactUrl(url)}: the shared rate limit cannot be set up (${(err as Error).message})`);
  }
  let hits = 0;
  let warned = 0;
  const degraded = (what: string, err: Error) => {
    // One line a minute at most, not one per request.
    if (now() - warned > WINDOW_MS) {
      warned = now();
      log.warn(`shared ${what} unavailable; counting in this process`, { error: err.message });
    }
  };
  const local = windowCounter(now);
  const seenLocally = new Set<string>();
  return {
    rate: {
      async hit(key, n) {
        const t = now();
        try {
          // One statement: a new window starts when the stored one is a minute old, so concurrent hits from several instances add up.
          const { rows } = await pool.query(
            `INSERT INTO kedrec_rate (key, window_start, count) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN kedrec_rate.window_start <= $2 - ${WINDOW_MS} THEN $3 ELSE kedrec_rate.count + $3 END,
               window_start = CASE WHEN kedrec_rate.window_start <= $2 - ${WINDOW_MS} THEN $2 ELSE kedrec_rate.window_start END
             RETURNING count, window_start`,
            [key, t, n],
          );
          if (++hits % 1000 === 0) void pool.query('DELETE FROM kedrec_rate WHERE window_start < $1', [t - 2 * WINDOW_MS]).catch(() => {});
          return { count: rows[0].count as number, reset: Math.ceil((Number(rows[0].window_start) + WINDOW_MS - t) / 1000) };
        } catch (err) {
          degraded('rate limit', err as Error);
          return local.hit(key, n);
        }
      },
    },
    async firstSighting(key) {
      try {
        const { rowCount } = await pool.query('INSERT INTO kedrec_seen (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, now()]);
        if (++hits % 1000 === 0) void pool.query('DELETE FROM kedrec_seen WHERE seen_at < $1', [now() - SIGHTING_TTL_MS]).catch(() => {});
        return rowCount === 1;
      } catch (err) {
        degraded('Slack event de-duplication', err as Error);
        if (seenLocally.has(key)) return false;
        seenLocally.add(key);
        return true;
      }
    },
    close: () => pool.end(),
  };
}
