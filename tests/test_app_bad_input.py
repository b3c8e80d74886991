"""Bad input gets a clear message (a gr.Error the client sees as AppError), never a stack trace.

Uploads in every PIL mode and size are converted; non-images, oversized files, unreachable Hub ids (the
tests run with HF_HUB_OFFLINE=1), paths outside the model root and out-of-range numbers are refused with a
sentence that says what is wrong. Web users cannot make the server read files it did not create.
"""

from __future__ import annotations

import json
import os

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image


def refused(client, *args, api_name: str) -> str:
    """The message of the gr.Error the call ends with (and proof it is not a traceback)."""
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name)
    message = str(info.value)
    assert message and "Traceback" not in message and 'File "' not in message
    return message


def picture(mode: str, size=(40, 30)) -> Image.Image:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, size[::-1], dtype=np.uint8)
    if mode == "I;16":
        return Image.fromarray((grey.astype(np.uint16) * 257), "I;16")
    if mode == "F":
        return Image.fromarray(grey.astype(np.float32) / 255.0, "F")
    base = Image.fromarray(grey, "L").convert("RGBA")
    if mode == "P+transparency":
        image = base.convert("RGB").convert("P")
        image.info["transparency"] = 0
        return image
    return base.convert(mode)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "1", "P", "P+transparency", "CMYK", "I;16", "I", "F", "RGB"])
def test_uploads_in_any_mode_are_converted(client, tmp_path, mode):
    suffix = ".jpg" if mode == "CMYK" else ".tif" if mode in ("I", "F") else ".png"
    path = tmp_path / f"upload-{mode.replace(';', '')}{suffix}"
    picture(mode).save(path)
    seen, fake, back, info, numbers = client.predict(handle_file(path), "cyclegan-sneaker-boot", "a2b",
                                                     api_name="/translate")
    assert Image.open(seen).size == Image.open(fake).size == (252, 252)
    assert "resized to 28x28 grey" in info  # the page says what it did with the picture
    assert 0 <= numbers["change"] <= 1


def test_big_upload_is_reduced(client, tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000), (200, 30, 30)).save(path)
    seen, _, _, info, _ = client.predict(handle_file(path), "cyclegan-sneaker-boot", "b2a", api_name="/translate")
    assert Image.open(seen).size == (252, 252) and "4000x3000 RGB resized to 28x28" in info


def test_colour_model_takes_a_grey_upload(client, tmp_path):
    path = tmp_path / "grey16.png"
    picture("I;16", (100, 20)).save(path)
    seen, out, _ = client.predict(handle_file(path), "pix2pix-edges-fashion", api_name="/pix2pix")
    assert Image.open(out).size == (256, 256)


@pytest.mark.parametrize("content, name", [
    (b"this is not a picture\n", "notes.png"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "truncated.png"),
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "paper.pdf"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "drawing.svg"),
])
def test_non_images_are_refused(client, tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    message = refused(client, handle_file(path), "cyclegan-sneaker-boot", "a2b", api_name="/translate")
    assert "not an image" in message or "damaged" in message


def test_decompression_bomb_is_refused(client, tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (12000, 12000)).save(path)  # tiny file, 144 megapixels
    message = refused(client, handle_file(path), "cyclegan-sneaker-boot", "a2b", api_name="/translate")
    assert "megapixels" in message or "too large" in message


def test_oversized_file_is_refused(app_server, tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(os.urandom(11 * 2**20))
    with path.open("rb") as f:
        response = httpx.post(app_server.url + "gradio_api/upload", files={"files": ("huge.png", f)}, timeout=60)
    assert response.status_code == 413
    assert "Traceback" not in response.text


def test_missing_upload(client):
    message = refused(client, None, "cyclegan-sneaker-boot", "a2b", api_name="/translate")
    assert "Upload an image first" in message


# -- model sources ------------------------------------------------------------------------------
def test_offline_hub_id(client):
    message = refused(client, "someone/some-gan", 0, 4, "all", api_name="/sample")
    assert "offline" in message and "someone/some-gan" in message


@pytest.mark.parametrize("path", ["/etc", "../../../etc", "~/", "/proc/self", "./../"])
def test_paths_outside_the_model_root(client, path):
    message = refused(client, path, 0, 4, "all", api_name="/sample")
    assert "outside the folder" in message


def test_symlink_out_of_the_root_is_refused(client, app_server, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    link = app_server.weights / "sneaky-link"
    link.symlink_to(outside, target_is_directory=True)
    try:
        message = refused(client, "./sneaky-link", 0, 4, "all", api_name="/sample")
    finally:
        link.unlink()
    assert "outside the folder" in message


def test_folder_that_is_not_a_model(client):
    message = refused(client, "./not-a-model", 0, 4, "all", api_name="/sample")
    assert "no config.json" in message


def test_wrong_kind_of_model(client):
    message = refused(client, "cyclegan-sneaker-boot", 0, 4, "all", api_name="/sample")
    assert "cyclegan" in message and "Sampling needs" in message
    message = refused(client, "dcgan-mnist", 0, 30, api_name="/age")
    assert "conditioned on age" in message


def test_oversized_config_is_refused(client, app_server):
    folder = app_server.weights / "hostile"
    folder.mkdir(exist_ok=True)
    config = json.loads((app_server.weights / "dcgan-mnist" / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "ngf": 10**6}))
    (folder / "model.safetensors").write_bytes(b"")
    message = refused(client, "./hostile", 0, 4, "all", api_name="/sample")
    assert "ngf" in message


# -- numbers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (("dcgan-mnist", -1, 4, "all"), ("minimum value 0",)),  # Gradio's own range check on the Number
    (("dcgan-mnist", 0, 1000, "all"), ("maximum value 64",)),
    (("cgan-mnist", 0, 4, "12"), ("class must be 0..9",)),
    (("cgan-mnist", 0, 4, "banana"), ("not a class",)),
])
def test_bad_numbers(client, args, words):
    message = refused(client, *args, api_name="/sample")
    assert any(w in message for w in words), message


