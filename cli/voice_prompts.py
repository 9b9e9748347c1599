"""`kheti voice build-prompts`: synthesise, ahead of any call, every clip Hindi and Marathi calls are assembled from
(service/voice_audio.py says which): the catalogue messages' words, names from the reference tables, number words,
months and letters. Clips are named by the hash of their text, so a rebuild only makes what is new.

Synthesisers: the espeak-ng program (Debian's package; the default when it is on PATH), or the same engine from the
`espeakng-loader` wheel (pip install espeakng-loader: libespeak-ng and its data, no apt). Both write 22,050 Hz;
clips are converted to voice_audio.FORMAT (8 kHz mono 16-bit) and trimmed of leading and trailing silence.
"""
from __future__ import annotations

import ctypes
import importlib.util
import io
import logging
import os
import shutil
import subprocess
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import click
import numpy as np

from cli.common import with_settings
from locales.languages import BUILT_AUDIO, language
from service.connections import Backends
from service.reference import ReferenceData
from service.settings import Settings
from service.voice_audio import CHANNELS, RATE, WIDTH, AudioLibrary, clip_id
from service.voice_words import normalise, spoken_texts

log = logging.getLogger(__name__)

SPEED_WPM = 150  # espeak's default 175 is quick for a caller on a noisy line
SILENCE = 300  # samples quieter than this (1% of full scale) at either end are cut
MARGIN_S = 0.02  # of the silence kept, so a word's first and last sounds are not clipped

Synthesiser = Callable[[str, str], bytes]  # (text, locale) -> a WAV file's bytes, 16-bit, any rate


class EngineMissing(click.ClickException):
    pass


class EspeakNg:
    """The espeak-ng program; one process per clip, so clips are made in parallel."""

    workers = os.cpu_count() or 1

    def __init__(self):
        self.program = shutil.which("espeak-ng")
        if not self.program:
            raise EngineMissing("espeak-ng is not installed: apt-get install espeak-ng (the Docker image has it), "
                                "or pip install espeakng-loader and use --engine espeakng-loader")

    def __call__(self, text: str, locale: str) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "clip.wav"
            # The text goes in on stdin: as an argument, one starting with "-" would be read as an option.
            voice = language(locale).espeak_voice
            subprocess.run([self.program, "-v", voice, "-s", str(SPEED_WPM), "-b", "1", "-w", str(out)],
                           input=text.encode(), capture_output=True, check=True, timeout=60)
            return out.read_bytes()


