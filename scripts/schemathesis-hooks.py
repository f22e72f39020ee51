# schemathesis hooks for `npm run fuzz` and test/e2e/schemathesis.test.ts (named by the config that
# scripts/fuzz.ts writes).
#
# Deterministic generation repeats the same few Idempotency-Keys ("0", "00", ...), so most
# POST /v1/journeys would replay an earlier, often finished, journey and the stateful chains would
# stop there. Three in four schema-valid keys are made fresh; the fourth is kept, so replays stay
# tested. Likewise a sandbox driver linked again would keep the session of an earlier journey, and
# its next start would be refused (one session in progress per driver): schema-valid sign-ups of the
# sandbox drivers get a fresh driver (the simulator signs up any address at example.com).
#
# Which ones are rewritten depends on the generated value alone, never on a call count: Hypothesis
# replays the prefixes of earlier scenarios and expects the same answers (the same links) to them;
# a different answer ends the stateful phase as "flaky". Negative cases are never touched.
import hashlib
import itertools

import schemathesis

_fresh = itertools.count(1)


def _kept(value):
    """One generated value in four is sent as generated."""
    return hashlib.sha256(str(value).encode("utf-8")).digest()[0] % 4 == 0


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    for name in list(case.headers or {}):
        if name.lower() == "idempotency-key" and not _kept(case.headers[name]):
            case.headers[name] = f"fuzz-{next(_fresh)}"
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("username"), str):
        username = body["username"]
        if username.startswith("fuzz-driver-") or username == "user@example.com":
            body["username"] = f"fuzz-driver-{next(_fresh)}-x@example.com"
