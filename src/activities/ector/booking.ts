import { type Money } from '../../domain/money';
import { type ServiceCode } from './wire';

// An Ector booking in parkflow's words: what the journey asks for and what Ector answers. The
// wire shapes are in ./wire.ts; the client maps between the two.

export interface Contact {
  firstName: string;
  lastName: string;
  email: string;
  /** E.164, normalised before it reaches the journey. */
  phone: string;
}

export interface Car {
  plate: string;
  brand?: string;
  model?: string;
  color?: string;
}

/** What a journey books: times are instants in the zone's local time, with their offset. */
export interface BookingRequest {
  zoneId: string;
  /** The zone's IANA time zone (Europe/Paris): every time sent to Ector is shown in it. */
  timeZone: string;
  startAt: string;
  endAt: string;
  services: ServiceCode[];
  contact: Contact;
  car: Car;
}

export type BookingStatus = 'pending_payment' | 'paid' | 'cancelled' | 'expired';

export interface Booking {
  id: string;
  status: BookingStatus;
  zoneId: string;
  startAt: string;
  endAt: string;
  /** By Ector's clock: its 60-minute payment window starts here. */
  createdAt: string;
  services: string[];
  /** Only an insured booking can be cancelled (seed 004). */
  insured: boolean;
  /** The parking and its services: what the driver is charged. */
  total: Money;
}

export interface Quote {
  zoneId: string;
  startAt: string;
  endAt: string;
  available: boolean;
  /** The parking alone. */
  price: Money;
  services: Array<{ code: string; price: Money }>;
}

/** A zone (an airport or a station) as parkflow caches it. */
export interface Zone {
  id: string;
  name: string;
  type: string;
  address?: string;
  timeZone: string;
  /** The optional services it offers (covered_parking, cancellation_insurance) and their prices. */
  services: Array<{ code: string; price: Money }>;
}
