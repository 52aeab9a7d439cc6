"""The floor: a bare Flask app that reads the form and answers a constant TwiML document."""

from __future__ import annotations

from flask import Flask, Response, request

TWIML = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Say language="en-US">'
         "Connecting you now.</Say><Dial timeout=\"20\"><Number>+4915155500001</Number>"
         "</Dial></Response>\n")


def create_floor_app() -> Flask:
    app = Flask(__name__)

    @app.post("/voice")
    @app.post("/voice/<path:step>")
    def constant(step: str = "") -> Response:
        request.form.get("CallSid")  # parse the form as a real webhook must
        return Response(TWIML, status=200, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


application = create_floor_app()


def main(argv: list[str] | None = None) -> int:
    """Serve the floor on its own (the benchmarks run it under gunicorn)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    create_floor_app().run("127.0.0.1", args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
