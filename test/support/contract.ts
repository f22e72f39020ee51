import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

// Checks answers against /openapi.json itself (not the Zod schemas it is generated from): the
// route and method exist, the status is documented, the content type is one it lists, the body
// fits its JSON schema and the documented headers are there (the required ones), with a documented value.

export interface RecordedResponse {
  method: string;
  path: string;
  status: number;
  type: string;
  headers: Record<string, string>;
  body: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, read as JSON
type Spec = any;

export function contractViolations(spec: Spec, responses: RecordedResponse[]): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(spec, 'openapi.json');
  const routes = Object.keys(spec.paths).map((template: string) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const violations: string[] = [];
  for (const r of responses) {
    const where = `${r.method} ${r.path} → ${r.status}`;
    const path = r.path.split('?')[0]!;
    const route = routes.find((candidate) => candidate.pattern.test(path));
    const operation = route && spec.paths[route.template][r.method.toLowerCase()];
    if (!operation) {
      // a route the API does not have: its 404 problem is the only right answer
      if (r.status === 404 && r.type.startsWith('application/problem+json')) continue;
      // a method the route does not take: 405 naming those it does
      if (r.status === 405 && route && r.headers.allow) continue;
      violations.push(`${where}: no such operation in the spec`);
      continue;
    }
    const documented = operation.responses[String(r.status)];
    if (!documented) {
      violations.push(`${where}: status not documented (${Object.keys(operation.responses).join(', ')})`);
      continue;
    }
    for (const [header, spec] of Object.entries<Spec>(documented.headers ?? {})) {
      const value = r.headers[header.toLowerCase()];
      if (value === undefined && spec.required) violations.push(`${where}: header ${header} missing`);
      if (value !== undefined && spec.schema?.enum && !spec.schema.enum.includes(value)) violations.push(`${where}: header ${header} is ${value}`);
    }
    const mediaType = r.type.split(';')[0]!.trim();
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) continue;
    if (!content[mediaType]) {
      violations.push(`${where}: content type ${mediaType} not documented (${Object.keys(content).join(', ')})`);
      continue;
    }
    if (!mediaType.endsWith('json')) continue;
    const pointer = ['paths', route.template, r.method.toLowerCase(), 'responses', String(r.status), 'content', mediaType, 'schema']
      .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const validate = ajv.getSchema(`openapi.json#/${pointer}`);
    if (validate && !validate(r.body)) violations.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  return violations;
}
