import { Router, type Request, type Response } from 'express';
import rateLimit from 'express-rate-limit';
import { type Config } from '../../config';
import { ownerOf } from '../../domain/tenants';
import { journeyOfOrder, type JourneyRefresher } from '../journey-refresh';
import { landingPage, paymentSentPage } from '../landing-page';
import { type RateLimitStores, retryAfterOf } from '../rate-limit-store';

// Where hosted payment pages send the driver's browser back. No API key (it is the driver's
// browser): each return only asks the journey to look now, so a forged or repeated one changes
// nothing but the moment of a look the journey would make anyway.

export function returnsRouter({
  config,
  refresher,
  limitStores,
}: {
  config: Pick<Config, 'RETURN_RATE_LIMIT_PER_MINUTE'>;
  refresher: JourneyRefresher;
  limitStores: RateLimitStores;
}): Router {
  const router = Router();
  router.use(
    ['/payments/return', '/returns'],
    rateLimit({
      windowMs: 60_000,
      limit: config.RETURN_RATE_LIMIT_PER_MINUTE,
      store: limitStores('returns'),
      handler: (req, res) =>
        void res
          .status(429)
          .set('Retry-After', String(retryAfterOf(req)))
          .type('html')
          .send(landingPage('Too many requests', 'Try again in a minute.')),
    }),
  );

  /** Only ids shaped like ours reach Temporal: a forged return costs nothing. */
  const ours = (journeyId: string | undefined) => (journeyId && ownerOf('journey', journeyId) ? journeyId : undefined);

  const sent = (res: Response) => res.type('html').send(paymentSentPage());

  // MobilPay's redirectUrl (ours carries the order id).
  router.get('/payments/return', async (req: Request, res: Response) => {
    const orderId = typeof req.query.orderId === 'string' ? req.query.orderId : '';
    await refresher.hint(ours(journeyOfOrder(orderId)), { source: 'return', paymentOrderId: orderId });
    sent(res);
  });

  // Parking+Plus's return_url: its pay page appends the order's id.
  router.get('/returns/parkingplus/:journeyId', async (req: Request, res: Response) => {
    const orderId = typeof req.query.id === 'string' && /^[\w-]{1,64}$/.test(req.query.id) ? req.query.id : undefined;
    await refresher.hint(ours(String(req.params.journeyId)), { source: 'return', orderId });
    sent(res);
  });

  return router;
}
