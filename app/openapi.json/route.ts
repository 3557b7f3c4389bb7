import { json } from '@/lib/http/respond';
import { otherMethods } from '@/lib/http/route';
import { openApiDocument } from '@/lib/openapi/document';

/** GET /openapi.json: the OpenAPI 3.1 document, generated from the zod schemas the handlers validate with. */
export async function GET(): Promise<Response> {
  return json(openApiDocument());
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods('GET');
