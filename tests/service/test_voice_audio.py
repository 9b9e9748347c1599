"""Hindi and Marathi call audio: clips built ahead of time (a stub synthesiser here, espeak-ng when installed), turns
assembled from them (catalogue words, names, number pieces) and served as one WAV."""
import io
import re
import shutil
import string
import wave
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from click.testing import CliRunner

from dialogs.texts import texts
from dialogs.voice import spoken
from farmdb.db import make_sessionmaker
from cli import voice_prompts as cli_voice
from cli.voice_prompts import build, build_prompts, to_clip
from gateway import create_app
from service.voice_audio import (
    FORMAT, MAX_CLIPS, PHRASE_GAP_S, RATE, WORD_GAP_S, AudioLibrary, clip_id, decode, _encode,
)
from locales.languages import BUILT_AUDIO

BASE = "https://voice.example.org"
MANDI = {"hi": "लासलगांव", "mr": "लासलगाव"}  # Lasalgaon, as the seeded reference table names it


def tone(text: str, locale: str, rate: int = RATE, channels: int = 1, padding_s: float = 0.0) -> bytes:
    """A stand-in synthesiser: a 440 Hz tone, longer for longer texts, as a WAV."""
    pad = np.zeros(int(rate * padding_s))
    sound = 8000 * np.sin(2 * np.pi * 440 * np.arange(int(rate * (0.05 + 0.01 * len(text)))) / rate)
    samples = np.repeat(np.concatenate([pad, sound, pad]).astype("<i2"), channels)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


@pytest.fixture(scope="module")
def built(engine, tmp_path_factory):
    """Every clip of both languages, built once for the module with the stub."""
    root = tmp_path_factory.mktemp("var")
    results = build_prompts(root / "voice", make_sessionmaker(engine), BUILT_AUDIO, tone)
    return root, results


@pytest.fixture
def library(built):
    return AudioLibrary(built[0] / "voice", BASE)


@pytest.fixture
def serve(settings, backends):
    """A test client of the gateway with VAR_DIR at `root`."""
    def make(root):
        return create_app(replace(settings, var_dir=str(root)), backends=backends).test_client()
    return make


def frames(data: bytes) -> tuple[tuple, int, bytes]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()), wav.getnframes(), \
            wav.readframes(wav.getnframes())


def test_every_clip_is_built_once(built, engine):
    root, first = built
    for locale in BUILT_AUDIO:
        assert first[locale].built > 1000 and first[locale].kept == 0 and not first[locale].failed
        assert len(list((root / "voice" / locale).glob("*.wav"))) == first[locale].built
    again = build_prompts(root / "voice", make_sessionmaker(engine), BUILT_AUDIO, tone)
    assert {locale: (r.built, r.kept) for locale, r in again.items()} == \
        {locale: (0, first[locale].built) for locale in BUILT_AUDIO}


PRICE_LINE = {
    "hi": ["लासलगांव", "आज", "एक", "हज़ार", "आठ", "सौ", "पचास", "रुपये", "एक", "हज़ार", "सात", "सौ", "से", "दो",
           "हज़ार"],
    "mr": ["लासलगाव", "आज", "एक", "हजार", "आठशे", "पन्नास", "रुपये", "एक", "हजार", "सातशे", "ते", "दोन", "हजार"],
}
TURN = {  # an old price with its date, weather line, a key to press, the greeting without the farmer's name
    "hi": [["लासलगांव", "पुराना भाव,", "पन्द्रह", "जुलाई", "एक", "हज़ार", "आठ", "सौ", "पचास", "रुपये", "एक", "से",
            "दो"],
           ["आज", "बारिश", "बारह", "मिलीमीटर,", "इक्कीस", "से", "तैंतीस", "डिग्री"],
           ["मौसम", "एक", "दबाइए।"], ["नमस्ते", "जी! चुनें:"]],
    "mr": [["लासलगाव", "जुना भाव,", "पंधरा", "जुलै", "एक", "हजार", "आठशे", "पन्नास", "रुपये", "एक", "ते", "दोन"],
           ["आज", "पाऊस", "बारा", "मिलिमीटर,", "एकवीस", "ते", "तेहतीस", "अंश"],
           ["हवामान", "एक", "दाबा."], ["नमस्कार", "निवडा:"]],
}


def _turn(t, locale):
    return [t("prices.line.old", mandi=MANDI[locale], date=t.date(date(2026, 7, 15)), modal=t.money(1850), low="1",
              high="2"),
            t("weather.line", day=t("weather.day0"), rain="12", tmin=21, tmax=33),
            t("voice.press", label=t("main.weather"), number=1), t("main.title", name="Asha")]


