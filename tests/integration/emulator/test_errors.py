"""The gateway's refusals: the stream-only trap, auth, unknown models, wrong shapes, limits.

Bodies and messages are the documented ones (reference §1.3, §1.4, §9).
"""

from __future__ import annotations

import base64

import httpx
import openai
import pytest

from qwen_omni.catalog import DATA_URI_MAX_BYTES
from qwen_omni.errors import (
    AuthenticationError,
    BadRequestError,
    MediaFetchError,
    NotFoundError,
    ServiceMediaTooLargeError,
    UnsupportedModalityError,
    map_api_error,
)
from qwen_omni_emulator import Emulator
from qwen_omni_emulator.bodies import ALGO_PREFIX, MSG

from .conftest import MODEL, audio_part, error_of, image_part, post_json, user

STREAM_ONLY = (
    "This model only support stream mode, please enable the stream parameter to access the model. "
)


@pytest.mark.parametrize("stream", [False, None])
def test_non_stream_request_gets_the_documented_400_body(qwen_omni_emulator, stream):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    if stream is not None:
        body["stream"] = stream

    response = post_json(qwen_omni_emulator, body)

    assert response.status_code == 400
    payload = response.json()
    request_id = payload["request_id"]
    assert payload == {
        "error": {
            "code": "invalid_parameter_error",
            "param": None,
            "message": STREAM_ONLY,
            "type": "invalid_request_error",
        },
        "id": f"chatcmpl-{request_id}",
        "request_id": request_id,
    }
    assert payload["error"]["message"].endswith("model. ")  # the trailing space is real
    assert qwen_omni_emulator.requests.last.status == 400


