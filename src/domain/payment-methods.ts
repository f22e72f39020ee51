// The processors parkflow charges through itself, and what each one takes. Plain data: safe in
// workflow code, where the journey's pay validator refuses a method that cannot take its currency.

export const PAYMENT_METHODS = ['mobilpay', 'epx'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Per processor, the currencies its merchant account settles (from configuration). */
export type ProcessorTerms = Record<PaymentMethod, { currencies: string[] }>;
