# schemathesis hooks for `npm run fuzz` and test/e2e/schemathesis.test.ts (named by the config that
# scripts/fuzz.ts writes). Deterministic generation repeats the same few Idempotency-Keys ("0",
# "00", ...), so most POST /v1/journeys would replay an earlier, often finished, journey and the
# stateful chains would stop there. Three in four schema-valid requests get a fresh key instead;
# the fourth keeps the generated one, so replays stay tested. Keys that are part of an invalid
# (negative) case are never touched.
import itertools

import schemathesis

_fresh = itertools.count(1)


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not case.headers:
        return
    for name in list(case.headers):
        if name.lower() == "idempotency-key":
            n = next(_fresh)
            if n % 4:
                case.headers[name] = f"fuzz-{n}"