def test_non_stream_audio_output_gets_the_audio_message(qwen_omni_emulator):
    response = post_json(
        qwen_omni_emulator,
        {
            "model": MODEL,
            "messages": [user("hi")],
            "modalities": ["text", "audio"],
            "audio": {"voice": "Cherry", "format": "wav"},
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "'audio' output only support with stream=true"


def test_openai_client_non_stream_call_raises_bad_request(qwen_omni_emulator):
    with pytest.raises(openai.BadRequestError) as info:
        qwen_omni_emulator.client().chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.body["message"] == STREAM_ONLY
    assert isinstance(map_api_error(info.value), BadRequestError)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic emu-key"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_wrong_key_is_401(qwen_omni_emulator, headers):
    with httpx.Client(trust_env=False) as client:
        response = client.post(
            f"{qwen_omni_emulator.base_url}/chat/completions",
            json={"model": MODEL, "stream": True, "messages": [user("hi")]},
            headers=headers,
        )
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "invalid_api_key"
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("Incorrect API key provided.")
    assert body["request_id"]


def test_openai_client_with_wrong_key_maps_to_authentication_error(qwen_omni_emulator):
    client = openai.OpenAI(base_url=qwen_omni_emulator.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        client.chat.completions.create(model=MODEL, messages=[user("hi")], stream=True)
    assert isinstance(map_api_error(info.value), AuthenticationError)


def test_any_key_mode_accepts_any_non_empty_key():
    with Emulator(api_key=None) as emu:
        client = openai.OpenAI(base_url=emu.base_url, api_key="sk-anything", max_retries=0)
        stream = client.chat.completions.create(model=MODEL, messages=[user("hi")], stream=True)
        assert any(c.choices for c in stream)
        with httpx.Client(trust_env=False) as raw:
            response = raw.post(
                f"{emu.base_url}/chat/completions",
                json={"model": MODEL, "stream": True, "messages": [user("hi")]},
            )
        assert response.status_code == 401


def test_unknown_model_is_404_model_not_found(qwen_omni_emulator):
    status, body = error_of(
        qwen_omni_emulator, {"model": "qwen-omni-nonexistent", "messages": [user("x")]}
    )
    assert status == 404
    assert body["error"]["code"] == "model_not_found"
    assert body["error"]["message"] == (
        "The model `qwen-omni-nonexistent` does not exist or you do not have access to it."
    )
    with pytest.raises(openai.NotFoundError) as info:
        qwen_omni_emulator.client().chat.completions.create(
            model="nope", messages=[user("x")], stream=True
        )
    assert isinstance(map_api_error(info.value), NotFoundError)


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (
            {"type": "audio_url", "audio_url": {"url": "https://x/a.mp3"}},
            "Invalid value: audio_url. Supported values are: 'text','image_url','input_audio',"
            "'video_url' and 'video'",
        ),
        (
            {"type": "image_url", "image_url": {}},
            "Field required: messages[0].content[0].image_url.url",
        ),
        ({"type": "image_url"}, "Field required: messages[0].content[0].image_url.url"),
        ({"type": "text"}, "Field required: messages[0].content[0].text"),
        ({"text": "no type"}, "Field required: messages[0].content[0].type"),
        ({"type": "video", "video": []}, "Field required: messages[0].content[0].video"),
    ],
)
def test_wrong_part_shapes_are_refused(qwen_omni_emulator, part, message):
    status, body = error_of(qwen_omni_emulator, {"messages": [{"role": "user", "content": [part]}]})
    assert status == 400
    assert body["error"]["message"] == message
    assert body["error"]["code"] == "invalid_parameter_error"


@pytest.mark.parametrize(
    "data",
    [
        base64.b64encode(b"RIFF....WAVEfmt ").decode(),  # bare base64, as vLLM wants it
        "file:///tmp/a.wav",
        "/tmp/a.wav",
        "data:audio/wav,notbase64",
    ],
)
def test_input_audio_must_be_a_url_or_a_base64_data_uri(qwen_omni_emulator, data):
    status, body = error_of(qwen_omni_emulator, {"messages": [user(audio_part(data))]})
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.INVALID_URL
    assert isinstance(
        map_api_error(openai.BadRequestError("x", response=_response(400, body), body=body)),
        MediaFetchError,
    )


def _response(status: int, body: dict) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", "http://x"))


def test_data_uri_over_10_mib_is_refused(qwen_omni_emulator):
    head = "data:image/png;base64,"
    url = head + "A" * (DATA_URI_MAX_BYTES - len(head) + 1)
    status, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    assert status == 400
    assert body["error"]["message"] == (
        "Exceeded limit on max bytes per data-uri item : 10485760'."
    )
    error = map_api_error(openai.BadRequestError("x", response=_response(400, body), body=body))
    assert isinstance(error, ServiceMediaTooLargeError)


def test_data_uri_just_under_10_mib_passes_the_size_check(qwen_omni_emulator):
    head = "data:image/png;base64,"
    url = head + "A" * ((DATA_URI_MAX_BYTES - len(head)) // 4 * 4)
    status, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    # past the size rule, the (garbage) bytes fail the data inspection instead
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.IMAGE_DECODE


def test_two_non_text_modalities_in_one_message_on_flash(qwen_omni_emulator, png, wav):
    message = user("both", image_part(png.data_uri("image/png")), audio_part(wav.data_uri()))
    status, body = error_of(qwen_omni_emulator, {"messages": [message]})
    assert status == 400
    assert "more than one modality" in body["error"]["message"]
    error = map_api_error(openai.BadRequestError("x", response=_response(400, body), body=body))
    assert isinstance(error, UnsupportedModalityError)


def test_two_modalities_in_one_message_are_fine_on_qwen35(qwen_omni_emulator, png, wav):
    message = user("both", image_part(png.data_uri("image/png")), audio_part(wav.data_uri()))
    response = post_json(
        qwen_omni_emulator, {"model": "qwen3.5-omni-plus", "stream": True, "messages": [message]}
    )
    assert response.status_code == 200
    assert [p["modality"] for p in qwen_omni_emulator.requests.last.perceived] == ["image", "audio"]


def test_one_modality_per_message_over_several_messages_is_fine(qwen_omni_emulator, png, wav):
    messages = [user(image_part(png.data_uri("image/png"))), user(audio_part(wav.data_uri()))]
    response = post_json(qwen_omni_emulator, {"model": MODEL, "stream": True, "messages": messages})
    assert response.status_code == 200


def test_second_audio_file_on_flash_is_refused(qwen_omni_emulator, wav):
    messages = [user(audio_part(wav.data_uri())), user(audio_part(wav.data_uri()))]
    status, body = error_of(qwen_omni_emulator, {"messages": messages})
    assert status == 400
    assert "at most 1 audio file" in body["error"]["message"]


def test_media_in_an_assistant_message_is_refused(qwen_omni_emulator, png):
    messages = [
        user("hi"),
        {"role": "assistant", "content": [image_part(png.data_uri("image/png"))]},
        user("and?"),
    ]
    status, body = error_of(qwen_omni_emulator, {"messages": messages})
    assert status == 400
    assert body["error"]["message"] == MSG.ASSISTANT_MEDIA


def test_tools_on_turbo_are_refused(qwen_omni_emulator):
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    status, body = error_of(
        qwen_omni_emulator, {"model": "qwen-omni-turbo", "messages": [user("x")], "tools": tools}
    )
    assert status == 400
    assert body["error"]["message"] == "The tool call is not supported."
    error = map_api_error(openai.BadRequestError("x", response=_response(400, body), body=body))
    assert isinstance(error, UnsupportedModalityError)


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (None, MSG.missing_parameter("audio.voice")),
        ({"format": "wav"}, MSG.missing_parameter("audio.voice")),
        ({"voice": "Cherry", "format": "mp3"}, "Input should be 'wav': parameters.audio.format"),
    ],
)
def test_audio_output_needs_a_voice_and_wav(qwen_omni_emulator, audio, message):
    body = {"messages": [user("x")], "modalities": ["text", "audio"]}
    if audio is not None:
        body["audio"] = audio
    status, payload = error_of(qwen_omni_emulator, body)
    assert status == 400
    assert payload["error"]["message"] == message