@pytest.mark.parametrize("locale", BUILT_AUDIO)
def test_a_price_line_is_said_from_its_words_the_mandi_and_number_pieces(library, locale):
    t = texts(locale, latin=False)
    line = t("prices.line", mandi=MANDI[locale], date=t("prices.today"), modal=t.money(1850), low=t.number(1700),
             high=t.number(2000))
    assert library.pieces([line], locale) == [PRICE_LINE[locale]]
    assert library.pieces(_turn(t, locale), locale) == TURN[locale]

    url = library.prompt_url([line, *_turn(t, locale)], locale)
    assert re.fullmatch(rf"{BASE}/voice/audio/{locale}/play/[A-Za-z0-9_.-]+\.wav", url) and len(url) < 600
    token = url.rsplit("/", 1)[1].removesuffix(".wav")
    assert decode(token) == [[clip_id(text) for text in group] for group in [PRICE_LINE[locale], *TURN[locale]]]

    # What a call really says: the voice wording of the line, every piece of it built.
    said = spoken(t, line)
    assert said.key == "voice.prices.line" and library.prompt_url([said], locale)
    modal = PRICE_LINE[locale][2:PRICE_LINE[locale].index("रुपये") + 1]
    pieces = library.pieces([said], locale)[0]
    assert "आज" in pieces and any(pieces[i:i + len(modal)] == modal for i in range(len(pieces)))


@pytest.mark.parametrize("value, hindi", [
    ("1,25,000", ["एक", "लाख", "पच्चीस", "हज़ार"]), ("100", ["एक", "सौ"]), ("0", ["शून्य"]),
    ("<1", ["एक", "से कम"]), ("-2.5", ["ऋण", "दो", "दशमलव", "पाँच"]),
    ("4821937", ["चार", "आठ", "दो", "एक", "नौ", "तीन", "सात"]),  # a ticket, digit by digit
    ("KS-4821", ["के", "एस", "चार", "आठ", "दो", "एक"]),
])
def test_values_are_read_from_pieces(library, value, hindi):
    t = texts("hi", latin=False)
    assert library.pieces([t("expert.done", ticket=value)], "hi")[0][1:-1] == hindi
    assert library.prompt_url([t("expert.done", ticket=value)], "hi")


@pytest.mark.parametrize("value, marathi", [
    ("100", ["शंभर"]), ("150", ["एकशे", "पन्नास"]), ("1,100", ["एक", "हजार", "शंभर"]),
    ("99", ["नव्व्याण्णव"]), ("74", ["चौर्याहत्तर"]), ("1,23,45,678", ["एक", "कोटी", "तेवीस", "लाख", "पंचेचाळीस",
                                                                       "हजार", "सहाशे", "अठ्ठ्याहत्तर"]),
])
def test_marathi_numbers_have_their_own_words(library, value, marathi):
    t = texts("mr", latin=False)
    line = t("prices.line", mandi=MANDI["mr"], date=t("prices.today"), modal=value, low="1", high="2")
    assert library.pieces([line], "mr")[0][2:-3] == marathi


def test_without_every_piece_there_is_no_audio(library, built, tmp_path):
    t = texts("hi", latin=False)
    unknown_mandi = t("prices.line", mandi="Atlantis", date=t("prices.today"), modal=t.money(1850), low="1",
                      high="2")
    assert library.pieces([unknown_mandi], "hi") is None and library.prompt_url([unknown_mandi], "hi") is None
    known = t("prices.line", mandi=MANDI["hi"], date=t("prices.today"), modal=t.money(1850), low="1", high="2")
    assert library.prompt_url([known], "hi")
    assert AudioLibrary(tmp_path, BASE).prompt_url([known], "hi") is None  # nothing built there
    assert library.prompt_url([known], "en") is None  # English is the provider's own Say
    assert library.prompt_url([known] * MAX_CLIPS, "hi") is None  # too long for one URL


def test_the_served_wav_is_the_clips_joined(library, built, serve):
    root, _ = built
    client = serve(root)
    t = texts("mr", latin=False)
    phrases = _turn(t, "mr")
    url = library.prompt_url(phrases, "mr")
    response = client.get(url.removeprefix(BASE))
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    fmt, count, data = frames(response.data)
    groups = TURN["mr"]
    clips = [frames(library.path("mr", text).read_bytes()) for group in groups for text in group]
    gaps = (sum(map(len, groups)) - len(groups)) * int(WORD_GAP_S * RATE) + (len(groups) - 1) * int(PHRASE_GAP_S * RATE)
    assert fmt == FORMAT and count == sum(n for _, n, _ in clips) + gaps
    assert data.startswith(clips[0][2]) and data.endswith(clips[-1][2])
    assert client.get(url.removeprefix(BASE)).data == response.data  # from the cache, the same

    one = library.prompt_url([t("main.weather")], "mr")  # one clip: the clip itself
    assert one == f"{BASE}/voice/audio/mr/{clip_id('हवामान')}.wav"
    assert client.get(one.removeprefix(BASE)).data == library.path("mr", "हवामान").read_bytes()


def test_without_a_base_url_the_address_the_request_came_to_is_used(built):
    library = AudioLibrary(built[0] / "voice", None)
    assert library.prompt_url([texts("hi", False)("main.weather")], "hi", "https://gw.example.org/").startswith(
        "https://gw.example.org/voice/audio/hi/")


