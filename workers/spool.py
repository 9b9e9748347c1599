"""The replay of webhooks parked while the database was away (service.spool), every minute from the beat."""
from __future__ import annotations

from service.conversations import UNAVAILABLE, Conversations
from service.receipts import take_report
from service.sms_inbox import Inbound, handle
from service.spool import replay
from workers.registry import OUTAGES, ServiceTask, TaskList

REPLAY_WEBHOOKS = "workers.spool.replay_webhooks"

TASKS = TaskList()


@TASKS.task(REPLAY_WEBHOOKS, queue="default", **OUTAGES)
def replay_webhooks(task: ServiceTask) -> int:
    service = task.service
    conversations = task.app.__dict__.get("kheti_conversations") or Conversations(service)
    task.app.kheti_conversations = conversations  # the SMS reader loads once per worker process

    def inbound_sms(fields: dict) -> None:
        # Its inline answer went unsaid: the reply goes out through the outbox instead.
        handle(conversations, Inbound(**{**fields, "send_reply": True}))

    def delivery_report(fields: dict) -> None:
        take_report(service.backends, **fields)

    return replay(service.backends.redis, {"inbound_sms": inbound_sms, "delivery_report": delivery_report},
                  outages=UNAVAILABLE)
