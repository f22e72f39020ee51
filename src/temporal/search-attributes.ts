import { type Client, type Connection } from '@temporalio/client';
import { type SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

// Registers parkflow's search attributes on a namespace: a cluster's (npm run search-attributes), or
// the embedded dev server's, whose --search-attribute flags register them on a new database only.
// Idempotent: attributes already there with their type are kept.

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

export interface Registration {
  added: string[];
  present: string[];
}

export async function ensureSearchAttributes(
  target: Client | Pick<Connection, 'operatorService'>,
  namespace: string,
  keys: readonly { name: string; type: SearchAttributeType }[] = JOURNEY_SEARCH_ATTRIBUTES,
): Promise<Registration> {
  const { operatorService } = 'operatorService' in target ? target : target.connection;
  const { customAttributes } = await operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  const present: string[] = [];
  for (const key of keys) {
    const type = INDEXED[key.type];
    if (type === undefined) throw new Error(`search attribute ${key.name}: type ${key.type} is not handled here`);
    if (existing[key.name] === undefined) missing[key.name] = type;
    else if (existing[key.name] === type) present.push(key.name);
    else
      throw new Error(
        `search attribute ${key.name} exists in namespace ${namespace} as ${IndexedValueType[existing[key.name]!]}, ` +
          `not ${IndexedValueType[type]}: remove it or rename ours`,
      );
  }
  if (Object.keys(missing).length > 0) await operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return { added: Object.keys(missing), present };
}
