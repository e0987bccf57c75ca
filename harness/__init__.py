"""What the tests and the benchmarks both run beside the product: a webhook receiver that
verifies every request, and real Celery workers. The product never imports it."""
