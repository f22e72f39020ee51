// Failure types shared by activities (which throw them), workflows (which branch on them)
// and the API (which maps them to problem responses). Plain constants: safe in workflow code.
export const FailureType = {
  /** The upstream credential cannot be refreshed: the account must be linked again. */
  AuthExpired: 'AuthExpired',
  /** Network error, timeout, 5xx or 429: worth retrying. */
  UpstreamUnavailable: 'UpstreamUnavailable',
  /** The upstream says the resource does not exist (404). */
  UpstreamNotFound: 'UpstreamNotFound',
  /** The upstream rejected the request as invalid (400) or refused it for a business reason (422). */
  UpstreamRejected: 'UpstreamRejected',
  /** The upstream answered with a shape we do not understand. */
  UpstreamContractViolation: 'UpstreamContractViolation',
  /** A request a workflow refuses as malformed (the API checks first: only a direct Temporal client meets it). */
  InvalidRequest: 'InvalidRequest',
  /** An update that does not fit the journey's current state. */
  WrongState: 'WrongState',
  /** An Idempotency-Key reused with a different request body. */
  IdempotencyKeyReused: 'IdempotencyKeyReused',
  /** LinkC refused a transaction id because its validity window had passed. */
  TransactionExpired: 'TransactionExpired',
  /** The journey's account is not linked (or no longer exists). */
  AccountNotLinked: 'AccountNotLinked',
  /** The chosen processor cannot take the journey's currency: nothing was opened. */
  CurrencyNotAccepted: 'CurrencyNotAccepted',
  /** The operator takes this payment itself (e.g. a LinkC OSA partner's stay): parkflow cannot. */
  NotPayableHere: 'NotPayableHere',
  /** The operator refused our own credential (Ector's API key) even after re-reading it: operators must rotate it. */
  CredentialRejected: 'CredentialRejected',
  /** The operator's payment window has passed (Ector's 60 minutes from creation): the booking can no longer be paid. */
  PaymentWindowClosed: 'PaymentWindowClosed',
  /** A subscriber's endpoint did not take an event (network error, timeout, non-2xx): delivered again later. */
  SubscriberUnavailable: 'SubscriberUnavailable',
  /** The subscription was deleted, or is paused after failing too long: nothing more is sent to it. */
  SubscriptionInactive: 'SubscriptionInactive',
  /** A subscriber URL that points at loopback, a private network or metadata service (SSRF), or is not https. */
  SubscriberTargetRefused: 'SubscriberTargetRefused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failures that retrying the same call cannot fix. */
export const NON_RETRYABLE_FAILURES: FailureType[] = [
  FailureType.AuthExpired,
  FailureType.UpstreamNotFound,
  FailureType.UpstreamRejected,
  FailureType.UpstreamContractViolation,
  FailureType.AccountNotLinked,
  FailureType.TransactionExpired,
  FailureType.CurrencyNotAccepted,
  FailureType.NotPayableHere,
  FailureType.CredentialRejected,
  FailureType.PaymentWindowClosed,
  FailureType.SubscriptionInactive,
  FailureType.SubscriberTargetRefused,
];
