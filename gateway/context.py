"""What a view works with, from the app the factory built: the Service and the conversations on it."""
from __future__ import annotations

from flask import current_app

from service.context import Service
from service.conversations import Conversations
from service.settings import Settings


def service() -> Service:
    return current_app.extensions["kheti"]


def conversations() -> Conversations:
    return current_app.extensions["kheti_conversations"]


def settings() -> Settings:
    return service().settings