@pytest.mark.parametrize("path", [
    "/voice/audio/en/{clip}.wav", "/voice/audio/xx/{clip}.wav", "/voice/audio/hi/{clip}x.wav",
    "/voice/audio/hi/0000000000000000.wav", "/voice/audio/hi/..%2F..%2Fkheti.sqlite3.wav",
    "/voice/audio/hi/%2E%2E/%2E%2E/kheti.sqlite3", "/voice/audio/hi/play/{clip}.wav", "/voice/audio/hi/play/!!.wav",
    "/voice/audio/hi/play/AAAA.wav", "/voice/audio/hi/play/{missing}.wav", "/voice/audio/hi/play/{loose}.wav",
    "/voice/audio/hi/play/{too_many}.wav", "/voice/audio/hi/play/{token}..wav", "/voice/audio/en/play/{token}.wav",
])
def test_bad_paths_are_not_found(built, serve, path):
    clip = clip_id("मौसम")
    token = _encode([clip, clip])
    digits = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    loose = token[:-1] + digits[digits.index(token[-1]) ^ 1]  # the same bytes spelt another way
    path = path.format(clip=clip, token=token, loose=loose, missing=_encode(["ab" * 8]),
                       too_many=_encode([clip] * (MAX_CLIPS + 1)))
    client = serve(built[0])
    assert client.get(f"/voice/audio/hi/{clip}.wav").status_code == 200
    assert client.get(path).status_code == 404


def test_a_clip_in_another_format_is_refused(serve, tmp_path):
    folder = tmp_path / "voice" / "hi"
    folder.mkdir(parents=True)
    (folder / f"{clip_id('एक')}.wav").write_bytes(to_clip(tone("एक", "hi")))
    (folder / f"{clip_id('दो')}.wav").write_bytes(tone("दो", "hi", rate=22050))
    client = serve(tmp_path)
    assert client.get(f"/voice/audio/hi/play/{_encode([clip_id('एक'), clip_id('एक')])}.wav").status_code == 200
    assert client.get(f"/voice/audio/hi/play/{_encode([clip_id('एक'), clip_id('दो')])}.wav").status_code == 500


def test_a_synthesisers_wav_becomes_a_trimmed_8khz_mono_clip():
    fmt, count, _ = frames(to_clip(tone("नमस्ते", "hi", rate=22050, channels=2, padding_s=0.3)))
    spoken_s = 0.05 + 0.01 * len("नमस्ते")
    assert fmt == FORMAT and abs(count / RATE - spoken_s) < 0.05  # the padding is gone, the tone is not


def test_the_command_builds_what_is_missing_and_says_so(database_url, tmp_path, monkeypatch):
    monkeypatch.setitem(cli_voice.ENGINES, "espeak-ng", lambda: _Stub())
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "REDIS_URL": ""}
    first = CliRunner().invoke(cli_voice.voice, ["build-prompts", "--locale", "hi", "--engine", "espeak-ng"], env=env)
    assert first.exit_code == 0, first.output
    made = int(re.match(r"hi: (\d+) built, 0 already there, 0 failed", first.output)[1])
    again = CliRunner().invoke(cli_voice.voice, ["build-prompts", "--locale", "hi", "--engine", "espeak-ng"], env=env)
    assert again.output.startswith(f"hi: 0 built, {made} already there, 0 failed")
    assert not (tmp_path / "voice" / "mr").exists()


class _Stub:
    workers = 4

    def __call__(self, text, locale):
        return tone(text, locale)


def test_without_a_synthesiser_the_command_says_how_to_get_one(database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(cli_voice.shutil, "which", lambda name: None)
    monkeypatch.setattr(cli_voice.importlib.util, "find_spec", lambda name: None)
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "REDIS_URL": ""}
    result = CliRunner().invoke(cli_voice.voice, ["build-prompts"], env=env)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "apt-get install espeak-ng" in result.output and "pip install espeakng-loader" in result.output


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_ng_speaks_a_price_line(tmp_path, serve):
    _speak_a_price_line(cli_voice.EspeakNg(), tmp_path, serve)


def test_the_espeakng_loader_wheel_speaks_a_price_line(tmp_path, serve):
    pytest.importorskip("espeakng_loader", reason="pip install espeakng-loader")
    _speak_a_price_line(cli_voice.EspeakLibrary(), tmp_path, serve)


def _speak_a_price_line(engine, tmp_path, serve):
    t = texts("mr", latin=False)
    line = t("prices.line", mandi=MANDI["mr"], date=t("prices.today"), modal=t.money(1850), low=t.number(1700),
             high=t.number(2000))
    result = build(tmp_path / "voice", "mr", PRICE_LINE["mr"], engine, workers=engine.workers)
    assert result.built == len(set(PRICE_LINE["mr"])) and not result.failed
    for text in PRICE_LINE["mr"]:
        fmt, count, _ = frames((tmp_path / "voice" / "mr" / f"{clip_id(text)}.wav").read_bytes())
        assert fmt == FORMAT and 0.1 < count / RATE < 3, text
    url = AudioLibrary(tmp_path / "voice", BASE).prompt_url([line], "mr")
    response = serve(tmp_path).get(url.removeprefix(BASE))
    assert response.status_code == 200 and frames(response.data)[1] / RATE > 2
