import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error with an HTTP status and a stable machine-readable code, answered as JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The one error body shape of the API: `{ error: { code, message, request_id } }`. */
export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  return c.json({ error: { code, message, ...(requestId ? { request_id: requestId } : {}) } }, status);
}
