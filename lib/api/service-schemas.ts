/** Response shapes of the service routes (not auth): documented in /openapi.json from these. */
import { z } from 'zod';

export const healthResponse = z.object({
  status: z.enum(['ok', 'error']),
  database: z.enum(['ok', 'unavailable']),
});

export const serviceIndexResponse = z.object({
  service: z.string(),
  endpoints: z.array(z.string()).describe('"METHOD /path" of every operation; details in /openapi.json.'),
  openapi: z.string().describe('Where the OpenAPI document is.'),
});
