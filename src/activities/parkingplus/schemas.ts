import { z } from 'zod';

// Parking+Plus answers as the seeds document them (000, 001, 002). Unknown extra fields pass;
// missing or mistyped documented fields fail the parse (a contract violation, not a crash).

const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal amount');
const instant = z.iso.datetime({ offset: true });

export const TokenResponse = z.object({
  token_info: z.object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1),
    token_type: z.string().regex(/^bearer$/i),
    expires_in: z.number().int().positive(),
  }),
  last_payment_info: z.unknown().optional(),
  account_info: z.object({ email: z.string() }).loose(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const SmartKey = z.object({
  id: z.number().int(),
  secured_parking_id: z.number().int(),
  name: z.string(),
  description: z.string().nullable().optional(),
  is_active: z.boolean().nullable().optional(),
  type: z.string(),
  access_command: z.string(),
  is_online: z.boolean(),
  start_time: instant,
  end_time: instant,
  access_points: z.array(z.object({ access_point: z.object({ module_id: z.number().int().optional(), mac_address: z.string() }) })),
});
export type SmartKey = z.infer<typeof SmartKey>;

export const ParkingSession = z.object({
  id: z.number().int(),
  type: z.string(),
  state: z.string(),
  start_time: instant,
  end_time: instant.nullable().optional(),
  entrance_remaining_tries: z.number().int(),
  exit_remaining_tries: z.number().int(),
});

/** GET /parking_sessions/current (seed 001) — also what session creation answers. */
export const CurrentSession = z.object({
  amount: decimal,
  currency: z.string().length(3),
  parking_session: ParkingSession,
  smart_key: SmartKey,
});
export type CurrentSession = z.infer<typeof CurrentSession>;

/** PUT /parking_sessions/:id/finalize → 201 (seed 000). */
export const FinalizedSession = CurrentSession.extend({ pay_url: z.url() });
export type FinalizedSession = z.infer<typeof FinalizedSession>;

/** GET /api/payment/status (research §1). */
export const PaymentStatus = z.object({ is_card_verification: z.boolean().optional(), status: z.string() });

/** GET /api/car_driver/parking_session_transactions?page= (research §1): the driver's finalized sessions, paginated. */
export const SessionTransactions = z.object({
  current_page: z.number().int(),
  total_pages: z.number().int(),
  parking_session_transactions: z.array(
    z
      .object({
        id: z.number().int(),
        start_time: instant,
        end_time: instant.nullable().optional(),
        amount: decimal,
        payment_status: z.string(),
        curency: z.string().length(3), // sic, as the upstream spells it
        parking: z.object({ id: z.number().int() }).loose(),
      })
      .loose(),
  ),
});
export type SessionTransactions = z.infer<typeof SessionTransactions>;
export type SessionTransaction = SessionTransactions['parking_session_transactions'][number];
