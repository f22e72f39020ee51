import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import { type Config } from '../../config';
import { FailureType } from '../../domain/failures';
import { ectorClient } from '../../registry/operators';
import { EctorQuote, EctorQuoteQuery, EctorZoneList } from '../ector-schemas';
import { type EctorZoneCache } from '../ector-zone-cache';
import { stayTimes } from '../journey-requests';
import { HttpProblem, parseInput, type FieldError } from '../problem';
import { respond } from '../respond';
import { problemForFailure } from '../temporal-errors';

export function ectorRouter({ config, zones }: { config: Config; zones: EctorZoneCache }): Router {
  const router = Router();
  const ector = ectorClient(config);

  router.get('/ector/zones', async (_req, res) => {
    respond(res, EctorZoneList, await zones.all());
  });

  router.get('/ector/quotes', async (req, res) => {
    const query = parseInput(EctorQuoteQuery, req.query, 'query');
    const zone = await zones.find(query.zoneId);
    if (!zone) throw quoteRefused([{ field: 'zoneId', message: 'unknown zone (GET /v1/ector/zones lists them)' }]);
    const times = stayTimes(query.startAt, query.endAt, zone.timeZone);
    if ('errors' in times) throw quoteRefused(times.errors);

    try {
      respond(res, EctorQuote, await ector.quote({ zoneId: zone.id, startAt: times.startAt, endAt: times.endAt }));
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      // Our list is a day old at most: a zone Ector no longer knows is the caller's to change.
      if (err.type === FailureType.UpstreamNotFound)
        throw quoteRefused([{ field: 'zoneId', message: 'unknown to Ector (no longer offered)' }]);
      throw problemForFailure(err);
    }
  });

  return router;
}

function quoteRefused(errors: FieldError[]): HttpProblem {
  return new HttpProblem(422, 'Quote not possible as asked', 'correct the fields named in errors', errors, 'invalid-quote');
}