def test_turbo_voice_list_message(qwen_omni_emulator):
    status, body = error_of(
        qwen_omni_emulator,
        {
            "model": "qwen-omni-turbo",
            "messages": [user("x")],
            "modalities": ["text", "audio"],
            "audio": {"voice": "Tina", "format": "wav"},
        },
    )
    assert status == 400
    assert body["error"]["message"] == (
        "Input should be 'Cherry', 'Serena', 'Ethan' or 'Chelsie': parameters.audio.voice"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"model": "qwen-omni-turbo", "enable_thinking": True},
            "The model qwen-omni-turbo does not support enable_thinking.",
        ),
        (
            {
                "enable_thinking": True,
                "response_format": {"type": "json_object"},
                "messages": [user("json please")],
            },
            "Json mode response is not supported when enable_thinking is true",
        ),
        (
            {"response_format": {"type": "json_object"}},
            "'messages' must contain the word 'json' in some form, to use 'response_format' of "
            "type 'json_object'.",
        ),
        (
            {"response_format": {"type": "xml"}},
            "Unknown format of response_format, response_format should be a dict, includes "
            "'type' and an optional key 'json_schema'. The response_format type from user is xml.",
        ),
        (
            {"tool_choice": "required", "tools": [{"type": "function", "function": {"name": "f"}}]},
            'tool_choice is one of the strings that should be ["none", "auto"]',
        ),
        (
            {
                "enable_thinking": True,
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": {"type": "function", "function": {"name": "f"}},
            },
            MSG.TOOL_CHOICE_THINKING,
        ),
        ({"max_tokens": 16385}, "Range of max_tokens should be [1, 16384]"),
        ({"max_tokens": 0}, "Range of max_tokens should be [1, 16384]"),
        ({"temperature": 2}, "Temperature should be in [0.0, 2.0)"),
        ({"top_p": 0}, "Range of top_p should be (0.0, 1.0]"),
        ({"presence_penalty": 3}, "Presence_penalty should be in [-2.0, 2.0]"),
        ({"seed": -1}, "-1 is lesser than the minimum of 0 - 'seed'"),
        ({"seed": 2**31}, "2147483648 is greater than the maximum of 2147483647 - 'seed'"),
        ({"top_k": -1}, "Parameter top_k be greater than or equal to 0"),
        ({"repetition_penalty": 0}, "Repetition_penalty should be greater than 0.0"),
        ({"enable_search": True}, "This model does not support enable_search."),
        (
            {
                "modalities": ["text", "audio"],
                "enable_thinking": True,
                "audio": {"voice": "Cherry", "format": "wav"},
            },
            MSG.AUDIO_WITH_THINKING,
        ),
        (
            {
                "model": "qwen3.8-omni-flash",
                "modalities": ["text", "audio"],
                "enable_thinking": False,
                "audio": {"voice": "Cherry", "format": "wav"},
            },
            "The model qwen3.8-omni-flash does not support the audio output modality.",
        ),
        ({"messages": []}, "[] is too short"),
        (
            {"messages": [{"role": "system", "content": "be nice"}]},
            "The input messages do not contain elements with the role of user.",
        ),
        ({"messages": [{"role": "user"}]}, "The content field is a required field."),
        (
            {"messages": [user("x"), {"role": "tool", "tool_call_id": "c1", "content": "r"}]},
            'messages with role "tool" must be a response to a preceeding message with '
            '"tool_calls"',
        ),
        ({"model": ""}, "you must provide a model parameter."),
    ],
)
def test_parameter_rules(qwen_omni_emulator, body, message):
    status, payload = error_of(qwen_omni_emulator, {"messages": [user("x")], **body})
    assert status == 400
    assert payload["error"]["message"] == message


def test_invalid_json_body(qwen_omni_emulator):
    with httpx.Client(trust_env=False) as client:
        response = client.post(
            f"{qwen_omni_emulator.base_url}/chat/completions",
            content=b"{not json",
            headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
        )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Required body invalid, please check the request body format."
    )


def test_get_on_chat_is_refused_and_unknown_paths_are_404(qwen_omni_emulator):
    with httpx.Client(trust_env=False) as client:
        auth = {"Authorization": f"Bearer {qwen_omni_emulator.api_key}"}
        get = client.get(f"{qwen_omni_emulator.base_url}/chat/completions", headers=auth)
        unknown = client.get(f"{qwen_omni_emulator.base_url}/embeddings", headers=auth)
    assert get.status_code == 400
    assert get.json()["error"]["message"] == "Request method 'GET' is not supported."
    assert unknown.status_code == 404


def test_validation_failures_do_not_consume_scripted_replies(qwen_omni_emulator):
    from qwen_omni_emulator import Reply

    qwen_omni_emulator.script(Reply.text("kept"))
    post_json(qwen_omni_emulator, {"model": MODEL, "messages": [user("x")]})  # not streaming: 400
    assert qwen_omni_emulator.pending_replies == 1
