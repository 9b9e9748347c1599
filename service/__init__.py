"""The shared core, below every entrance (the gateway, the CLI, the workers): what the service does, whoever asks.

- the Service context (context.py): settings, connections, the task queue, what is built once;
- the read services the dialogs use (dialog_services.py: reference data, prices, weather, farmers' profiles);
- conversations: one dialog step, an inbound SMS, a call's turn, the call log, the missed-call line;
- applying the dialogs' effects (effects.py), and the outbox with its rules (outbox.py: DLT, send windows, opt-outs,
  the rate limit), delivery receipts, broadcasts and payments;
- each provider's outbound side (providers/, payment_providers/).

It imports nothing above it (gateway, cli, workers); below it are dialogs, nlu, farmdb and locales.
"""
