"""Celery workers: the background work the core asks for (SMS, broadcasts, payment links, call-backs) and the
periodic jobs (the outbox sweeper, morning alerts, payment sweeps). workers.app builds the app for a Service."""