def test_bad_direction_and_age(client, tmp_path):
    path = tmp_path / "ok.png"
    picture("L").save(path)
    # Gradio's own check on the Radio's choices already says it clearly
    assert "not in the list of choices: ['a2b', 'b2a']" in refused(
        client, handle_file(path), "cyclegan-sneaker-boot", "sideways", api_name="/translate")
    assert "greater than maximum value 95" in refused(client, "cgan-age-faces", 0, 500, api_name="/age")


# -- no reading of arbitrary files ----------------------------------------------------------------
def test_server_does_not_serve_or_read_other_files(app_server):
    url = app_server.url
    for path in ("/etc/passwd", str(app_server.weights / "dcgan-mnist" / "config.json")):
        response = httpx.get(f"{url}gradio_api/file={path}", timeout=30)
        assert response.status_code in (403, 404) and "root:" not in response.text
    # a FileData payload naming a server path is refused, not opened
    payload = {"data": [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "cyclegan-sneaker-boot", "a2b"]}
    event = httpx.post(f"{url}gradio_api/call/translate", json=payload, timeout=30)
    if event.status_code == 200:
        stream = httpx.get(f"{url}gradio_api/call/translate/{event.json()['event_id']}", timeout=60).text
        assert "event: error" in stream and "root:" not in stream
    else:
        assert event.status_code in (400, 403, 422) and "root:" not in event.text


# -- raw API payloads a script could send (NaN is legal in Python's JSON, not in gradio_client's) -----
def call_raw(app_server, api: str, body: str) -> str:
    url = app_server.url
    event = httpx.post(f"{url}gradio_api/call/{api}", content=body, headers={"Content-Type": "application/json"},
                       timeout=30)
    assert event.status_code == 200, event.text
    return httpx.get(f"{url}gradio_api/call/{api}/{event.json()['event_id']}", timeout=120).text


@pytest.mark.parametrize("api, body, words", [
    ("age", '{"data": ["cgan-age-faces", 0, NaN]}', "Age (years) must be a finite number"),
    ("sample", '{"data": ["dcgan-mnist", NaN, 16, "all"]}', "Seed must be a finite number"),
    ("sample", '{"data": ["dcgan-mnist", "abc", 16, "all"]}', "Seed must be a number, got 'abc'"),
    ("sample", '{"data": ["dcgan-mnist", 0, Infinity, "all"]}', "must be a finite number"),
    ("sample", '{"data": ["dcgan-mnist", 0, 1000000000, "all"]}', "maximum value 64"),
])
def test_nan_and_text_in_number_fields_get_a_message_naming_the_field(app_server, api, body, words):
    stream = call_raw(app_server, api, body)
    assert "event: error" in stream and words in stream, stream


def test_user_errors_leave_no_traceback_and_no_server_paths(client, app_server, capfd):
    capfd.readouterr()
    message = refused(client, "/etc", 0, 4, "all", api_name="/sample")
    assert str(app_server.weights) not in message and "outside the folder" in message
    message = refused(client, "dcgan-mnist", 0, 1000, "all", api_name="/sample")
    err = capfd.readouterr()
    assert "Traceback" not in err.out + err.err
