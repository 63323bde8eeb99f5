import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error body shape of the API: `{ error: { code, message, request_id } }`. */
export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  const requestId: string | undefined = c.get('requestId');
  return c.json({ error: { code, message, ...(requestId ? { request_id: requestId } : {}) } }, status);
}
