import { json } from '@/lib/http/respond';
import { otherMethods } from '@/lib/http/route';

/** GET / : what this service is and where to start. No database, no auth: also the benchmark's floor. */
export async function GET(): Promise<Response> {
  return json({
    service: 'neon-next-auth',
    endpoints: [
      'POST /auth/register',
      'POST /auth/login',
      'POST /auth/refresh',
      'POST /auth/logout',
      'POST /auth/password',
      'GET /auth/me',
      'GET /health',
    ],
  });
}

export const { HEAD, POST, PUT, PATCH, DELETE } = otherMethods('GET');
