import socket

import httpx
import pytest

from tests.conftest import NetworkBlocked


def test_connecting_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(("93.184.216.34", 80))


def test_resolving_a_public_name_is_refused() -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("slack.com", 443)


async def test_an_http_client_cannot_reach_out() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(NetworkBlocked):
            await client.get("https://api.github.com/")


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname())
