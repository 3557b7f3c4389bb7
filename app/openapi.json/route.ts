import { endpoints } from '@/lib/api/endpoints';
import { on, route } from '@/lib/http/endpoint';
import { openApiDocument } from '@/lib/openapi/document';

/** GET /openapi.json: the OpenAPI 3.1 document, generated from the endpoint declarations and their zod schemas. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(on(endpoints.openapi, async () => openApiDocument()));
