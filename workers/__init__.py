"""Celery workers: they send what the gateway and operators queue (SMS now; broadcasts and payments build on it)."""
