"""SlackFiles: a file's bytes from Slack's file host with the bot token, and nowhere else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import FileRef, FileUnreadable
from bot.slack.files import SlackFiles, file_host, file_ref, file_refs
from simulators.slack import SlackSimulator
from simulators.slack.files import ForeignHost

TOKEN = "xoxb-files-test"
LIMIT = 1_000_000


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
async def files(slack: SlackSimulator) -> AsyncIterator[SlackFiles]:
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, session=session)
        yield SlackFiles(client, api_url=slack.api_url)


@pytest.fixture
async def foreign() -> AsyncIterator[ForeignHost]:
    async with ForeignHost() as host:
        yield host


def test_the_token_goes_to_slacks_file_host_or_to_the_configured_apis_own() -> None:
    assert file_host("https://slack.com/api/") == ("https", "files.slack.com", 443)
    assert file_host("https://acme.enterprise.slack.com/api/") == ("https", "files.slack.com", 443)
    assert file_host("http://127.0.0.1:4321/api/") == ("http", "127.0.0.1", 4321)


def test_a_message_carries_its_files_and_marks_slack_connect_stubs() -> None:
    event = {
        "files": [
            {"id": "F1", "name": "a.log", "mimetype": "text/plain", "size": 3, "url_private_download": "u"},
            {"id": "F2", "file_access": "check_file_info"},
            "junk",
        ]
    }
    first, stub = file_refs(event)
    assert first == FileRef("F1", "a.log", "text/plain", "", 3, "u")
    assert stub.stub and stub.name == "F2"


async def test_a_planted_file_is_downloaded_with_the_bot_token(
    slack: SlackSimulator, files: SlackFiles
) -> None:
    planted = slack.files.plant(b"ERROR boom\n", "a.log", "text/plain")

    content = await files.fetch(file_ref(planted), limit=LIMIT)

    assert content.data == b"ERROR boom\n" and content.media_type == "text/plain"
    assert [d.authorization for d in slack.files.downloads] == [f"Bearer {TOKEN}"]


async def test_a_declared_size_over_the_limit_is_refused_before_any_download(
    slack: SlackSimulator, files: SlackFiles
) -> None:
    planted = slack.files.plant(b"x" * 100, "big.log", "text/plain")

    with pytest.raises(FileUnreadable, match="100 bytes, over the 50"):
        await files.fetch(file_ref(planted), limit=50)
    assert slack.files.downloads == []


async def test_a_body_longer_than_the_limit_or_than_declared_is_refused(
    slack: SlackSimulator, files: SlackFiles
) -> None:
    planted = file_ref(slack.files.plant(b"x" * 100, "big.log", "text/plain"))

    with pytest.raises(FileUnreadable, match="over the 50"):
        await files.fetch(replace(planted, size=0), limit=50)  # a size Slack did not declare
    with pytest.raises(FileUnreadable, match="incomplete"):
        await files.fetch(replace(planted, size=120), limit=LIMIT)


async def test_a_sign_in_page_is_an_auth_failure(slack: SlackSimulator, files: SlackFiles) -> None:
    slack.scopes.remove("files:read")
    planted = slack.files.plant(b"ERROR boom\n", "a.log", "text/plain")

    with pytest.raises(FileUnreadable, match="sign-in page"):
        await files.fetch(file_ref(planted), limit=LIMIT)


async def test_a_link_or_a_redirect_off_the_file_host_never_gets_the_token(
    slack: SlackSimulator, files: SlackFiles, foreign: ForeignHost
) -> None:
    forged = slack.files.plant(b"x", "a.log", "text/plain", url=f"{foreign.url}/a.log")
    moved = slack.files.plant(b"x", "b.log", "text/plain", moved_to=f"{foreign.url}/b.log")
    userinfo = replace(file_ref(forged), url=slack.url.replace("http://", "http://me:pw@") + "/files-pri/x")

    for ref in (file_ref(forged), file_ref(moved), userinfo):
        with pytest.raises(FileUnreadable, match="not on Slack's file host"):
            await files.fetch(ref, limit=LIMIT)
    assert foreign.requests == []


async def test_a_redirect_on_the_file_host_is_followed_with_the_token(
    slack: SlackSimulator, files: SlackFiles
) -> None:
    target = slack.files.plant(b"ERROR boom\n", "a.log", "text/plain")
    moved = slack.files.plant(b"ERROR boom\n", "a.log", "text/plain", moved_to=target["url_private_download"])

    content = await files.fetch(file_ref(moved), limit=LIMIT)

    assert content.data == b"ERROR boom\n"
    assert [d.authorized for d in slack.files.downloads] == [True, True]


async def test_a_stub_is_described_by_files_info_and_an_unknown_one_refused(
    slack: SlackSimulator, files: SlackFiles
) -> None:
    planted = slack.files.plant(b"ERROR boom\n", "a.log", "text/plain")

    described = await files.describe(file_ref(slack.files.stub(planted)))
    assert described == file_ref(planted)
    with pytest.raises(FileUnreadable, match="file_not_found"):
        await files.describe(FileRef("F404", "F404", stub=True))
