"""The official stripe-python SDK pointed at Tollgate's sandbox, as a merchant's script would be:
listing prices and subscriptions, an endpoint the sandbox does not serve, and a customer's test
clock driven through Stripe's test-clock API. Every call must come back as the SDK's own objects
or its own typed errors (an HTML answer would surface as a bare APIError).

Run by tests/stripe_python.rs with SANDBOX_API_BASE (http://HOST:PORT/sandbox) and
SANDBOX_API_KEY; exits non-zero on the first failed check.
"""

import os
import time

import stripe

client = stripe.StripeClient(
    os.environ["SANDBOX_API_KEY"],
    base_addresses={"api": os.environ["SANDBOX_API_BASE"]},
    max_network_retries=0,
)
checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


def refused(call, status, words):
    try:
        call()
    except stripe.InvalidRequestError as e:
        check(e.http_status == status, f"status {e.http_status} for {words!r}")
        check(words in (e.user_message or ""), f"{e.user_message!r} should say {words!r}")
        return
    raise AssertionError(f"expected a {status} saying {words!r}")


prices = client.v1.prices.list({"limit": 100})
check(any(p.id == "price_pro_monthly" for p in prices.data), "the catalog's prices are listed")
check(all(p.object == "price" for p in prices.data), "as price objects")

everyone = client.v1.subscriptions.list({"status": "all"})
check(everyone.object == "list", "subscriptions list")

refused(lambda: client.v1.webhook_endpoints.list(), 404, "Unrecognized request URL (GET: /v1/webhook_endpoints)")

now = int(time.time())
clock = client.v1.test_helpers.test_clocks.create({"frozen_time": now, "name": "stripe-python"})
check(clock.object == "test_helpers.test_clock" and clock.status == "ready", "a ready test clock")
customer = client.v1.customers.create({"email": "sdk@example.com", "test_clock": clock.id})
check(customer.test_clock == clock.id, "the customer lives on the clock")

moved = client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": now + 86_400})
while moved.status == "advancing":
    time.sleep(0.1)
    moved = client.v1.test_helpers.test_clocks.retrieve(clock.id)
check(moved.status == "ready" and moved.frozen_time == now + 86_400, "advanced one day")
refused(lambda: client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": now}), 400, "only move forward")
refused(
    lambda: client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 8_000_000_000_000}),
    400,
    "outside the times the sandbox keeps",
)
listed = client.v1.test_helpers.test_clocks.list({"limit": 100})
check(clock.id in [c.id for c in listed.data], "the clock is listed")
check(client.v1.subscriptions.list({"customer": customer.id}).data == [], "no subscription yet")

deleted = client.v1.test_helpers.test_clocks.delete(clock.id)
check(deleted.deleted, "deleted")
refused(lambda: client.v1.test_helpers.test_clocks.retrieve(clock.id), 404, "No such test_helpers.test_clock")

print(f"stripe-python against the sandbox: {checks} passed, 0 failed")
