import { json } from '@/lib/http/respond';
import { otherMethods } from '@/lib/http/route';
import { operations } from '@/lib/openapi/operations';

/** Listed from the same operations /openapi.json documents, so the two never disagree. */
const index = {
  service: 'neon-next-auth',
  endpoints: operations.map((op) => `${op.method.toUpperCase()} ${op.path}`),
  openapi: '/openapi.json',
};

/** GET / : what this service is and where to start. No database, no auth: also the benchmark's floor. */
export async function GET(): Promise<Response> {
  return json(index);
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods('GET');
