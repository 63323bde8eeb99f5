/** One advisory-lock key for every KEDRec schema set-up in a database ("kedr" in ASCII). */
const SCHEMA_LOCK_KEY = 0x6b656472;

/**
 * Runs schema set-up under a database-wide advisory lock, held on a connection of its own (not
 * one of the caller's pool, which the set-up itself needs). Several instances starting together
 * on a fresh database would otherwise race: `CREATE … IF NOT EXISTS` is not safe under
 * concurrency in Postgres — two sessions can both pass the check, and one then fails on the
 * catalog's unique index (`type "checkpoint_writes" already exists`).
 */
export async function withSchemaLock<T>(url: string, setUp: () => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_KEY]);
    try {
      return await setUp();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
