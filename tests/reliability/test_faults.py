"""Faults and recovery: an expired signed URL mid-run, an OSS upload cut mid-part, the emulator
restarted between requests, a first byte slower than the timeout."""

from __future__ import annotations

import asyncio
import hashlib
import time

import httpx
import pytest

from qwen_omni import (
    APIConnectionError,
    APITimeoutError,
    AsyncOmniClient,
    Message,
    OmniClient,
    Timeouts,
    audio,
    image,
    text,
)
from qwen_omni.delivery import MediaDelivery, OssStore
from qwen_omni.errors import MediaNotFetchableError, UploadError
from qwen_omni_emulator import Emulator, Fault, Reply

from .conftest import OSS_AK, OSS_REGION, OSS_SK, TcpCutter

pytestmark = pytest.mark.integration

HOUR = 3600.0


# --- expired signed URL mid-run ----------------------------------------------------------------


class Clock:
    """The client's view of time (MediaDelivery's clock), movable like the OSS server's."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def png_on_oss(qwen_omni_emulator, oss_bucket, tmp_path):
    from qwen_omni.media.synthetic import make_image

    path = make_image(tmp_path / "chart.png", width=96, height=64)
    key = "shared/chart.png"
    qwen_omni_emulator.oss.put_object(oss_bucket, key, path.read_bytes(), content_type="image/png")
    yield key
    qwen_omni_emulator.oss.time_offset = 0.0


def _image_url(record) -> str:
    for message in record.body["messages"]:
        if isinstance(message["content"], list):
            for part in message["content"]:
                if part.get("type") == "image_url":
                    return part["image_url"]["url"]
    raise AssertionError("no image in the request")


def test_an_expired_signed_url_in_the_history_is_resigned_before_the_request_leaves(
    qwen_omni_emulator, oss_bucket, png_on_oss
):
    # The store signs URLs valid long enough to survive the time travel below.
    store = OssStore(
        bucket=oss_bucket, endpoint=qwen_omni_emulator.oss_endpoint, region=OSS_REGION,
        access_key_id=OSS_AK, access_key_secret=OSS_SK, url_expiry_s=4 * HOUR,
    )  # fmt: skip
    clock = Clock()
    delivery = MediaDelivery("auto", oss=store, clock=clock)
    shared_url = store.sign_url(png_on_oss, int(HOUR))  # shared earlier, valid for an hour
    with OmniClient(**qwen_omni_emulator.connection, delivery=delivery,
                    max_retries=0) as client:  # fmt: skip
        # Turn 1: the URL is valid for longer than the request needs: sent as it is.
        question = text("What does this chart show?")
        turn1 = [Message(role="user", content=(image(shared_url), question))]
        answer1 = client.complete(turn1)
        assert _image_url(qwen_omni_emulator.requests.last) == shared_url
        assert qwen_omni_emulator.requests.last.perceived[0]["width"] == 96

        # Two hours pass, for the OSS server and for the client: the URL has expired.
        qwen_omni_emulator.oss.time_offset = clock.offset = 2 * HOUR
        assert httpx.get(shared_url, timeout=5).status_code == 403  # really expired

        # Turn 2 carries the history: the expired URL is re-signed before anything is sent.
        turn2 = [
            *turn1,
            Message(role="assistant", content=answer1.text),
            Message(role="user", content="And which bar is the tallest?"),
        ]
        client.complete(turn2)
    sent = _image_url(qwen_omni_emulator.requests.last)
    assert sent != shared_url
    assert sent.split("?")[0] == shared_url.split("?")[0]  # the same object, a new signature
    assert qwen_omni_emulator.requests.last.status == 200
    assert (
        qwen_omni_emulator.requests.last.perceived[0]["width"] == 96
    )  # the service could fetch it
    assert httpx.get(sent, timeout=5).status_code == 200


def test_an_expired_url_of_someone_elses_bucket_is_refused_before_sending(
    qwen_omni_emulator, oss_bucket, png_on_oss
):
    stranger = OssStore(
        bucket=oss_bucket, endpoint=qwen_omni_emulator.oss_endpoint, region=OSS_REGION,
        access_key_id=OSS_AK, access_key_secret=OSS_SK,
    )  # fmt: skip
    url = stranger.sign_url(png_on_oss, 60)
    qwen_omni_emulator.oss.time_offset = 2 * HOUR
    clock = Clock()
    clock.offset = 2 * HOUR
    # This client has no store that owns the bucket: it cannot re-sign, so it refuses.
    delivery = MediaDelivery("auto", use_env=False, clock=clock)
    with OmniClient(
        **qwen_omni_emulator.connection, delivery=delivery
    ) as c:
        with pytest.raises(MediaNotFetchableError) as info:
            c.complete([image(url), "What is this?"])
    message = str(info.value)
    assert "expired" in message
    assert "sign it again" in message
    assert "x-oss-signature" not in message  # the signature stays out of messages
    assert qwen_omni_emulator.requests.chat() == []  # nothing was sent


# --- OSS upload interrupted, then resumed ------------------------------------------------------

PART = 100 * 1024


def test_an_oss_upload_cut_mid_part_resumes_from_its_checkpoint(
    qwen_omni_emulator, oss_bucket, tmp_path
):
    from qwen_omni.media.synthetic import make_audio

    clip = make_audio(tmp_path / "call.wav", seconds=20)  # 640 KB: 7 parts of 100 KiB
    data = clip.read_bytes()
    total_parts = -(-len(data) // PART)
    checkpoints = tmp_path / "checkpoints"
    state = qwen_omni_emulator.oss
    with TcpCutter("127.0.0.1", qwen_omni_emulator.oss_port) as cutter:
        store = OssStore(
            bucket=oss_bucket, endpoint=cutter.endpoint, region=OSS_REGION,
            access_key_id=OSS_AK, access_key_secret=OSS_SK, multipart_threshold=2 * PART,
            part_size=PART, num_threads=1, checkpoint_dir=checkpoints,
        )  # fmt: skip
        delivery = MediaDelivery("oss", oss=store)
        with OmniClient(**qwen_omni_emulator.connection, delivery=delivery,
                        max_retries=0) as client:  # fmt: skip
            # The network drops in the middle of the fourth part.
            cutter.cut_after(int(3.5 * PART))
            with pytest.raises(UploadError) as info:
                client.complete([audio(clip), "Transcribe this call."])
            assert cutter.cuts == 1
            assert str(clip) in str(info.value)
            assert cutter.endpoint in str(info.value)
            assert qwen_omni_emulator.requests.chat() == []  # nothing reached the model
            first_run = state.count("PUT", param="partNumber", status=200)
            assert 1 <= first_run < total_parts
            assert list(checkpoints.rglob("*")), "the resumable upload left no checkpoint"

            # The network is back: the same call resumes where the upload stopped.
            answer = client.complete([audio(clip), "Transcribe this call."])
    second_run = state.count("PUT", param="partNumber", status=200) - first_run
    assert second_run == total_parts - first_run  # only the missing parts were sent again
    keys = state.object_keys(oss_bucket)
    assert len(keys) == 1
    stored = state.object_bytes(oss_bucket, keys[0])
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    assert not [p for p in checkpoints.rglob("*") if p.is_file()]  # checkpoint cleaned up
    perceived = qwen_omni_emulator.requests.last.perceived[0]
    assert perceived["modality"] == "audio"
    assert perceived["duration_s"] == pytest.approx(20.0, abs=0.5)
    assert answer.text


# --- the emulator restarted between requests ---------------------------------------------------


def test_the_same_sync_client_survives_an_emulator_restart_on_the_same_port():
    first = Emulator().start()
    port = first.port
    try:
        client = OmniClient(base_url=first.base_url, api_key=first.api_key, max_retries=0)
        first.script(Reply.text("before the restart"))
        assert client.complete("hello").text == "before the restart"
    finally:
        first.stop()
    # The pool still holds the connection the old server closed; no retries allowed here, so
    # the next request only succeeds if the pool notices and opens a new connection.
    with Emulator(port=port) as second:
        assert second.port == port
        second.script(Reply.text("after the restart"))
        assert client.complete("hello again").text == "after the restart"
        assert len(second.requests.chat()) == 1
    client.close()


async def test_the_same_async_client_fails_fast_while_down_and_recovers_after_restart():
    first = await asyncio.to_thread(Emulator().start)
    port = first.port
    client = AsyncOmniClient(base_url=first.base_url, api_key=first.api_key, max_retries=0)
    try:
        first.script(*[Reply.text(f"before {i}") for i in range(4)])
        texts = await asyncio.gather(*(client.complete(f"q{i}") for i in range(4)))
        assert sorted(r.text for r in texts) == [f"before {i}" for i in range(4)]
    finally:
        await asyncio.to_thread(first.stop)

    started = time.perf_counter()
    with pytest.raises(APIConnectionError, match="could not reach the service"):
        await client.complete("while down")
    assert time.perf_counter() - started < 5

    async with Emulator(port=port) as second:
        second.script(*[Reply.text(f"after {i}") for i in range(4)])
        texts = await asyncio.gather(*(client.complete(f"q{i}") for i in range(4)))
        assert sorted(r.text for r in texts) == [f"after {i}" for i in range(4)]
    assert client.in_flight == 0
    await client.close()


# --- slow first byte beyond the timeout --------------------------------------------------------

SLOW_S = 2.0
FIRST_BYTE_S = 0.3


@pytest.fixture(scope="module")
def slow_emulator():
    # Its own emulator: a request abandoned by the client is still answered by the server
    # after SLOW_S; it must not take a reply scripted by another test. Answers here come from
    # the default responder, which echoes the prompt.
    with Emulator() as emu:
        yield emu


def _slow_client(emu: Emulator, *, retries: int, total: float = 10.0) -> OmniClient:
    return OmniClient(
        base_url=emu.base_url,
        api_key=emu.api_key,
        max_retries=retries,
        timeout=Timeouts(connect=2, first_byte=FIRST_BYTE_S, total=total),
    )


def test_a_slow_first_byte_times_out_and_the_retry_succeeds(slow_emulator):
    emu = slow_emulator
    emu.reset()
    emu.fail_next(Fault.slow_first_byte(SLOW_S))
    started = time.perf_counter()
    with _slow_client(emu, retries=1) as client:
        answer = client.complete("slow-retry prompt")
    elapsed = time.perf_counter() - started
    assert "slow-retry prompt" in answer.text
    assert answer.finish_reason == "stop"
    assert elapsed < SLOW_S  # the slow attempt was abandoned, not waited for
    faults = [r.fault for r in emu.requests.chat()]
    assert faults == [f"slow;seconds={SLOW_S:g}", None]


def test_a_slow_first_byte_without_retries_is_a_timeout_error_in_bounded_time(slow_emulator):
    emu = slow_emulator
    emu.reset()
    emu.fail_next(Fault.slow_first_byte(SLOW_S))
    started = time.perf_counter()
    with _slow_client(emu, retries=0) as client:
        with pytest.raises(APITimeoutError, match="timed out"):
            client.complete("slow-no-retry prompt")
    assert time.perf_counter() - started < FIRST_BYTE_S + 0.7


def test_retries_of_slow_attempts_stop_at_the_total_timeout(slow_emulator):
    emu = slow_emulator
    emu.reset()
    emu.fail_next(Fault.slow_first_byte(SLOW_S), times=20)
    started = time.perf_counter()
    with _slow_client(emu, retries=20, total=1.2) as client:
        with pytest.raises(APITimeoutError):
            client.complete("slow-total prompt")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.2 + FIRST_BYTE_S + 0.5
    assert 2 <= len(emu.requests.chat()) < 20


async def test_a_slow_stream_does_not_hold_up_the_others(slow_emulator):
    emu = slow_emulator
    emu.reset()
    emu.fail_next(Fault.slow_first_byte(SLOW_S))
    client = AsyncOmniClient(
        base_url=emu.base_url, api_key=emu.api_key, max_retries=0, max_concurrency=4,
        timeout=Timeouts(connect=2, first_byte=FIRST_BYTE_S, total=5),
    )  # fmt: skip
    async with client:
        results = await asyncio.gather(
            *(client.complete(f"parallel {i}") for i in range(4)), return_exceptions=True
        )
    timeouts = [r for r in results if isinstance(r, APITimeoutError)]
    answers = [r for r in results if not isinstance(r, BaseException)]
    assert len(timeouts) == 1
    assert len(answers) == 3
    assert client.in_flight == 0


def test_a_request_abandoned_during_a_slow_start_does_not_take_a_later_scripted_reply(
    slow_emulator,
):
    # A client gives up on a slow first byte; the test then scripts the reply for its next
    # request. The abandoned request must not consume it when its delay ends on the server.
    emu = slow_emulator
    emu.reset()
    emu.fail_next(Fault.slow_first_byte(1.0))
    with _slow_client(emu, retries=0) as client:
        with pytest.raises(APITimeoutError):
            client.complete("abandoned prompt")
        emu.script(Reply.text("the scripted answer"))
        time.sleep(1.2)  # the abandoned request's delay is over on the server
        answer = client.complete("the next prompt")
    assert answer.text == "the scripted answer", (
        "the abandoned request took the reply scripted for the next one"
    )
