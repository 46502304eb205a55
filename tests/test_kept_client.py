"""The suite's test client (:class:`web.testing.KeptClient`, one call into the app a request)
answers as Starlette's TestClient does: the same requests reach the app, the same answers come
back, server errors raise or answer 500 as asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from web.testing import KeptClient


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/echo/{name}")
    def echo(name: str, request: Request, response: Response) -> dict[str, object]:
        response.set_cookie("seen", "yes")
        return {
            "name": name,
            "q": request.query_params.get("q"),
            "cookie": request.cookies.get("seen"),
            "host": request.headers.get("host"),
            "client": request.client.host if request.client else None,
        }

    @app.post("/body")
    async def body(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def parts() -> Iterator[bytes]:
            yield b"first,"
            yield b"second"

        return StreamingResponse(parts(), media_type="text/plain")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    return app


@pytest.mark.parametrize("path", ["/echo/%C3%A4iti?q=a%20b", "/stream", "/echo/x"])
def test_the_same_answer_as_starlettes_client(path: str) -> None:
    app = _app()
    kept = KeptClient(app)
    try:
        with TestClient(app) as plain:
            for _ in range(2):  # the second time with the cookie the first one set
                ours, theirs = kept.get(path), plain.get(path)
                assert ours.status_code == theirs.status_code == 200
                assert ours.content == theirs.content
                assert ours.headers == theirs.headers
    finally:
        kept.close()


def test_a_body_head_and_server_errors() -> None:
    app = _app()
    kept = KeptClient(app)
    quiet = KeptClient(app, raise_server_exceptions=False)
    try:
        assert kept.post("/body", content=b"x" * 100_000).json() == {"length": 100_000}
        with TestClient(app) as plain:
            theirs = plain.head("/echo/x")
        head = kept.head("/echo/x")
        assert head.status_code == theirs.status_code
        assert head.headers == theirs.headers
        assert head.content == theirs.content == b""
        with pytest.raises(RuntimeError, match="boom"):
            kept.get("/boom")
        answer = quiet.get("/boom")
        assert answer.status_code == 500
    finally:
        kept.close()
        quiet.close()
    assert kept.portal is None  # closed: its event loop has ended


def test_a_client_on_anothers_loop_has_its_own_cookies_and_leaves_the_loop_running() -> None:
    app = _app()
    owner = KeptClient(app)
    try:
        sibling = KeptClient(app, loop_of=owner)
        assert sibling.portal is owner.portal  # no thread of its own
        assert sibling.get("/echo/a").json()["cookie"] is None
        assert sibling.get("/echo/a").json()["cookie"] == "yes"  # its own cookie, kept
        assert owner.get("/echo/b").json()["cookie"] is None  # not shared with the owner
        sibling.close()
        assert sibling.portal is None
        assert owner.get("/echo/b").json()["cookie"] == "yes"  # the loop still runs
        other = KeptClient(app, loop_of=owner)
        assert other.get("/stream").text == "first,second"
        other.close()
    finally:
        owner.close()
    assert owner.portal is None
    with pytest.raises(ValueError, match="open KeptClient of the same app"):
        KeptClient(app, loop_of=owner)  # closed
    another = KeptClient(app)
    try:
        with pytest.raises(ValueError, match="open KeptClient of the same app"):
            KeptClient(_app(), loop_of=another)  # another app
    finally:
        another.close()
