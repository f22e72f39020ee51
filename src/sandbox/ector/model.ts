import { type ServiceCode } from '../../activities/ector/wire';

// The Ector simulator's catalogue and records: the zones it serves (with their own time zones,
// daily prices and optional services) and what it stores about bookings, contacts and cars.
// Prices are integer minor units (EUR cents), never floats.

export interface ZoneDefinition {
  id: string;
  name: string;
  type: 'airport' | 'station';
  address: string;
  /** IANA: the zone's local times are read and shown in it. */
  timezone: string;
  currency: string;
  /** The price of one started day of parking. */
  dailyMinor: number;
  /** The optional services this zone offers, with their price for the whole booking. */
  services: Partial<Record<ServiceCode, number>>;
}

/** PROPOSAL: the catalogue (the real one is not public). La Réunion has no DST, unlike metropolitan France. */
export const ZONES: readonly ZoneDefinition[] = [
  {
    id: 'CDG',
    name: 'Paris-Charles de Gaulle',
    type: 'airport',
    address: '95700 Roissy-en-France',
    timezone: 'Europe/Paris',
    currency: 'EUR',
    dailyMinor: 1990,
    services: { covered_parking: 1500, cancellation_insurance: 990 },
  },
  {
    id: 'ORY',
    name: 'Paris-Orly',
    type: 'airport',
    address: '94390 Orly',
    timezone: 'Europe/Paris',
    currency: 'EUR',
    dailyMinor: 1790,
    services: { covered_parking: 1200, cancellation_insurance: 990 },
  },
  {
    id: 'NCE',
    name: "Nice Côte d'Azur",
    type: 'airport',
    address: '06200 Nice',
    timezone: 'Europe/Paris',
    currency: 'EUR',
    dailyMinor: 1690,
    services: { cancellation_insurance: 890 },
  },
  {
    id: 'LYS-PART-DIEU',
    name: 'Lyon Part-Dieu',
    type: 'station',
    address: '5 place Charles Béraudier, 69003 Lyon',
    timezone: 'Europe/Paris',
    currency: 'EUR',
    dailyMinor: 1490,
    services: { covered_parking: 900, cancellation_insurance: 790 },
  },
  {
    id: 'RUN',
    name: 'La Réunion Roland Garros',
    type: 'airport',
    address: '97438 Sainte-Marie, La Réunion',
    timezone: 'Indian/Reunion',
    currency: 'EUR',
    dailyMinor: 1290,
    services: { cancellation_insurance: 690 },
  },
];

const DAY_MS = 24 * 3600_000;

/** Started days × the daily price, one day at least. */
export function parkingMinor(zone: ZoneDefinition, startMs: number, endMs: number): number {
  return Math.max(1, Math.ceil((endMs - startMs) / DAY_MS)) * zone.dailyMinor;
}

export interface StoredBooking {
  id: string;
  /** Stored statuses; `expired` is shown, never stored (an unpaid booking past the window). */
  status: 'pending_payment' | 'paid' | 'cancelled';
  zoneId: string;
  startMs: number;
  endMs: number;
  /** Sim clock, whole seconds (as created_at shows it): the payment window counts from here. */
  createdMs: number;
  contactId: string;
  carId: string;
  services: string[];
  totalMinor: number;
  currency: string;
  partnerReference?: string;
  paidMs?: number;
  cancelledMs?: number;
}

export interface StoredContact {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  /** E.164, as converted on the way in. */
  phone: string;
}

export interface StoredCar {
  id: string;
  plate: string;
  brand?: string;
  model?: string;
  color?: string;
}

/** Every POST /v3/bookings that got past the headers, whatever came of it (Ector does not deduplicate). */
export interface CreationRequest {
  at: string;
  partnerReference?: string;
  /** The datetimes as sent (before they are read in the zone's time zone). */
  startAt?: string;
  endAt?: string;
  /** The ids the request used instead of details, if any. */
  contactId?: string;
  carId?: string;
  withContactDetails: boolean;
  withCarDetails: boolean;
  /** `created`, or the error_code answered. */
  outcome: string;
  bookingId?: string;
}
