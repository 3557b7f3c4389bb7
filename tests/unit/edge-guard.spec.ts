import { expect, test } from '@playwright/test';
import { edgeRefusal } from '../../lib/http/edge-guard';
import nextConfig from '../../next.config';

test.describe('the edge guard (lib/http/edge-guard.ts)', () => {
  test('lets every well-formed path and route method through to Next.js', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      for (const url of ['/', '/health', '/auth/login', '/auth/me?x=%ZZ', '/auth/%E2%82%AC', '/openapi.json']) expect(edgeRefusal(method, url)).toBeUndefined();
    }
  });

  test('refuses what Next.js would answer in text or HTML, each with its status', () => {
    const refused = (method: string, url: string) => {
      const error = edgeRefusal(method, url);
      return error && { status: error.status, error: error.code };
    };
    expect(refused('GET', '/%ZZ')).toEqual({ status: 400, error: 'bad_request' });
    expect(refused('POST', '/auth/login%')).toEqual({ status: 400, error: 'bad_request' });
    for (const url of ['/_next/image?url=/health&w=64&q=75', '/_next', '/auth/login/', '//health', '/auth//me']) expect(refused('GET', url)).toEqual({ status: 404, error: 'not_found' });
    for (const method of ['PROPFIND', 'TRACE', 'SEARCH', 'get']) expect(refused(method, '/health')).toEqual({ status: 405, error: 'method_not_allowed' });
  });

  test('next.config.ts turns off the image optimiser and the trailing-slash redirect (for hosts where the guard does not run)', () => {
    expect(nextConfig.images?.unoptimized).toBe(true);
    expect(nextConfig.skipTrailingSlashRedirect).toBe(true);
  });
});
