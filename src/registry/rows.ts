import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import type { z } from 'zod';
import type { BaseConfig } from '../config';
import type { PaymentMethod, ProcessorTerms } from '../domain/payment-methods';
import type { JourneyStep, JourneyView, Provider } from '../workflows/messages';

// The shape of a registry row: everything parkflow needs to know of one operator or processor.

/** What a row's functions see of the configuration: the base and the row's own slice. */
export type RowConfig<Slice extends z.ZodObject> = BaseConfig & z.output<Slice>;

/** Where a simulator keeps its state: under DATA_DIR, or nowhere (memory only). */
export function sandboxDataDir(config: BaseConfig): string | undefined {
  return config.SANDBOX_STATE_ON_DISK ? config.DATA_DIR : undefined;
}

export interface Simulator<C> {
  /** As people say it, e.g. "Parking+Plus". */
  name: string;
  port(config: C): number;
  create(config: C): Express;
}

/** What every journey's input is built from, besides its request. */
export interface JourneyContext {
  requestHash: string;
  polling: { firstMs: number; maxMs: number };
  processors: ProcessorTerms;
  /** The IANA time zone of the place the journey is at, when the API resolved it (Ector's zone). */
  timeZone?: string;
}

export interface OperatorRow<P extends Provider, Request extends z.ZodObject, Input, Slice extends z.ZodObject, Activities extends object> {
  provider: P;
  /** The body of POST /v1/journeys for this operator; its `provider` is the literal P. */
  request: Request;
  /** A body the request schema accepts. */
  example: z.input<Request>;
  workflow: (input: Input) => Promise<JourneyView>;
  /** The steps its journeys take after the start (each a workflow update). */
  steps: readonly JourneyStep[];
  input(request: z.output<Request>, ctx: JourneyContext, config: RowConfig<Slice>): Input;
  /** The linked account the journey needs, if any. */
  accountId?(request: z.output<Request>): string;
  /** The vehicle's plate in the request, if it names one (the API indexes it as a keyed digest only). */
  plate?(request: z.output<Request>): string | undefined;
  config: Slice;
  activities(config: RowConfig<Slice>, deps: { temporal: Client }): Activities;
  simulator: Simulator<RowConfig<Slice>>;
  /** The operator's names of the request fields it may refuse → ours. */
  fieldNames: Record<string, string>;
}

export interface ProcessorRow<M extends PaymentMethod, C, Slice extends z.ZodObject> {
  method: M;
  config: Slice;
  /** The currencies its merchant account settles: a journey in any other is refused. */
  currencies(config: RowConfig<Slice>): string[];
  client(config: RowConfig<Slice>): C;
  simulator: Simulator<RowConfig<Slice>>;
}

/** Checks a row and keeps its precise types (literal provider, request, input, activities). */
export function operatorRow<P extends Provider, Request extends z.ZodObject, Input, Slice extends z.ZodObject, Activities extends object>(
  row: OperatorRow<P, Request, Input, Slice, Activities>,
) {
  return row;
}

export function processorRow<M extends PaymentMethod, C, Slice extends z.ZodObject>(row: ProcessorRow<M, C, Slice>) {
  return row;
}

export type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
