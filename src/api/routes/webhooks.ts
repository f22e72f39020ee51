import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import express, { Router } from 'express';
import { type Logger } from 'pino';
import { epxRedirectOutcome, RedirectRejected, verifyEpxRedirect } from '../../activities/epx/client';
import { IpnRejected, verifyNetopiaIpn } from '../../activities/mobilpay/ipn';
import { type Config } from '../../config';
import { journeyOfOrder, type JourneyRefresher } from '../journey-refresh';
import { RETRY_AFTER_SECONDS } from '../temporal-errors';
import { landingPage, paymentSentPage } from '../landing-page';
import { paymentNotified, paymentWorkflowId } from '../../workflows/payment-messages';

// Processor notifications. Authenticated by their signature only (no API key), over the raw body.
// A notification only wakes the payment workflow, which then asks the processor itself: so a
// duplicate, a replay or an out-of-order delivery is harmless.

type Delivery = 'delivered' | 'unknown-order' | 'unavailable';

export function webhooksRouter({
  temporal,
  config,
  logger,
  refresher,
}: {
  temporal: Client;
  config: Config;
  logger: Logger;
  refresher: JourneyRefresher;
}): Router {
  const router = Router();
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  const wake = async (orderId: string): Promise<Delivery> => {
    try {
      await temporal.withDeadline(Date.now() + config.API_READ_DEADLINE_MS, () =>
        temporal.workflow.getHandle(paymentWorkflowId(orderId)).signal(paymentNotified),
      );
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'unknown-order';
      logger.warn({ orderId, err: (err as Error).message }, 'could not signal the payment');
      return 'unavailable';
    }
  };

  router.post('/webhooks/mobilpay', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    let orderId: string;
    try {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      orderId = verifyNetopiaIpn(body, req.get('Verification-token'), {
        publicKeyPem: config.MOBILPAY_PUBLIC_KEY_PEM,
        posSignature: config.MOBILPAY_POS_SIGNATURE,
        nowSeconds: nowSeconds(),
      }).order.orderID;
    } catch (err) {
      if (!(err instanceof IpnRejected)) throw err;
      logger.warn({ processor: 'mobilpay', reason: err.message }, 'notification rejected');
      return void res.status(401).json({ errorType: 2, errorCode: 401, errorMessage: `notification rejected: ${err.message}` });
    }
    const delivery = await wake(orderId);
    logger.info({ processor: 'mobilpay', orderId, delivery }, 'notification received');
    // Netopia's reply format: errorType 0 accepted, 1 temporary (it sends again), 2 permanent.
    if (delivery === 'unavailable')
      return void res
        .status(503)
        .set('Retry-After', String(RETRY_AFTER_SECONDS))
        .json({ errorType: 1, errorCode: 503, errorMessage: 'temporarily unavailable, send again' });
    res.json({ errorType: 0, errorCode: null, errorMessage: '' });
  });

  // EPX's Browser Post redirect, carried by the driver's browser. Its RESP_MAC is not in EPX's public
  // documents: checked when present, and an unsigned redirect is taken as what every redirect is here,
  // a hint — the payment workflow decides from EPX's own record (the status look-up).
  router.post('/webhooks/epx', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    let redirect: { fields: Record<string, string>; signed: boolean };
    try {
      redirect = verifyEpxRedirect((req.body ?? {}) as Record<string, string>, { mac: config.EPX_MAC, nowSeconds: nowSeconds() });
    } catch (err) {
      if (!(err instanceof RedirectRejected)) throw err;
      logger.warn({ processor: 'epx', reason: err.message }, 'notification rejected');
      return void res
        .status(401)
        .type('html')
        .send(landingPage('Payment result not accepted', 'This payment result could not be verified.'));
    }
    const { fields, signed } = redirect;
    const orderId = fields.USER_DATA_1 ?? (typeof req.query.orderId === 'string' ? req.query.orderId : '');
    if (req.query.orderId !== undefined && req.query.orderId !== orderId) {
      return void res
        .status(401)
        .type('html')
        .send(landingPage('Payment result not accepted', 'This payment result belongs to another order.'));
    }
    const delivery = await wake(orderId);
    await refresher.hint(journeyOfOrder(orderId), { source: 'return' }); // the driver is back: the journey looks now too
    logger.info({ processor: 'epx', orderId, delivery, signed }, 'notification received');
    const outcome = epxRedirectOutcome(fields);
    if (delivery === 'unavailable') res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    res
      .status(delivery === 'unavailable' ? 503 : 200)
      .type('html')
      .send(
        !signed
          ? paymentSentPage()
          : outcome.approved
            ? landingPage('Payment received', 'Thank you: you can go back to the app.', 'approved')
            : landingPage('Payment declined', `${outcome.reason ?? 'Declined'} — you can try again from the app.`, 'declined'),
      );
  });

  return router;
}
