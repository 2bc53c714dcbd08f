/** `npm run openapi`: writes docs/openapi.json from the API's routes and zod contracts. */
import { writeFile } from 'node:fs/promises';
import { openApiDocumentText } from './openapi-document.ts';

const target = new URL('../../docs/openapi.json', import.meta.url);
await writeFile(target, openApiDocumentText());
process.stdout.write(`wrote ${target.pathname}\n`);
