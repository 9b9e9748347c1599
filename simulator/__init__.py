"""Phones for trying the service without a provider: they post exactly what Africa's Talking, Twilio and Plivo
post (USSD, calls), to a gateway over HTTP (`kheti simulate`) or through the Flask app (the tests)."""
