"""The bare Flask app the lesson page's throughput is compared with."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
