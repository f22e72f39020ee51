import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure a call ends with (the test fails if it succeeds or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
