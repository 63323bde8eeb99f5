import type { Logger } from '../../lib/log.js';
import { CtgovClient } from './ctgov.js';
import { EutilsClient } from './eutils.js';
import { HttpClient, kedrecUserAgent } from './http.js';

export { HttpClient } from './http.js';
export { CtgovClient } from './ctgov.js';
export { EutilsClient } from './eutils.js';

export interface LiveClientsOptions {
  /** Directory for the HTTP cache (KEDREC_CACHE_DIR). */
  cacheDir: string;
  /** NCBI_EMAIL: sent to NCBI as `email` and in the User-Agent. */
  ncbiEmail?: string;
  /** NCBI_API_KEY: raises the E-utilities limit from 3 to 10 requests/s. */
  ncbiApiKey?: string;
  ttlMs?: number;
  fetch?: typeof fetch;
  /** The HTTP client's warnings (retries, cache write failures); default: silent. */
  log?: Logger;
}

/** Both live clients over one shared HTTP client (one cache, one User-Agent). */
export function createLiveClients(o: LiveClientsOptions): { ctgov: CtgovClient; eutils: EutilsClient; http: HttpClient } {
  const http = new HttpClient({
    userAgent: kedrecUserAgent(o.ncbiEmail),
    cacheDir: o.cacheDir,
    ttlMs: o.ttlMs,
    fetch: o.fetch,
    secretParams: ['api_key'],
    log: o.log,
  });
  return {
    http,
    ctgov: new CtgovClient({ http }),
    eutils: new EutilsClient({ http, identity: { tool: 'kedrec', email: o.ncbiEmail, apiKey: o.ncbiApiKey } }),
  };
}
