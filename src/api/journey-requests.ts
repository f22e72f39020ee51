import { toE164 } from '../domain/phone';
import { resolveInZone } from '../domain/zoned-time';
import { type EctorJourneyRequest } from '../registry/operators';
import { type z } from 'zod';
import { type EctorZoneCache } from './ector-zone-cache';
import { HttpProblem, type FieldError } from './problem';
import { type CreateJourneyRequest } from './schemas';

// What only the API can check of a start request before its journey exists — the zones it knows,
// the clock — per provider. Checked here, a bad booking is a 422 naming the field, and nothing
// opens upstream.

export interface PreparedRequest {
  request: CreateJourneyRequest;
  /** The place's IANA time zone, when the provider has places (Ector's zones). */
  timeZone?: string;
}

export async function prepareJourneyRequest(request: CreateJourneyRequest, deps: { zones: EctorZoneCache }): Promise<PreparedRequest> {
  return request.provider === 'ector' ? prepareEctorBooking(request, deps.zones) : { request };
}

/**
 * The phone in E.164 (a national number is French), the zone known and offering the services,
 * the times as instants in the zone's own time (a wall-clock time the clocks skip is refused),
 * the start not past and before the end.
 */
async function prepareEctorBooking(request: z.output<typeof EctorJourneyRequest>, zones: EctorZoneCache): Promise<PreparedRequest> {
  const errors: FieldError[] = [];
  const phone = toE164(request.contact.phone);
  if (!phone) errors.push({ field: 'contact.phone', message: 'not a valid phone number: give it in E.164 (+33…) or as a French number' });
  const zone = await zones.find(request.zoneId);
  if (!zone) {
    errors.push({ field: 'zoneId', message: 'unknown zone (GET /v1/ector/zones lists them)' });
    throw invalidBooking(errors);
  }
  for (const code of request.services) {
    if (!zone.services.some((s) => s.code === code)) errors.push({ field: 'services', message: `${code} is not offered at ${zone.name}` });
  }
  const times = stayTimes(request.startAt, request.endAt, zone.timeZone);
  if ('errors' in times) errors.push(...times.errors);
  if (errors.length > 0 || 'errors' in times) throw invalidBooking(errors);
  return {
    request: { ...request, startAt: times.startAt, endAt: times.endAt, contact: { ...request.contact, phone: phone! } },
    timeZone: zone.timeZone,
  };
}

/** A stay's start and end as instants in the zone's time: the start not past, the end after it. */
export function stayTimes(startAt: string, endAt: string, timeZone: string): { startAt: string; endAt: string } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const start = resolveInZone(startAt, timeZone);
  const end = resolveInZone(endAt, timeZone);
  if (!start.ok) errors.push({ field: 'startAt', message: start.reason });
  if (!end.ok) errors.push({ field: 'endAt', message: end.reason });
  if (start.ok && start.ms <= Date.now()) errors.push({ field: 'startAt', message: 'is in the past' });
  if (start.ok && end.ok && end.ms <= start.ms) errors.push({ field: 'endAt', message: 'must be after startAt' });
  if (errors.length > 0 || !start.ok || !end.ok) return { errors };
  return { startAt: start.iso, endAt: end.iso };
}

function invalidBooking(errors: FieldError[]): HttpProblem {
  return new HttpProblem(422, 'Booking not possible as asked', 'correct the fields named in errors', errors, 'invalid-booking');
}