class EspeakLibrary:
    """libespeak-ng from the espeakng-loader wheel, called through ctypes. The library keeps global state: one clip
    at a time."""

    workers = 1
    _SYNCHRONOUS, _POS_CHARACTER, _CHARS_UTF8, _RATE = 2, 1, 1, 1  # from espeak-ng's speak_lib.h
    _Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError:
            raise EngineMissing("espeakng-loader is not installed: pip install espeakng-loader "
                                "(or apt-get install espeak-ng and use --engine espeak-ng)") from None
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.rate = self.lib.espeak_Initialize(self._SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if self.rate <= 0:
            raise EngineMissing(f"libespeak-ng from espeakng-loader did not start ({self.rate})")
        self._chunks: list[bytes] = []
        self._callback = self._Callback(self._collect)  # kept on self: ctypes must not free it while C holds it
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lib.espeak_SetParameter(self._RATE, SPEED_WPM, 0)

    def _collect(self, samples, count, _events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0  # go on

    def __call__(self, text: str, locale: str) -> bytes:
        voice = language(locale).espeak_voice
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {voice!r}")
        self._chunks = []
        data = text.encode() + b"\0"
        error = self.lib.espeak_Synth(data, len(data), 0, self._POS_CHARACTER, 0, self._CHARS_UTF8, None, None)
        if error != 0:
            raise RuntimeError(f"espeak_Synth failed ({error})")
        return _wav(b"".join(self._chunks), self.rate)


ENGINES = {"espeak-ng": EspeakNg, "espeakng-loader": EspeakLibrary}


def engine_named(name: str | None):
    """The named synthesiser; without a name the espeak-ng program, or the wheel when only that is installed."""
    if name is None:
        wheel = importlib.util.find_spec("espeakng_loader") is not None
        name = "espeakng-loader" if wheel and not shutil.which("espeak-ng") else "espeak-ng"
    return ENGINES[name]()


# --- clips ---------------------------------------------------------------------------------------------------

def _wav(frames: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(WIDTH)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate > RATE:
        # Low-pass below the new Nyquist frequency first, or what is above it folds back as hiss.
        cutoff, n = 0.45 * RATE / rate, np.arange(-32, 33)
        taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(len(n))
        samples = np.convolve(samples, taps / taps.sum(), mode="same")
    if rate != RATE:
        samples = np.interp(np.arange(0, len(samples) * RATE / rate) * rate / RATE, np.arange(len(samples)), samples)
    return samples


def _trim(samples: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > SILENCE)
    if not len(loud):
        return samples
    margin = int(MARGIN_S * RATE)
    return samples[max(loud[0] - margin, 0):loud[-1] + margin + 1]


def to_clip(data: bytes) -> bytes:
    """A synthesiser's WAV as a clip: FORMAT, trimmed (the assembler puts its own pauses between clips)."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    if width != WIDTH:
        raise ValueError(f"the synthesiser wrote {width * 8}-bit audio; clips are made from 16-bit PCM")
    samples = np.frombuffer(frames, "<i2").astype(np.float64).reshape(-1, channels).mean(axis=1)
    samples = _trim(_resample(samples, rate))
    return _wav(np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes(), RATE)


@dataclass
class Built:
    built: int = 0
    kept: int = 0
    failed: list[str] = field(default_factory=list)
    bytes: int = 0  # the locale's clips on disk, after the build


def build(directory: Path, locale: str, wanted: Iterable[str], synthesise: Synthesiser, *, force: bool = False,
          workers: int = 1) -> Built:
    """Make the clip of every text in `wanted` under directory/locale that is not there yet (all with `force`)."""
    folder = directory / locale
    folder.mkdir(parents=True, exist_ok=True)
    todo, result = [], Built()
    for text in sorted({normalise(text) for text in wanted} - {""}):
        if not force and (folder / f"{clip_id(text)}.wav").is_file():
            result.kept += 1
        else:
            todo.append(text)

    def make(text: str) -> str | None:
        try:
            clip = to_clip(synthesise(text, locale))
        except Exception as exc:  # noqa: BLE001 - one bad text must not stop the other thousand
            log.warning("voice clip %s %r not built: %s", locale, text, exc)
            return text
        # Written aside, then renamed: a gateway serving from this folder never reads half a file.
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
            part.write(clip)
        os.replace(part.name, folder / f"{clip_id(text)}.wav")
        return None

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for failed in pool.map(make, todo):
            if failed is None:
                result.built += 1
            else:
                result.failed.append(failed)
    result.bytes = sum(path.stat().st_size for path in folder.glob("*.wav"))
    return result


def reference_texts(sessions, locale: str) -> set[str]:
    """Names as the dialogs show them in this locale (states, districts, crops, mandis, plans) and advisories."""
    data = ReferenceData(sessions).fresh()
    named = [*data.states, *data.districts.values(), *data.crops, *(m for m, _ in data.mandis.values()), *data.plans]
    found = {item.label(locale, latin=False) for item in named}
    return found | {by_catalogue.get(locale) or by_catalogue["en"] for by_catalogue in data.advisories.values()}


def build_prompts(directory: Path, sessions, locales: Iterable[str], synthesise: Synthesiser, *, force: bool = False,
                  workers: int = 1) -> dict[str, Built]:
    return {locale: build(directory, locale, spoken_texts(locale) | reference_texts(sessions, locale), synthesise,
                          force=force, workers=workers)
            for locale in locales}


@click.group()
def voice():
    """Audio for calls in Hindi and Marathi on Africa's Talking."""


@voice.command("build-prompts")
@click.option("--locale", "locales", multiple=True, type=click.Choice(BUILT_AUDIO),
              help="Only this language (repeatable; default: all of them).")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default=None,
              help="Synthesiser (default: espeak-ng when installed, else espeakng-loader).")
@click.option("--force", is_flag=True, help="Synthesise every clip again, even those already built.")
@with_settings
def build_prompts_command(settings: Settings, locales: tuple[str, ...], engine: str | None, force: bool):
    """Synthesise every clip calls are assembled from, into VAR_DIR/voice/<locale>/; existing ones are kept."""
    synthesise = engine_named(engine)
    backends = Backends.open(settings)
    directory = AudioLibrary.for_settings(settings).directory
    failed = False
    for locale in locales or BUILT_AUDIO:
        started = time.perf_counter()
        result = build_prompts(directory, backends.sessions, [locale], synthesise, force=force,
                               workers=synthesise.workers)[locale]
        click.echo(f"{locale}: {result.built} built, {result.kept} already there, {len(result.failed)} failed "
                   f"({result.bytes / 1e6:.1f} MB in {directory / locale}, {time.perf_counter() - started:.0f} s)")
        failed = failed or bool(result.failed)
    backends.close()
    if failed:
        raise SystemExit(1)


COMMANDS = (voice,)
