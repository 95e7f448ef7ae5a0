"""A bare Flask "hello": the benchmark serves it beside the desk as this machine's ceiling."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
