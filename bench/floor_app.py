"""The floor for a USSD hop: the least any Flask gateway could do. Parse the form, one Redis GET and one SETEX, answer
a CON text. Served by the same gunicorn settings as the real gateway, so the ratio measures what our code adds."""
import os

import redis
from flask import Flask, Response, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.post("/africastalking/ussd")
def hop():
    key = "floor:" + request.form["phoneNumber"]
    history = store.get(key) or b""
    store.setex(key, 180, history + b"*" + request.form.get("text", "").encode())
    return Response("CON Namaste! Choose:\n1 Weather\n2 Mandi prices", mimetype="text/plain")
