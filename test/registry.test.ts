import { type Client } from '@temporalio/client';
import { z } from 'zod';
import { CreateJourneyRequest } from '../src/api/schemas';
import { loadConfig } from '../src/config';
import { PAYMENT_METHODS } from '../src/domain/payment-methods';
import { journeyStart, OPERATORS, PROCESSORS, processorTerms } from '../src/registry';
import * as workflows from '../src/workflows';
import { PROVIDERS } from '../src/workflows/messages';

const config = loadConfig({ NODE_ENV: 'test' });

describe('the provider registry', () => {
  test("every operator's row has an exported workflow and a request for its own provider", () => {
    const rows = PROVIDERS.flatMap((provider) => OPERATORS.filter((row) => row.provider === provider));
    expect(rows.map((row) => row.provider)).toEqual(OPERATORS.map((row) => row.provider)); // one row each, every row a provider
    for (const row of rows) {
      expect((workflows as Record<string, unknown>)[row.workflow.name]).toBe(row.workflow);
      expect(row.request.shape.provider).toBeInstanceOf(z.ZodLiteral);
      expect((row.request.shape.provider as z.ZodLiteral).value).toBe(row.provider);
    }
  });

  test("CreateJourneyRequest accepts each row's example, and it starts that row's workflow", () => {
    const ctx = { requestHash: 'hash', polling: { firstMs: 1, maxMs: 2 }, processors: processorTerms(config) };
    for (const row of OPERATORS) {
      const request = CreateJourneyRequest.parse(row.example);
      expect(request.provider).toBe(row.provider);
      expect(journeyStart(request, ctx, config)).toMatchObject({ workflowType: row.workflow.name, input: { requestHash: 'hash' } });
    }
  });

  test('one row per payment method; processorTerms reflects the configuration', () => {
    expect(PROCESSORS.map((row) => row.method).sort()).toEqual([...PAYMENT_METHODS].sort());
    expect(processorTerms(config)).toEqual({ mobilpay: { currencies: ['RON', 'EUR', 'BRL'] }, epx: { currencies: ['USD'] } });
    expect(processorTerms(loadConfig({ MOBILPAY_CURRENCIES: 'ron, brl', EPX_CURRENCY: 'eur' }))).toEqual({
      mobilpay: { currencies: ['RON', 'BRL'] },
      epx: { currencies: ['EUR'] },
    });
  });

  test('no two operators register an activity under the same name', () => {
    const names = OPERATORS.flatMap((row) => Object.keys(row.activities(config, { temporal: {} as Client })));
    expect(new Set(names).size).toBe(names.length);
  });
});
