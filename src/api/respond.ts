import { type Response } from 'express';
import { type z } from 'zod';

/**
 * Every answer goes out through its output schema (the one /openapi.json documents): what the
 * client gets is exactly the contract, and a field the schema does not know never leaks.
 */
export function respond<S extends z.ZodType>(res: Response, schema: S, value: z.input<S>, status = 200): void {
  res.status(status).json(schema.parse(value));
}
