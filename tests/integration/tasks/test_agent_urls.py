"""Agent URLs over real loopback HTTP: content sniffing, redirects re-checked, what is sent."""

from __future__ import annotations

import pytest

from qwen_omni.tasks import AccessPolicy, AnalyzeResult, AsyncOmniTasks, ToolRefusal

pytestmark = pytest.mark.integration


@pytest.fixture
async def agent_tasks(emu):
    # The origin runs on 127.0.0.1: the test trusts it explicitly, as a user would trust a
    # private media server. Everything else private stays refused.
    policy = AccessPolicy(allow_private_hosts=("127.0.0.1",), max_redirects=3)
    t = AsyncOmniTasks(base_url=emu.base_url, api_key=emu.api_key, policy=policy, max_retries=0)
    yield t
    await t.aclose()


async def ask(tasks, url, tool="analyze_video"):
    return await tasks.run_tool(tool, {"source": url, "question": "What is in it?"})


async def test_public_media_url_is_sniffed_and_sent(agent_tasks, emu, media, origin):
    url = origin.serve("/clip.mp4", media.clip.read_bytes(), headers={"Content-Type": "video/mp4"})
    result = await ask(agent_tasks, url)
    assert isinstance(result, AnalyzeResult), result
    assert "video: 3.00 s" in result.answer  # the model server fetched it
    sent = emu.requests[-1].body["messages"][0]["content"][0]["video_url"]["url"]
    assert sent == url
    assert result.sent.media[0].origin == "url"


async def test_the_model_gets_the_checked_final_url_not_the_redirecting_one(
    agent_tasks, emu, media, origin
):
    final = origin.serve("/media/clip.mp4", media.clip.read_bytes())
    start = origin.redirect("/short/abc", "/media/clip.mp4")
    result = await ask(agent_tasks, start)
    assert isinstance(result, AnalyzeResult), result
    assert emu.requests[-1].body["messages"][0]["content"][0]["video_url"]["url"] == final


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "redirect"),
        ("http://100.100.100.200/latest/meta-data/", "redirect"),
        ("http://10.0.0.1/clip.mp4", "redirect"),
        ("http://localhost/clip.mp4", "redirect"),
        ("file:///etc/passwd", "redirect"),
        ("gopher://127.0.0.1:70/", "redirect"),
    ],
)
async def test_redirects_to_forbidden_places_are_refused(
    agent_tasks, emu, origin, location, reason
):
    url = origin.redirect("/r", location)
    result = await ask(agent_tasks, url)
    assert isinstance(result, ToolRefusal)
    assert result.reason == reason
    assert "redirects to a URL tools may not read" in result.message
    assert not emu.requests  # nothing reached the model


async def test_redirect_loops_and_chains_are_bounded(agent_tasks, origin):
    origin.redirect("/loop", "/loop")
    result = await ask(agent_tasks, origin.url("/loop"))
    assert isinstance(result, ToolRefusal)
    assert result.reason == "redirect"
    assert origin.hits.count("/loop") == 4  # the first request and 3 redirects


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        (
            "/page.html",
            b"<!doctype html><html><body>video here</body></html>",
            200,
            "wrong_modality",
        ),
        ("/missing.mp4", b"", 404, "fetch_failed"),
        ("/private.mp4", b"denied", 403, "fetch_failed"),
    ],
)
async def test_non_media_and_failed_fetches(agent_tasks, emu, origin, path, body, status, reason):
    url = origin.serve(path, body, status)
    result = await ask(agent_tasks, url)
    assert isinstance(result, ToolRefusal)
    assert result.reason == reason
    assert not emu.requests


async def test_the_content_must_match_the_tool(agent_tasks, media, origin):
    url = origin.serve("/talk.mp4", media.call.read_bytes())  # an mp3 named .mp4
    result = await ask(agent_tasks, url)
    assert isinstance(result, ToolRefusal)
    assert result.reason == "wrong_modality"
    assert "audio" in result.message
    image = await ask(
        agent_tasks, origin.serve("/x.png", media.photo.read_bytes()), "analyze_audio"
    )
    assert isinstance(image, ToolRefusal)
    assert image.reason == "wrong_modality"


async def test_without_the_explicit_allowance_loopback_is_refused_whoever_fetches(
    emu, origin, media
):
    url = origin.serve("/clip.mp4", media.clip.read_bytes())
    # The emulator (the model server) is on loopback too and could fetch it: still refused.
    async with AsyncOmniTasks(base_url=emu.base_url, api_key=emu.api_key) as tasks:
        result = await ask(tasks, url)
    assert isinstance(result, ToolRefusal)
    assert result.reason == "private_address"
    assert origin.hits == []  # not even probed
    assert not emu.requests


async def test_names_that_resolve_to_private_addresses_are_refused(emu, origin, media):
    origin.serve("/clip.mp4", media.clip.read_bytes())
    port = origin.base.rsplit(":", 1)[1]
    policy = AccessPolicy(resolver=lambda host: ["127.0.0.1"])  # e.g. a rebinding DNS name
    async with AsyncOmniTasks(base_url=emu.base_url, api_key=emu.api_key, policy=policy) as tasks:
        result = await ask(tasks, f"http://media.attacker.example:{port}/clip.mp4")
    assert isinstance(result, ToolRefusal)
    assert result.reason == "private_address"
    assert "resolves to 127.0.0.1" in result.message
    assert origin.hits == []
