import { allEndpoints, endpoints } from '@/lib/api/endpoints';
import { on, route } from '@/lib/http/endpoint';

/** Listed from the same declarations /openapi.json documents, so the two never disagree. */
const index = {
  service: 'neon-next-auth',
  endpoints: allEndpoints.map((e) => `${e.method} ${e.path}`),
  openapi: '/openapi.json',
};

/** GET / : what this service is and where to start. No database, no auth: also the benchmark's floor. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(on(endpoints.index, async () => index));
