// Which tenant an id belongs to. No Node built-ins: workflow code reads a journey's tenant here too.

export const JOURNEY_ID = /^journey-([a-z0-9-]+)-([a-f0-9]{20})$/;
export const ACCOUNT_ID = /^account-parkingplus-([a-z0-9-]+)-([a-f0-9]{20})$/;

/** The tenant an id belongs to, or undefined when it is not an id of this kind. */
export function ownerOf(kind: 'journey' | 'account', id: string): string | undefined {
  return (kind === 'journey' ? JOURNEY_ID : ACCOUNT_ID).exec(id)?.[1];
}
